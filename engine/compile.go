package engine

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"sync"

	"github.com/dop251/goja"
	"github.com/dop251/goja/parser"
	"github.com/evanw/esbuild/pkg/api"
)

// Source is a script to compile: one entry file and, optionally, the folder
// tree its relative imports may reach.
type Source struct {
	// Name is the entry file's path as the user knows it ("hello.ts",
	// "handlers/order.ts"). Its extension picks the loader: .ts, .js, .mjs,
	// .cjs.
	Name string
	// Code is the entry file's content.
	Code string
	// Files holds the folder tree that relative imports resolve in, rooted at
	// the entry's folder; Name is relative to this root too. Nil means the
	// script can import nothing.
	Files fs.FS
}

// Program is a compiled script: bundled, lowered for goja and compiled. It is
// immutable and safe to run in many VMs at once.
type Program struct {
	// Name is the entry file's name.
	Name string
	// Hash is the content hash of everything the program was built from.
	Hash string
	// JS is the bundled JavaScript, with an inline source map.
	JS string

	program *goja.Program
	// syntax tells which guarded intrinsics the program can create
	// (syntax.go); the zero value, for a Program made elsewhere, means all.
	syntax syntaxFeatures
}

// compiler bundles and compiles sources, caching programs by content hash.
type compiler struct {
	mu    sync.Mutex
	cache map[string]*cacheEntry
	order []string // insertion order, for a simple bounded cache
	limit int
}

type cacheEntry struct {
	program *Program
	// deps are the imported files (other than the entry) and their hashes;
	// a cached entry is valid only while every one still hashes the same.
	deps map[string]string
}

func newCompiler(limit int) *compiler {
	return &compiler{cache: make(map[string]*cacheEntry), limit: limit}
}

var loaders = map[string]api.Loader{
	".ts": api.LoaderTS, ".mts": api.LoaderTS, ".cts": api.LoaderTS,
	".js": api.LoaderJS, ".mjs": api.LoaderJS, ".cjs": api.LoaderJS,
	".json": api.LoaderJSON,
}

// resolveOrder is the order in which an extension-less import is tried.
var resolveOrder = []string{"", ".ts", ".js", ".mjs", ".cjs", ".mts", ".cts", ".json", "/index.ts", "/index.js"}

