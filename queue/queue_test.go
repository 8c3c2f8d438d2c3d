package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/kiln-run/kiln/kilntype"
)

func TestValidType(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		typ  string
		want bool
	}{
		{"billing.invoice.paid", true},
		{"a", true},
		{"a-b_c.0", true},
		{"a.b.c.d.e.f.g.h", true},
		{"a.b.c.d.e.f.g.h.i", false}, // 9 segments
		{"", false},
		{"Billing.invoice", false},
		{"a..b", false},
		{".a", false},
		{"a.", false},
		{"a.*", false},
		{"a.>", false},
		{"a b", false},
		{"a/b", false},
		{"é", false},
	} {
		if got := ValidType(tc.typ); got != tc.want {
			t.Errorf("ValidType(%q) = %v, want %v", tc.typ, got, tc.want)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"no data dir", Config{}, "DataDir is required"},
		{"bad prefix", Config{DataDir: "x", Prefix: "a.b"}, "Prefix"},
		{"bad listen", Config{DataDir: "x", Listen: "nope"}, "Listen"},
		{"prefetch below workers", Config{DataDir: "x", Workers: 8, Prefetch: 4}, "Prefetch"},
		{"negative backoff", Config{DataDir: "x", Retry: Retry{Retries: 1, Backoff: []time.Duration{-1}}}, "negative"},
	} {
		err := tc.cfg.WithDefaults().Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Validate() = %v, want an error about %q", tc.name, err, tc.want)
		}
	}
	if err := (Config{DataDir: "x"}).WithDefaults().Validate(); err != nil {
		t.Errorf("defaults: %v", err)
	}
}

func TestRetryDelay(t *testing.T) {
	t.Parallel()
	r := Retry{Retries: 5, Backoff: []time.Duration{2 * time.Second, 4 * time.Second}}
	for n, want := range map[int]time.Duration{1: 2 * time.Second, 2: 4 * time.Second, 3: 4 * time.Second, 5: 4 * time.Second} {
		if got := r.delay(n); got != want {
			t.Errorf("delay(%d) = %s, want %s", n, got, want)
		}
	}
	if got := DefaultRetry.delay(5); got != 32*time.Second {
		t.Errorf("default delay(5) = %s", got)
	}
	if (Retry{Retries: -1}).maxAttempts() != 1 {
		t.Error("Retries < 0 must mean one attempt")
	}
}

