export default function () { return (0, eval)('1 + 1'); }
