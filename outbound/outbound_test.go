package outbound

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// bundle is what most tests need: a test server on 127.0.0.1 and a client
// whose allow list admits exactly that server's port.
type bundle struct {
	srv    *httptest.Server
	port   string
	client *Client
}

// setup starts a server with handler and a client allowing its address;
// adjust changes the client's config before it is built.
func setup(t *testing.T, handler http.Handler, adjust func(*Config)) bundle {
	t.Helper()
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	cfg := Config{Allow: []string{"127.0.0.1:" + port}, Timeout: 5 * time.Second}
	if adjust != nil {
		adjust(&cfg)
	}
	return bundle{srv: srv, port: port, client: newClient(t, cfg)}
}

func newClient(t *testing.T, cfg Config) *Client {
	t.Helper()
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// wantCode fails unless err is an *Error with code and a message holding
// each of has.
func wantCode(t *testing.T, err error, code Code, has ...string) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("want %s, got %T %v", code, err, err)
	}
	if e.Code != code {
		t.Fatalf("want %s, got %v", code, e)
	}
	for _, s := range has {
		if !strings.Contains(e.Message, s) {
			t.Errorf("message %q does not contain %q", e.Message, s)
		}
	}
}

// mapResolver resolves names from a table; other names do not exist.
type mapResolver struct {
	mu    sync.Mutex
	names map[string][]string
	calls map[string]int
	// next, if set, answers instead of names for the nth call of a name.
	next func(host string, call int) []string
}

func (r *mapResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.calls == nil {
		r.calls = map[string]int{}
	}
	r.calls[host]++
	answer, ok := r.names[host]
	if r.next != nil {
		answer, ok = r.next(host, r.calls[host]), true
	}
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	var out []netip.Addr
	for _, a := range answer {
		out = append(out, netip.MustParseAddr(a))
	}
	return out, nil
}

func TestSSRFBlocked(t *testing.T) {
	t.Parallel()
	// The allowed server; everything below targets something else.
	b := setup(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, r.URL.Query().Get("to"), http.StatusFound)
	}), func(c *Config) {
		c.Resolver = &mapResolver{names: map[string][]string{
			"internal.test": {"10.0.0.7"},
			"mixed.test":    {"93.184.216.34", "127.0.0.1"},
		}}
	})
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("the guard let a request reach %s", r.URL)
	}))
	defer other.Close()
	_, otherPort, _ := net.SplitHostPort(other.Listener.Addr().String())

	tests := []struct {
		name, url string
		has       []string
	}{
		{"loopback", "http://127.0.0.1:" + otherPort + "/", []string{"request to 127.0.0.1:" + otherPort + " refused: loopback addresses are blocked; an operator can allow it with --http-allow"}},
		{"loopback default port", "http://127.0.0.1/", []string{"127.0.0.1:80", "loopback"}},
		{"allowed address, other port", "http://127.0.0.1:" + otherPort + "/x", []string{"loopback"}},
		{"ipv6 loopback", "http://[::1]:" + otherPort + "/", []string{"[::1]:" + otherPort, "loopback"}},
		{"10/8", "http://10.1.2.3/", []string{"private"}},
		{"192.168/16", "http://192.168.1.1:8080/", []string{"private"}},
		{"172.16/12", "http://172.16.0.1/", []string{"private"}},
		{"cgnat", "http://100.64.0.1/", []string{"carrier-grade NAT"}},
		{"metadata", "http://169.254.169.254/latest/meta-data/", []string{"cloud metadata"}},
		{"metadata ipv6", "http://[fd00:ec2::254]/", []string{"cloud metadata"}},
		{"link-local", "http://169.254.10.10/", []string{"link-local"}},
		{"unspecified", "http://0.0.0.0:" + otherPort + "/", []string{"unspecified"}},
		{"unspecified ipv6", "http://[::]:" + otherPort + "/", []string{"unspecified"}},
		{"ipv4-mapped loopback", "http://[::ffff:127.0.0.1]:" + otherPort + "/", []string{"loopback"}},
		{"nat64 loopback", "http://[64:ff9b::7f00:1]/", []string{"loopback", "embedded"}},
		{"https loopback", "https://127.0.0.1:" + otherPort + "/", []string{"loopback"}},
		{"name resolving to a private address", "http://internal.test/", []string{"internal.test:80 (10.0.0.7)", "private"}},
		{"name with one bad address among good ones", "http://mixed.test/", []string{"(127.0.0.1)", "loopback"}},
		{"redirect from the allowed server to another loopback port", b.srv.URL + "/?to=http://127.0.0.1:" + otherPort + "/", []string{"loopback"}},
		{"redirect to metadata", b.srv.URL + "/?to=http://169.254.169.254/", []string{"cloud metadata"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := b.client.Do(context.Background(), "acme", Request{URL: tt.url})
			wantCode(t, err, CodeSSRFBlocked, tt.has...)
		})
	}
}

