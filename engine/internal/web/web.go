// Package web installs the web-standard globals that Kiln scripts may use
// (TextEncoder, TextDecoder, atob, btoa,
// structuredClone, AbortController, AbortSignal, EventTarget, Event,
// DOMException, crypto, Headers, Request, Response, and fetch when the host
// provides it) into a goja runtime. URL and URLSearchParams live in the
// sibling package urlapi.
//
// It knows nothing of tenants, stores or the network. Every effect that must
// be replayable (randomness, fetch's requests) goes through the Host the
// caller passes in, so that two runs with the same seed produce identical
// output.
package web

import "github.com/kiln-run/kiln/internal/goja"

// Host is what the web globals need from the engine.
type Host struct {
	// Random fills p with bytes from the VM's random source. It is the only
	// source of randomness for crypto.getRandomValues and crypto.randomUUID;
	// if nil, both throw a NotSupportedError.
	Random func(p []byte)

	// SetTimeout, if not nil, arranges for fn to be called once, on the VM's
	// goroutine and outside any script call, after ms milliseconds of the
	// engine's clock. fn never panics. AbortSignal.timeout is its only user;
	// when SetTimeout is nil that method throws a NotSupportedError. As in
	// browsers and Node, such a timer should not by itself keep an
	// invocation alive. The returned cancel is not called today.
	SetTimeout func(ms float64, fn func()) (cancel func())

	// ReportError, if not nil, receives each exception thrown by an event
	// listener (an 'abort' listener, say), which per the DOM spec is
	// "reported" rather than thrown to whoever dispatched the event; err is
	// a *goja.Exception, or a fatal error such as *goja.InterruptedError
	// when a timer's listener was interrupted. If nil, the first exception
	// of a dispatch is rethrown from dispatchEvent() or abort() once every
	// listener has run, and exceptions in timer-driven dispatches are lost.
	ReportError func(err error)

	// Fetch, if not nil, defines fetch() and sends its requests. It must
	// return at once: either an error, which becomes fetch's rejection, or
	// a cancel function (which may be nil). In the first case complete is
	// never called; in the second the host calls complete exactly once,
	// later, on the VM's goroutine and outside any script call, with the
	// response or an error, and returns what complete returns: nil, or an
	// uncatchable error (an interrupt) that must end the run. An error
	// becomes a TypeError whose message is the error's (a *FetchError's
	// Message) and, for a *FetchError, whose code property is its Code.
	// cancel is called on the VM's goroutine when the request's
	// AbortSignal aborts: fetch has already rejected with the signal's
	// reason, the host should stop the request, and complete then does
	// nothing. If Fetch is nil there is no fetch global.
	Fetch func(req FetchRequest, complete func(*FetchResponse, error) error) (cancel func(), err error)

	// Charge, if not nil, is asked before an allocation that grows with an
	// argument's size (TextEncoder.encode's bytes, TextDecoder.decode's
	// string), with a lower bound of its bytes; false means the host has
	// stopped the run (an interrupt) and the call must return without
	// allocating.
	Charge func(bytes float64, what string) bool

	// Builtin, if not nil, returns the built-in global name (Uint8Array,
	// RegExp, URL…) as the host's sandbox guards it, whatever the script
	// did to the global object since, or nil if there is none. The web
	// globals make their instances with it, so that the host can install a
	// built-in's guard before any instance of it exists. If nil, built-ins
	// are read from the global object the first time they are needed.
	Builtin func(name string) *goja.Object
}

// global is one web global: its name, whether it is enumerable (operations
// and namespaces are, interfaces are not, as in browsers), whether Install
// makes it at once (a single function costs less to make than to make
// lazily) and how to build its value.
type global struct {
	name       string
	enumerable bool
	eager      bool
	build      func(r *realm) goja.Value
}

// globalLists are every web global, in the order Install defines them.
var globalLists = [][]global{
	domExceptionGlobals,
	encodingGlobals,
	base64Globals,
	cloneGlobals,
	abortGlobals,
	cryptoGlobals,
	fetchClassGlobals,
}

// each calls f for every web global host provides.
func each(host Host, f func(global)) {
	for _, list := range globalLists {
		for _, g := range list {
			f(g)
		}
	}
	if host.Fetch != nil {
		f(fetchGlobal)
	}
}

// Install defines every web global on rt's global object: interfaces and
// crypto as accessors that build them on first read (then become ordinary
// data properties), functions as data properties.
func Install(rt *goja.Runtime, host Host) error {
	r := realmFor(rt, host)
	each(host, r.define)
	return nil
}

// define defines g on the global object as Install does.
func (r *realm) define(g global) {
	if g.eager {
		_ = r.global(g.name, g.build(r))
		return
	}
	r.lazyGlobal(g.name, g.enumerable, func() goja.Value { return g.build(r) })
}

// GlobalName describes a web global for a host that defines globals
// itself (see Globals).
type GlobalName struct {
	Name       string
	Enumerable bool
}

// Names lists the web globals host provides.
func Names(host Host) []GlobalName {
	var names []GlobalName
	each(host, func(g global) { names = append(names, GlobalName{g.name, g.enumerable}) })
	return names
}

// Globals builds web globals one at a time, for a host that resolves
// global names itself (the engine builds each global the first time a
// script reads it). Nothing is built, nor any state made, before the first
// Build.
type Globals struct {
	rt    *goja.Runtime
	host  Host
	realm *realm
	build map[string]func(r *realm) goja.Value
}

// NewGlobals prepares the web globals of rt.
func NewGlobals(rt *goja.Runtime, host Host) *Globals {
	return &Globals{rt: rt, host: host}
}

// Build returns the value of the web global name, or nil if there is none
// by that name. Each call builds a new value only for a function; classes
// and crypto are built once per runtime.
func (g *Globals) Build(name string) goja.Value {
	if g.realm == nil {
		g.realm = realmFor(g.rt, g.host)
		g.build = make(map[string]func(r *realm) goja.Value)
		each(g.host, func(gl global) { g.build[gl.name] = gl.build })
	}
	if b := g.build[name]; b != nil {
		return b(g.realm)
	}
	return nil
}
