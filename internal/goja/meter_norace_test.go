//go:build !race

package goja

const meterRace = false
