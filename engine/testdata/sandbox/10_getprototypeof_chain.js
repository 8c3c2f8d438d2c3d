export default function () { return Object.getPrototypeOf(function () {}).constructor('return 1')(); }
