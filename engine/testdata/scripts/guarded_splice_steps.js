// want: [true,["get length","get constructor","species 2","has 1","has 2","get 2","has 3","get 3","set 2","gopd 2","define 2","delete 3","set 1","gopd 1","define 1","set length","gopd length","define length"],[null,"c"],["p"],9007199254740990,"q",null,[null,"c"],{"0":"a","1":"x","2":"d","length":3},"TypeError"]
// Array.prototype.splice on anything but an array runs the spec's steps
// in the guard: a Proxy sees exactly the traps goja's splice makes, in its
// order, and the result its species constructor made; an array-like whose
// length is near 2^53 is spliced where the arguments say, not refused; a
// string's characters cannot be written (test262's
// splice/create-species-length-exceeding-integer-limit and the
// length-near-integer-limit cases).
export default function () {
  const log = [];
  const target = [];
  const array = Object.assign(['a', , 'c', 'd'], {
    constructor: { [Symbol.species]: function (n) { log.push('species ' + n); return target; } },
  });
  const source = new Proxy(array, {
    get(t, k, r) { log.push('get ' + String(k)); return Reflect.get(t, k, r); },
    has(t, k) { log.push('has ' + String(k)); return Reflect.has(t, k); },
    set(t, k, v, r) { log.push('set ' + String(k)); return Reflect.set(t, k, v, r); },
    deleteProperty(t, k) { log.push('delete ' + String(k)); return Reflect.deleteProperty(t, k); },
    getOwnPropertyDescriptor(t, k) { log.push('gopd ' + String(k)); return Reflect.getOwnPropertyDescriptor(t, k); },
    defineProperty(t, k, d) { log.push('define ' + String(k)); return Reflect.defineProperty(t, k, d); },
  });
  const same = Array.prototype.splice.call(source, 1, 2, 'x') === target;
  const like = { length: 2 ** 53 - 1, [2 ** 53 - 3]: 'p', [2 ** 53 - 2]: 'q' };
  const removed = Array.prototype.splice.call(like, 2 ** 53 - 3, 1);
  const small = { length: 4, 0: 'a', 2: 'c', 3: 'd' };
  const removed2 = Array.prototype.splice.call(small, 1, 2, 'x');
  let string;
  try { Array.prototype.splice.call('abc', 1, 1); } catch (e) { string = e.constructor.name; }
  return [same, log, target, removed, like.length, like[2 ** 53 - 3], like[2 ** 53 - 2], removed2, small, string];
}
