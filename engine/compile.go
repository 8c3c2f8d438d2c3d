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

// Program is a compiled script: each of its files transformed for goja
// (transform.go) and compiled. It is immutable and safe to run in many VMs
// at once.
type Program struct {
	// Name is the entry file's name.
	Name string
	// Hash is the content hash of everything the program was built from.
	Hash string
	// JS is the entry file's JavaScript as goja runs it, with an inline
	// source map.
	JS string

	// modules are the program's files by path; the entry is modules[Name].
	modules map[string]*module
	// syntax tells which guarded intrinsics the program can create
	// (syntax.go); the zero value, for a Program made elsewhere, means all.
	syntax syntaxFeatures
}

// module is one file of a program, compiled.
type module struct {
	// program evaluates to the file's factory, a function of (module,
	// exports, require).
	program *goja.Program
	// imports maps each specifier the file may require to a file of the
	// program.
	imports map[string]string
}

// compiler transforms and compiles sources, caching programs by content
// hash.
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
	files, deps, err := transformAll(name, src.Code, src.Files)
	if err != nil {
		return nil, err
	}
	p := &Program{Name: name, Hash: key, JS: files[name].js, modules: make(map[string]*module, len(files)), syntax: syntaxKnown}
	for file, t := range files {
		prg, err := goja.Parse(file, t.js, parser.WithSourceMapLoader(refuseSourceMapFile))
		if err != nil {
			return nil, &Error{Code: CodeSyntaxError, Message: "the transformed script does not parse: " + err.Error(), Position: file}
		}
		p.syntax |= prepareProgram(prg) // before compiling: it rewrites direct evals
		compiled, err := goja.CompileAST(prg, false)
		if err != nil {
			return nil, &Error{Code: CodeSyntaxError, Message: err.Error(), Position: file}
		}
		p.modules[file] = &module{program: compiled, imports: t.imports}
	}
	c.store(key, &cacheEntry{program: p, deps: deps})
	return p, nil
}

// refuseSourceMapFile keeps goja's parser from reading a source map from the
// host file system: only the inline map the transform wrote is used.
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
