package engine

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/evanw/esbuild/pkg/api"
)

// The transform turns each file of a script into CommonJS that goja runs,
// one file at a time, and links the files itself (link.go). esbuild's
// bundler would make one file of them, but to do so it rewrites every
// file's top level: let, const and class become var (losing the temporal
// dead zone and a class's inner name), an assignment to a constant becomes
// a compile error instead of a TypeError, and names that two files share
// are renamed. Transformed alone, a file keeps the semantics it was written
// with.

const namespace = "kiln"

// sourcePrefix starts the name of every file of a script in its source
// map, so that stack frames in the user's code can be told apart (and
// stripped of it). It ends in a slash so that esbuild names a file's
// default export after the file alone (hello_default, not kiln_hello_default).
const sourcePrefix = namespace + ":/"

// Each file becomes a function expression, so that running its program
// defines no globals and yields the file's factory, called with its own
// module, exports and require. goja's source-map finder skips a trailing
// "})" line, which is why the footer is exactly that.
const (
	moduleBanner = "(function (module, exports, require) {"
	moduleFooter = "})"
	// strictBanner is the banner of an ES module, which is strict code;
	// esbuild writes none of its own when it turns one into CommonJS. It
	// replaces moduleBanner on the banner's own line, so that the source
	// map's lines stay right.
	strictBanner = moduleBanner + `"use strict";`
)

// gojaSupport marks the syntax of ESNext that goja lacks: async
// generators and for await are lowered, explicit resource management
// (using) and decorators too; import() becomes a require of the script's
// own file, like a static import.
var gojaSupport = map[string]bool{
	"async-generator": false, "for-await": false, "using": false, "decorators": false,
	"dynamic-import": false,
}

// transformFile transforms one file and lists the specifiers its require
// calls name: its static imports, import() of a literal and require of a
// literal.
func transformFile(p, text string) (js string, specs []string, err error) {
	js, specs, esm, calls, err := transformOnce(p, text, nil)
	if err != nil || !esm || !strings.Contains(text, "require") {
		return js, specs, err
	}
	// An ES module has no require (DESIGN: typeof require is "undefined",
	// so a UMD bundle takes its plain-script path), but its factory gets
	// the linker's require for the imports esbuild turns into require
	// calls. So the module's own mentions of require name a global that
	// does not exist; esbuild's calls are untouched. A module that
	// requires one of the script's files by a literal name (mixing require
	// and import, as bundlers allow) keeps the linker's require: the
	// second pass then makes fewer require calls than the first.
	js2, _, _, calls2, err2 := transformOnce(p, text, map[string]string{"require": noRequire})
	if err2 != nil || calls2 != calls {
		// The first pass stands: it compiled, and its require is the
		// linker's.
		return js, specs, err
	}
	return js2, specs, err
}

// noRequire is what an ES module's require becomes: no global has this
// name, so typeof is "undefined" and a call is a ReferenceError
// (jserror.go reports it as require's).
const noRequire = "__kiln_no_require"

// transformOnce is one esbuild run over the file; esm reports whether the
// file is an ES module, calls how many require calls of a literal its
// output makes (its imports' and its own).
func transformOnce(p, text string, define map[string]string) (js string, specs []string, esm bool, calls int, err error) {
	result := api.Build(api.BuildOptions{
		Define: define,
		Stdin:  &api.StdinOptions{Contents: text, Sourcefile: sourcePrefix + p, Loader: loaders[path.Ext(p)]},
		// Not bundled: each file keeps its own top level (see above).
		Bundle:   false,
		Write:    false,
		Format:   api.FormatCommonJS,
		Platform: api.PlatformNeutral,
		// The syntax goja supports is passed through, not lowered: lowering
		// changes what scripts see (a private method's name, the order in
		// which class fields are defined) and moves code where goja
		// mishandles it. What goja lacks is lowered.
		Target:    api.ESNext,
		Supported: gojaSupport,
		// Every statement of the script runs, even one whose result nothing
		// uses: an unused `try { x; let x } catch {}` throws and is caught.
		TreeShaking:    api.TreeShakingFalse,
		Sourcemap:      api.SourceMapInline,
		SourcesContent: api.SourcesContentExclude,
		Charset:        api.CharsetUTF8,
		LegalComments:  api.LegalCommentsNone,
		// esbuild renames a binding that would shadow another (var g =
		// function g() {} became function g2), which changes the
		// function's name; it then sets the name back.
		KeepNames: true,
		Banner:    map[string]string{"js": moduleBanner},
		Footer:    map[string]string{"js": moduleFooter},
		Metafile:  true,
		LogLevel:  api.LogLevelSilent,
	})
	if len(result.Errors) > 0 {
		return "", nil, false, 0, buildError(result.Errors)
	}
	if len(result.OutputFiles) != 1 {
		return "", nil, false, 0, Errorf(CodeInternal, "the transform produced %d files, want 1", len(result.OutputFiles))
	}
	var meta struct {
		Inputs map[string]struct {
			Format string `json:"format"`
		} `json:"inputs"`
		Outputs map[string]struct {
			Imports []struct {
				Path string `json:"path"`
			} `json:"imports"`
		} `json:"outputs"`
	}
	if err := json.Unmarshal([]byte(result.Metafile), &meta); err != nil {
		return "", nil, false, 0, Errorf(CodeInternal, "the transform's metafile: %v", err)
	}
	js = string(result.OutputFiles[0].Contents)
	esm = meta.Inputs[sourcePrefix+p].Format == "esm" || path.Ext(p) == ".mjs" || path.Ext(p) == ".mts"
	if esm {
		js = strings.Replace(js, moduleBanner, strictBanner, 1)
	}
	seen := map[string]bool{}
	for _, o := range meta.Outputs {
		for _, imp := range o.Imports {
			calls++
			if !seen[imp.Path] {
				seen[imp.Path] = true
				specs = append(specs, imp.Path)
			}
		}
	}
	return js, specs, esm, calls, nil
}

