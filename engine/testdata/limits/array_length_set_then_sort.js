// error: MEMORY_LIMIT
export default function () { const a = [3, 1]; a.length = 2 ** 30; return a.sort().length; }
