package engine

import "testing"

// TestFlatGuards: flat and flatMap walk nested arrays natively, so a nested
// hole-filled array (tiny in memory, huge in length) must be charged before
// the walk; their results stay what Node gives.
func TestFlatGuards(t *testing.T) {
	runGuardCases(t, setup(t, Config{}), []guardCase{
		{name: "nested sparse array", src: `export default () => [new Array(2 ** 30)].flat().length`, code: CodeMemoryLimit},
		{name: "deep nested sparse array", src: `export default () => [[[new Array(2 ** 30)]]].flat(Infinity).length`, code: CodeMemoryLimit},
		{name: "flatMap returning a sparse array", src: `export default () => [1].flatMap(() => new Array(2 ** 30)).length`, code: CodeMemoryLimit},
		{name: "a cycle", src: `export default () => { const a = []; a.push(a); return a.flat(Infinity).length }`, code: CodeRuntimeError},
		// Expected values are Node's for the same expressions.
		{name: "results", src: `export default () => {
			class A extends Array {}
			let err = null;
			try { [1].flatMap(() => { throw new Error('boom') }) } catch (e) { err = e.message }
			return [[1, [2, [3, [4]]]].flat(), [1, [2, [3, [4]]]].flat(2), [1, [2, [3, [4]]]].flat(Infinity),
				[1, , 3, [4, , 6]].flat(), [[]].flat(), [1, 2].flatMap((x) => [x, x * 10]), [1, 2].flatMap((x) => [[x]]),
				[1, , 3].flatMap((x) => [, x]), [1, 2].flatMap(function (x) { return this.k + x }, { k: 5 }),
				Array.prototype.flat.call({ length: 2, 0: [1], 1: 2 }), err, A.from([[1], 2]).flat() instanceof A,
				[new Array(5)].flat().length];
		}`, want: `[[1,2,[3,[4]]],[1,2,3,[4]],[1,2,3,4],[1,3,4,6],[],[1,10,2,20],[[1],[2]],[1,3],[6,7],[1,2],"boom",true,0]`},
	})
}