func TestPublish(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		cfg := testConfig(t, b)
		cfg.MaxPayload = 1024
		q := openQueue(t, cfg)
		ctx := context.Background()

		// Stored by the time Publish returns: read it back without
		// starting anything.
		id := publish(t, q, "acme", "billing.invoice.paid", map[string]int{"amount": 3})
		msg, err := q.stream.GetLastMsgForSubject(ctx, q.names.eventSubject("acme", "billing.invoice.paid"))
		if err != nil {
			t.Fatalf("event not in the stream after Publish returned: %v", err)
		}
		var ev Event
		if err := json.Unmarshal(msg.Data, &ev); err != nil || ev.ID != id || string(ev.Payload) != `{"amount":3}` || ev.PublishedAt.IsZero() {
			t.Errorf("stored event %+v (%v)", ev, err)
		}

		// A caller's own id, published twice within the dedupe window, is
		// stored once.
		for range 2 {
			got, err := q.Publish(ctx, Event{ID: "order-42-paid", Tenant: "acme", Type: "billing.invoice.paid"})
			if err != nil || got != "order-42-paid" {
				t.Fatalf("publish with an id: %q, %v", got, err)
			}
		}
		if n := streamMessages(t, q.stream); n != 2 {
			t.Errorf("%d events stored, want 2", n)
		}

		for _, tc := range []struct {
			name string
			ev   Event
			code kilntype.Code
		}{
			{"payload too large", Event{Tenant: "acme", Type: "a.b", Payload: json.RawMessage(`"` + strings.Repeat("x", 1100) + `"`)}, kilntype.EValueTooLarge},
			{"payload not JSON", Event{Tenant: "acme", Type: "a.b", Payload: json.RawMessage(`{nope`)}, kilntype.EInvalidArgument},
			{"wildcard type", Event{Tenant: "acme", Type: "a.*"}, kilntype.EInvalidArgument},
			{"uppercase type", Event{Tenant: "acme", Type: "A.b"}, kilntype.EInvalidArgument},
			{"too many segments", Event{Tenant: "acme", Type: "a.b.c.d.e.f.g.h.i"}, kilntype.EInvalidArgument},
			{"empty type", Event{Tenant: "acme"}, kilntype.EInvalidArgument},
			{"tenant with a dot", Event{Tenant: "ac.me", Type: "a.b"}, kilntype.EInvalidArgument},
			{"no tenant", Event{Type: "a.b"}, kilntype.EInvalidArgument},
			{"id with a newline", Event{ID: "a\r\nb", Tenant: "acme", Type: "a.b"}, kilntype.EInvalidArgument},
		} {
			_, err := q.Publish(ctx, tc.ev)
			if got := kilntype.ErrorCode(err); got != tc.code {
				t.Errorf("%s: error %v (code %s), want code %s", tc.name, err, got, tc.code)
			}
		}
		if n := streamMessages(t, q.stream); n != 2 {
			t.Errorf("refused events were stored: %d events", n)
		}

		ids, err := q.PublishBatch(ctx, []Event{
			{Tenant: "acme", Type: "x.y"},
			{Tenant: "acme", Type: "x.*"},
			{Tenant: "acme", Type: "x.z"},
		})
		if err == nil || ids[0] == "" || ids[1] != "" || ids[2] == "" {
			t.Errorf("PublishBatch = %q, %v; want the middle one refused", ids, err)
		}
		// The two events without an ID share one batch message.
		if n := streamMessages(t, q.stream); n != 3 {
			t.Errorf("%d messages stored, want 3", n)
		}
		// Published counts the duplicate publish, which JetStream acknowledged.
		if s := q.Stats(); s.Published != 5 || s.Batches != 1 {
			t.Errorf("stats %+v, want 5 events published, 1 batch", s)
		}
	})
}

func TestFanOut(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		q := openQueue(t, testConfig(t, b))
		rec := newRecorder()
		router := RouterFunc(func(_ context.Context, e Event) ([]Target, error) {
			if e.Tenant == "nobody" {
				return nil, nil
			}
			return []Target{{ID: "s1"}, {ID: "s2"}, {ID: "s3"}}, nil
		})
		start(t, q, router, rec)
		id := publish(t, q, "acme", "order.created", map[string]string{"order": "42"})
		publish(t, q, "nobody", "order.created", nil)
		rec.waitFor(t, "three deliveries", 10*time.Second, func() bool { return len(rec.runs) >= 3 })
		time.Sleep(100 * time.Millisecond)

		rec.mu.Lock()
		defer rec.mu.Unlock()
		seen := map[string]bool{}
		for _, r := range rec.runs {
			if r.d.Attempt != 1 || r.d.Event.ID != id || string(r.d.Event.Payload) != `{"order":"42"}` || r.d.Event.Type != "order.created" {
				t.Errorf("delivery %+v", r.d)
			}
			if r.d.ID != id+":"+r.d.Target {
				t.Errorf("delivery id %q for target %q", r.d.ID, r.d.Target)
			}
			if r.d.MaxAttempts != 3 {
				t.Errorf("MaxAttempts %d, want 3 from the config's Retry", r.d.MaxAttempts)
			}
			seen[r.d.Target] = true
		}
		if len(rec.runs) != 3 || !seen["s1"] || !seen["s2"] || !seen["s3"] {
			t.Errorf("runs %d, targets %v", len(rec.runs), seen)
		}
		waitEmpty(t, q.stream)
		if s := q.Stats(); s.Dispatched != 3 || s.Unrouted != 1 || s.Succeeded != 3 {
			t.Errorf("stats %+v", s)
		}
	})
}

