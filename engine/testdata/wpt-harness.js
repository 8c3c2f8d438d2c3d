// A testharness.js-compatible shim for running web-platform-tests .any.js
// files through the engine (wpt_test.go). It is Kiln's own code, not a copy
// of testharness.js: it implements the part of the API that the vendored
// tests use — test, async_test, promise_test, setup/done, the assert_*
// and promise_rejects_* functions, step functions, cleanups — and the
// globals the tests expect of a worker-like scope (self, GLOBAL). It uses
// no eval or Function, which the sandbox refuses.
//
// wpt_test.go appends the test file (after any META scripts) and a module
// footer that awaits __wpt.finish() and returns __wpt.results: a list of
// [name, status, message], status being PASS, FAIL, TIMEOUT or NOTRUN.

const self = globalThis;
globalThis.self = globalThis;
const GLOBAL = {
  isWindow() { return false; },
  isWorker() { return false; },
  isShadowRealm() { return false; },
};
globalThis.GLOBAL = GLOBAL;

const __wpt = (() => {
  const results = [];
  const seen = new Map();
  const pending = new Set(); // async tests not yet done
  const promiseQueue = []; // promise tests, run one at a time
  let settings = { explicitDone: false, timeoutMs: 5000 };
  let explicitlyDone = false;
  let finishResolve = null;
  let running = false; // a promise test is running

  class AssertionError extends Error {
    constructor(message) {
      super(message);
      this.name = 'AssertionError';
    }
  }

  function formatValue(v) {
    if (typeof v === 'string') {
      return '"' + v.replace(/[\u0000-\u001f\u007f-\u009f\ud800-\udfff\\"]/g,
        (c) => c === '"' ? '\\"' : c === '\\' ? '\\\\' : '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0')) + '"';
    }
    if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v);
    if (typeof v === 'bigint') return String(v) + 'n';
    if (typeof v === 'symbol') return v.toString();
    if (v === null || typeof v !== 'object' && typeof v !== 'function') return String(v);
    if (typeof v === 'function') return '[function ' + (v.name || '') + ']';
    if (Array.isArray(v)) return '[' + v.slice(0, 20).map(formatValue).join(', ') + (v.length > 20 ? ', …' : '') + ']';
    try {
      if (v instanceof Error) return String(v.name) + ': ' + String(v.message);
    } catch (e) { /* a hostile getter */ }
    try {
      return Object.prototype.toString.call(v);
    } catch (e) {
      return '[object]';
    }
  }

  function assert(cond, fn, description, message, subs) {
    if (cond) return;
    let text = message.replace(/\$\{([^}]+)\}/g, (_, k) => formatValue(subs && subs[k]));
    if (description) text = description + ': ' + text;
    throw new AssertionError(fn + ': ' + text);
  }

  function sameValue(x, y) {
    if (y !== y) return x !== x; // NaN
    if (x === 0 && y === 0) return 1 / x === 1 / y;
    return x === y;
  }

  function makeTest(name, properties) {
    const base = name;
    const n = (seen.get(base) || 0) + 1;
    seen.set(base, n);
    if (n > 1) name = base + ' (' + n + ')';
    const t = {
      name,
      phase: 'started',
      status: null,
      message: '',
      cleanups: [],
      timer: null,
      properties: properties || {},
      step(fn, thisObj, ...args) {
        if (t.phase === 'done') return undefined;
        try {
          return fn.apply(thisObj === undefined ? t : thisObj, args);
        } catch (e) {
          t.fail(e);
          return undefined;
        }
      },
      step_func(fn, thisObj) {
        return function (...args) { return t.step(fn, thisObj === undefined ? this : thisObj, ...args); };
      },
      step_func_done(fn, thisObj) {
        return function (...args) {
          if (fn) t.step(fn, thisObj === undefined ? this : thisObj, ...args);
          t.done();
        };
      },
      unreached_func(description) {
        return t.step_func(() => { assert(false, 'unreached_func', description, 'reached unreachable code'); });
      },
      step_timeout(fn, ms, ...args) {
        return setTimeout(t.step_func(() => fn(...args)), ms);
      },
      step_wait_func(cond, fn, description, timeout = 3000, interval = 50) {
        const start = Date.now();
        const poll = () => {
          if (t.phase === 'done') return;
          if (t.step(cond)) { t.step(fn); return; }
          if (Date.now() - start > timeout) { t.fail(new AssertionError('step_wait_func: ' + (description || 'timed out'))); return; }
          setTimeout(poll, interval);
        };
        poll();
      },
      step_wait(cond, description, timeout = 3000, interval = 50) {
        return new Promise((resolve, reject) => {
          const start = Date.now();
          const poll = () => {
            let ok;
            try { ok = cond(); } catch (e) { reject(e); return; }
            if (ok) { resolve(); return; }
            if (Date.now() - start > timeout) { reject(new AssertionError('step_wait: ' + (description || 'timed out'))); return; }
            setTimeout(poll, interval);
          };
          poll();
        });
      },
      add_cleanup(fn) { t.cleanups.push(fn); },
      fail(e) {
        if (t.phase === 'done') return;
        t.finish('FAIL', e && e.message !== undefined ? String(e.name === 'AssertionError' ? e.message : (e.name + ': ' + e.message)) : formatValue(e));
      },
      done() {
        if (t.phase === 'done') return;
        t.finish('PASS', '');
      },
      finish(status, message) {
        t.phase = 'done';
        t.status = status;
        t.message = message;
        if (t.timer !== null) clearTimeout(t.timer);
        const cleanups = t.cleanups.splice(0);
        const waits = [];
        for (const c of cleanups) {
          try {
            const r = c();
            if (r && typeof r.then === 'function') waits.push(r);
          } catch (e) {
            if (t.status === 'PASS') { t.status = 'FAIL'; t.message = 'cleanup: ' + formatValue(e); }
          }
        }
        results.push([t.name, t.status, t.message]);
        pending.delete(t);
        const after = () => { if (t.onDone) t.onDone(); check(); };
        if (waits.length) Promise.allSettled(waits).then(after); else after();
      },
      arm() {
        t.timer = setTimeout(() => { t.timer = null; if (t.phase !== 'done') t.finish('TIMEOUT', 'the test did not finish in time'); }, settings.timeoutMs);
      },
    };
    return t;
  }

  function check() {
    if (!finishResolve || running || promiseQueue.length || pending.size) return;
    if (settings.explicitDone && !explicitlyDone) return;
    const r = finishResolve;
    finishResolve = null;
    r();
  }

  function nameOf(fn, name) {
    if (typeof name === 'string') return name;
    return (fn && fn.name) || 'unnamed test';
  }

  function test(fn, name, properties) {
    const t = makeTest(nameOf(fn, name), properties);
    t.step(fn, t, t);
    if (t.phase !== 'done') t.done();
    return t;
  }

  function async_test(fn, name, properties) {
    if (typeof fn !== 'function') { properties = name; name = fn; fn = null; }
    const t = makeTest(nameOf(fn, name), properties);
    pending.add(t);
    t.arm();
    if (fn) t.step(fn, t, t);
    return t;
  }

  function runNextPromiseTest() {
    if (running || !promiseQueue.length) { check(); return; }
    running = true;
    const [t, fn] = promiseQueue.shift();
    pending.add(t);
    t.arm();
    t.onDone = () => { running = false; runNextPromiseTest(); };
    let p;
    try {
      p = fn(t);
    } catch (e) {
      t.fail(e);
      return;
    }
    if (!p || typeof p.then !== 'function') {
      t.fail(new AssertionError('promise_test: test body must return a promise'));
      return;
    }
    p.then(() => t.done(), (e) => t.fail(e));
  }

  function promise_test(fn, name, properties) {
    const t = makeTest(nameOf(fn, name), properties);
    promiseQueue.push([t, fn]);
    Promise.resolve().then(runNextPromiseTest);
    return t;
  }

  const legacyCodes = {
    IndexSizeError: 1, HierarchyRequestError: 3, WrongDocumentError: 4, InvalidCharacterError: 5,
    NoModificationAllowedError: 7, NotFoundError: 8, NotSupportedError: 9, InUseAttributeError: 10,
    InvalidStateError: 11, SyntaxError: 12, InvalidModificationError: 13, NamespaceError: 14,
    InvalidAccessError: 15, TypeMismatchError: 17, SecurityError: 18, NetworkError: 19, AbortError: 20,
    URLMismatchError: 21, QuotaExceededError: 22, TimeoutError: 23, InvalidNodeTypeError: 24, DataCloneError: 25,
  };
  const codeNames = {
    INDEX_SIZE_ERR: 'IndexSizeError', HIERARCHY_REQUEST_ERR: 'HierarchyRequestError', WRONG_DOCUMENT_ERR: 'WrongDocumentError',
    INVALID_CHARACTER_ERR: 'InvalidCharacterError', NO_MODIFICATION_ALLOWED_ERR: 'NoModificationAllowedError',
    NOT_FOUND_ERR: 'NotFoundError', NOT_SUPPORTED_ERR: 'NotSupportedError', INUSE_ATTRIBUTE_ERR: 'InUseAttributeError',
    INVALID_STATE_ERR: 'InvalidStateError', SYNTAX_ERR: 'SyntaxError', INVALID_MODIFICATION_ERR: 'InvalidModificationError',
    NAMESPACE_ERR: 'NamespaceError', INVALID_ACCESS_ERR: 'InvalidAccessError', TYPE_MISMATCH_ERR: 'TypeMismatchError',
    SECURITY_ERR: 'SecurityError', NETWORK_ERR: 'NetworkError', ABORT_ERR: 'AbortError', URL_MISMATCH_ERR: 'URLMismatchError',
    QUOTA_EXCEEDED_ERR: 'QuotaExceededError', TIMEOUT_ERR: 'TimeoutError', INVALID_NODE_TYPE_ERR: 'InvalidNodeTypeError',
    DATA_CLONE_ERR: 'DataCloneError',
  };

  function checkDOMException(fnName, type, ctor, e, description) {
    let name = type;
    if (typeof type === 'number') {
      name = Object.keys(legacyCodes).find((k) => legacyCodes[k] === type);
    } else if (codeNames[type]) {
      name = codeNames[type];
    }
    assert(typeof e === 'object' && e !== null, fnName, description, '${func} threw ${e} with type ${type}, not an object', { func: 'function', e, type: typeof e });
    assert(e instanceof ctor || Object.getPrototypeOf(e) === ctor.prototype, fnName, description, 'thrown value ${e} is not a DOMException', { e });
    assert(e.name === name, fnName, description, 'expected name ${expected} but got ${actual}', { expected: name, actual: e.name });
    const code = legacyCodes[name] || 0;
    assert(e.code === code, fnName, description, 'expected code ${expected} but got ${actual}', { expected: code, actual: e.code });
  }

  function checkJS(fnName, ctor, e, description) {
    assert(typeof e === 'object' && e !== null, fnName, description, 'threw ${e}, not an object', { e });
    assert(e.constructor === ctor || Object.getPrototypeOf(e) === ctor.prototype, fnName, description,
      'threw ${actual} instead of ${expected}', { actual: e, expected: ctor.name });
    assert(e.name === ctor.name, fnName, description, 'expected name ${expected} but got ${actual}', { expected: ctor.name, actual: e.name });
  }

  const api = {
    test, async_test, promise_test,
    setup(fnOrOptions, maybeOptions) {
      const options = typeof fnOrOptions === 'object' ? fnOrOptions : maybeOptions || {};
      if (options && options.explicit_done) settings.explicitDone = true;
      if (typeof fnOrOptions === 'function') fnOrOptions();
    },
    promise_setup(fn) { return promise_test(() => Promise.resolve(fn()), 'promise_setup'); },
    done() { explicitlyDone = true; check(); },
    add_completion_callback() {},
    add_result_callback() {},
    step_timeout(fn, ms, ...args) { return setTimeout(() => fn(...args), ms); },
    generate_tests(fn, cases, properties) {
      for (const [name, ...args] of cases) test(() => fn(...args), name, properties);
    },
    format_value: formatValue,
    subsetTest(fn, ...args) { return fn(...args); },
    // createBuffer stands in for /common/sab.js, which needs
    // WebAssembly.Memory to reach SharedArrayBuffer; Kiln has neither.
    createBuffer(type, length, options) {
      if (type === 'ArrayBuffer') return new ArrayBuffer(length, options);
      if (type === 'SharedArrayBuffer') throw new TypeError('SharedArrayBuffer is not available in Kiln');
      throw new Error('type has to be ArrayBuffer or SharedArrayBuffer');
    },
    shouldRunSubTest() { return true; },
    assert_true(actual, description) {
      assert(actual === true, 'assert_true', description, 'expected true got ${actual}', { actual });
    },
    assert_false(actual, description) {
      assert(actual === false, 'assert_false', description, 'expected false got ${actual}', { actual });
    },
    assert_equals(actual, expected, description) {
      assert(typeof actual === typeof expected, 'assert_equals', description, 'expected (' + typeof expected + ') ${expected} but got (' + typeof actual + ') ${actual}', { expected, actual });
      assert(sameValue(actual, expected), 'assert_equals', description, 'expected ${expected} but got ${actual}', { expected, actual });
    },
    assert_not_equals(actual, expected, description) {
      assert(!sameValue(actual, expected), 'assert_not_equals', description, 'got disallowed value ${actual}', { actual });
    },
    assert_in_array(actual, expected, description) {
      assert(expected.indexOf(actual) !== -1, 'assert_in_array', description, 'value ${actual} not in array ${expected}', { actual, expected });
    },
    assert_array_equals(actual, expected, description) {
      assert(typeof actual === 'object' && actual !== null && 'length' in actual, 'assert_array_equals', description, 'value is ${actual}, expected array', { actual });
      assert(actual.length === expected.length, 'assert_array_equals', description, 'lengths differ, expected array ${expected} length ${el}, got ${actual} length ${al}',
        { expected, actual, el: expected.length, al: actual.length });
      for (let i = 0; i < actual.length; i++) {
        assert(actual.hasOwnProperty(i) === expected.hasOwnProperty(i), 'assert_array_equals', description, 'expected property ${i} to be ${e} but was ${a}',
          { i, e: expected.hasOwnProperty(i) ? 'present' : 'missing', a: actual.hasOwnProperty(i) ? 'present' : 'missing' });
        assert(sameValue(expected[i], actual[i]), 'assert_array_equals', description, 'expected property ${i} to be ${expected} but got ${actual} (expected array ${arrayExpected} got ${arrayActual})',
          { i, expected: expected[i], actual: actual[i], arrayExpected: expected, arrayActual: actual });
      }
    },
    assert_array_approx_equals(actual, expected, epsilon, description) {
      assert(actual.length === expected.length, 'assert_array_approx_equals', description, 'lengths differ', {});
      for (let i = 0; i < actual.length; i++) {
        assert(Math.abs(actual[i] - expected[i]) <= epsilon, 'assert_array_approx_equals', description, 'property ${i} differs', { i });
      }
    },
    assert_approx_equals(actual, expected, epsilon, description) {
      assert(typeof actual === 'number' && Math.abs(actual - expected) <= epsilon, 'assert_approx_equals', description,
        'expected ${expected} +/- ${epsilon} but got ${actual}', { expected, epsilon, actual });
    },
    assert_less_than(actual, expected, description) {
      assert(typeof actual === 'number' && actual < expected, 'assert_less_than', description, 'expected a number less than ${expected} but got ${actual}', { expected, actual });
    },
    assert_greater_than(actual, expected, description) {
      assert(typeof actual === 'number' && actual > expected, 'assert_greater_than', description, 'expected a number greater than ${expected} but got ${actual}', { expected, actual });
    },
    assert_less_than_equal(actual, expected, description) {
      assert(typeof actual === 'number' && actual <= expected, 'assert_less_than_equal', description, 'expected a number <= ${expected} but got ${actual}', { expected, actual });
    },
    assert_greater_than_equal(actual, expected, description) {
      assert(typeof actual === 'number' && actual >= expected, 'assert_greater_than_equal', description, 'expected a number >= ${expected} but got ${actual}', { expected, actual });
    },
    assert_between_exclusive(actual, lower, upper, description) {
      assert(typeof actual === 'number' && actual > lower && actual < upper, 'assert_between_exclusive', description, 'expected a number between ${lower} and ${upper} but got ${actual}', { lower, upper, actual });
    },
    assert_between_inclusive(actual, lower, upper, description) {
      assert(typeof actual === 'number' && actual >= lower && actual <= upper, 'assert_between_inclusive', description, 'expected a number between ${lower} and ${upper} but got ${actual}', { lower, upper, actual });
    },
    assert_regexp_match(actual, expected, description) {
      assert(expected.test(actual), 'assert_regexp_match', description, 'expected ${expected} but got ${actual}', { expected, actual });
    },
    assert_class_string(object, classString, description) {
      const actual = Object.prototype.toString.call(object);
      const expected = '[object ' + classString + ']';
      assert(actual === expected, 'assert_class_string', description, 'expected ${expected} but got ${actual}', { expected, actual });
    },
    assert_own_property(object, name, description) {
      assert(object !== null && object !== undefined && Object.prototype.hasOwnProperty.call(object, name), 'assert_own_property', description, 'expected property ${p} missing', { p: name });
    },
    assert_not_own_property(object, name, description) {
      assert(!Object.prototype.hasOwnProperty.call(object, name), 'assert_not_own_property', description, 'unexpected property ${p} is found on object', { p: name });
    },
    assert_inherits(object, name, description) {
      assert(typeof object === 'object' || typeof object === 'function', 'assert_inherits', description, 'provided value is not an object', {});
      assert(!Object.prototype.hasOwnProperty.call(object, name), 'assert_inherits', description, 'property ${p} found on object, expected in prototype chain', { p: name });
      assert(name in object, 'assert_inherits', description, 'property ${p} not found in prototype chain', { p: name });
    },
    assert_idl_attribute(object, name, description) {
      api.assert_inherits(object, name, description);
    },
    assert_readonly(object, name, description) {
      const before = object[name];
      try {
        object[name] = before + 'a';
        assert(sameValue(object[name], before), 'assert_readonly', description, 'changing property ${p} succeeded', { p: name });
      } finally {
        try { object[name] = before; } catch (e) { /* read-only */ }
      }
    },
    assert_throws_js(ctor, func, description) {
      try {
        func.call(undefined);
      } catch (e) {
        if (e instanceof AssertionError) throw e;
        checkJS('assert_throws_js', ctor, e, description);
        return;
      }
      assert(false, 'assert_throws_js', description, '${func} did not throw', { func: 'function' });
    },
    assert_throws_dom(type, funcOrCtor, maybeFunc, maybeDescription) {
      let ctor = DOMException, func = funcOrCtor, description = maybeFunc;
      if (typeof maybeFunc === 'function') { ctor = funcOrCtor; func = maybeFunc; description = maybeDescription; }
      try {
        func.call(undefined);
      } catch (e) {
        if (e instanceof AssertionError) throw e;
        checkDOMException('assert_throws_dom', type, ctor, e, description);
        return;
      }
      assert(false, 'assert_throws_dom', description, '${func} did not throw', { func: 'function' });
    },
    assert_throws_exactly(exception, func, description) {
      try {
        func.call(undefined);
      } catch (e) {
        if (e instanceof AssertionError) throw e;
        assert(sameValue(e, exception), 'assert_throws_exactly', description, 'threw ${e} but we expected it to throw ${exception}', { e, exception });
        return;
      }
      assert(false, 'assert_throws_exactly', description, '${func} did not throw', { func: 'function' });
    },
    // assert_throws is testharness.js's older form: an exception object
    // (or a DOMException code name) that the thrown value's name matches.
    assert_throws(code, func, description) {
      try {
        func.call(undefined);
      } catch (e) {
        if (e instanceof AssertionError) throw e;
        const name = typeof code === 'string' ? (codeNames[code] || code) : code && code.name;
        assert(typeof e === 'object' && e !== null && e.name === name, 'assert_throws', description, 'threw ${e}, expected ${name}', { e, name });
        return;
      }
      assert(false, 'assert_throws', description, '${func} did not throw', { func: 'function' });
    },
    assert_unreached(description) {
      assert(false, 'assert_unreached', description, 'Reached unreachable code', {});
    },
    assert_implements(condition, description) {
      assert(!!condition, 'assert_implements', description, 'not implemented', {});
    },
    assert_implements_optional(condition, description) {
      assert(!!condition, 'assert_implements_optional', description, 'optional feature not implemented', {});
    },
    assert_precondition(condition, description) {
      assert(!!condition, 'assert_precondition', description, 'precondition failed', {});
    },
    assert_object_equals(actual, expected, description) {
      const stack = [];
      const check = (a, e, path) => {
        if (typeof e !== 'object' || e === null) {
          assert(sameValue(a, e), 'assert_object_equals', description, 'property ${p} expected ${e} got ${a}', { p: path, e, a });
          return;
        }
        if (stack.includes(a)) return;
        stack.push(a);
        for (const k in e) {
          assert(Object.prototype.hasOwnProperty.call(a, k), 'assert_object_equals', description, 'property ${p} expected to exist', { p: path + '.' + k });
          check(a[k], e[k], path + '.' + k);
        }
        for (const k in a) {
          assert(Object.prototype.hasOwnProperty.call(e, k), 'assert_object_equals', description, 'unexpected property ${p}', { p: path + '.' + k });
        }
        stack.pop();
      };
      check(actual, expected, '');
    },
    promise_rejects_js(t, ctor, promise, description) {
      return promise.then(t.unreached_func('Should have rejected: ' + description), (e) => checkJS('promise_rejects_js', ctor, e, description));
    },
    promise_rejects_dom(t, type, promiseOrCtor, maybePromise, maybeDescription) {
      let ctor = DOMException, promise = promiseOrCtor, description = maybePromise;
      if (maybePromise && typeof maybePromise.then === 'function') { ctor = promiseOrCtor; promise = maybePromise; description = maybeDescription; }
      return promise.then(t.unreached_func('Should have rejected: ' + description), (e) => checkDOMException('promise_rejects_dom', type, ctor, e, description));
    },
    promise_rejects_exactly(t, exception, promise, description) {
      return promise.then(t.unreached_func('Should have rejected: ' + description), (e) => {
        assert(sameValue(e, exception), 'promise_rejects_exactly', description, 'rejected with ${e} but expected ${exception}', { e, exception });
      });
    },
    // finish resolves once every test has ended (and done() was called,
    // under explicit_done).
    finish() {
      return new Promise((resolve) => { finishResolve = resolve; check(); });
    },
    harnessError(e) {
      results.push(['(harness)', 'FAIL', 'the file threw: ' + formatValue(e)]);
    },
    results,
    // files are the vendored files a test may fetch by a path relative to
    // its own (wpt_test.go fills it), as wptserve would serve them.
    files: {},
    dir: '',
  };
  return api;
})();

