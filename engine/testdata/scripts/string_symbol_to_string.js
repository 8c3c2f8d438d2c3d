// want: ["TypeError","TypeError","TypeError","TypeError"]
// A Symbol, or an object whose toString gives one, converted to a string by
// a guarded String method is the spec's TypeError (goja's own ToString
// describes a Symbol instead).
function nameOf(f) { try { f(); } catch (e) { return e.name; } return 'nothing'; }
export default function () {
  const sym = { toString() { return Symbol('s'); } };
  return [
    nameOf(() => String.prototype.normalize.call(Symbol('x'))),
    nameOf(() => 'abc'.replace('b', Symbol('r'))),
    nameOf(() => ''.replaceAll.call(sym, 'a', 'b')),
    nameOf(() => 'abc'.replaceAll('b', sym)),
  ];
}
