// error: MEMORY_LIMIT
export default function () { const a = []; for (let i = 0; ; i++) a.push(i, { i }); }