// nodeBuiltins are named in the refusal so a user who tries `fs` learns why.
var nodeBuiltins = map[string]bool{
	"fs": true, "path": true, "os": true, "child_process": true, "http": true, "https": true,
	"net": true, "process": true, "crypto": true, "util": true, "stream": true, "events": true,
	"buffer": true, "worker_threads": true, "vm": true, "dns": true, "tls": true, "cluster": true,
}

// resolveImport finds the file spec names when the file importer imports it.
func resolveImport(spec, importer string, files fs.FS) (string, *Error) {
	if !strings.HasPrefix(spec, "./") && !strings.HasPrefix(spec, "../") {
		bare := strings.TrimPrefix(spec, "node:")
		why := "a script can import only files from its own folder, with a relative path such as './util'"
		if nodeBuiltins[bare] {
			why = "Kiln scripts have no file system, processes or Node built-ins; use the iota SDK and web globals instead"
		}
		return "", Errorf(CodeSandboxViolation, "import of %q is not allowed: %s", spec, why)
	}
	if files == nil {
		return "", Errorf(CodeSandboxViolation, "import of %q is not allowed: this script was saved as a single file, so it cannot import other files", spec)
	}
	p := path.Join(path.Dir(importer), spec)
	if p == ".." || strings.HasPrefix(p, "../") {
		return "", Errorf(CodeSandboxViolation, "import of %q is not allowed: it leaves the script's folder", spec)
	}
	for _, suffix := range resolveOrder {
		candidate := p + suffix
		if _, ok := loaders[path.Ext(candidate)]; !ok {
			continue
		}
		if st, err := fs.Stat(files, candidate); err == nil && !st.IsDir() {
			return candidate, nil
		}
	}
	return "", Errorf(CodeSyntaxError, "cannot find %q (looked for %s with .ts, .js, .mjs, .cjs, .json)", spec, p)
}

// importError places err, a refused or missing import of spec, at the
// specifier in the importing file's text: the first place it is written
// in quotes.
func importError(err *Error, spec, file, text string) *Error {
	err.Position = file
	for _, q := range []string{`"`, `'`, "`"} {
		i := strings.Index(text, q+spec+q)
		if i < 0 {
			continue
		}
		line := strings.Count(text[:i], "\n") + 1
		start := strings.LastIndexByte(text[:i], '\n') + 1
		col := len([]rune(text[start:i])) + 1
		err.Position = fmt.Sprintf("%s:%d:%d", file, line, col)
		end := strings.IndexByte(text[i:], '\n')
		if end < 0 {
			end = len(text) - i
		}
		err.Message += "\n    " + strings.TrimSpace(text[start:i+end])
		break
	}
	return err
}

// buildError turns esbuild's first error into a SYNTAX_ERROR at the user's
// line and column.
func buildError(msgs []api.Message) *Error {
	m := msgs[0]
	e := &Error{Code: CodeSyntaxError, Message: m.Text}
	if loc := m.Location; loc != nil {
		e.Position = fmt.Sprintf("%s:%d:%d", strings.TrimPrefix(loc.File, sourcePrefix), loc.Line, loc.Column+1)
		if loc.LineText != "" {
			e.Message += "\n    " + strings.TrimSpace(loc.LineText)
		}
	}
	if len(msgs) > 1 {
		e.Message += fmt.Sprintf(" (and %d more errors)", len(msgs)-1)
	}
	return e
}
