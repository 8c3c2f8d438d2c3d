export default function () { return new Function('return 1')(); }
