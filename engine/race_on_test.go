//go:build race

package engine

// raceSlowdown scales the time bounds of tests whose scripts build their
// inputs in goja: the race detector makes that work ten to twenty times
// slower ('x'.repeat(2 ** 20) takes about 7 ms without it and 100 ms with
// it), and a loaded machine adds to that. The unguarded native loops those
// tests catch are slowed as much, so the bounds still tell them apart.
const raceSlowdown = 5
