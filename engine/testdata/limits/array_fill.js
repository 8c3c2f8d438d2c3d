// error: MEMORY_LIMIT
export default function () { return new Array(2 ** 30).fill(0).length; }
