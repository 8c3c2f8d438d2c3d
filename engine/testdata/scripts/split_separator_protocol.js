// want: [["x"],4,["a","b"],["a","b"]]
// String.prototype.split hands an object separator's Symbol.split the
// receiver as it is (not converted to a string first), a RegExp's split
// converts a limit as ToUint32 (-23 is 4294967273), and an object
// separator without one is converted once.
const receiver = { toString() { throw new Error('receiver converted'); } };
const separator = { [Symbol.split](r) { return [r === receiver ? 'x' : 'converted']; } };
let conversions = 0;
const comma = { toString() { conversions++; return ','; } };
export default function () {
  return [
    String.prototype.split.call(receiver, separator),
    /./[Symbol.split]('abc', -23).length,
    'a,b'.split(comma),
    conversions === 1 ? ['a', 'b'] : conversions,
  ];
}
