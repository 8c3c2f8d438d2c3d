// error: MEMORY_LIMIT
export default function () { const text = "[" + "0,".repeat(2 ** 23) + "0]"; return JSON.parse(text).length; }