// TestLocalhostIsBlocked resolves "localhost" with the system resolver.
func TestLocalhostIsBlocked(t *testing.T) {
	t.Parallel()
	c := newClient(t, Config{Timeout: 2 * time.Second})
	_, err := c.Do(context.Background(), "acme", Request{URL: "http://localhost:1/"})
	wantCode(t, err, CodeSSRFBlocked, "localhost:1 (", "loopback")
}

func TestAllowed(t *testing.T) {
	t.Parallel()
	var got struct {
		method, body, auth string
	}
	var mu sync.Mutex
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		got.method, got.body, got.auth = r.Method, string(body), r.Header.Get("Authorization")
		mu.Unlock()
		w.Header().Set("X-Reply", "yes")
		w.Header().Add("Set-Cookie", "a=1")
		w.Header().Add("Set-Cookie", "b=2")
		w.WriteHeader(http.StatusCreated)
		_, _ = fmt.Fprintf(w, "hello %s", r.URL.Path)
	})
	b := setup(t, handler, func(c *Config) {
		c.Resolver = &mapResolver{names: map[string][]string{"api.test": {"127.0.0.1"}}}
	})
	cidr := newClient(t, Config{Allow: []string{"127.0.0.0/8"}})

	tests := []struct {
		name   string
		client *Client
		url    string
	}{
		{"exact address and port", b.client, b.srv.URL + "/a"},
		{"a name resolving to an allowed address", b.client, "http://api.test:" + b.port + "/a"},
		{"ipv4-mapped form of an allowed address", b.client, "http://[::ffff:127.0.0.1]:" + b.port + "/a"},
		{"cidr entry", cidr, b.srv.URL + "/a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := tt.client.Do(context.Background(), "acme", Request{
				Method: "PATCH", URL: tt.url, Body: []byte(`{"x":1}`),
				Header: http.Header{"Authorization": {"Bearer k"}},
			})
			if err != nil {
				t.Fatal(err)
			}
			if resp.Status != 201 || resp.StatusText != "Created" || string(resp.Body) != "hello /a" ||
				resp.Header.Get("X-Reply") != "yes" || len(resp.Header.Values("Set-Cookie")) != 2 || resp.Redirected || resp.URL != tt.url {
				t.Fatalf("got %+v", resp)
			}
			mu.Lock()
			defer mu.Unlock()
			if got.method != "PATCH" || got.body != `{"x":1}` || got.auth != "Bearer k" {
				t.Fatalf("server saw %+v", got)
			}
		})
	}
}

// TestInjectHeaders: the hook adds headers after the script's, with the
// caller's context, and they follow a redirect.
func TestInjectHeaders(t *testing.T) {
	t.Parallel()
	type key struct{}
	seen := make(chan [2]string, 4)
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/moved" {
			http.Redirect(w, r, "/here", http.StatusFound)
			return
		}
		seen <- [2]string{r.Header.Get("X-Injected"), r.Header.Get("X-Script")}
	})
	b := setup(t, handler, func(c *Config) {
		c.InjectHeaders = func(ctx context.Context, h http.Header) {
			if h.Get("X-Script") == "" {
				t.Errorf("the hook ran before the script's headers were set")
			}
			h.Set("X-Injected", ctx.Value(key{}).(string))
		}
	})
	ctx := context.WithValue(context.Background(), key{}, "from ctx")
	if _, err := b.client.Do(ctx, "acme", Request{URL: b.srv.URL + "/moved", Header: http.Header{"X-Script": {"s"}}}); err != nil {
		t.Fatal(err)
	}
	if got := <-seen; got != [2]string{"from ctx", "s"} {
		t.Fatalf("the server saw %q", got)
	}
}

