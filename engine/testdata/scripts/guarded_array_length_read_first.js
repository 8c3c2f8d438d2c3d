// want: [[3,0],[0,1,2,null,null,1,2],["x","x","x","x","x","x","x","x"],true,[1,2,null,null,null,null,null]]
// A guarded array method reads its receiver's length before it converts
// its arguments, as the spec (and goja) order it: an argument's valueOf
// that shortens the array leaves the method walking the length it read
// (test262's copyWithin/coerced-values-start-change-start and -target).
function dense(n) { const a = []; for (let i = 0; i < n; i++) a[i] = i; return a; }
export default function () {
  const a = dense(8), b = dense(8), c = dense(8), d = dense(8), e = dense(8);
  return [
    (a.copyWithin(0, { valueOf() { a.length = 3; return 5; } }), [a.length, Object.keys(a).length]),
    b.copyWithin(5, { valueOf() { b.length = 3; return 1; } }),
    c.fill('x', { valueOf() { c.length = 3; return 0; } }),
    d.includes(undefined, { valueOf() { d.length = 3; return 0; } }),
    e.slice({ valueOf() { e.length = 3; return 1; } }),
  ];
}
