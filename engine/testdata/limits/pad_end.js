// error: MEMORY_LIMIT
export default function () { return "x".padEnd(2 ** 30, "yz").length; }