func TestProxyEnvironmentIgnored(t *testing.T) {
	t.Setenv("HTTP_PROXY", "http://127.0.0.1:1")
	t.Setenv("http_proxy", "http://127.0.0.1:1")
	b := setup(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "direct") }), nil)
	resp, err := b.client.Do(context.Background(), "acme", Request{URL: b.srv.URL})
	if err != nil || string(resp.Body) != "direct" {
		t.Fatalf("got %v %v", resp, err)
	}
}

func TestDNSRebinding(t *testing.T) {
	t.Parallel()
	// The name first answers with the allowed address, then with another
	// loopback address: each new connection resolves and checks again.
	var b bundle
	res := &mapResolver{next: func(host string, call int) []string {
		if call == 1 {
			return []string{"127.0.0.1"}
		}
		return []string{"127.0.0.2"}
	}}
	b = setup(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "close") // no pooled connection to reuse
		_, _ = io.WriteString(w, "ok")
	}), func(c *Config) { c.Resolver = res })
	url := "http://rebind.test:" + b.port + "/"
	if resp, err := b.client.Do(context.Background(), "acme", Request{URL: url}); err != nil || string(resp.Body) != "ok" {
		t.Fatalf("first request: %v %v", resp, err)
	}
	_, err := b.client.Do(context.Background(), "acme", Request{URL: url})
	wantCode(t, err, CodeSSRFBlocked, "rebind.test:"+b.port+" (127.0.0.2)")
}

func TestInvalidRequests(t *testing.T) {
	t.Parallel()
	b := setup(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, r.URL.Query().Get("to"), http.StatusFound)
	}), func(c *Config) { c.MaxRequestBytes = 10 })
	tests := []struct {
		name string
		req  Request
		code Code
		has  string
	}{
		{"file scheme", Request{URL: "file:///etc/passwd"}, CodeInvalidURL, "only http and https"},
		{"ftp scheme", Request{URL: "ftp://example.com/"}, CodeInvalidURL, "only http and https"},
		{"gopher scheme", Request{URL: "gopher://127.0.0.1:70/"}, CodeInvalidURL, "only http and https"},
		{"relative", Request{URL: "/v1/charges"}, CodeInvalidURL, "absolute"},
		{"no host", Request{URL: "http:///x"}, CodeInvalidURL, "no host"},
		{"unparsable", Request{URL: "http://[::1"}, CodeInvalidURL, "not a valid URL"},
		{"redirect to file", Request{URL: b.srv.URL + "/?to=file:///etc/passwd"}, CodeInvalidURL, "redirect refused"},
		{"bad method", Request{URL: b.srv.URL, Method: "GE T"}, CodeInvalidArgument, "method"},
		{"bad header", Request{URL: b.srv.URL, Header: http.Header{"X": {"a\r\nInjected: 1"}}}, CodeInvalidArgument, "header X"},
		{"bad redirect mode", Request{URL: b.srv.URL, Redirect: "sideways"}, CodeInvalidArgument, "redirect mode"},
		{"body too large", Request{URL: b.srv.URL, Method: "POST", Body: []byte("01234567890")}, CodeRequestTooLarge, "11 B, more than the 10 B limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := b.client.Do(context.Background(), "acme", tt.req)
			wantCode(t, err, tt.code, tt.has)
		})
	}
}

