package server

import (
	"io"
	"net/http"
	"testing"
)

// BenchmarkHTTPHello drives the bench/http handler through /run with
// parallel clients, for profiling the HTTP path (-cpuprofile); the
// cross-runtime comparison is bench/http/compare.sh.
func BenchmarkHTTPHello(b *testing.B) {
	h := setup(b, "sqlite")
	_, dev, _ := h.tenant("bench")
	h.script(dev, map[string]any{"name": "hello", "type": "http", "status": "active", "language": "javascript",
		"source":  `export default function (req) { return { hello: req.query.name ?? 'world' }; }`,
		"trigger": map[string]any{"http": map[string]any{"path": "/hello", "methods": []string{"GET"}}}})
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	// Cleanups run last-in first-out: close the client's connections before
	// the server stops, or connections the transport dialed but never used
	// hold Shutdown for 5 s.
	b.Cleanup(client.CloseIdleConnections)
	url := h.base + "/run/bench/hello?name=Ada"
	b.SetParallelism(16)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := client.Get(url)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
}
