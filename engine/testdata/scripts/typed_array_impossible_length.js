// want: ["RangeError","RangeError","RangeError"]
// A length no buffer can hold is the built-in's RangeError, which a script
// can catch, not a MEMORY_LIMIT (the guard charged it first).
function nameOf(f) { try { f(); } catch (e) { return e.name; } return 'nothing'; }
export default function () {
  return [
    nameOf(() => new Float64Array(Infinity)),
    nameOf(() => new Float64Array({ length: 2 ** 53 })),
    nameOf(() => new ArrayBuffer(2 ** 53)),
  ];
}
