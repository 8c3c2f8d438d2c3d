export default function () { return (() => {}).constructor.call(null, 'return 1')(); }
