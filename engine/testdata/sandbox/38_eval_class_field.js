// A direct eval in a class field initializer: refused like any eval (it
// ended as INTERNAL, a goja panic, when the transform lowered class fields
// into the constructor).
let executed = false;
let C = class {
  x = eval('executed = true; () => arguments;');
};
new C().x();
export default function () { return executed; }
