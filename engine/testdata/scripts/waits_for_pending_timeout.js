// want: "returned"
// log: [info] timer ran after return
export default function () { setTimeout(() => console.log("timer ran after return"), 5); return "returned"; }
