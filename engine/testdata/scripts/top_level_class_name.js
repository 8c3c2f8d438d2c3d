// want: ["C","C",true,"Other"]
// A top-level class keeps its name inside its own body, and a class
// expression assigned to a constant takes the constant's name.
class C {
  static inner;
  static { this.inner = this.name; }
  static self() { return C; }
}
const Other = class {};
export default function () { return [C.name, C.inner, C.self() === C, Other.name]; }
