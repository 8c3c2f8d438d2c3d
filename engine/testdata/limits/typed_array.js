// error: MEMORY_LIMIT
export default function () { return new Float64Array(2 ** 28).length; }
