package web

import (
	"reflect"
	"testing"

	"github.com/kiln-run/kiln/internal/goja"
)

func TestResponse(t *testing.T) {
	runFetchCases(t, []jsCase{
		{"defaults", `const r = new Response();
			[r.type, r.url, r.redirected, r.status, r.ok, r.statusText, r.body, r.bodyUsed, r.headers instanceof Headers, [...r.headers].length].join()`,
			"default,,false,200,true,,,false,true,0"},
		{"init", `const r = new Response("x", {status: 404, statusText: "Not Found", headers: [["a", "1"]]});
			[r.status, r.ok, r.statusText, r.headers.get("a")].join()`, "404,false,Not Found,1"},
		{"init from Headers", `new Response(null, {headers: new Headers({a: "1"})}).headers.get("a")`, "1"},
		{"headers is the same object", `const r = new Response(); r.headers === r.headers`, "true"},
		{"init members may be undefined", `new Response("x", {status: undefined, statusText: undefined, headers: undefined}).status`, "200"},
		{"init is not an object", `[5, "x", true].map(v => thrown(() => new Response("", v))).join()`, "TypeError,TypeError,TypeError"},
		{"init null", `new Response("", null).status`, "200"},
		{"status range", `[199, 600, 0, 100, -1, "abc", NaN].map(s => thrown(() => new Response(null, {status: s}))).join()`,
			"RangeError,RangeError,RangeError,RangeError,RangeError,RangeError,RangeError"},
		{"status bounds and conversion", `[200, 599, "201", 299.9, 65536 + 200].map(s => new Response(null, {status: s}).status).join()`,
			"200,599,201,299,200"},
		{"status symbol", `thrown(() => new Response(null, {status: Symbol()}))`, "TypeError"},
		{"ok", `[200, 299, 300, 199 + 1].map(s => new Response(null, {status: s}).ok).join()`, "true,true,false,true"},
		{"statusText", `["OK", "a\tb", "caf\u00e9", "\n", "a\rb", "\u0100", "\x7f"].map(s => thrown(() => new Response(null, {statusText: s}))).join()`,
			"no throw,no throw,no throw,TypeError,TypeError,TypeError,TypeError"},
		{"null body statuses", `[204, 205, 304].map(s => thrown(() => new Response("", {status: s})) + "/" + new Response(null, {status: s}).status).join()`,
			"TypeError/204,TypeError/205,TypeError/304"},
		{"invalid init headers", `thrown(() => new Response("", {headers: {"a b": "1"}}))`, "TypeError"},
		{"status checked before headers", `msg(() => new Response("", {status: 1, headers: {"a b": "1"}})).split(":")[0]`, "RangeError"},

		// clone.
		{"clone", `const a = new Response("x", {status: 201, statusText: "C", headers: {a: "1"}}); const b = a.clone();
			b.headers.set("a", "2");
			Promise.all([a.text(), b.text()]).then(t => [t, a.headers.get("a"), b.headers.get("a"), b.status, b.statusText, b.type,
				b instanceof Response, b.headers === a.headers].join())`, "x,x,1,2,201,C,default,true,false"},
		{"clone reads independently", `const a = new Response("x"); const b = a.clone(); a.text();
			[a.bodyUsed, b.bodyUsed].join()`, "true,false"},
		{"clone of a used body", `const r = new Response("x"); r.text(); thrown(() => r.clone())`, "TypeError"},
		{"clone of a null body after reading", `const r = new Response(); r.text(); r.clone().body`, "null"},
		{"clone keeps the guard", `thrown(() => Response.error().clone().headers.set("a", "b"))`, "TypeError"},

		// Response.json.
		{"json", `const r = Response.json({a: [1, "é"]}); Promise.all([r.text(), r.headers.get("content-type"), r.status, r.type])
			.then(a => a.join(" "))`, `{"a":[1,"é"]} application/json 200 default`},
		{"json with init", `const r = Response.json(null, {status: 201, statusText: "Made", headers: {"x-a": "b"}});
			r.text().then(t => [t, r.status, r.statusText, r.headers.get("x-a"), r.headers.get("content-type")].join())`,
			"null,201,Made,b,application/json"},
		{"json keeps a given Content-Type", `Response.json(1, {headers: {"content-type": "text/x"}}).headers.get("content-type")`, "text/x"},
		{"json not serializable", `[undefined, () => 1, Symbol()].map(v => thrown(() => Response.json(v))).join()`, "TypeError,TypeError,TypeError"},
		{"json throws what stringify throws", `const o = {}; o.o = o; [thrown(() => Response.json(o)), thrown(() => Response.json(1n)),
			msg(() => Response.json({toJSON() { throw new RangeError("mine") }}))].join()`, "TypeError,TypeError,RangeError: mine"},
		{"json with a null body status", `thrown(() => Response.json({}, {status: 204}))`, "TypeError"},
		{"json with a bad status", `thrown(() => Response.json({}, {status: 1000}))`, "RangeError"},
		{"json needs an argument", `thrown(() => Response.json())`, "TypeError"},
		{"json is not a subclass factory", `class R extends Response {} R.json(1) instanceof R`, "false"},

		// Response.error.
		{"error", `const r = Response.error();
			[r.type, r.status, r.ok, r.statusText, r.body, r.url, r.redirected, [...r.headers].length, thrown(() => r.headers.set("a", "b"))].join()`,
			"error,0,false,,,,false,0,TypeError"},
		{"error is fresh", `Response.error() !== Response.error() && Response.error().headers !== Response.error().headers`, "true"},

		// Response.redirect.
		{"redirect", `const r = Response.redirect("https://a.test/x y?q");
			[r.status, r.type, r.body, r.ok, r.headers.get("location"), [...r.headers].length].join()`,
			"302,default,,false,https://a.test/x%20y?q,1"},
		{"redirect statuses", `[301, 302, 303, 307, 308, "301"].map(s => Response.redirect(U, s).status).join()`, "301,302,303,307,308,301"},
		{"redirect bad statuses", `[200, 300, 304, 309, 0].map(s => thrown(() => Response.redirect(U, s))).join()`,
			"RangeError,RangeError,RangeError,RangeError,RangeError"},
		{"redirect URL object", `Response.redirect(new URL("HTTPS://A.test"), 307).headers.get("Location")`, "https://a.test/"},
		{"redirect relative URL", `[thrown(() => Response.redirect("/x")), thrown(() => Response.redirect("http://")),
			thrown(() => Response.redirect())].join()`, "TypeError,TypeError,TypeError"},
		{"redirect URL checked first", `msg(() => Response.redirect("/x", 200)).split(":")[0]`, "TypeError"},
	})
}

