// want: [[11],["0","2"],1]
// A guarded array method keeps an array-like's holes when script code (a
// valueOf, a getter) decides its length: the guard reads the length once
// and hands the built-in a stand-in, through which an absent index is a
// hole (it read as present and undefined, so callbacks ran for it).
const viaValueOf = { 1: 11, 2: 9, length: { valueOf() { return 2; } } };
const viaGetter = { 0: 'a', 2: 'c', get length() { return 3; } };
let calls = 0;
export default function () {
  const filtered = Array.prototype.filter.call(viaValueOf, () => true);
  const mapped = Array.prototype.map.call(viaGetter, (x) => x);
  Array.prototype.forEach.call({ 1: 'b', get length() { return 2; } }, () => { calls++; });
  return [filtered, Object.keys(mapped), calls];
}
