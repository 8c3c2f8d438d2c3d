// want: [3,true,"Bytes"]
class Bytes extends Uint8Array { get name() { return "Bytes"; } }
export default function () { const b = new Bytes(3); return [b.length, b instanceof Uint8Array, b.slice(1).name]; }
