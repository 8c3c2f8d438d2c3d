// error: MEMORY_LIMIT
// peak: 512MiB
export default function () { let s = "x"; for (;;) s = s + s; }
