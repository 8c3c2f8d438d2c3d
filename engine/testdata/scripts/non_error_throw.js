// error: RUNTIME_ERROR
// message: non-Error value: oops
export default function () { throw "oops"; }
