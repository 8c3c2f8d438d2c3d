// error: MEMORY_LIMIT
export default function () { return new ArrayBuffer(2 ** 31).byteLength; }
