// want: ["mine:a",true]
// A non-strict script may declare its own eval, and call one found on a
// with statement's object: the sandbox's refusal of eval applies to the
// global eval only (the engine rewrites direct evals, keeping both).
function eval(s) { return 'mine:' + s; }
var o = { eval: function () { return this === o; } };
var viaWith;
with (o) { viaWith = eval('b'); }
module.exports = function () { return [eval('a'), viaWith]; };
