package api

import (
	"net/http"
	"strings"

	"github.com/kiln-run/kiln/sdk"
)

// sdkTypes serves iota.d.ts — the iota SDK and the web globals scripts
// see — with the embedding host's own iota.host functions declared too, for
// the admin UI's editor and for scripts' own tooling.
func (a *API) sdkTypes(w http.ResponseWriter, r *http.Request) {
	var b strings.Builder
	b.WriteString(sdk.DTS)
	hostFuncs := a.client.HostFuncNames()
	if len(hostFuncs) > 0 {
		b.WriteString("\n// The embedding application's functions.\ndeclare namespace iota.host {\n")
		for _, name := range hostFuncs {
			b.WriteString("  function " + name + "(...args: any[]): Promise<any>;\n")
		}
		b.WriteString("}\n")
	}
	w.Header().Set("Content-Type", "application/typescript; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write([]byte(b.String()))
}
