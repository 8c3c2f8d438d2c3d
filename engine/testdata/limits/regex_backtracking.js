// error: TIMEOUT
// timeout: 1s
export default function () { return /^(a+)+(?!x)b$/.test("a".repeat(40) + "c"); }
