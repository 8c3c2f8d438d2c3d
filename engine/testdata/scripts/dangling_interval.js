// want: "done"
// log: [warn] 1 interval was still scheduled when the handler finished; cleared (call clearInterval when you are done)
export default function () { setInterval(() => {}, 1000); return "done"; }
