// want: {"rep":"ababab","pad":"007","join":"1-2-3","map":[2,4],"from":[0,0,0],"parsed":{"a":[1,2]},"typed":4,"buf":8,"sub":[2,3],"split":["a","b"],"concat":"xyz","fill":[7,7]}
export default function () {
  return {
    rep: "ab".repeat(3), pad: "7".padStart(3, "0"), join: [1, 2, 3].join("-"), map: [1, 2].map((x) => x * 2),
    from: Array.from({ length: 3 }, () => 0), parsed: JSON.parse("{\"a\":[1,2]}"), typed: new Float32Array(1).byteLength,
    buf: new ArrayBuffer(8).byteLength, sub: Uint8Array.from([1, 2, 3]).subarray(1).reduce((a, x) => (a.push(x), a), []),
    split: "a,b".split(","), concat: "x".concat("y", "z"), fill: new Array(2).fill(7),
  };
}
