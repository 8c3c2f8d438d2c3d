//go:build race

package goja

// meterRace: the race detector makes the heavy meter tests (bombs, churn,
// measurements) too slow; they are skipped under it.
const meterRace = true
