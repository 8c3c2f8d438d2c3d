package server

import (
	"os"
	"testing"
	"time"
)

// TestServeForProfile serves the bench/http handler on 127.0.0.1:18190 for
// KILN_SERVE_PROFILE (a duration), so that wrk can load it while the test
// binary writes a CPU profile (-cpuprofile): the HTTP path as `kiln serve`
// runs it, without a pprof endpoint in the product. Skipped otherwise.
//
//	KILN_SERVE_PROFILE=20s GOGC=400 go test -run TestServeForProfile -cpuprofile cpu.out ./server &
//	wrk -t2 -c32 -d15s 'http://127.0.0.1:18190/run/bench/hello?name=Ada'
func TestServeForProfile(t *testing.T) {
	d, err := time.ParseDuration(os.Getenv("KILN_SERVE_PROFILE"))
	if err != nil {
		t.Skip("KILN_SERVE_PROFILE (a duration) is not set")
	}
	h := setup(t, "sqlite", func(c *Config) { c.Addr = "127.0.0.1:18190" })
	_, dev, _ := h.tenant("bench")
	h.script(dev, map[string]any{"name": "hello", "type": "http", "status": "active", "language": "javascript",
		"source":  `export default function (req) { return { hello: req.query.name ?? 'world' }; }`,
		"trigger": map[string]any{"http": map[string]any{"path": "/hello", "methods": []string{"GET"}}}})
	t.Logf("serving %s/run/bench/hello?name=Ada for %s", h.base, d)
	time.Sleep(d)
}
