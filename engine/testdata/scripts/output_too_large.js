// error: OUTPUT_TOO_LARGE
export default function () { return "x".repeat(2 << 20); }
