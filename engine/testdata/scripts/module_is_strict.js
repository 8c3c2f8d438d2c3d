// want: ["ReferenceError",true]
// An ES module is strict code: assigning to an undeclared name throws
// instead of creating a global, and `this` in a plain call is undefined.
function self() { return this; }
export default function () {
  let name = 'none';
  try { leaked = 1; } catch (e) { name = e.name; }
  return [name, self() === undefined];
}
