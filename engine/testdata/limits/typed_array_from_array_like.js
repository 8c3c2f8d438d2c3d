// error: MEMORY_LIMIT
export default function () { return new Uint8Array({ length: 2 ** 31 }).length; }
