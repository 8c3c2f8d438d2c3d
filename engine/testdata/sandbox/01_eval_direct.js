export default function () { return eval('1 + 1'); }
