// Lists every function a script can reach, by a stable path: the handler
// (input: {globals, arrayMethods}) reads every global name (they are built
// on first read), walks the object graph from globalThis and from objects
// only syntax or a call can produce, and returns [[path, kind], …], kind
// "native" or "js" (engine functions written in JavaScript).
//
// Paths: a property is `.name` or `[Symbol.x]` or `["odd name"]`; an
// accessor's functions are `name[get]` and `name[set]`; an object reached
// only as a [[Prototype]] is named %Name% after its constructor or
// toStringTag (%TypedArray%, %ArrayIteratorPrototype%), else
// `<path>.[[Prototype]]`. Objects keep the first path found: every root's
// properties breadth first, sorted keys, before prototypes.
export default function (input) {
  const P = Object.getPrototypeOf;
  const ownKeys = Reflect.ownKeys;
  const describe = Object.getOwnPropertyDescriptor;
  const fnSource = Function.prototype.toString;
  for (const name of input.globals) {
    try { globalThis[name]; } catch (e) { /* a global that throws on read is still listed below */ }
  }
  for (const m of input.arrayMethods) [][m];

  const captured = {};
  new Promise((res, rej) => { captured.resolve = res; captured.reject = rej; });
  const capture = (key) => function (exec) { captured[key] = exec; exec(() => {}, () => {}); };
  const thenable = (keys) => ({ then(a, b) { captured[keys[0]] = a; if (keys[1]) captured[keys[1]] = b; } });
  function withThen(ctor, keys) { ctor.resolve = () => thenable(keys); return ctor; }
  Promise.all.call(withThen(capture('executor'), ['allResolveElement']), [1]);
  Promise.allSettled.call(withThen(capture('executor2'), ['allSettledResolveElement', 'allSettledRejectElement']), [1]);
  Promise.any.call(withThen(capture('executor3'), [undefined, 'anyRejectElement']), [1]);
  Promise.prototype.finally.call(thenable(['thenFinally', 'catchFinally']), () => {});
  let valueThunk, thrower;
  Promise.prototype.finally.call({ then(a, b) { valueThunk = a; thrower = b; } }, () => {});
  const strictArgs = (function () { 'use strict'; return arguments; })();
  // A sloppy arguments object's callee is the walker's own function. (The
  // walk is an ES module, strict code, so this one is strict too: its
  // callee is %ThrowTypeError%, which cannot be deleted.)
  const sloppyArgs = (function () { return arguments; })();
  try { delete sloppyArgs.callee; } catch { /* strict: nothing to hide */ }

  const roots = [
    ['', globalThis],
    ['%IteratorPrototype%', P(P([][Symbol.iterator]()))],
    ['%ArrayIteratorPrototype%', P([][Symbol.iterator]())],
    ['%MapIteratorPrototype%', P(new Map()[Symbol.iterator]())],
    ['%SetIteratorPrototype%', P(new Set()[Symbol.iterator]())],
    ['%StringIteratorPrototype%', P(''[Symbol.iterator]())],
    ['%RegExpStringIteratorPrototype%', P(/a/g[Symbol.matchAll]('a'))],
    ['%GeneratorFunction.prototype%', P(function* () {})],
    ['%GeneratorPrototype%', P(P((function* () {})()))],
    ['%AsyncFunction.prototype%', P(async function () {})],
    ['%HeadersIteratorPrototype%', P(new Headers().entries())],
    ['%URLSearchParamsIteratorPrototype%', P(new URLSearchParams().entries())],
    ['%ThrowTypeError%', describe(strictArgs, 'callee').get],
    ['%arguments%', sloppyArgs],
    ['%BoundFunction%', (function () {}).bind()],
    ['%ProxyRevoke%', Proxy.revocable({}, {}).revoke],
    ['%PromiseResolveFunction%', captured.resolve],
    ['%PromiseRejectFunction%', captured.reject],
    ['%GetCapabilitiesExecutor%', captured.executor],
    ['%PromiseAllResolveElement%', captured.allResolveElement],
    ['%PromiseAllSettledResolveElement%', captured.allSettledResolveElement],
    ['%PromiseAllSettledRejectElement%', captured.allSettledRejectElement],
    ['%PromiseAnyRejectElement%', captured.anyRejectElement],
    ['%PromiseThenFinally%', captured.thenFinally],
    ['%PromiseCatchFinally%', captured.catchFinally],
    ['%SubtleCryptoPrototype%', P(crypto.subtle)],
    // Instances, for any function a constructor defines on each of them.
    ...[
      ['AbortController'], ['DOMException'], ['Error'], ['Event', 'x'], ['EventTarget'], ['Headers'],
      ['Map'], ['Request', 'http://x/'], ['Response'], ['Set'], ['TextDecoder'], ['TextEncoder'],
      ['URL', 'http://x/'], ['URLSearchParams'], ['WeakMap'], ['WeakSet'], ['Uint8Array', 1], ['DataView', new ArrayBuffer(1)],
    ].map(([c, ...args]) => ['(new ' + c + ')', new globalThis[c](...args)]),
    ['(new AbortController).signal', new AbortController().signal],
    ['(new Response).body', new Response('x').body],
    ['(new URL).searchParams', new URL('http://x/').searchParams],
  ];

  const seen = new Map();
  const out = [];
  const ident = /^[A-Za-z_$][\w$]*$/;
  const keyPath = (path, key) => {
    if (typeof key === 'symbol') {
      const d = key.description;
      return path + '[' + (d.startsWith('Symbol.') ? d : 'Symbol(' + d + ')') + ']';
    }
    if (ident.test(key)) return path === '' ? key : path + '.' + key;
    return path + '[' + JSON.stringify(key) + ']';
  };
  const sortKeys = (keys) => {
    const strs = keys.filter((k) => typeof k === 'string').sort();
    const syms = keys.filter((k) => typeof k === 'symbol').sort((a, b) => (a.description < b.description ? -1 : a.description > b.description ? 1 : 0));
    return strs.concat(syms);
  };
  const protoName = (o, path) => {
    const own = (k) => { const d = describe(o, k); return d && 'value' in d ? d.value : undefined; };
    if (typeof o === 'function') {
      const n = own('name');
      if (typeof n === 'string' && n) return '%' + n + '%';
    }
    const c = own('constructor');
    if (typeof c === 'function') {
      const d = describe(c, 'name');
      if (d && typeof d.value === 'string' && d.value) return '%' + d.value + '%.prototype';
    }
    const tag = own(Symbol.toStringTag);
    if (typeof tag === 'string' && tag) return '%' + tag.replace(/ /g, '') + 'Prototype%';
    return path + '.[[Prototype]]';
  };

  let queue = [];
  let protos = [];
  const visit = (v, path) => {
    if ((typeof v !== 'object' && typeof v !== 'function') || v === null || seen.has(v)) return;
    seen.set(v, path);
    if (typeof v === 'function') {
      let src = '';
      try { src = fnSource.call(v); } catch (e) { src = ''; }
      out.push([path, src.includes('[native code]') ? 'native' : 'js']);
    }
    queue.push([v, path]);
  };
  const drain = () => {
    while (queue.length) {
      const batch = queue;
      queue = [];
      for (const [o, path] of batch) {
        for (const key of sortKeys(ownKeys(o))) {
          const d = describe(o, key);
          if (!d) continue;
          const p = keyPath(path, key);
          if ('value' in d) visit(d.value, p);
          if (d.get) visit(d.get, p + '[get]');
          if (d.set) visit(d.set, p + '[set]');
        }
        protos.push([P(o), path]);
      }
    }
  };
  for (const [name, root] of roots) {
    visit(root, name);
    drain();
    while (protos.length) {
      const pending = protos;
      protos = [];
      for (const [o, path] of pending) {
        if (o !== null && !seen.has(o)) visit(o, protoName(o, path));
      }
      drain();
    }
  }
  return out;
}
