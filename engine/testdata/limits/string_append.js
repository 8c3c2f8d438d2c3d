// error: MEMORY_LIMIT
// Each += copies the whole string: the script holds at most its limit, but
// throws away gigabytes a second, and the heap carries that garbage until
// the collector reaches it. The bound is the soft heap limit (limit +
// 64 MiB margin) plus the collector's lag on two cores (198 MiB seen with
// another build running beside it).
// peak: 256MiB
export default function () { let s = ""; const chunk = "y".repeat(65536); for (;;) s += chunk + Math.random(); }
