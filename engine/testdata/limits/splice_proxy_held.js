// error: MEMORY_LIMIT
// splice on a Proxy keeps every element its get trap makes in the result
// it builds step by step: the meter sees the result while it is built.
export default function () {
  const source = new Proxy({}, {
    get: (t, k) => (k === 'length' ? 1e6 : 'x'.repeat(1000) + k),
    has: () => true,
  });
  return Array.prototype.splice.call(source, 0).length;
}
