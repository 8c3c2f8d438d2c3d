export default function () { return globalThis.constructor.constructor('return process')(); }
