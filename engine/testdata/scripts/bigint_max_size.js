// want: ["RangeError","RangeError","RangeError","RangeError",2097151,true]
// BigInts are capped at 2^21 bits (internal/goja patch 4; V8's cap is
// 2^30): past it an operator or BigInt() throws a RangeError the script
// can catch, before math/big spends seconds in one native call.
function nameOf(f) { try { f(); } catch (e) { return e.name; } return 'nothing'; }
export default function () {
  return [
    nameOf(() => 1n << 2097152n),
    nameOf(() => 3n ** 2000000n),
    nameOf(() => BigInt('9'.repeat(700000))),
    nameOf(() => (1n << 1100000n) * (1n << 1100000n)),
    (1n << 2097150n).toString(2).length,
    BigInt('9'.repeat(600000)) + 1n === 10n ** 600000n,
  ];
}
