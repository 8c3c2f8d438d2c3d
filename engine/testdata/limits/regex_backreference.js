// error: TIMEOUT
// timeout: 1s
export default function () { return /^((a|aa)+)\1*c$/.test("a".repeat(45) + "b"); }
