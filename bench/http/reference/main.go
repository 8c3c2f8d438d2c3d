// Command reference is the ceiling Kiln's HTTP path is measured against: a
// bare net/http server that runs the benchmark's handler (../hello.js) in
// raw goja runtimes from a sync.Pool — no sandbox, no limits, no quotas, no
// execution records.
package main

import (
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"strings"
	"sync"

	"github.com/kiln-run/kiln/internal/goja"
)

type vm struct {
	rt      *goja.Runtime
	handler goja.Callable
	json    goja.Callable
}

func main() {
	addr := flag.String("addr", "127.0.0.1:8788", "listen address")
	file := flag.String("handler", "bench/http/hello.js", "the handler's source")
	flag.Parse()
	src, err := os.ReadFile(*file)
	if err != nil {
		log.Fatal(err)
	}
	// Wrapped in a function, as Kiln's bundle is, so module-level names are
	// closure locals in both.
	js := "(function () {" + strings.Replace(string(src), "export default function", "return function", 1) + "})()"
	prog := goja.MustCompile("hello.js", js, true)
	pool := sync.Pool{New: func() any {
		rt := goja.New()
		h, err := rt.RunProgram(prog)
		if err != nil {
			log.Fatal(err)
		}
		fn, _ := goja.AssertFunction(h)
		stringify, _ := goja.AssertFunction(rt.Get("JSON").ToObject(rt).Get("stringify"))
		return &vm{rt: rt, handler: fn, json: stringify}
	}}
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		v := pool.Get().(*vm)
		defer pool.Put(v)
		query := map[string]any{}
		for k, vs := range r.URL.Query() {
			query[k] = vs[0]
		}
		req := v.rt.NewObject()
		_ = req.Set("method", r.Method)
		_ = req.Set("path", r.URL.Path)
		_ = req.Set("query", query)
		out, err := v.handler(goja.Undefined(), req)
		if err == nil {
			out, err = v.json(goja.Undefined(), out)
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintln(w, out.String())
	})
	log.Fatal(http.ListenAndServe(*addr, nil))
}
