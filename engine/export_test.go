package engine

// Internals the external tests (package engine_test) use.

// ArrayMethods are the Array.prototype methods built on first lookup
// (guards_array.go): a walk of Array.prototype sees them only once read.
var ArrayMethods = arrayMethods[:]

// RaceSlowdown is raceSlowdown, for external tests' time bounds.
const RaceSlowdown = raceSlowdown

// WatchHeap is watchHeap.
var WatchHeap = watchHeap

// FormatBytes is formatBytes.
var FormatBytes = formatBytes
