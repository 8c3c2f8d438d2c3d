package urlapi

import (
	"fmt"
	"testing"
)

func TestURLSearchParams(t *testing.T) {
	cases := []struct {
		name, src, want string
	}{
		{"from string", `new URLSearchParams("a=1&b=2&a=3").toString()`, "a=1&b=2&a=3"},
		{"leading ? stripped", `new URLSearchParams("?a=1").get("a")`, "1"},
		{"only one ? stripped", `new URLSearchParams("??a=1").toString()`, "%3Fa=1"},
		{"plus and percent decode", `new URLSearchParams("a=b+c%20d%zz").get("a")`, "b c d%zz"},
		{"invalid UTF-8 becomes U+FFFD per subpart", `[...new URLSearchParams("a=%F0%9F&b=%FF%FF").values()].join("|")`, "\uFFFD|\uFFFD\uFFFD"},
		{"empty sequences skipped", `new URLSearchParams("&&a&=b&").toString()`, "a=&=b"},
		{"from pairs", `new URLSearchParams([["a", "1"], ["b", 2]]).toString()`, "a=1&b=2"},
		{"from record", `new URLSearchParams({x: "1", y: "é"}).toString()`, "x=1&y=%C3%A9"},
		// A record key with a lone surrogate is a USVString like any other:
		// converted to U+FFFD (it crashed the engine: INTERNAL).
		{"record key with a lone surrogate", `const p = new URLSearchParams({"\uD835x": "1", "a\uDC01": "\uD800"}); [...p.keys()].join() + "|" + p.get("a\uFFFD")`, "\uFFFDx,a\uFFFD|\uFFFD"},
		{"record with an enumerable symbol key", `try { new URLSearchParams({a: "1", [Symbol()]: "2"}); "no" } catch (e) { e.name }`, "TypeError"},
		{"record reads each key's descriptor, then its value", `const log = [];
			new URLSearchParams(new Proxy({a: "1", b: "2"}, {
				ownKeys(t) { log.push("ownKeys"); return Reflect.ownKeys(t) },
				getOwnPropertyDescriptor(t, k) { log.push("gopd " + String(k)); return Reflect.getOwnPropertyDescriptor(t, k) },
				get(t, k) { if (k !== Symbol.iterator) log.push("get " + String(k)); return Reflect.get(t, k) } })); log.join("|")`,
			"ownKeys|gopd a|get a|gopd b|get b"},
		{"from URLSearchParams copies", `const a = new URLSearchParams("q=1"); const b = new URLSearchParams(a); b.append("r", "2"); a + "|" + b`, "q=1|q=1&r=2"},
		{"from iterable of iterables", `new URLSearchParams(new Map([["k", "v"]])).toString()`, "k=v"},
		{"undefined init", `new URLSearchParams(undefined).size`, "0"},
		{"null init is the string null", `new URLSearchParams(null).toString()`, "null="},
		{"pair of 3 throws", `try { new URLSearchParams([["a", "b", "c"]]); "no" } catch (e) { e.name }`, "TypeError"},
		{"pair of 1 throws", `try { new URLSearchParams([["a"]]); "no" } catch (e) { e.name }`, "TypeError"},
		{"non-iterable pair throws", `try { new URLSearchParams([1]); "no" } catch (e) { e.name }`, "TypeError"},
		{"serialization set", `const p = new URLSearchParams(); p.append("a b", "~!'()*-._ &=+%"); p.toString()`, "a+b=%7E%21%27%28%29*-._+%26%3D%2B%25"},
		{"lone surrogate encodes as U+FFFD", `const p = new URLSearchParams(); p.append("\uD800", "x\uDC00"); p.toString()`, "%EF%BF%BD=x%EF%BF%BD"},
		{"get missing is null", `String(new URLSearchParams("a=1").get("b"))`, "null"},
		{"getAll", `new URLSearchParams("a=1&b=2&a=3").getAll("a").join(",")`, "1,3"},
		{"has", `const p = new URLSearchParams("a=1"); [p.has("a"), p.has("b"), p.has("a", "1"), p.has("a", "2"), p.has("a", undefined)].join()`, "true,false,true,false,true"},
		{"delete all", `const p = new URLSearchParams("a=1&b=2&a=3"); p.delete("a"); p.toString()`, "b=2"},
		{"delete by value", `const p = new URLSearchParams("a=1&b=2&a=3"); p.delete("a", "3"); p.toString()`, "a=1&b=2"},
		{"set replaces first, drops rest", `const p = new URLSearchParams("a=1&b=2&a=3"); p.set("a", "x"); p.toString()`, "a=x&b=2"},
		{"set appends when absent", `const p = new URLSearchParams("a=1"); p.set("c", "3"); p.toString()`, "a=1&c=3"},
		{"sort is stable", `const p = new URLSearchParams("z=1&a=2&z=0&a=1"); p.sort(); p.toString()`, "a=2&a=1&z=1&z=0"},
		{"sort by UTF-16 code units", `const p = new URLSearchParams(); p.append("\uFB03", "1"); p.append("\u{1F308}", "2"); p.append("a", "3"); p.sort(); [...p.keys()].map(k => k.codePointAt(0).toString(16)).join()`, "61,1f308,fb03"},
		{"size", `new URLSearchParams("a=1&b=2&a=3").size`, "3"},
		{"forEach args", `const out = []; new URLSearchParams("a=1&b=2").forEach(function (v, k, o) { out.push(k + v + (o instanceof URLSearchParams) + this.t) }, {t: "!"}); out.join()`, "a1true!,b2true!"},
		{"forEach sees appends", `const p = new URLSearchParams("a=1"); let n = 0; p.forEach(() => { if (n++ < 3) p.append("x", "y") }); n`, "4"},
		{"entries", `[...new URLSearchParams("a=1&b=2").entries()].map(e => e.join(":")).join()`, "a:1,b:2"},
		{"iterator is entries", `URLSearchParams.prototype[Symbol.iterator] === URLSearchParams.prototype.entries`, "true"},
		{"iterator is live", `const p = new URLSearchParams("a=1"); const it = p.keys(); it.next(); p.append("b", "2"); it.next().value`, "b"},
		{"iterator tag and proto", `const it = new URLSearchParams().keys(); Object.prototype.toString.call(it) + (typeof it[Symbol.iterator])`, "[object URLSearchParams Iterator]function"},
		{"iterator done", `JSON.stringify(new URLSearchParams().values().next())`, `{"done":true}`},
		{"tag", `Object.prototype.toString.call(new URLSearchParams())`, "[object URLSearchParams]"},
		{"missing argument", `try { new URLSearchParams().append("a"); "no" } catch (e) { e.name }`, "TypeError"},
		{"symbol argument", `try { new URLSearchParams().get(Symbol()); "no" } catch (e) { e.name }`, "TypeError"},
		{"brand check", `try { URLSearchParams.prototype.get.call({}, "a"); "no" } catch (e) { e.name }`, "TypeError"},
		{"call without new", `try { URLSearchParams(); "no" } catch (e) { e.name }`, "TypeError"},
		{"subclass", `class P extends URLSearchParams { extra() { return this.get("a") } }; const p = new P("a=7"); p.extra() + (p instanceof URLSearchParams)`, "7true"},
		{"toString via String", `String(new URLSearchParams({a: "b"}))`, "a=b"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := fmt.Sprint(run(t, c.src)); got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}

// TestSearchParamsLiveBinding checks that url.searchParams and url.search
// (and href) stay in step in both directions.
func TestSearchParamsLiveBinding(t *testing.T) {
	cases := []struct {
		name, src, want string
	}{
		{"same object every time", `const u = new URL("http://h/?a=1"); u.searchParams === u.searchParams`, "true"},
		{"reads the query", `new URL("http://h/?a=1&b=%20").searchParams.get("b")`, " "},
		{"append updates search", `const u = new URL("http://h/?a=1"); u.searchParams.append("b", "x y"); u.search + "|" + u.href`, "?a=1&b=x+y|http://h/?a=1&b=x+y"},
		{"emptying list nulls query", `const u = new URL("http://h/p?a=1#f"); u.searchParams.delete("a"); u.href`, "http://h/p#f"},
		{"search setter updates list", `const u = new URL("http://h/?a=1"); const p = u.searchParams; u.search = "?b=2"; [...p.keys()].join()`, "b"},
		{"empty search clears list", `const u = new URL("http://h/?a=1"); const p = u.searchParams; u.search = ""; p.size + u.href`, "0http://h/"},
		{"href setter updates list", `const u = new URL("http://h/?a=1"); const p = u.searchParams; u.href = "http://x/?c=3&d=4"; [...p.keys()].join()`, "c,d"},
		{"href setter without query empties list", `const u = new URL("http://h/?a=1"); const p = u.searchParams; u.href = "http://x/"; p.size`, "0"},
		{"sort rewrites query", `const u = new URL("http://h/?b=2&a=1"); u.searchParams.sort(); u.search`, "?a=1&b=2"},
		{"query serialization normalizes", `const u = new URL("http://h/?a=b c&d"); u.searchParams.set("e", "f"); u.search`, "?a=b+c&d=&e=f"},
		{"opaque path trailing spaces stripped", `const u = new URL("data:space   ?a=1"); u.searchParams.delete("a"); u.href`, "data:space"},
		{"searchParams survive protocol change", `const u = new URL("http://h/?a=1"); const p = u.searchParams; u.protocol = "https"; p.append("b", "2"); u.href`, "https://h/?a=1&b=2"},
		{"detached params keep working", `const p = new URL("http://h/?a=1").searchParams; p.append("b", "2"); p.toString()`, "a=1&b=2"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := fmt.Sprint(run(t, c.src)); got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}
