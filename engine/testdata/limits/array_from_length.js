// error: MEMORY_LIMIT
export default function () { return Array.from({ length: 2 ** 30 }).length; }
