// error: MEMORY_LIMIT
export default function () { return "x".padStart(2 ** 30).length; }
