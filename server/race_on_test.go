//go:build race

package server

// raceEnabled: the race detector slows goja several times over, which
// makes latency bounds meaningless; timing tests run in a separate non-race
// pass (make test).
const raceEnabled = true
