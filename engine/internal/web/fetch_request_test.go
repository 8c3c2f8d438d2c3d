package web

import "testing"

func TestRequest(t *testing.T) {
	runFetchCases(t, []jsCase{
		{"defaults", `const q = new Request("https://a.test/p?q#f");
			[q.method, q.url, q.redirect, q.body, q.bodyUsed, q.signal instanceof AbortSignal, q.signal.aborted,
				q.headers instanceof Headers, [...q.headers].length, q.headers === q.headers, q.signal === q.signal].join()`,
			"GET,https://a.test/p?q#f,follow,,false,true,false,true,0,true,true"},
		{"URL is serialized", `new Request("HTTPS://A.test:443/a/../b").url`, "https://a.test/b"},
		{"URL object", `new Request(new URL("https://a.test/x")).url`, "https://a.test/x"},
		{"stringifiable input", `new Request({toString: () => U}).url`, "https://a.test/"},
		{"bad URLs", `["/x", "x", "", "http://", "https://a.test:99999/"].map(u => thrown(() => new Request(u))).join()`,
			"TypeError,TypeError,TypeError,TypeError,TypeError"},
		{"credentials", `[thrown(() => new Request("https://u:p@a.test/")), thrown(() => new Request("https://u@a.test/"))].join()`,
			"TypeError,TypeError"},
		{"needs an argument", `thrown(() => new Request())`, "TypeError"},
		{"init is not an object", `[5, "x"].map(v => thrown(() => new Request(U, v))).join() + " " + new Request(U, null).method`,
			"TypeError,TypeError GET"},

		// Methods.
		{"normalized", `["get", "Post", "put", "delete", "options", "head", "GET"].map(m => new Request(U, {method: m}).method).join()`,
			"GET,POST,PUT,DELETE,OPTIONS,HEAD,GET"},
		{"others kept as given", `["patch", "PATCH", "Foo", "m-search"].map(m => new Request(U, {method: m}).method).join()`,
			"patch,PATCH,Foo,m-search"},
		{"forbidden", `["CONNECT", "trace", "Track"].map(m => thrown(() => new Request(U, {method: m}))).join()`,
			"TypeError,TypeError,TypeError"},
		{"invalid", `["", "a b", "G\u00c9T", "\u20ac", "GET\n"].map(m => thrown(() => new Request(U, {method: m}))).join()`,
			"TypeError,TypeError,TypeError,TypeError,TypeError"},

		// Bodies.
		{"GET and HEAD have none", `[thrown(() => new Request(U, {body: "x"})), thrown(() => new Request(U, {method: "head", body: ""})),
			new Request(U, {body: null}).body, new Request(U, {method: "GET", body: undefined}).body].join()`, "TypeError,TypeError,,"},
		{"POST body", `const q = new Request(U, {method: "POST", body: "x"});
			q.text().then(t => [t, q.headers.get("content-type"), q.bodyUsed].join())`, "x,text/plain;charset=UTF-8,true"},
		{"binary body", `const q = new Request(U, {method: "PUT", body: new Uint8Array([1, 2])});
			q.bytes().then(b => b.join() + " " + q.headers.has("content-type"))`, "1,2 false"},
		{"form body", `const q = new Request(U, {method: "POST", body: new URLSearchParams("a=b"), headers: {"content-type": "x/y"}});
			q.text().then(t => t + " " + q.headers.get("content-type"))`, "a=b x/y"},
		{"json", `new Request(U, {method: "POST", body: '{"a":1}'}).json().then(j => j.a)`, "1"},
		{"read once", `const q = new Request(U, {method: "POST", body: "x"}); q.arrayBuffer(); q.text()`, "rejects TypeError"},

		// Other init members.
		{"headers", `const q = new Request(U, {headers: [["A", "1"], ["a", "2"]]}); q.headers.get("a")`, "1, 2"},
		{"bad headers", `thrown(() => new Request(U, {headers: {"a b": "1"}}))`, "TypeError"},
		{"redirect", `["follow", "error", "manual"].map(r => new Request(U, {redirect: r}).redirect).join() + " " +
			thrown(() => new Request(U, {redirect: "bogus"}))`, "follow,error,manual TypeError"},
		{"signal follows", `const c = new AbortController(); const q = new Request(U, {signal: c.signal});
			const before = q.signal.aborted; c.abort("why");
			[q.signal === c.signal, before, q.signal.aborted, q.signal.reason].join()`, "false,false,true,why"},
		{"aborted signal", `const q = new Request(U, {signal: AbortSignal.abort("r")}); [q.signal.aborted, q.signal.reason].join()`, "true,r"},
		{"signal null", `new Request(U, {signal: null}).signal.aborted`, "false"},
		{"signal must be an AbortSignal", `[{}, 1, new EventTarget()].map(s => thrown(() => new Request(U, {signal: s}))).join()`,
			"TypeError,TypeError,TypeError"},

		// From another Request.
		{"copies", `const c = new AbortController();
			const a = new Request("https://a.test/x", {method: "POST", body: "x", headers: {a: "1"}, redirect: "manual", signal: c.signal});
			const b = new Request(a); b.headers.set("a", "2"); c.abort();
			b.text().then(t => [t, b.method, b.url, b.redirect, a.headers.get("a"), b.headers.get("a"), b.signal.aborted,
				a.bodyUsed, thrown(() => a.clone())].join())`, "x,POST,https://a.test/x,manual,1,2,true,true,TypeError"},
		{"from a used Request", `const a = new Request(U, {method: "POST", body: "x"}); a.text(); thrown(() => new Request(a))`, "TypeError"},
		{"from a used Request with a new body", `const a = new Request(U, {method: "POST", body: "x"}); a.text();
			new Request(a, {body: "y"}).text()`, "y"},
		{"new body leaves the input unused", `const a = new Request(U, {method: "POST", body: "x"}); new Request(a, {body: "y"}); a.bodyUsed`, "false"},
		{"GET override with an input body", `const a = new Request(U, {method: "POST", body: "x"}); thrown(() => new Request(a, {method: "GET"}))`, "TypeError"},
		{"init overrides", `const a = new Request(U, {method: "DELETE", headers: {a: "1"}});
			const b = new Request(a, {method: "put", headers: {b: "2"}, redirect: "error"});
			[b.method, b.headers.has("a"), b.headers.get("b"), b.redirect, b.url].join()`, "PUT,false,2,error,https://a.test/"},
		{"override signal", `const c = new AbortController(); const a = new Request(U, {signal: AbortSignal.abort()});
			new Request(a, {signal: c.signal}).signal.aborted`, "false"},
		{"Response is not a Request", `new Request(U, {method: "POST", body: new Response("x")}).text()`, "[object Response]"},

		// clone.
		{"clone", `const c = new AbortController();
			const a = new Request(U, {method: "PUT", body: "x", headers: {a: "1"}, signal: c.signal}); const b = a.clone();
			b.headers.append("a", "2"); c.abort();
			Promise.all([a.text(), b.text()]).then(t => [t, b.method, b.url, a.headers.get("a"), b.headers.get("a"),
				b.signal !== a.signal, b.signal.aborted, b instanceof Request].join())`,
			"x,x,PUT,https://a.test/,1,1, 2,true,true,true"},
		{"clone of a used body", `const q = new Request(U, {method: "POST", body: "x"}); q.text(); thrown(() => q.clone())`, "TypeError"},
		{"clone without a body", `const q = new Request(U); q.text(); q.clone().method`, "GET"},
	})
}
