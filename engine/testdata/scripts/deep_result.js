// error: RUNTIME_ERROR
// message: nested more than 1000 levels
export default function () { let a = {}; for (let i = 0; i < 5000; i++) a = { a }; return a; }
