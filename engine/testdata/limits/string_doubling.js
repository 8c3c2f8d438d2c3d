// error: MEMORY_LIMIT
export default function () { let s = "x"; for (;;) s = s + s; }
