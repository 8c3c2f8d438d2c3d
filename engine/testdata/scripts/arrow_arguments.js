// want: [7,2,[3,4],"strict"]
// An arrow function reads its enclosing function's arguments (goja gave it
// a stale stack slot unless the function read arguments itself first).
function first() { return () => arguments[0]; }
function count() { const g = () => arguments.length; return g(); }
function spread() { return [1].map(() => [...arguments])[0]; }
function strict() { 'use strict'; const g = () => arguments[0]; return (function () { return this; })() === undefined ? g() : 'sloppy'; }
export default function () { return [first(7)(), count(1, 2), spread(3, 4), strict('strict')]; }
