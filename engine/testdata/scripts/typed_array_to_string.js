// want: [true,"1,2,3"]
// %TypedArray%.prototype.toString is Array.prototype.toString itself (the
// guarded one), as the language defines it.
export default function () {
  const ta = new Uint8Array([1, 2, 3]);
  return [Object.getPrototypeOf(Uint8Array.prototype).toString === Array.prototype.toString, ta.toString()];
}
