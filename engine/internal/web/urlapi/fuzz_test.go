package urlapi

import (
	"testing"

	"github.com/kiln-run/kiln/internal/goja"
)

// fuzzProbe parses (input, base) in JS. It returns "" when the URL does not
// parse (a TypeError, which is fine) and otherwise checks that href
// re-parses to itself and that the setters and searchParams survive
// arbitrary values; any other outcome is reported as a string.
const fuzzProbe = `(function (input, base) {
  let u;
  try { u = base === "" ? new URL(input) : new URL(input, base); }
  catch (e) { if (e instanceof TypeError) return ""; throw e; }
  const href = u.href;
  const again = new URL(href).href;
  if (again !== href) return "href does not round-trip: " + JSON.stringify(href) + " -> " + JSON.stringify(again);
  for (const k of ["protocol", "username", "password", "host", "hostname", "port", "pathname", "search", "hash"]) {
    const v = new URL(href);
    v[k] = input;
    const h = v.href;
    if (new URL(h).href !== h) return k + " setter breaks round-trip: " + JSON.stringify(h);
  }
  u.searchParams.append(input, base);
  u.searchParams.sort();
  if (new URL(u.href).href !== u.href) return "searchParams break round-trip: " + JSON.stringify(u.href);
  return "";
})`

var fuzzProbeProgram = goja.MustCompile("fuzz_probe.js", fuzzProbe, true)

func FuzzURLParse(f *testing.F) {
	for _, seed := range [][2]string{
		{"http://example.com/a/../b?c=d#e", ""},
		{"//user:pa:ss@h:0080/p", "https://base/x"},
		{"file:///C|/x/../..", ""},
		{"\\\\server\\share", "file:///"},
		{"http://[::ffff:1.2.3.4]/", ""},
		{"http://0x7f.0.1/", ""},
		{"http://xn--bcher-kva.ch/", ""},
		{"http://BÜCHER.ch/", ""},
		{"non-spec:/.//p", ""},
		{"sc://@/", ""},
		{"data:text/plain,a  ?b", ""},
		{"?q=\xed\xa0\x80", "http://h/p"},
		{"blob:https://a/b", ""},
		{"foo://a@b@c:1/", ""},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, input, base string) {
		rt := goja.New()
		if err := Install(rt); err != nil {
			t.Fatal(err)
		}
		var msg string
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Fatalf("Go panic escaped to the caller for input=%q base=%q: %v", input, base, r)
				}
			}()
			probe, err := rt.RunProgram(fuzzProbeProgram)
			if err != nil {
				t.Fatal(err)
			}
			fn, _ := goja.AssertFunction(probe)
			res, err := fn(goja.Undefined(), rt.ToValue(input), rt.ToValue(base))
			if err != nil {
				t.Fatalf("input=%q base=%q: unexpected exception: %v", input, base, err)
			}
			msg = res.String()
		}()
		if msg != "" {
			t.Errorf("input=%q base=%q: %s", input, base, msg)
		}
	})
}
