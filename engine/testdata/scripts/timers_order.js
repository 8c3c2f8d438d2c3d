// want: ["sync","micro","promise","t0","t0b","t5","t10"]
export default async function () {
  const out = [];
  setTimeout(() => out.push("t10"), 10);
  setTimeout(() => out.push("t0"), 0);
  setTimeout(() => out.push("t0b"), 0);
  setTimeout(() => out.push("t5"), 5);
  queueMicrotask(() => out.push("micro"));
  Promise.resolve().then(() => out.push("promise"));
  out.push("sync");
  await new Promise((r) => setTimeout(r, 20));
  return out;
}
