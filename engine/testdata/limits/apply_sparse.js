// error: MEMORY_LIMIT
export default function () { return String.fromCharCode.apply(null, new Array(2 ** 27)).length; }
