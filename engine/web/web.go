// Package web installs the web-standard globals that Kiln scripts may use
// (TextEncoder, TextDecoder, atob, btoa,
// structuredClone, AbortController, AbortSignal, DOMException, crypto) into a
// goja runtime. URL and URLSearchParams live in the sibling package urlapi.
//
// It knows nothing of tenants, stores or the network. Every effect that must
// be replayable (randomness) comes from the Host the caller passes in, so
// that two runs with the same seed produce identical output.
package web

import "github.com/dop251/goja"

// Host is what the web globals need from the engine.
type Host struct {
	// Random fills p with bytes from the VM's random source. It is the only
	// source of randomness for crypto.getRandomValues and crypto.randomUUID.
	Random func(p []byte)
}

// Install defines every web global on rt's global object.
func Install(rt *goja.Runtime, host Host) error {
	for _, install := range []func(*goja.Runtime, Host) error{
		installEncoding,
		installBase64,
		installClone,
		installAbort,
		installCrypto,
	} {
		if err := install(rt, host); err != nil {
			return err
		}
	}
	return nil
}
