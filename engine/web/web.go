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

import "github.com/dop251/goja"

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
}

// Install defines every web global on rt's global object.
func Install(rt *goja.Runtime, host Host) error {
	for _, install := range []func(*goja.Runtime, Host) error{
		installEncoding,
		installBase64,
		installClone,
		installAbort,
		installCrypto,
		installFetchClasses,
		installFetch,
	} {
		if err := install(rt, host); err != nil {
			return err
		}
	}
	return nil
}
