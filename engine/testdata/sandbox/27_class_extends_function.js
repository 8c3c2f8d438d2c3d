export default function () { class F extends Function {} return new F('return 1')(); }
