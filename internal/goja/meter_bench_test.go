package goja

import (
	"os"
	"sort"
	"testing"
	"time"
)

// BenchmarkMeter*: the same script with the meter off and on (a limit far
// above what it holds), to compare.
func benchMeter(b *testing.B, src string) {
	prg := MustCompile("bench.js", src, false)
	for _, c := range []struct {
		name  string
		limit int64
	}{{"meter=off", 0}, {"meter=on", 256 * MiB}} {
		b.Run(c.name, func(b *testing.B) {
			r := New()
			r.SetMemoryLimit(c.limit)
			if _, err := r.RunProgram(prg); err != nil {
				b.Fatal(err)
			}
			f, _ := AssertFunction(r.Get("run"))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				r.SetMemoryLimit(c.limit)
				if _, err := f(nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkMeterFib(b *testing.B) {
	benchMeter(b, `function fib(n) { return n < 2 ? n : fib(n - 1) + fib(n - 2) } function run() { return fib(25) }`)
}

func BenchmarkMeterObjects(b *testing.B) {
	benchMeter(b, `function run() { var a = []; for (var i = 0; i < 10000; i++) a.push({id: i, name: 'x', tags: [i, i + 1], nested: {ok: true}}); return a.length }`)
}

func BenchmarkMeterConcat(b *testing.B) {
	benchMeter(b, `function run() { var n = 0; for (var i = 0; i < 2000; i++) { var s = ''; for (var k = 0; k < 20; k++) s += 'abc' + k; n += s.length } return n }`)
}

func BenchmarkMeterJSON(b *testing.B) {
	benchMeter(b, `
var data = []; for (var i = 0; i < 500; i++) data.push({id: i, name: 'item ' + i, price: i * 1.25, tags: ['a', 'b', 'c'], ok: i % 2 == 0});
var text = JSON.stringify(data); // about 50 KB
function run() { return JSON.stringify(JSON.parse(text)).length }`)
}

// TestMeterOverheadInterleaved (METER_OVERHEAD=1): the BenchmarkMeter
// scripts run alternately with the meter off and on, many times; the
// minimum of each is robust to a machine shared with other work.
func TestMeterOverheadInterleaved(t *testing.T) {
	if os.Getenv("METER_OVERHEAD") == "" {
		t.Skip("set METER_OVERHEAD=1")
	}
	scripts := []struct{ name, src string }{
		{"fib(25)", `function fib(n) { return n < 2 ? n : fib(n - 1) + fib(n - 2) } function run() { return fib(25) }`},
		{"objects", `function run() { var a = []; for (var i = 0; i < 10000; i++) a.push({id: i, name: 'x', tags: [i, i + 1], nested: {ok: true}}); return a.length }`},
		{"concat", `function run() { var n = 0; for (var i = 0; i < 2000; i++) { var s = ''; for (var k = 0; k < 20; k++) s += 'abc' + k; n += s.length } return n }`},
		{"JSON 50 KB", `var data = []; for (var i = 0; i < 500; i++) data.push({id: i, name: 'item ' + i, price: i * 1.25, tags: ['a', 'b', 'c'], ok: i % 2 == 0});
var text = JSON.stringify(data); function run() { return JSON.stringify(JSON.parse(text)).length }`},
	}
	for _, s := range scripts {
		var fns [2]func(FunctionCall) Value
		var rts [2]*Runtime
		limits := [2]int64{0, 256 * MiB}
		for i := range fns {
			r := New()
			r.SetMemoryLimit(limits[i])
			r.RunString(s.src)
			f, _ := AssertFunction(r.Get("run"))
			rts[i] = r
			fns[i] = func(FunctionCall) Value { f(nil); return nil }
		}
		var times [2][]time.Duration
		for k := 0; k < 40; k++ {
			for i := range fns {
				rts[i].SetMemoryLimit(limits[i])
				start := time.Now()
				fns[i](FunctionCall{})
				times[i] = append(times[i], time.Since(start))
			}
		}
		var mins, meds [2]time.Duration
		for i := range times {
			sort.Slice(times[i], func(a, b int) bool { return times[i][a] < times[i][b] })
			mins[i], meds[i] = times[i][0], times[i][len(times[i])/2]
		}
		t.Logf("%-11s off min %8v median %8v | on min %8v median %8v | on/off min %.3f median %.3f",
			s.name, mins[0].Round(time.Microsecond), meds[0].Round(time.Microsecond), mins[1].Round(time.Microsecond), meds[1].Round(time.Microsecond),
			float64(mins[1])/float64(mins[0]), float64(meds[1])/float64(meds[0]))
	}
}
