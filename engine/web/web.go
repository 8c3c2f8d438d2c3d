// Package web installs the web-standard globals that Kiln scripts may use
// (TextEncoder, TextDecoder, atob, btoa,
// structuredClone, AbortController, AbortSignal, EventTarget, Event,
// DOMException, crypto, Headers, Request, Response) into a goja runtime. URL and URLSearchParams live in the sibling package urlapi.
//
// It knows nothing of tenants, stores or the network. Every effect that must
// be replayable (randomness) comes from the Host the caller passes in, so
// that two runs with the same seed produce identical output.
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
	} {
		if err := install(rt, host); err != nil {
			return err
		}
	}
	return nil
}
