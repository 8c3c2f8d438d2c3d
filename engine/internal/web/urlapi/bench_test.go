package urlapi

import (
	"testing"

	"github.com/kiln-run/kiln/internal/goja"
)

// BenchmarkInstall measures the per-runtime cost of Install alone; the
// runtime itself is created outside the timer.
func BenchmarkInstall(b *testing.B) {
	b.ReportAllocs()
	rts := make([]*goja.Runtime, b.N)
	for i := range rts {
		rts[i] = goja.New()
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := Install(rts[i]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkInstallAndFirstUse adds what Install defers: the first script
// that touches URL and URLSearchParams builds both classes.
func BenchmarkInstallAndFirstUse(b *testing.B) {
	prg := goja.MustCompile("use.js", `new URL("http://h/?a=1").searchParams.get("a")`, true)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		rt := goja.New()
		if err := Install(rt); err != nil {
			b.Fatal(err)
		}
		if _, err := rt.RunProgram(prg); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNewURL is the steady-state cost of one constructor call plus an
// href read.
func BenchmarkNewURL(b *testing.B) {
	rt := goja.New()
	if err := Install(rt); err != nil {
		b.Fatal(err)
	}
	prg := goja.MustCompile("new.js", `new URL("https://user@example.com:8080/a/b/../c?x=1#y").href`, true)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := rt.RunProgram(prg); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParse is the Go parser alone, without goja.
func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, ok := parseURL("https://user@example.com:8080/a/b/../c?x=1#y", nil); !ok {
			b.Fatal("parse failed")
		}
	}
}
