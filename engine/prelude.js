// Kiln's VM prelude: runs once in every new VM, before the script, and
// closes the doors the sandbox keeps shut. It is compiled once per process.
// `k` holds the native helpers the engine passes in; nothing here is left on
// the global object except what scripts are meant to see.
(function (k) {
  'use strict';
  const g = globalThis;
  const defineProperty = Object.defineProperty;
  const getPrototypeOf = Object.getPrototypeOf;
  const apply = Reflect.apply;
  const construct = Reflect.construct;

  // A function object that fails any call or construction with
  // SANDBOX_VIOLATION, and keeps `instanceof` working by carrying the
  // original constructor's prototype.
  function thrower(what, proto) {
    const f = function () { return k.violation(what); };
    defineProperty(f, 'name', { value: what.split(' ')[0] });
    if (proto) {
      defineProperty(f, 'prototype', { value: proto, writable: false, enumerable: false, configurable: false });
    }
    return f;
  }
  function lock(obj, name, value) {
    defineProperty(obj, name, { value: value, writable: false, enumerable: false, configurable: false });
  }

  // eval and every way to reach a Function constructor.
  lock(g, 'eval', thrower('eval is not allowed in Kiln scripts'));
  const ctors = [
    ['Function', function () {}],
    ['AsyncFunction', async function () {}],
    ['GeneratorFunction', function* () {}],
  ];
  for (const [name, sample] of ctors) {
    const proto = getPrototypeOf(sample);
    const t = thrower(name + ' constructor is not allowed in Kiln scripts (it compiles code from a string)', proto);
    lock(proto, 'constructor', t);
    if (name === 'Function') lock(g, 'Function', t);
  }
  lock(g, 'require', thrower('require is not allowed in Kiln scripts: import files from the script\'s own folder instead'));

  // Guarded built-ins. goja cannot interrupt a single native call, so any
  // built-in whose one call can allocate (or loop) in proportion to a number
  // the script chooses is checked against the invocation's remaining memory
  // budget first. Small sizes skip the native check to keep hot paths fast.
  const SMALL = 1 << 16;
  const VALUE = 16; // bytes of one goja value slot
  const charge = k.charge;
  function wrap(obj, name, check) {
    const orig = obj[name];
    if (typeof orig !== 'function') return;
    const f = {
      [name](...args) {
        check(this, args);
        return apply(orig, this, args);
      },
    }[name];
    defineProperty(f, 'length', { value: orig.length });
    defineProperty(obj, name, { value: f, writable: true, enumerable: false, configurable: true });
  }
  function lengthOf(o) {
    if (o === null || o === undefined) return 0;
    const n = +o.length;
    return n > 0 ? n : 0;
  }
  const toInt = (v) => { const n = +v; return n > 0 ? (n === Infinity ? n : Math.floor(n)) : 0; };

  // String methods whose result length the arguments decide.
  const SP = String.prototype;
  wrap(SP, 'repeat', (s, a) => { const n = lengthOf(String(s)) * toInt(a[0]); if (n > SMALL) charge(n, 'String.prototype.repeat'); });
  for (const m of ['padStart', 'padEnd']) {
    wrap(SP, m, (s, a) => { const n = toInt(a[0]); if (n > SMALL) charge(n, 'String.prototype.' + m); });
  }
  wrap(SP, 'concat', (s, a) => {
    let n = lengthOf(String(s));
    for (let i = 0; i < a.length; i++) n += lengthOf(String(a[i]));
    if (n > SMALL) charge(n, 'String.prototype.concat');
  });
  wrap(SP, 'split', (s, a) => {
    // Splitting into single characters makes one value per character.
    const n = lengthOf(String(s));
    if (n > SMALL && (a[0] === '' || typeof a[0] === 'object')) charge(n * VALUE * 2, 'String.prototype.split');
  });

  // Array methods: an array longer than the memory budget allows can only be
  // sparse, and every one of these walks or copies every index natively.
  const AP = Array.prototype;
  // Iterators (keys, values, entries) are lazy and for-of over them stays
  // interruptible, so they are left alone.
  const arrayMethods = ['concat', 'copyWithin', 'every', 'fill', 'filter', 'find', 'findIndex',
    'findLast', 'findLastIndex', 'flat', 'flatMap', 'forEach', 'includes', 'indexOf', 'join',
    'lastIndexOf', 'map', 'reduce', 'reduceRight', 'reverse', 'shift', 'slice', 'some', 'sort', 'splice',
    'toLocaleString', 'toReversed', 'toSorted', 'toSpliced', 'toString', 'unshift', 'with'];
  for (const m of arrayMethods) {
    const what = 'Array.prototype.' + m;
    wrap(AP, m, (arr, a) => {
      let n = lengthOf(arr);
      if (m === 'concat') for (let i = 0; i < a.length; i++) n += lengthOf(a[i]);
      if (m === 'join' && n > 1 && typeof a[0] === 'string') n *= a[0].length + 1;
      if (n > SMALL) charge(n * VALUE, what);
    });
  }
  // join and toString recurse natively into nested arrays; goja unwinds a
  // deep native recursion slowly (each level re-captures the stack), so cap
  // the depth with a counter, in O(1) per call.
  for (const m of ['join', 'toString', 'toLocaleString']) {
    const inner = AP[m];
    let depth = 0;
    const f = {
      [m](...args) {
        if (depth >= 1000) throw new RangeError('Array.prototype.' + m + ': arrays are nested more than 1000 levels deep');
        depth++;
        try {
          return apply(inner, this, args);
        } finally {
          depth--;
        }
      },
    }[m];
    defineProperty(f, 'length', { value: inner.length });
    defineProperty(AP, m, { value: f, writable: true, enumerable: false, configurable: true });
  }
  wrap(Array, 'from', (c, a) => {
    const n = lengthOf(a[0]);
    if (n > SMALL) charge(n * VALUE, 'Array.from');
  });

  // Spread, Array.from, new Set/Map and Promise.all walk an iterator in one
  // native loop that goja cannot interrupt. Guarding where the iterator is
  // made costs one check per loop, not per element; the element iterators
  // themselves (next) stay the originals.
  const iter = Symbol.iterator;
  for (const [proto, what, perItem] of [[AP, 'Array.prototype[Symbol.iterator]', VALUE],
    [SP, 'String.prototype[Symbol.iterator]', VALUE * 2]]) {
    const orig = proto[iter];
    const guarded = {
      [what](...args) {
        const n = lengthOf(this);
        if (n > SMALL) charge(n * perItem, what);
        return apply(orig, this, args);
      },
    }[what];
    defineProperty(guarded, 'name', { value: proto === AP ? 'values' : '[Symbol.iterator]' });
    defineProperty(proto, iter, { value: guarded, writable: true, enumerable: false, configurable: true });
    if (proto === AP) defineProperty(AP, 'values', { value: guarded, writable: true, enumerable: false, configurable: true });
  }

  // apply and construct copy an array-like into an argument list natively.
  const argsCheck = (what, i) => (t, a) => { const n = lengthOf(a[i]); if (n > SMALL) charge(n * VALUE, what); };
  wrap(Function.prototype, 'apply', argsCheck('Function.prototype.apply', 1));
  wrap(Reflect, 'apply', argsCheck('Reflect.apply', 2));
  wrap(Reflect, 'construct', argsCheck('Reflect.construct', 1));

  // ArrayBuffer and typed-array constructors allocate their whole size at
  // once. Each is replaced by a checking subclass-compatible wrapper, and
  // every route back to the original constructor is redirected to it.
  function guardConstructor(name, bytesPerElement) {
    const Orig = g[name];
    if (typeof Orig !== 'function') return;
    const Guard = function (...args) {
      if (new.target === undefined) return apply(Orig, this, args);
      const a0 = args[0];
      let n = 0;
      if (typeof a0 === 'number' || typeof a0 === 'string' || typeof a0 === 'bigint') n = toInt(Number(a0)) * bytesPerElement;
      else if (a0 !== null && typeof a0 === 'object' && !(a0 instanceof ArrayBufferOrig)) n = lengthOf(a0) * bytesPerElement;
      if (n > SMALL) charge(n, name);
      return construct(Orig, args, new.target === Guard ? Orig : new.target);
    };
    defineProperty(Guard, 'name', { value: name });
    defineProperty(Guard, 'length', { value: Orig.length });
    defineProperty(Guard, 'prototype', { value: Orig.prototype, writable: false, enumerable: false, configurable: false });
    Object.setPrototypeOf(Guard, getPrototypeOf(Orig));
    for (const key of Reflect.ownKeys(Orig)) {
      if (key === 'prototype' || key === 'name' || key === 'length') continue;
      defineProperty(Guard, key, Object.getOwnPropertyDescriptor(Orig, key));
    }
    defineProperty(Orig.prototype, 'constructor', { value: Guard, writable: true, enumerable: false, configurable: true });
    defineProperty(g, name, { value: Guard, writable: true, enumerable: false, configurable: true });
  }
  const ArrayBufferOrig = ArrayBuffer;
  guardConstructor('ArrayBuffer', 1);
  for (const [name, size] of [['Int8Array', 1], ['Uint8Array', 1], ['Uint8ClampedArray', 1], ['Int16Array', 2],
    ['Uint16Array', 2], ['Int32Array', 4], ['Uint32Array', 4], ['Float32Array', 4], ['Float64Array', 8],
    ['BigInt64Array', 8], ['BigUint64Array', 8]]) {
    guardConstructor(name, size);
  }

  // JSON.stringify runs in one native call. Its cost grows with the square
  // of the nesting depth, and shared references are written out once per
  // path; measure the value first (refusing absurd depths as a RangeError,
  // like V8) and charge its expanded size against the memory budget.
  wrap(JSON, 'stringify', (j, a) => {
    const v = a[0];
    if (v !== null && typeof v === 'object') {
      const problem = k.checkStringify(v);
      if (problem) throw new RangeError('JSON.stringify: ' + problem);
    }
  });

  // JSON.parse builds its whole result in one native call; the engine
  // estimates the result's size from the text before letting it run.
  wrap(JSON, 'parse', (j, a) => {
    const text = a[0];
    if (typeof text === 'string' && text.length > SMALL) charge(k.estimateJSON(text), 'JSON.parse');
  });
})
