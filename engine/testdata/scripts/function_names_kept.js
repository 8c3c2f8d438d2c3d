// want: ["g","h","h","C","cls","cls","f"]
// Functions and classes keep the names they were written with, even where
// the transform renames a binding to avoid a clash (it wrote g2, h2, C2).
var g = function g() {};
var h1 = (function h() {}).name, h2 = (function h() {}).name;
var C = class C {};
var c1 = (class cls {}).name, c2 = (class cls { constructor() {} }).name;
function outer() { var f = 1; return function f() { return f; }; }
export default function () { return [g.name, h1, h2, C.name, c1, c2, outer().name]; }
