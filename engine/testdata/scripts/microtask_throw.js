// error: RUNTIME_ERROR
// message: from a microtask
export default async function () { queueMicrotask(() => { throw new Error("from a microtask"); }); await null; await null; return 1; }
