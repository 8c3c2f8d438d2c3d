// error: MEMORY_LIMIT
export default function () { return new Array(2 ** 30).map((x) => 1).length; }
