// error: MEMORY_LIMIT
export default function () { const o = {}; for (let i = 0; ; i++) o["k" + i] = i; }
