// Package ui serves Kiln's admin UI: a single-page app whose TypeScript
// sources live beside this file and whose build (`make ui`, or `npm run
// build` here) lands in dist/, which go:embed puts into the binary.
//
// dist/ is committed, so `go build` and `go install` embed the UI without
// npm. Whoever changes the sources rebuilds it and commits it with them;
// `make ui-check` (run by CI) fails when the committed dist/ is not what the
// sources build to. If dist/ holds only .gitkeep (a build that failed
// half-way), the handler answers with a page that says how to rebuild it.
package ui

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
)

//go:embed all:dist
var dist embed.FS

// ContentSecurityPolicy is sent with every response of the UI. Everything
// comes from the server itself: Monaco's workers are same-origin scripts
// (blob: is allowed for browsers that wrap them), Monaco sets inline styles,
// its codicon font is a bundled file, and the API is same-origin.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; " +
	"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// Handler serves the embedded UI: files from dist/, index.html for any
// other path (the app routes on the client), and a "not built" page when
// dist/ has no index.html. Mount it where no other route matches; it
// answers only GET and HEAD.
func Handler() http.Handler {
	files, err := fs.Sub(dist, "dist")
	if err != nil {
		// fs.Sub fails only on an invalid path; "dist" is valid.
		panic(err)
	}
	return newHandler(files)
}

// handler serves files from an fs.FS, keeping each file's bytes, gzipped
// bytes and ETag once computed (the embedded files never change).
type handler struct {
	files fs.FS
	cache sync.Map // path → *asset
}

type asset struct {
	body, gzipped []byte
	etag          string
	contentType   string
}

func newHandler(files fs.FS) *handler { return &handler{files: files} }

// hashedPrefix is where the build puts files whose names carry a content
// hash: they never change, so browsers may keep them for a year.
const hashedPrefix = "assets/"

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hdr := w.Header()
	hdr.Set("Content-Security-Policy", ContentSecurityPolicy)
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Referrer-Policy", "no-referrer")
	hdr.Set("X-Frame-Options", "DENY")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		hdr.Set("Allow", "GET, HEAD")
		http.Error(w, "the admin UI answers only GET and HEAD", http.StatusMethodNotAllowed)
		return
	}

	name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
	a, err := h.load(name)
	switch {
	case err == nil:
		if strings.HasPrefix(name, hashedPrefix) {
			hdr.Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			hdr.Set("Cache-Control", "no-cache")
		}
	case strings.HasPrefix(name, hashedPrefix) || path.Ext(name) != "":
		// A missing file, not an app route: index.html would be served
		// as JavaScript or CSS and fail in confusing ways.
		hdr.Set("Cache-Control", "no-cache")
		http.Error(w, "not found: "+r.URL.Path, http.StatusNotFound)
		return
	default:
		a, err = h.load("index.html")
		if err != nil {
			notBuilt(w)
			return
		}
		hdr.Set("Cache-Control", "no-cache")
	}
	h.write(w, r, a)
}

// load returns the named file, or an error when it is missing, a
// directory, or hidden (a name starting with a dot, like .gitkeep).
func (h *handler) load(name string) (*asset, error) {
	if name == "" || name == "." {
		name = "index.html"
	}
	if v, ok := h.cache.Load(name); ok {
		return v.(*asset), nil
	}
	for _, part := range strings.Split(name, "/") {
		if strings.HasPrefix(part, ".") {
			return nil, fs.ErrNotExist
		}
	}
	body, err := fs.ReadFile(h.files, name)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(body)
	a := &asset{body: body, etag: `"` + hex.EncodeToString(sum[:12]) + `"`, contentType: contentType(name)}
	if compressible(a.contentType) && len(body) > 1024 {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		_, _ = zw.Write(body)
		_ = zw.Close()
		if buf.Len() < len(body) {
			a.gzipped = buf.Bytes()
		}
	}
	v, _ := h.cache.LoadOrStore(name, a)
	return v.(*asset), nil
}

func (h *handler) write(w http.ResponseWriter, r *http.Request, a *asset) {
	hdr := w.Header()
	hdr.Set("Content-Type", a.contentType)
	hdr.Set("ETag", a.etag)
	if a.gzipped != nil {
		hdr.Add("Vary", "Accept-Encoding")
	}
	if match := r.Header.Get("If-None-Match"); match != "" && etagMatches(match, a.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	body := a.body
	if a.gzipped != nil && acceptsGzip(r) {
		hdr.Set("Content-Encoding", "gzip")
		body = a.gzipped
	}
	hdr.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

func etagMatches(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == etag {
			return true
		}
	}
	return false
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(coding), "gzip") && strings.ReplaceAll(params, " ", "") != "q=0" {
			return true
		}
	}
	return false
}

// contentTypes covers what the build emits, independent of the host's
// mime.types (a minimal container may have none).
var contentTypes = map[string]string{
	".html":  "text/html; charset=utf-8",
	".js":    "text/javascript; charset=utf-8",
	".mjs":   "text/javascript; charset=utf-8",
	".css":   "text/css; charset=utf-8",
	".json":  "application/json",
	".map":   "application/json",
	".svg":   "image/svg+xml",
	".png":   "image/png",
	".ico":   "image/x-icon",
	".ttf":   "font/ttf",
	".woff":  "font/woff",
	".woff2": "font/woff2",
	".wasm":  "application/wasm",
	".txt":   "text/plain; charset=utf-8",
}

func contentType(name string) string {
	ext := strings.ToLower(path.Ext(name))
	if t, ok := contentTypes[ext]; ok {
		return t
	}
	if t := mime.TypeByExtension(ext); t != "" {
		return t
	}
	return "application/octet-stream"
}

func compressible(contentType string) bool {
	return strings.HasPrefix(contentType, "text/") || strings.HasPrefix(contentType, "application/json") ||
		strings.HasPrefix(contentType, "image/svg") || strings.HasPrefix(contentType, "font/ttf") ||
		strings.HasPrefix(contentType, "application/wasm")
}

const notBuiltPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Kiln: admin UI not built</title></head>
<body style="font: 16px/1.5 system-ui, sans-serif; max-width: 40rem; margin: 4rem auto; padding: 0 1rem">
<h1>The admin UI is not built</h1>
<p>This kiln binary was compiled with an empty <code>ui/dist</code>. Restore the committed build
(<code>git checkout ui/dist</code>) or rebuild it with <code>make ui</code>, and build kiln again.</p>
<p>The HTTP API works without it: see <a href="/api/openapi.json">/api/openapi.json</a>.</p>
</body></html>
`

func notBuilt(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusServiceUnavailable)
	_, _ = w.Write([]byte(notBuiltPage))
}