func TestFairness(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		cfg := testConfig(t, b)
		cfg.Workers = 2
		q := openQueue(t, cfg)
		ctx := context.Background()
		const backlog = 300
		events := make([]Event, backlog)
		for i := range events {
			events[i] = Event{Tenant: "big", Type: "bulk.item"}
		}
		if _, err := q.PublishBatch(ctx, events); err != nil {
			t.Fatal(err)
		}
		rec := newRecorder()
		rec.fail = func(Delivery) error { time.Sleep(2 * time.Millisecond); return nil }
		start(t, q, targets("s"), rec)
		rec.waitFor(t, "the backlog to start", 10*time.Second, func() bool { return len(rec.runs) >= 10 })
		rec.mu.Lock()
		before := len(rec.runs)
		rec.mu.Unlock()
		publish(t, q, "small", "one.event", nil)
		rec.waitFor(t, "the backlog to finish", 30*time.Second, func() bool { return len(rec.runs) == backlog+1 })
		rec.mu.Lock()
		defer rec.mu.Unlock()
		for i, r := range rec.runs {
			if r.d.Event.Tenant == "small" {
				// The backlog's deliveries already fetched (Prefetch, 256)
				// must not all run first: a tenant with nothing fetched
				// gets the next free slot and the workers' next turn.
				t.Logf("the small tenant's event ran after %d more of the big tenant's deliveries", i-before)
				if i-before > 20 {
					t.Errorf("the small tenant's event ran after %d more of the big tenant's (of %d)", i-before, backlog)
				}
				return
			}
		}
		t.Error("the small tenant's event never ran")
	})
}

func TestEncodingRoundTrip(t *testing.T) {
	t.Parallel()
	e := Event{
		ID:          `id "with" \ quotes, ünïcode and a tab	`,
		Tenant:      "acme",
		Type:        "a.b",
		Payload:     json.RawMessage(`{"x":[1,"two",null]}`),
		PublishedAt: time.Date(2026, 3, 4, 5, 6, 7, 8, time.FixedZone("X", 3600)),
	}
	var back Event
	if err := json.Unmarshal(appendEvent(nil, &e), &back); err != nil {
		t.Fatalf("appendEvent made invalid JSON: %v", err)
	}
	if back.ID != e.ID || back.Tenant != e.Tenant || back.Type != e.Type || string(back.Payload) != string(e.Payload) || !back.PublishedAt.Equal(e.PublishedAt) {
		t.Errorf("event round trip: %+v, want %+v", back, e)
	}
	retry := Retry{Retries: 3, Backoff: []time.Duration{time.Second, 2 * time.Second}}
	d, err := decodeDelivery(appendEnvelope(nil, e.ID+":s\"1", "s\"1", retry, appendEvent(nil, &e)))
	if err != nil {
		t.Fatal(err)
	}
	if d.ID != e.ID+":s\"1" || d.Target != "s\"1" || d.Retry.Retries != 3 || len(d.Retry.Backoff) != 2 || d.Retry.Backoff[1] != 2*time.Second || d.MaxAttempts != 4 || d.Event.ID != e.ID {
		t.Errorf("delivery round trip: %+v", d)
	}
}

// FuzzValidType checks the hand-written validator against the rule written
// as a regular expression.
func FuzzValidType(f *testing.F) {
	for _, s := range []string{"a", "billing.invoice.paid", "a..b", "a.*", "A", "a.b.c.d.e.f.g.h.i", "é"} {
		f.Add(s)
	}
	rule := regexp.MustCompile(`^[a-z0-9_-]+(\.[a-z0-9_-]+){0,7}$`)
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := ValidType(s), rule.MatchString(s) && len(s) <= 255; got != want {
			t.Errorf("ValidType(%q) = %v, want %v", s, got, want)
		}
	})
}

// TestTwoNodes runs two queues on one set of streams, the second connected
// by URL to the first's embedded server (Config.Listen): what two Kiln nodes
// on one NATS do.
func TestTwoNodes(t *testing.T) {
	t.Parallel()
	cfgA := testConfig(t, backend{name: "embedded"})
	cfgA.Listen = "127.0.0.1:0"
	a := openQueue(t, cfgA)
	if a.ClientURL() == "" {
		t.Fatal("no client URL with Listen set")
	}
	cfgB := cfgA
	cfgB.URL, cfgB.DataDir, cfgB.Listen = a.ClientURL(), "", ""
	b := openQueue(t, cfgB)

	recA, recB := newRecorder(), newRecorder()
	start(t, a, targets("s"), recA)
	start(t, b, targets("s"), recB)
	const n = 200
	events := make([]Event, n)
	for i := range events {
		events[i] = Event{Tenant: fmt.Sprintf("t%d", i%4), Type: "two.nodes"}
	}
	if _, err := b.PublishBatch(context.Background(), events); err != nil {
		t.Fatal(err)
	}
	total := func() int {
		recA.mu.Lock()
		defer recA.mu.Unlock()
		recB.mu.Lock()
		defer recB.mu.Unlock()
		seen := map[string]bool{}
		for _, r := range append(append([]run{}, recA.runs...), recB.runs...) {
			seen[r.d.ID] = true
		}
		return len(seen)
	}
	deadline := time.Now().Add(20 * time.Second)
	for total() < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d deliveries ran", total(), n)
		}
		time.Sleep(20 * time.Millisecond)
	}
	waitEmpty(t, a.stream)
	t.Logf("node A ran %d, node B ran %d", a.Stats().Succeeded, b.Stats().Succeeded)
}

