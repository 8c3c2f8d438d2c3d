// Package sdk holds the host modules of the iota SDK that scripts call as
// iota.http, iota.db, iota.cache and so on. Each constructor returns an
// engine.Module; the engine exposes its functions at their dotted names and
// sends every call through its host-call gate, where calls are recorded,
// scoped to the invocation's tenant (engine.Meta) and, later, journaled.
//
// Every error a module returns is an *engine.Error with a stable code
// (SSRF_BLOCKED, RATE_LIMITED, INVALID_ARGUMENT, …) and a message a script
// author can act on; scripts see it as a JS Error with err.code.
package sdk