func TestRedirects(t *testing.T) {
	t.Parallel()
	// /hop/N redirects to /hop/N-1; /hop/0 answers.
	b := setup(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/hop/"))
		if n == 0 {
			_, _ = io.WriteString(w, "landed")
			return
		}
		http.Redirect(w, r, "/hop/"+strconv.Itoa(n-1), http.StatusFound)
	}), func(c *Config) { c.MaxRedirects = 3 })

	resp, err := b.client.Do(context.Background(), "acme", Request{URL: b.srv.URL + "/hop/3"})
	if err != nil || string(resp.Body) != "landed" || !resp.Redirected || resp.URL != b.srv.URL+"/hop/0" {
		t.Fatalf("three hops: %+v %v", resp, err)
	}
	_, err = b.client.Do(context.Background(), "acme", Request{URL: b.srv.URL + "/hop/4"})
	wantCode(t, err, CodeTooManyRedirects, "more than 3 times")

	resp, err = b.client.Do(context.Background(), "acme", Request{URL: b.srv.URL + "/hop/1", Redirect: "manual"})
	if err != nil || resp.Status != http.StatusFound || resp.Header.Get("Location") != "/hop/0" || resp.Redirected {
		t.Fatalf("manual: %+v %v", resp, err)
	}
	_, err = b.client.Do(context.Background(), "acme", Request{URL: b.srv.URL + "/hop/1", Redirect: "error"})
	wantCode(t, err, CodeUnexpectedRedirect, "redirect mode is \"error\"")
}

func TestResponseSizeCap(t *testing.T) {
	t.Parallel()
	b := setup(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		if r.URL.Query().Get("chunked") == "" {
			w.Header().Set("Content-Length", strconv.Itoa(n))
		}
		for range n {
			_, _ = w.Write([]byte{'x'})
		}
	}), func(c *Config) { c.MaxResponseBytes = 1000 })
	tests := []struct {
		query string
		size  int // -1: too large
	}{
		{"n=1000", 1000},
		{"n=1000&chunked=1", 1000},
		{"n=1001", -1},
		{"n=5000&chunked=1", -1},
	}
	for _, tt := range tests {
		resp, err := b.client.Do(context.Background(), "acme", Request{URL: b.srv.URL + "/?" + tt.query})
		if tt.size < 0 {
			wantCode(t, err, CodeResponseTooLarge, "1000 B limit")
			continue
		}
		if err != nil || len(resp.Body) != tt.size {
			t.Fatalf("%s: %v %v", tt.query, resp, err)
		}
	}
}

// slowServer answers /slow only after its client gives up or release is
// closed, and counts the requests it is holding.
func slowServer(t *testing.T, adjust func(*Config)) (bundle, *atomic.Int32, chan struct{}) {
	t.Helper()
	var holding atomic.Int32
	release := make(chan struct{})
	b := setup(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/slow" {
			_, _ = io.WriteString(w, "fast")
			return
		}
		holding.Add(1)
		defer holding.Add(-1)
		select {
		case <-release:
			_, _ = io.WriteString(w, "slow")
		case <-r.Context().Done():
		}
	}), adjust)
	return b, &holding, release
}

func TestTimeout(t *testing.T) {
	t.Parallel()
	// The request's 50ms must win over the client's 30s: the error names
	// it, and the call ends long before 30s (10s leaves a loaded machine
	// room).
	b, _, _ := slowServer(t, func(c *Config) { c.Timeout = 30 * time.Second })
	start := time.Now()
	_, err := b.client.Do(context.Background(), "acme", Request{URL: b.srv.URL + "/slow", Timeout: 50 * time.Millisecond})
	wantCode(t, err, CodeTimeout, "127.0.0.1:"+b.port, "50ms timeout")
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("a 50ms timeout took %s", d)
	}

	short, _, _ := slowServer(t, func(c *Config) { c.Timeout = 50 * time.Millisecond })
	_, err = short.client.Do(context.Background(), "acme", Request{URL: short.srv.URL + "/slow", Timeout: time.Hour})
	wantCode(t, err, CodeTimeout, "50ms timeout")

	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel)
	_, err = b.client.Do(ctx, "acme", Request{URL: b.srv.URL + "/slow"})
	wantCode(t, err, CodeCancelled, "was cancelled")
	if !errors.Is(err, context.Canceled) {
		t.Errorf("%v does not wrap context.Canceled", err)
	}
}

