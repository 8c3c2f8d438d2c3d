// error: MEMORY_LIMIT
export default function () { let s = ""; const chunk = "y".repeat(65536); for (;;) s += chunk + Math.random(); }
