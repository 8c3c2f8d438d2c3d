// want: ["ReferenceError","ReferenceError"]
// A top-level let or class keeps its temporal dead zone: reading it before
// its declaration throws (the transform once turned them into var, which
// read as undefined).
const caught = [];
try { x; } catch (e) { caught.push(e.name); }
try { new K(); } catch (e) { caught.push(e.name); }
let x = 1;
class K {}
export default function () { return caught; }
