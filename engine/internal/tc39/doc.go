// Package tc39 runs a vendored part of the ECMAScript conformance suite,
// test262 (testdata/test262), twice: on bare goja and through Kiln's engine
// (the transform, the sandbox, the guards and the lazily resolved globals),
// and fails when a test that passes on bare goja fails through Kiln without
// being listed, with its reason, in testdata/known_failures.txt.
//
// It holds only tests; docs/conformance.md says how to run and refresh them.
package tc39
