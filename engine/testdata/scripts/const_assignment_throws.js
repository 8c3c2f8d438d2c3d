// want: "TypeError"
// Assigning to a constant is a TypeError when it runs, caught like any
// other, not a compile error of the whole script.
const k = 1;
export default function () {
  try { k = 2; } catch (e) { return e.name; }
  return 'assigned';
}
