// error: MEMORY_LIMIT
export default function () { return "x".repeat(2 ** 30).length; }
