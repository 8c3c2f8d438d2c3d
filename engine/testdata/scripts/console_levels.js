// want: null
// log: [info] log 1 {"a":1}
// log: [info] info [1,2]
// log: [debug] debug
// log: [warn] warn true
// log: [error] error undefined null
export default function () {
  console.log("log", 1, { a: 1 });
  console.info("info", [1, 2]);
  console.debug("debug");
  console.warn("warn", true);
  console.error("error", undefined, null);
}
