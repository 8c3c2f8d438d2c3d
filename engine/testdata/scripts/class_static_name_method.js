// want: ["function","function","TypeError"]
// A class's static method called "name", even under a computed key, is
// what C.name reads; and assigning to a class's own name inside it throws
// a TypeError (the transform's name-keeping block overwrote the first and
// made goja panic on the second).
const key = 'name';
class A { static name() {} }
class B { static [key]() {} }
function assignOwnName() { class C { constructor() { C = 42; } } new C(); }
export default function () {
  let thrown = 'nothing';
  try { assignOwnName(); } catch (e) { thrown = e.name; }
  return [typeof A.name, typeof B.name, thrown];
}
