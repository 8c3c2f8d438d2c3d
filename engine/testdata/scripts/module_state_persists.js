// want: 1
let calls = 0;
export default function () { return ++calls; }
