// error: MEMORY_LIMIT
// peak: 320MiB
export default function () { let s = "x"; for (;;) s = s + s; }