func hashString(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		fmt.Fprintf(h, "%d:%s;", len(p), p)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// compile returns the program for src, from the cache when nothing it was
// built from has changed.
func (c *compiler) compile(src Source) (*Program, error) {
	name := path.Clean(strings.TrimPrefix(src.Name, "./"))
	if _, ok := loaders[path.Ext(name)]; !ok || path.Ext(name) == ".json" {
		return nil, Errorf(CodeInvalidArgument, "%s: a script must be a .ts, .js, .mjs or .cjs file", src.Name)
	}
	key := hashString(name, src.Code)
	if p := c.lookup(key, src.Files); p != nil {
		return p, nil
	}
	js, deps, err := bundle(name, src.Code, src.Files)
	if err != nil {
		return nil, err
	}
	prg, err := goja.Parse(name, js, parser.WithSourceMapLoader(refuseSourceMapFile))
	if err != nil {
		return nil, &Error{Code: CodeSyntaxError, Message: "the bundled script does not parse: " + err.Error(), Position: name}
	}
	syntax := prepareProgram(prg) // before compiling: it rewrites direct evals
	compiled, err := goja.CompileAST(prg, false)
	if err != nil {
		return nil, &Error{Code: CodeSyntaxError, Message: err.Error(), Position: name}
	}
	p := &Program{Name: name, Hash: key, JS: js, program: compiled, syntax: syntax}
	c.store(key, &cacheEntry{program: p, deps: deps})
	return p, nil
}

// refuseSourceMapFile keeps goja's parser from reading a source map from the
// host file system: only the inline map the bundler wrote is used.
func refuseSourceMapFile(string) ([]byte, error) {
	return nil, errors.New("source maps are only read inline")
}

func (c *compiler) lookup(key string, files fs.FS) *Program {
	c.mu.Lock()
	e := c.cache[key]
	c.mu.Unlock()
	if e == nil {
		return nil
	}
	for dep, h := range e.deps {
		if files == nil {
			return nil
		}
		b, err := fs.ReadFile(files, dep)
		if err != nil || hashString(string(b)) != h {
			return nil
		}
	}
	return e.program
}

func (c *compiler) store(key string, e *cacheEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.cache[key]; !ok {
		c.order = append(c.order, key)
	}
	c.cache[key] = e
	for len(c.order) > c.limit {
		delete(c.cache, c.order[0])
		c.order = c.order[1:]
	}
}

const namespace = "kiln"

// The bundle is CommonJS wrapped in a function expression, so that running
// the program defines no globals and yields the module factory. goja's
// source-map finder skips a trailing "})" line, which is why the footer is
// exactly that.
const (
	bundleBanner = "(function (module, exports) {"
	bundleFooter = "})"
)

// bundle transforms and bundles the entry and its relative imports in memory.
func bundle(entry, code string, files fs.FS) (string, map[string]string, error) {
	deps := map[string]string{}
	var mu sync.Mutex
	plugin := api.Plugin{
		Name: "kiln-sandbox",
		Setup: func(b api.PluginBuild) {
			b.OnResolve(api.OnResolveOptions{Filter: ".*"}, func(args api.OnResolveArgs) (api.OnResolveResult, error) {
				if args.Kind == api.ResolveEntryPoint {
					return api.OnResolveResult{Path: entry, Namespace: namespace}, nil
				}
				return resolveImport(args, files)
			})
			b.OnLoad(api.OnLoadOptions{Filter: ".*", Namespace: namespace}, func(args api.OnLoadArgs) (api.OnLoadResult, error) {
				text := code
				if args.Path != entry {
					b, err := fs.ReadFile(files, args.Path)
					if err != nil {
						return api.OnLoadResult{}, fmt.Errorf("cannot read %s", args.Path)
					}
					text = string(b)
					mu.Lock()
					deps[args.Path] = hashString(text)
					mu.Unlock()
				}
				return api.OnLoadResult{Contents: &text, Loader: loaders[path.Ext(args.Path)]}, nil
			})
		},
	}
	result := api.Build(api.BuildOptions{
		EntryPoints: []string{entry},
		Bundle:      true,
		Write:       false,
		Outfile:     "out.js",
		Format:      api.FormatCommonJS,
		Platform:    api.PlatformNeutral,
		// The syntax goja supports is passed through, not lowered: lowering
		// changes what scripts see (a private method's name, the order in
		// which class fields are defined) and moves code where goja
		// mishandles it. What goja lacks is lowered, or refused.
		Target:    api.ESNext,
		Supported: gojaSupport,
		// Every statement of the script runs, even one whose result nothing
		// uses: an unused `try { x; let x } catch {}` throws and is caught.
		TreeShaking:    api.TreeShakingFalse,
		Sourcemap:      api.SourceMapInline,
		SourcesContent: api.SourcesContentExclude,
		Charset:        api.CharsetUTF8,
		LegalComments:  api.LegalCommentsNone,
		Banner:         map[string]string{"js": bundleBanner},
		Footer:         map[string]string{"js": bundleFooter},
		LogLevel:       api.LogLevelSilent,
		Plugins:        []api.Plugin{plugin},
	})
	if len(result.Errors) > 0 {
		return "", nil, buildError(result.Errors)
	}
	if len(result.OutputFiles) != 1 {
		return "", nil, Errorf(CodeInternal, "the bundler produced %d files, want 1", len(result.OutputFiles))
	}
	return string(result.OutputFiles[0].Contents), deps, nil
}

// gojaSupport marks the syntax of ESNext that goja lacks: async
// generators and for await are lowered, explicit resource management
// (using) and decorators too; import() is refused (a script imports only
// its own files, statically).
var gojaSupport = map[string]bool{
	"async-generator": false, "for-await": false, "using": false, "decorators": false,
	"dynamic-import": false,
}

// nodeBuiltins are named in the refusal so a user who tries `fs` learns why.
var nodeBuiltins = map[string]bool{
	"fs": true, "path": true, "os": true, "child_process": true, "http": true, "https": true,
	"net": true, "process": true, "crypto": true, "util": true, "stream": true, "events": true,
	"buffer": true, "worker_threads": true, "vm": true, "dns": true, "tls": true, "cluster": true,
}

func resolveImport(args api.OnResolveArgs, files fs.FS) (api.OnResolveResult, error) {
	spec := args.Path
	if !strings.HasPrefix(spec, "./") && !strings.HasPrefix(spec, "../") {
		bare := strings.TrimPrefix(spec, "node:")
		why := "a script can import only files from its own folder, with a relative path such as './util'"
		if nodeBuiltins[bare] {
			why = "Kiln scripts have no file system, processes or Node built-ins; use the iota SDK and web globals instead"
		}
		return api.OnResolveResult{}, fmt.Errorf("import of %q is not allowed: %s", spec, why)
	}
	if files == nil {
		return api.OnResolveResult{}, fmt.Errorf("import of %q is not allowed: this script was saved as a single file, so it cannot import other files", spec)
	}
	p := path.Join(path.Dir(args.Importer), spec)
	if p == ".." || strings.HasPrefix(p, "../") {
		return api.OnResolveResult{}, fmt.Errorf("import of %q is not allowed: it leaves the script's folder", spec)
	}
	for _, suffix := range resolveOrder {
		candidate := p + suffix
		if _, ok := loaders[path.Ext(candidate)]; !ok {
			continue
		}
		if st, err := fs.Stat(files, candidate); err == nil && !st.IsDir() {
			return api.OnResolveResult{Path: candidate, Namespace: namespace}, nil
		}
	}
	return api.OnResolveResult{}, fmt.Errorf("cannot find %q (looked for %s with .ts, .js, .mjs, .cjs, .json)", spec, p)
}

// buildError turns the bundler's first error into a SYNTAX_ERROR (or a
// SANDBOX_VIOLATION for a refused import) at the user's line and column.
func buildError(msgs []api.Message) *Error {
	m := msgs[0]
	code := CodeSyntaxError
	if strings.Contains(m.Text, "is not allowed") {
		code = CodeSandboxViolation
	}
	e := &Error{Code: code, Message: m.Text}
	if loc := m.Location; loc != nil {
		e.Position = fmt.Sprintf("%s:%d:%d", strings.TrimPrefix(loc.File, namespace+":"), loc.Line, loc.Column+1)
		if loc.LineText != "" {
			e.Message += "\n    " + strings.TrimSpace(loc.LineText)
		}
	}
	if len(msgs) > 1 {
		e.Message += fmt.Sprintf(" (and %d more errors)", len(msgs)-1)
	}
	return e
}
