// want: {"opt":"d","nullish":5,"priv":42,"big":"9007199254740993","named":"2026","spread":[1,2,3],"gen":[1,2],"forAwait":[1,2]}
class Box { #v = 42; static make() { return new Box(); } get v() { return this.#v; } }
async function* agen() { yield 1; yield 2; }
export default async function () {
  const o: any = { a: { b: { c: "d" } } };
  const forAwait: number[] = [];
  for await (const x of agen()) forAwait.push(x);
  return {
    opt: o?.a?.b?.c,
    nullish: o.missing ?? 5,
    priv: Box.make().v,
    big: (2n ** 53n + 1n).toString(),
    named: "2026-11-22".match(/(?<year>\d{4})/)!.groups!.year,
    spread: [...[1, 2], 3],
    gen: [...(function* () { yield 1; yield 2; })()],
    forAwait,
  };
}
