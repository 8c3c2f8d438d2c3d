// want: ["TypeError","TypeError","TypeError"]
// A guarded array method fails as the built-in does, before the guard
// reads a length or converts an argument: called on undefined, or sort
// given a comparator that is not a function.
const poisoned = { get length() { throw new Error('length was read'); } };
const depth = { valueOf() { throw new Error('depth was converted'); } };
const separator = { toString() { throw new Error('separator was converted'); } };
const flat = Array.prototype.flat, join = Array.prototype.join;
function nameOf(f) { try { f(); } catch (e) { return e.name; } return 'nothing'; }
export default function () {
  return [nameOf(() => flat(depth)), nameOf(() => join(separator)), nameOf(() => [].sort.call(poisoned, 42))];
}
