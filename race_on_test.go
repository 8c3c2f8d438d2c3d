//go:build race

package kiln

// raceEnabled: the race detector slows goja several times over; tests that
// allocate or time a lot do less under it.
const raceEnabled = true
