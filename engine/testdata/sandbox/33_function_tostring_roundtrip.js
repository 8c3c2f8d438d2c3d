export default function () { const f = () => 1; return new (f.constructor)('return ' + f.toString())(); }
