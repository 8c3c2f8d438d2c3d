// want: [true,true,true,true,"function"]
export default function () {
  const f = function () {};
  return [f instanceof Function, (async () => {}) instanceof Function, new Uint8Array(2) instanceof Uint8Array, new ArrayBuffer(4) instanceof ArrayBuffer, typeof Function];
}
