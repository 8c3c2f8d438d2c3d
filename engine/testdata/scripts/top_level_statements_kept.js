// want: "ReferenceError"
// A script's own top-level statements run even when nothing uses what they
// declare: the transform must not drop code it considers free of effects
// (this block throws a ReferenceError, as `y` is read before its let).
let caught = 'nothing';
try { y; let y = 1; } catch (e) { caught = e.name; }
export default function () { return caught; }