func TestNetworkErrors(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close() // nothing listens there now
	c := newClient(t, Config{Allow: []string{addr}, Resolver: &mapResolver{}})

	_, err = c.Do(context.Background(), "acme", Request{URL: "http://" + addr + "/"})
	wantCode(t, err, CodeNetworkError, "could not connect to "+addr+": connection refused")
	_, err = c.Do(context.Background(), "acme", Request{URL: "https://nope.test/"})
	wantCode(t, err, CodeNetworkError, `could not resolve host "nope.test": no such host`)

	tlsSrv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer tlsSrv.Close()
	c = newClient(t, Config{Allow: []string{tlsSrv.Listener.Addr().String()}})
	_, err = c.Do(context.Background(), "acme", Request{URL: tlsSrv.URL})
	wantCode(t, err, CodeNetworkError, "TLS certificate of "+tlsSrv.Listener.Addr().String())

	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer plain.Close()
	c = newClient(t, Config{Allow: []string{plain.Listener.Addr().String()}})
	_, err = c.Do(context.Background(), "acme", Request{URL: strings.Replace(plain.URL, "http:", "https:", 1)})
	wantCode(t, err, CodeNetworkError, "server gave HTTP response to HTTPS client")
}

func TestTLS(t *testing.T) {
	t.Parallel()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, r.Proto)
	}))
	defer srv.Close()
	c := newClient(t, Config{Allow: []string{srv.Listener.Addr().String()}, TLSConfig: srv.Client().Transport.(*http.Transport).TLSClientConfig})
	resp, err := c.Do(context.Background(), "acme", Request{URL: srv.URL})
	if err != nil || resp.Status != 200 {
		t.Fatalf("%+v %v", resp, err)
	}
}

func TestTenantConcurrencyCap(t *testing.T) {
	t.Parallel()
	b, holding, release := slowServer(t, func(c *Config) { c.MaxConcurrentPerTenant = 2 })
	var wg sync.WaitGroup
	errs := make(chan error, 3)
	for range 2 {
		wg.Go(func() {
			_, err := b.client.Do(context.Background(), "acme", Request{URL: b.srv.URL + "/slow"})
			errs <- err
		})
	}
	for holding.Load() < 2 {
		time.Sleep(time.Millisecond)
	}
	// acme is at its cap: a third request waits, then gives up.
	_, err := b.client.Do(context.Background(), "acme", Request{URL: b.srv.URL + "/fast", Timeout: 50 * time.Millisecond})
	wantCode(t, err, CodeRateLimited, `tenant "acme" already has 2 outbound requests in flight`)
	// Another tenant is not held back.
	if resp, err := b.client.Do(context.Background(), "globex", Request{URL: b.srv.URL + "/fast"}); err != nil || string(resp.Body) != "fast" {
		t.Fatalf("other tenant: %v %v", resp, err)
	}
	// A waiting request gets the first slot that frees.
	wg.Go(func() {
		resp, err := b.client.Do(context.Background(), "acme", Request{URL: b.srv.URL + "/fast"})
		if err == nil && string(resp.Body) != "fast" {
			err = fmt.Errorf("body %q", resp.Body)
		}
		errs <- err
	})
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if n := b.client.limiter.inFlight("acme"); n != 0 || len(b.client.limiter.tenants) != 0 {
		t.Errorf("slots left: %d, tenants %v", n, b.client.limiter.tenants)
	}
}

func TestConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		cfg  Config
		want string
	}{
		{Config{}, ""},
		{Config{Timeout: time.Microsecond}, "too short"},
		{Config{MaxRedirects: -1}, "negative"},
		{Config{MaxConcurrentPerTenant: -1}, "positive"},
		{Config{Allow: []string{"localhost:9000"}}, `allow entry "localhost:9000"`},
	}
	for _, tt := range tests {
		c, err := New(tt.cfg)
		if tt.want == "" {
			if err != nil {
				t.Errorf("New(%+v): %v", tt.cfg, err)
			} else {
				_ = c.Close()
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("New(%+v) = %v, want %q", tt.cfg, err, tt.want)
		}
	}
}
