// Kiln's VM prelude: the JavaScript half of the guarded ArrayBuffer and
// typed array constructors (guards.go has the rest of the sandbox). Only a
// JavaScript function can tell `new C()` from `C()` and pass new.target on
// to the original, which subclassing needs.
//
// It runs the first time a VM resolves one of those constructors, possibly
// after the script has run and replaced whatever globals and prototype
// methods it liked. So it touches nothing a script can reach: no global, no
// method of a built-in object, no spread or iteration (which would call
// Array.prototype[Symbol.iterator]). `k` holds the natives the engine passes
// in; the arguments object is handed to them whole (size may replace its
// first element by what it measured).
(function (k) {
  'use strict';
  const size = k.size;
  const charge = k.charge;
  const construct = k.construct;
  const notNew = k.notNew;
  return function (Orig, name, bytesPerElement, ArrayBufferOrig) {
    const Guard = function () {
      if (new.target === undefined) return notNew(name);
      const n = size(arguments, bytesPerElement, ArrayBufferOrig, name);
      if (n > 65536 && !charge(n, bytesPerElement, name)) return undefined;
      return construct(Orig, new.target === Guard ? Orig : new.target, arguments);
    };
    return Guard;
  };
})
