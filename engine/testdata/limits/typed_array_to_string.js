// error: MEMORY_LIMIT
export default function () { return new Uint8Array(2 ** 25).toString().length; }
