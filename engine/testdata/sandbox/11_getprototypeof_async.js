export default function () { return Object.getPrototypeOf(async function () {}).constructor('return 1'); }
