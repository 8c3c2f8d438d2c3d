// want: ["#m",true,false,["static:C","a","b"]]
// Classes run as goja runs them, not lowered to older syntax: a private
// method keeps its name, `#m in o` checks the brand, and fields and static
// blocks run in source order with their own `this`.
export default function () {
  class C {
    static log = [];
    a = C.log.push('a');
    #m() {}
    static { C.log.push('static:' + this.name); }
    b = C.log.push('b');
    static privateName(c) { return c.#m.name; }
    static brand(o) { return #m in o; }
  }
  const c = new C();
  return [C.privateName(c), C.brand(c), C.brand({}), C.log];
}
