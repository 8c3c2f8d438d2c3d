export default function () { const AG = (async function* () {}).constructor; return AG('yield 1'); }
