// error: MEMORY_LIMIT
export default function () { return [...new Array(2 ** 27)].length; }
