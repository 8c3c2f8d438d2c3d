// error: MEMORY_LIMIT
export default function () { const s = "ab".repeat(2 ** 24); return s.split(/(?:)/).length; }
