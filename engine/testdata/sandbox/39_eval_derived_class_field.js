// A direct eval in a derived class's field initializer: goja panics on
// this one in a function's scope (a module's) whatever the eval is, so it
// must be refused before goja compiles a direct eval.
var A = class {};
var C = class extends A {
  x = eval('() => super.x;');
};
new C().x();
export default function () { return 'escaped'; }
