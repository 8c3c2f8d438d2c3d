// error: RUNTIME_ERROR
// message: never settles
export default function () { return new Promise(() => {}); }
