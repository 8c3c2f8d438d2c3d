export default function () { return Function.bind(null, 'return 1')()(); }
