package sdk

import _ "embed"

// DTS is iota.d.ts: TypeScript declarations of everything a script sees —
// the iota SDK, Kiln's web-standard globals, and the handler contract
// (KilnContext, HttpInput, EventInput, CronInput, HttpResult). It is
// ambient, with no top-level import or export, so an editor loads it as a
// global library beside lib es2022 (the admin UI's Monaco does, from GET
// /api/sdk/iota.d.ts). An embedding host's own functions go in a .d.ts of
// its own that adds to namespace iota.host.
//
// dts_test.go fails when DTS and the Go bindings disagree.
//
//go:embed iota.d.ts
var DTS string
