package urlapi

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/kiln-run/kiln/internal/goja"

	"github.com/kiln-run/kiln/internal/lineartime"
)

func TestURLClass(t *testing.T) {
	cases := []struct {
		name, src, want string
	}{
		{"typeof", `typeof URL`, "function"},
		{"instanceof", `new URL("http://h") instanceof URL`, "true"},
		{"not instanceof", `({}) instanceof URL`, "false"},
		{"name and length", `URL.name + URL.length + URLSearchParams.name + URLSearchParams.length`, "URL1URLSearchParams0"},
		{"call without new", `try { URL("http://h"); "no" } catch (e) { e instanceof TypeError }`, "true"},
		{"call via Function.prototype.call", `try { URL.call(new URL("http://a"), "http://h"); "no" } catch (e) { e.name }`, "TypeError"},
		{"accessors live on the prototype", `const d = Object.getOwnPropertyDescriptor(URL.prototype, "href"); typeof d.get + typeof d.set + d.enumerable + d.configurable`, "functionfunctiontruetrue"},
		{"origin is read-only", `const d = Object.getOwnPropertyDescriptor(URL.prototype, "origin"); String(d.set)`, "undefined"},
		{"searchParams is read-only", `String(Object.getOwnPropertyDescriptor(URL.prototype, "searchParams").set)`, "undefined"},
		{"no own properties", `Reflect.ownKeys(new URL("http://h")).length`, "0"},
		{"prototype not writable", `const d = Object.getOwnPropertyDescriptor(URL, "prototype"); d.writable + "" + d.configurable`, "falsefalse"},
		{"constructor link", `URL.prototype.constructor === URL`, "true"},
		{"getter name", `Object.getOwnPropertyDescriptor(URL.prototype, "host").get.name`, "get host"},
		{"method names hide Go", `URL.prototype.toJSON.name + URL.parse.name + URL.canParse.name`, "toJSONparsecanParse"},
		{"native toString", `Function.prototype.toString.call(URL).includes("native code")`, "true"},
		{"tag", `Object.prototype.toString.call(new URL("http://h"))`, "[object URL]"},
		{"String()", `String(new URL("HTTP://H/a b"))`, "http://h/a%20b"},
		{"template literal", "`${new URL('http://h/x')}`", "http://h/x"},
		{"toJSON", `JSON.stringify(new URL("http://h/?q"))`, `"http://h/?q"`},
		{"brand check on getter", `try { URL.prototype.href; "no" } catch (e) { e.name }`, "TypeError"},
		{"brand check on forged object", `try { Object.create(URL.prototype).href; "no" } catch (e) { e.name }`, "TypeError"},
		{"invalid URL message", `try { new URL("http://ex ample/"); "no" } catch (e) { e.name + ": " + e.message }`, `TypeError: Invalid URL: "http://ex ample/"`},
		{"invalid base", `try { new URL("a", "nope"); "no" } catch (e) { e.message }`, `Invalid base URL: "nope"`},
		{"missing argument", `try { new URL(); "no" } catch (e) { e.name }`, "TypeError"},
		{"undefined base means none", `new URL("http://h/", undefined).href`, "http://h/"},
		{"base as URL object", `new URL("b", new URL("http://h/a/")).href`, "http://h/a/b"},
		{"symbol input", `try { new URL(Symbol()); "no" } catch (e) { e.name }`, "TypeError"},
		{"object input uses toString", `new URL({toString() { return "http://h/t" }}).pathname`, "/t"},
		{"toString exception propagates", `try { new URL({toString() { throw new RangeError("x") }}); "no" } catch (e) { e.name }`, "RangeError"},
		{"lone surrogate becomes U+FFFD", `new URL("http://h/\uD800x#\uDFFF").href`, "http://h/%EF%BF%BDx#%EF%BF%BD"},
		{"surrogate pair kept", `new URL("http://h/\uD83D\uDE00").pathname`, "/%F0%9F%98%80"},
		{"URL.parse", `URL.parse("/x", "http://h/a").href + "|" + URL.parse("nope")`, "http://h/x|null"},
		{"URL.parse instance", `URL.parse("http://h") instanceof URL`, "true"},
		{"URL.canParse", `URL.canParse("http://h") + "" + URL.canParse("x") + URL.canParse("x", "http://h")`, "truefalsetrue"},
		{"href setter", `const u = new URL("http://h/"); u.href = "https://x/y"; u.host + u.pathname`, "x/y"},
		{"href setter throws", `const u = new URL("http://h/"); try { u.href = "nope" } catch (e) { u.href + " " + e.name }`, "http://h/ TypeError"},
		{"setter without argument", `try { Object.getOwnPropertyDescriptor(URL.prototype, "hash").set.call(new URL("http://h")); "no" } catch (e) { e.name }`, "TypeError"},
		{"components", `const u = new URL("https://u:p@[::1]:8443/p/q?x#y"); [u.protocol, u.username, u.password, u.host, u.hostname, u.port, u.pathname, u.search, u.hash, u.origin].join(" ")`, "https: u p [::1]:8443 [::1] 8443 /p/q ?x #y https://[::1]:8443"},
		{"setters", `const u = new URL("http://h/"); u.protocol = "https"; u.username = "a b"; u.password = "c"; u.hostname = "EXAMPLE.com"; u.port = "8080"; u.pathname = "x y"; u.search = "q=1"; u.hash = "f"; u.href`, "https://a%20b:c@example.com:8080/x%20y?q=1#f"},
		{"invalid setter value ignored", `const u = new URL("http://h:1/"); u.port = "99999"; u.host = "a b"; u.href`, "http://h:1/"},
		{"idn", `new URL("http://BÜCHER.example/").hostname`, "xn--bcher-kva.example"},
		{"ipv4 forms", `new URL("http://0x7f.1/").host`, "127.0.0.1"},
		{"blob origin", `new URL("blob:https://a.com:443/x").origin`, "https://a.com"},
		{"subclass", `class U extends URL { get h() { return this.hostname } }; const u = new U("http://z/"); u.h + (u instanceof URL) + (Object.getPrototypeOf(u) === U.prototype)`, "ztruetrue"},
		{"freezable", `const u = Object.freeze(new URL("http://h/")); Object.isFrozen(u) + u.href`, "truehttp://h/"},
		{"frozen class still works", `Object.freeze(URL); new URL("http://h/").host`, "h"},
		{"reflective first touch", `Object.getOwnPropertyNames(URL).includes("canParse")`, "true"},
		{"descriptor first touch", `Object.getOwnPropertyDescriptor(URL, "parse").writable`, "true"},
		{"has first touch", `"canParse" in URL`, "true"},
		{"construct first touch", `Reflect.construct(URL, ["http://h"]).host`, "h"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := fmt.Sprint(run(t, c.src)); got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}

// TestLinearTime guards the reason this package has its own parser: every
// input shape that made a quadratic blow-up in other parsers (userinfo with
// many '@', long opaque hosts with '%', huge IDN labels) must stay linear,
// because goja cannot interrupt a native call. lineartime compares 50,000
// code points with 200,000, so that a loaded machine cannot fail it.
func TestLinearTime(t *testing.T) {
	if testing.Short() {
		t.Skip("timing test")
	}
	const n = 50_000
	cjk := func(n int) string {
		var b strings.Builder
		for i := range n {
			b.WriteRune(rune(0x4E00 + i%20000))
		}
		return b.String()
	}
	shapes := map[string]func(n int) string{
		"userinfo":    func(n int) string { return "http://" + strings.Repeat("a", n) + "@h/" },
		"many @":      func(n int) string { return "http://" + strings.Repeat("a@", n/2) + "h/" },
		"opaque host": func(n int) string { return "foo://" + strings.Repeat("%41", n/3) + "/" },
		"idn label":   func(n int) string { return "http://" + cjk(n) + "/" },
		"idn labels":  func(n int) string { return "http://" + strings.Repeat(cjk(20)+".", n/20) + "/" },
		"xn label":    func(n int) string { return "http://xn--" + strings.Repeat("a", n) + "/" },
		"path dots":   func(n int) string { return "http://h/" + strings.Repeat("../", n/3) },
		"ipv6":        func(n int) string { return "http://[" + strings.Repeat("1:", n/2) + "]/" },
		"opaque path": func(n int) string { return "mailto:" + strings.Repeat("é ", n/2) + "?x" },
		"port":        func(n int) string { return "http://h:" + strings.Repeat("0", n) + "1/" },
	}
	rt := newTestRuntime(t)
	v, err := rt.RunString(`(input) => { try { new URL(input).href } catch (e) {}; const u = new URL("http://h/"); u.hostname = input; u.username = input }`)
	if err != nil {
		t.Fatal(err)
	}
	parse, _ := goja.AssertFunction(v)
	for name, shape := range shapes {
		inputs := map[int]goja.Value{n: rt.ToValue(shape(n)), lineartime.Factor * n: rt.ToValue(shape(lineartime.Factor * n))}
		lineartime.Check(t, name, n, func(n int) {
			if _, err := parse(goja.Undefined(), inputs[n]); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		})
	}
}

// TestStateIsCollected checks that the weak tables do not keep URL and
// URLSearchParams objects alive: a VM that builds many URLs must not grow
// without bound.
func TestStateIsCollected(t *testing.T) {
	rt := goja.New()
	in, err := install(rt)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rt.RunString(`for (let i = 0; i < 2000; i++) {
		const u = new URL("http://h/?a=" + i); u.searchParams.append("b", "c");
		[...new URLSearchParams("x=1").keys()];
	}`); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		runtime.GC()
		n := in.urls.len() + in.params.len() + in.iters.len()
		if n < 100 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d states still held after GC; the weak tables leak", n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	runtime.KeepAlive(rt)
}
