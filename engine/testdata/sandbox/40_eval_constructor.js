// A direct eval in a class constructor that uses a variable of the module:
// goja panics on it (it loses the module's scope), so it must be refused
// before goja compiles a direct eval.
var keep = function (o, v) { return v; };
var C = class { constructor() { keep(this, eval('1')); } };
new C();
export default function () { return 'escaped'; }
