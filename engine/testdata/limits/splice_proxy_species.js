// error: TIMEOUT
// splice on a Proxy of an array that reports a length near 2^53, whose
// species constructor makes an ordinary array: the walk over 2^53 indexes
// (none present, no trap on the way) is the guard's own loop, which an
// interrupt stops; goja's was one native loop that ran for ever.
export default function () {
  const array = Object.assign([], { constructor: { [Symbol.species]: function () { return []; } } });
  const source = new Proxy(array, { get: (t, k) => (k === 'length' ? 2 ** 53 - 1 : t[k]) });
  return Array.prototype.splice.call(source, 0).length;
}
