package api

import (
	"encoding/json"
	"github.com/kiln-run/kiln/kilntype"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

// TestRunPathMatchesMux: for every path runPath takes, the mux's pattern
// would have called the handler with the same tenant and path; the paths
// it leaves to the mux are the ones the mux redirects or does not match.
func TestRunPathMatchesMux(t *testing.T) {
	type match struct {
		called       bool
		tenant, path string
	}
	var got match
	mux := http.NewServeMux()
	mux.HandleFunc("/run/{tenant}/{path...}", func(w http.ResponseWriter, r *http.Request) {
		got = match{true, r.PathValue("tenant"), r.PathValue("path")}
	})
	tests := []struct {
		target string
		fast   bool // runPath takes it
	}{
		{"/run/acme/hello", true},
		{"/run/acme/hello?name=Ada", true},
		{"/run/acme/", false}, // the mux serves it: Clean drops the slash
		{"/run/acme/a/b/c", true},
		{"/run/acme/caf%C3%A9", true},
		{"/run/acme/a%2Fb", true},
		{"/run/ac%20me/x", true},
		{"/run/acme/hello/", false},     // the mux keeps the slash; Clean does not
		{"/run/acme/../other/x", false}, // redirected
		{"/run/acme//x", false},
		{"/run/acme/./x", false},
		{"/run//x", false},
		{"/run/acme", false},
		{"/run/", false},
		{"/api/scripts", false},
	}
	for _, tt := range tests {
		r := httptest.NewRequest(http.MethodGet, tt.target, nil)
		tenant, path, ok := runPath(r)
		if ok != tt.fast {
			t.Errorf("%s: runPath ok = %v, want %v", tt.target, ok, tt.fast)
		}
		if !ok {
			continue
		}
		got = match{}
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, r)
		if want := (match{true, tenant, path}); got != want {
			t.Errorf("%s: runPath gives %+v, the mux %+v (status %d)", tt.target, want, got, rec.Code)
		}
	}
	if _, _, ok := runPath(httptest.NewRequest(http.MethodConnect, "/run/acme/x", nil)); ok {
		t.Error("runPath takes a CONNECT request, which the mux does not clean")
	}
}

// TestHTTPInputJSON: the hand-written encoding of an HTTP trigger's input
// reads back as encoding/json's does.
func TestHTTPInputJSON(t *testing.T) {
	tests := []kilntype.HTTPInput{
		{Method: "GET", Path: "/hello", Params: map[string]string{}, Query: map[string]string{}, Headers: map[string]string{}},
		{Method: "POST", Path: "/orders/42", Params: map[string]string{"id": "42"}, Query: map[string]string{"q": "a \"b\" <c>", "z": "é"},
			Headers: map[string]string{"host": "example.com", "x-tab": "a\tb", "user-agent": "curl/8"}, Body: "plain text \x00 body"},
		{Method: "PUT", Path: "/j", Params: map[string]string{}, Query: map[string]string{}, Headers: map[string]string{}, Body: json.RawMessage(` {"a": [1, 2, {"b": null}]} `)},
	}
	for _, in := range tests {
		got := in.AppendJSON(nil)
		want, err := json.Marshal(in)
		if err != nil {
			t.Fatal(err)
		}
		var g, w any
		if err := json.Unmarshal(got, &g); err != nil {
			t.Fatalf("AppendJSON wrote %s: %v", got, err)
		}
		_ = json.Unmarshal(want, &w)
		if !reflect.DeepEqual(g, w) {
			t.Errorf("AppendJSON wrote %s\nencoding/json %s", got, want)
		}
	}
}

// TestFirstQueryValues pins the hand-written query parsing of /run to
// url.URL.Query's first values.
func TestFirstQueryValues(t *testing.T) {
	many := strings.Repeat("a=1&", 100) + "b=2"
	for _, raw := range []string{"", "name=Ada", "a=1&a=2", "a=%zz&a=2", "a;b=1&c=2", "&&x=&y", "k%20=v+w&%41=%42",
		"a=1;b=2", "=v", "a=b=c", "%=1&ok=1", many} {
		u := &url.URL{RawQuery: raw}
		want := map[string]string{}
		for k, v := range u.Query() {
			want[k] = v[0]
		}
		if got := firstQueryValues(u); !maps.Equal(got, want) {
			t.Errorf("%q: got %v, want %v", raw, got, want)
		}
	}
}
