// error: MEMORY_LIMIT
export default function () { let a = []; for (;;) a = [a, a.length]; }