func TestResponseParts(t *testing.T) {
	rt := newFetchVM(t)
	run := func(src string) goja.Value {
		t.Helper()
		v, err := rt.RunString(src)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}

	v := run(`var res = new Response("hé", {status: 201, headers: [["Set-Cookie", "a=1"], ["X-B", "1"], ["set-cookie", "b=2"], ["x-b", "2"]]}); res`)
	status, headers, body, ok := ResponseParts(rt, v)
	wantHeaders := [][2]string{{"content-type", "text/plain;charset=UTF-8"}, {"set-cookie", "a=1"}, {"set-cookie", "b=2"}, {"x-b", "1, 2"}}
	if !ok || status != 201 || string(body) != "hé" || !reflect.DeepEqual(headers, wantHeaders) {
		t.Errorf("got %d %q %q %v", status, headers, body, ok)
	}
	body[0] = 'X'
	headers[0][1] = "changed"
	if got := eval(t, rt, `[res.bodyUsed, res.headers.get("content-type")].join()`); got != "false,text/plain;charset=UTF-8" {
		t.Errorf("ResponseParts changed the response: %s", got)
	}
	if got := eval(t, rt, `res.text()`); got != "hé" {
		t.Errorf("after ResponseParts, text() = %q", got)
	}
	// A used body is still returned.
	if _, _, body, ok := ResponseParts(rt, v); !ok || string(body) != "hé" {
		t.Errorf("after reading: %q %v", body, ok)
	}

	// A null body is nil; an empty one is not.
	if _, _, body, ok := ResponseParts(rt, run(`new Response(null, {status: 204})`)); !ok || body != nil {
		t.Errorf("null body: %q %v", body, ok)
	}
	if _, _, body, ok := ResponseParts(rt, run(`new Response("")`)); !ok || body == nil || len(body) != 0 {
		t.Errorf("empty body: %q %v", body, ok)
	}
	if status, headers, _, ok := ResponseParts(rt, run(`Response.redirect("https://a.test/", 307)`)); !ok || status != 307 ||
		!reflect.DeepEqual(headers, [][2]string{{"location", "https://a.test/"}}) {
		t.Errorf("redirect: %d %q %v", status, headers, ok)
	}
	if status, _, _, ok := ResponseParts(rt, run(`Response.error()`)); !ok || status != 0 {
		t.Errorf("error: %d %v", status, ok)
	}
	if status, _, _, ok := ResponseParts(rt, run(`new (class extends Response {})(null, {status: 202})`)); !ok || status != 202 {
		t.Errorf("subclass: %d %v", status, ok)
	}

	for _, src := range []string{
		`({status: 200, headers: new Headers(), body: null})`,
		`Object.create(Response.prototype)`,
		`new Request("https://a.test/")`,
		`new Headers()`,
		`undefined`,
		`"response"`,
		`new Proxy(res, {})`,
	} {
		if _, _, _, ok := ResponseParts(rt, run(src)); ok {
			t.Errorf("%s: ok", src)
		}
	}
	if _, _, _, ok := ResponseParts(rt, nil); ok {
		t.Error("nil value: ok")
	}

	// A Response from another runtime, or a runtime without Install.
	other := newFetchVM(t)
	if _, _, _, ok := ResponseParts(other, v); ok {
		t.Error("another runtime's Response: ok")
	}
	if _, _, _, ok := ResponseParts(goja.New(), v); ok {
		t.Error("runtime without Install: ok")
	}
	if _, _, _, ok := ResponseParts(nil, v); ok {
		t.Error("nil runtime: ok")
	}
}
