package engine

import "testing"

// TestJoinElementSizes: join and toString write every string element
// whole, so an array holding one big string many times must be charged for
// the result before the native join runs; a getter element is read once,
// so it cannot answer the measurement small and the join big; ordinary
// joins keep their results.
func TestJoinElementSizes(t *testing.T) {
	const big = `const big = 'x'.repeat(2 ** 20);`
	runGuardCases(t, setup(t, Config{}), []guardCase{
		{name: "one string many times", src: big + `export default () => Array(2000).fill(big).join('').length`, code: CodeMemoryLimit},
		{name: "toString of the same", src: big + `export default () => Array(2000).fill(big).toString().length`, code: CodeMemoryLimit},
		{name: "a getter measured once", src: big + `export default () => {
			const a = [];
			for (let i = 0; i < 2000; i++) { let reads = 0; Object.defineProperty(a, i, { get: () => (reads++ ? big : 'a') }); }
			return a.join('').length;
		}`, want: "2000"},
		{name: "ordinary joins", src: `export default () => [[1, 2], 'a', null, undefined, 3, { toString() { return 'o' } }].join('-') +
			'|' + [1, [2, [3]]].toString() + '|' + Array(3).join('x') + '|' + [1, 2].toLocaleString()`, want: `"1,2-a---3-o|1,2,3|xx|1,2"`},
	})
}
