export default function () { return [ 'return 1' ].map(Function)[0](); }
