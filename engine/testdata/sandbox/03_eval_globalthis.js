export default function () { return globalThis.eval('this'); }
