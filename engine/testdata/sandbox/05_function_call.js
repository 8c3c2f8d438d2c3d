export default function () { return Function('return globalThis')(); }
