package engine

import (
	"container/list"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"strings"
	"sync"

	"github.com/evanw/esbuild/pkg/api"
	"github.com/kiln-run/kiln/internal/goja"
	"github.com/kiln-run/kiln/internal/goja/parser"
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
// hash, and each file of them by its path and content: a script saved
// with one file changed compiles that file alone.
type compiler struct {
	programs *boundedCache[*cacheEntry]
	files    *boundedCache[*compiledFile]
}

type cacheEntry struct {
	program *Program
	// deps are the imported files (other than the entry) and their hashes;
	// a cached entry is valid only while every one still hashes the same.
	deps map[string]string
}

// compiledFile is one file transformed and compiled: what does not depend
// on the folder around it (its imports are resolved for each program).
type compiledFile struct {
	js string
	// specs are the specifiers of the file's require calls.
	specs   []string
	program *goja.Program
	syntax  syntaxFeatures
}

// filesPerProgram is how many files the file cache keeps per program the
// program cache keeps.
const filesPerProgram = 4

func newCompiler(limit int) *compiler {
	return &compiler{
		programs: newBoundedCache[*cacheEntry](limit),
		files:    newBoundedCache[*compiledFile](limit * filesPerProgram),
	}
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
	p := &Program{Name: name, Hash: key, modules: map[string]*module{}, syntax: syntaxKnown}
	deps := map[string]string{}
	queue := []string{name}
	for len(queue) > 0 {
		file := queue[0]
		queue = queue[1:]
		if p.modules[file] != nil {
			continue
		}
		text := exportMain(src.Code)
		if file != name {
			b, err := fs.ReadFile(src.Files, file)
			if err != nil {
				return nil, Errorf(CodeSyntaxError, "cannot read %s", file)
			}
			text = string(b)
			deps[file] = hashString(text)
		}
		f, err := c.compileFile(file, text)
		if err != nil {
			return nil, err
		}
		m := &module{program: f.program, imports: make(map[string]string, len(f.specs))}
		for _, spec := range f.specs {
			target, err := resolveImport(spec, file, src.Files)
			if err != nil {
				return nil, importError(err, spec, file, text)
			}
			m.imports[spec] = target
			queue = append(queue, target)
		}
		p.modules[file] = m
		p.syntax |= f.syntax
		if file == name {
			p.JS = f.js
		}
	}
	c.programs.put(key, &cacheEntry{program: p, deps: deps})
	return p, nil
}

// plainMain finds a call-control script's plain `function Main(…)`.
var plainMain = regexp.MustCompile(`(?m)^function\s+Main\s*\(`)

// exportMain exports a script's plain top-level Main function when the
// script exports nothing, as a PBX script author writes it: `function
// Main(params) { … }` is its handler. The export goes after the last line,
// so that positions in the source stay as written.
func exportMain(code string) string {
	if !plainMain.MatchString(code) || strings.Contains(code, "export ") || strings.Contains(code, "exports") {
		return code
	}
	return code + "\nexport { Main };\n"
}

// compileFile transforms and compiles the file at p (whose content is
// text), or returns it from the file cache.
func (c *compiler) compileFile(p, text string) (*compiledFile, error) {
	key := hashString(p, text)
	if f, ok := c.files.get(key); ok {
		return f, nil
	}
	js, specs, err := transformFile(p, text)
	if err != nil {
		return nil, err
	}
	prg, err := goja.Parse(p, js, parser.WithSourceMapLoader(refuseSourceMapFile))
	if err != nil {
		return nil, &Error{Code: CodeSyntaxError, Message: "the transformed script does not parse: " + err.Error(), Position: p}
	}
	syntax := prepareProgram(prg) // before compiling: it rewrites direct evals
	compiled, err := goja.CompileAST(prg, false)
	if err != nil {
		return nil, &Error{Code: CodeSyntaxError, Message: err.Error(), Position: p}
	}
	f := &compiledFile{js: js, specs: specs, program: compiled, syntax: syntax}
	c.files.put(key, f)
	return f, nil
}

// refuseSourceMapFile keeps goja's parser from reading a source map from the
// host file system: only the inline map the transform wrote is used.
func refuseSourceMapFile(string) ([]byte, error) {
	return nil, errors.New("source maps are only read inline")
}

func (c *compiler) lookup(key string, files fs.FS) *Program {
	e, ok := c.programs.get(key)
	if !ok {
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

// boundedCache is a map that keeps its limit most recently used entries.
// It is safe for concurrent use.
type boundedCache[V any] struct {
	mu      sync.Mutex
	entries map[string]*list.Element // of *cached[V]
	recent  *list.List               // front: most recently used
	limit   int
}

type cached[V any] struct {
	key   string
	value V
}

func newBoundedCache[V any](limit int) *boundedCache[V] {
	return &boundedCache[V]{entries: map[string]*list.Element{}, recent: list.New(), limit: limit}
}

func (b *boundedCache[V]) get(key string) (V, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	el, ok := b.entries[key]
	if !ok {
		var zero V
		return zero, false
	}
	b.recent.MoveToFront(el)
	return el.Value.(*cached[V]).value, true
}

func (b *boundedCache[V]) put(key string, v V) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if el, ok := b.entries[key]; ok {
		el.Value.(*cached[V]).value = v
		b.recent.MoveToFront(el)
		return
	}
	b.entries[key] = b.recent.PushFront(&cached[V]{key: key, value: v})
	for b.recent.Len() > b.limit {
		oldest := b.recent.Back()
		b.recent.Remove(oldest)
		delete(b.entries, oldest.Value.(*cached[V]).key)
	}
}
