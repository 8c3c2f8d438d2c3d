//go:build !race

package engine

const raceSlowdown = 1