// TestDecodeEvent checks the workers' event decoder against encoding/json
// on what appendEvent writes and on what it does not.
func TestDecodeEvent(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 3, 4, 5, 6, 7, 8, time.UTC)
	events := []Event{
		{ID: "0193-abc", Tenant: "acme", Type: "order.created", Payload: json.RawMessage(`{"n":1}`), PublishedAt: at},
		{ID: "e1", Tenant: "t", Type: "a", Payload: json.RawMessage(`null`), PublishedAt: at},
		{ID: "e2", Tenant: "t", Type: "a", Payload: json.RawMessage(`"x,\"publishedAt\":\"2020\"}"`), PublishedAt: at},
		{ID: `quo"te`, Tenant: "t", Type: "a", Payload: json.RawMessage(`[1, 2]`), PublishedAt: at.In(time.FixedZone("X", 3600))},
	}
	for _, e := range events {
		data := appendEvent(nil, &e)
		got, err := decodeEvent(data)
		if err != nil {
			t.Fatalf("decodeEvent(%s): %v", data, err)
		}
		var want Event
		if err := json.Unmarshal(data, &want); err != nil {
			t.Fatal(err)
		}
		if got.ID != want.ID || got.Tenant != want.Tenant || got.Type != want.Type || string(got.Payload) != string(want.Payload) || !got.PublishedAt.Equal(want.PublishedAt) {
			t.Errorf("decodeEvent(%s) = %+v, want %+v", data, got, want)
		}
	}
	// Other layouts fall back to encoding/json; broken ones fail.
	if e, err := decodeEvent([]byte(`{"tenant":"t","id":"x","type":"a","payload":{},"publishedAt":"2026-01-02T03:04:05Z"}`)); err != nil || e.ID != "x" || string(e.Payload) != "{}" {
		t.Errorf("reordered keys: %+v, %v", e, err)
	}
	for _, bad := range []string{`{"id":"x","tenant":"t","type":"a","payload":{,"publishedAt":"2026-01-02T03:04:05Z"}`, `{"id":"x"`, ``} {
		if _, err := decodeEvent([]byte(bad)); err == nil {
			t.Errorf("decodeEvent(%s) succeeded", bad)
		}
	}
}

func TestPubAckError(t *testing.T) {
	t.Parallel()
	for data, ok := range map[string]bool{
		`{"stream":"KILN_QUEUE","seq":12}`:                                                                 true,
		`{"stream":"error_QUEUE","seq":3,"duplicate":true}`:                                                true,
		`{"stream":"S","domain":"d","seq":1}`:                                                              true,
		`{"error":{"code":503,"err_code":10077,"description":"maximum messages exceeded"}}`:                false,
		`{"stream":"S","seq":0,"error":{"code":400,"err_code":10071,"description":"wrong last sequence"}}`: false,
		`{"stream":"S"}`: false,
		`nonsense`:       false,
		``:               false,
	} {
		if err := pubAckError([]byte(data)); (err == nil) != ok {
			t.Errorf("pubAckError(%s) = %v", data, err)
		}
	}
	var apiErr *jetstream.APIError
	if err := pubAckError([]byte(`{"error":{"code":503,"err_code":10077,"description":"maximum messages exceeded"}}`)); !errors.As(err, &apiErr) || apiErr.ErrorCode != 10077 {
		t.Errorf("an error acknowledgement gives %v, want its APIError", err)
	}
}
