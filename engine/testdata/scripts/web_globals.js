// want: {"url":"https://example.com/c?x=1&y=2#h","host":"example.com","params":[["x","1"],["y","2"]],"enc":[104,105,226,130,172],"dec":"hi€","b64":"aGk=","unb64":"hi","clone":{"d":true,"m":[[1,{"a":1}]],"same":true},"uuid":true,"digest":"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad","aborted":["AbortError","stop"]}
export default async function () {
  const u = new URL("../c?x=1", "https://example.com/a/b");
  u.searchParams.append("y", "2");
  u.hash = "h";
  const shared = { a: 1 };
  const copy = structuredClone({ d: new Date(0), m: new Map([[1, shared]]), again: shared });
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode("abc")));
  const ac = new AbortController();
  const seen = [];
  ac.signal.addEventListener("abort", () => seen.push(ac.signal.reason.name));
  ac.abort();
  const timed = await new Promise((resolve) => {
    const s = AbortSignal.timeout(5);
    s.onabort = () => resolve("stop");
    setTimeout(() => {}, 20);
  });
  seen.push(timed);
  return {
    url: u.href, host: u.host, params: [...u.searchParams],
    enc: Array.from(new TextEncoder().encode("hi€")), dec: new TextDecoder().decode(new Uint8Array([104, 105, 226, 130, 172])),
    b64: btoa("hi"), unb64: atob("aGk="),
    clone: { d: copy.d instanceof Date, m: [...copy.m], same: copy.m.get(1) === copy.again },
    uuid: /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(crypto.randomUUID()),
    digest: Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join(""),
    aborted: seen,
  };
}
