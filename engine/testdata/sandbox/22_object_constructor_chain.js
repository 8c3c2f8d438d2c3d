export default function () { return ({}).constructor.constructor('return this')(); }
