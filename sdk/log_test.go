package sdk

import (
	"testing"

	"github.com/kiln-run/kiln/engine"
)

func TestLog(t *testing.T) {
	t.Parallel()
	b := setupSDK(t, openStore(t), LogModule())
	res := b.run(t, "acme", `export default async () => {
		console.log('before');
		iota.log.debug('d');
		iota.log.info('order paid', { orderId: 42, items: ['a'] });
		iota.log.warn({ not: 'a string' });
		iota.log.error('failed', null);
		console.log('after');
		return [iota.log.info('x'), await iota.log.info('y')];
	}`)
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	if string(res.Value) != `[null,null]` {
		t.Errorf("iota.log returns %s, want undefined", res.Value)
	}
	want := []struct {
		level engine.Level
		msg   string
	}{{"info", "before"}, {"debug", "d"}, {"info", "order paid"}, {"warn", `{"not":"a string"}`}, {"error", "failed"}, {"info", "after"}, {"info", "x"}, {"info", "y"}}
	if len(res.Logs) != len(want) {
		t.Fatalf("logs %+v", res.Logs)
	}
	for i, w := range want {
		if l := res.Logs[i]; l.Level != w.level || l.Message != w.msg {
			t.Errorf("log %d = %s %q, want %s %q", i, l.Level, l.Message, w.level, w.msg)
		}
	}
	if f := res.Logs[2].Fields; f["orderId"] != 42.0 || len(f["items"].([]any)) != 1 {
		t.Errorf("fields %v", f)
	}
	if res.Logs[4].Fields != nil {
		t.Errorf("null fields became %v", res.Logs[4].Fields)
	}
	for _, tt := range []struct{ expr, msg string }{
		{`iota.log.info()`, "iota.log.info: it takes a message and an optional object of fields"},
		{`iota.log.warn('m', 'f')`, "iota.log.warn: fields must be an object such as { orderId: 42 }, not a string"},
		{`iota.log.error('m', {}, 3)`, "iota.log.error: it takes a message"},
	} {
		b.wantThrow(t, "acme", tt.expr, "INVALID_ARGUMENT", tt.msg)
	}
}
