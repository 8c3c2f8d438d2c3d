//go:build !race

package tc39

const raceEnabled = false