// fetch of a relative path is answered from the vendored files: Kiln has
// no base URL, and no server serves the test directory. Any other fetch
// goes to the engine's own.
{
  const engineFetch = globalThis.fetch;
  globalThis.fetch = function (input, init) {
    if (typeof input === 'string' && !/^[a-z][a-z0-9+.-]*:/i.test(input)) {
      const parts = (__wpt.dir + '/' + input.split(/[?#]/)[0]).split('/');
      const out = [];
      for (const p of parts) {
        if (p === '..') out.pop(); else if (p !== '.' && p !== '') out.push(p);
      }
      const text = __wpt.files[out.join('/')];
      if (text === undefined) return Promise.reject(new TypeError('no vendored file ' + out.join('/')));
      return Promise.resolve(new Response(text, { headers: { 'content-type': 'application/json' } }));
    }
    return engineFetch(input, init);
  };
}

const {
  test, async_test, promise_test, setup, promise_setup, done, add_completion_callback, add_result_callback,
  step_timeout, generate_tests, format_value, subsetTest, shouldRunSubTest, createBuffer,
  assert_true, assert_false, assert_equals, assert_not_equals, assert_in_array, assert_array_equals,
  assert_array_approx_equals, assert_approx_equals, assert_less_than, assert_greater_than, assert_less_than_equal,
  assert_greater_than_equal, assert_between_exclusive, assert_between_inclusive, assert_regexp_match,
  assert_class_string, assert_own_property, assert_not_own_property, assert_inherits, assert_idl_attribute,
  assert_readonly, assert_throws, assert_throws_js, assert_throws_dom, assert_throws_exactly, assert_unreached, assert_implements,
  assert_implements_optional, assert_precondition, assert_object_equals, promise_rejects_js, promise_rejects_dom,
  promise_rejects_exactly,
} = __wpt;
