package tc39

import (
	"errors"
	"path"
	"slices"
	"strings"
)

// The parts of test262 that are vendored and run (paths under test/): the
// built-ins and the syntax scripts use most. docs/conformance.md lists them.
var roots = []string{
	"built-ins/Array",
	"built-ins/Date",
	"built-ins/JSON",
	"built-ins/Map",
	"built-ins/Object",
	"built-ins/Promise",
	"built-ins/Proxy",
	"built-ins/Reflect",
	"built-ins/RegExp",
	"built-ins/Set",
	"built-ins/String",
	"built-ins/Symbol",
	"built-ins/TypedArray",
	"built-ins/TypedArrayConstructors",
	"language/destructuring",
	"language/expressions/assignment/dstr",
	"language/expressions/async-arrow-function",
	"language/expressions/async-function",
	"language/expressions/await",
	"language/expressions/class",
	"language/expressions/coalesce",
	"language/expressions/optional-chaining",
	"language/statements/async-function",
	"language/statements/class",
	"language/statements/const",
	"language/statements/for-of",
	"language/statements/let",
	"language/statements/try",
}

// leftOut keeps the vendored data small (under 15 MB) where test262
// repeats one test in many generated variants: it reports whether the test
// at p (a path under test/) is one of the variants not run. What is kept
// still has every destructuring pattern and every class element kind; what
// is left out repeats them in other method kinds or source placements.
func leftOut(p string) bool {
	dir, file := path.Split(p)
	switch dir {
	case "language/statements/class/dstr/":
		// Destructuring in method parameters, generated for eight method
		// kinds and for class declarations and expressions: those in
		// declared classes' static private methods run.
		return !methodKind(file, "private-meth-static-")
	case "language/expressions/class/dstr/":
		// The same patterns in class expressions' methods.
		return true
	case "language/statements/class/elements/":
		// test262 generates every class element kind in each of 17
		// placements in the class body (same line, after a semicolon, …);
		// four of them run for class declarations and two others for
		// class expressions.
		return hasPrefix(file, placements...) && !hasPrefix(file, "regular-definitions-",
			"multiple-definitions-", "same-line-gen-", "after-same-line-static-async-method-")
	case "language/expressions/class/elements/":
		return hasPrefix(file, placements...) && !hasPrefix(file, "same-line-method-", "wrapped-in-sc-")
	case "language/statements/for-of/dstr/":
		// Binding patterns in for (var …) and for (let …) repeat those in
		// for (const …); the assignment patterns (array-…, obj-…) are
		// expressions/assignment/dstr's, which run.
		return !strings.HasPrefix(file, "const-")
	case "language/statements/const/dstr/":
		// The binding patterns of let/dstr, which run.
		return true
	case "built-ins/Array/prototype/reduceRight/", "built-ins/Array/prototype/lastIndexOf/",
		"built-ins/Array/prototype/some/":
		// ES5's numbered tests (15.4.4.x-…) of these mirror those of
		// reduce, indexOf and every, which run; the newer ones run.
		return strings.HasPrefix(file, "15.4.4.")
	case "language/expressions/class/elements/syntax/early-errors/":
		// The same grammar as class declarations', which run.
		return true
	case "built-ins/Object/defineProperty/":
		// ES5's numbered tests of ToPropertyDescriptor (15.2.3.6-3-…):
		// how each attribute is read from a descriptor object. The
		// steps of [[DefineOwnProperty]] (15.2.3.6-4-…) run.
		return strings.HasPrefix(file, "15.2.3.6-3-")
	case "built-ins/Object/create/":
		// ToPropertyDescriptor again, through Object.create's second
		// argument.
		return strings.HasPrefix(file, "15.2.3.5-4-")
	case "built-ins/Object/defineProperties/":
		// The same descriptor semantics as Object.defineProperty, whose
		// tests run.
		return true
	}
	return false
}

// placements are the prefixes of test262's generated class element tests,
// one per position of the element in the class body.
var placements = []string{"after-same-line-gen-", "after-same-line-method-",
	"after-same-line-static-async-gen-", "after-same-line-static-async-method-",
	"after-same-line-static-gen-", "after-same-line-static-method-", "multiple-definitions-", "multiple-stacked-definitions-",
	"new-no-sc-line-method-", "new-sc-line-gen-", "new-sc-line-method-", "regular-definitions-",
	"same-line-async-gen-", "same-line-async-method-", "same-line-gen-", "same-line-method-", "wrapped-in-sc-"}

// methodKind reports whether a destructuring test's file name begins with
// one of the method kinds given ("meth-" does not match "meth-static-…").
func methodKind(file string, kinds ...string) bool {
	for _, k := range kinds {
		rest, ok := strings.CutPrefix(file, k)
		if ok && !strings.HasPrefix(rest, "static-") {
			return true
		}
	}
	return false
}

func hasPrefix(s string, prefixes ...string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// unsupportedFeatures are test262 feature tags of what goja does not
// implement (goja's own tc39_test.go skips them too). Tests that need one
// are neither vendored nor run: they fail on bare goja, so they say nothing
// about Kiln.
var unsupportedFeatures = []string{
	"Array.fromAsync",
	"Atomics",
	"Atomics.pause",
	"Atomics.waitAsync",
	"FinalizationRegistry",
	"Float16Array",
	"IsHTMLDDA",
	"Math.sumPrecise",
	"RegExp.escape",
	"ShadowRealm",
	"SharedArrayBuffer",
	"String.prototype.isWellFormed",
	"String.prototype.toWellFormed",
	"Symbol.asyncIterator",
	"Temporal",
	"WeakRef",
	"__getter__",
	"__setter__",
	"array-grouping",
	"arraybuffer-transfer",
	"async-iteration",
	"decorators",
	"dynamic-import",
	"explicit-resource-management",
	"immutable-arraybuffer",
	"import-assertions",
	"import-attributes",
	"import-defer",
	"import.meta",
	"iterator-helpers",
	"iterator-sequencing",
	"joint-iteration",
	"legacy-regexp",
	"promise-try",
	"promise-with-resolvers",
	"regexp-duplicate-named-groups",
	"regexp-match-indices",
	"regexp-modifiers",
	"regexp-unicode-property-escapes",
	"regexp-v-flag",
	"resizable-arraybuffer",
	"source-phase-imports",
	"symbols-as-weakmap-keys",
	"tail-call-optimization",
	"upsert",
}

// meta is what a test's frontmatter says about how to run it
// (test262's INTERPRETING.md).
type meta struct {
	includes, flags, features []string
	// negativePhase ("parse", "resolution" or "runtime") and negativeType
	// (an error constructor's name) are set when the test must throw.
	negativePhase, negativeType string
}

func (m *meta) hasFlag(f string) bool { return slices.Contains(m.flags, f) }

// skipReason says why a test is not run ("" when it is): ES modules, which
// neither goja nor a Kiln script is, or a feature goja lacks.
func (m *meta) skipReason() string {
	if m.hasFlag("module") {
		return "module"
	}
	for _, f := range m.features {
		if slices.Contains(unsupportedFeatures, f) {
			return "feature " + f
		}
	}
	return ""
}

var errNoFrontmatter = errors.New("no /*--- … ---*/ frontmatter")

// parseMeta reads a test's frontmatter. It understands the part of YAML
// that test262 frontmatter uses for the keys a runner needs: lists written
// [a, b] or as "- a" lines, and negative's nested phase and type.
func parseMeta(src string) (*meta, error) {
	start := strings.Index(src, "/*---")
	end := strings.Index(src, "---*/")
	if start < 0 || end < start {
		return nil, errNoFrontmatter
	}
	m := &meta{}
	var list *[]string // the block list being read, if any
	inNegative := false
	lines := strings.Split(src[start+len("/*---"):end], "\n")
	for i := 0; i < len(lines); i++ {
		line := strings.TrimRight(lines[i], " \t\r")
		trimmed := strings.TrimSpace(line)
		if trimmed == "" {
			continue
		}
		indented := line[0] == ' ' || line[0] == '\t'
		if indented {
			switch {
			case list != nil && strings.HasPrefix(trimmed, "- "):
				*list = append(*list, strings.TrimSpace(trimmed[2:]))
			case inNegative:
				k, v, _ := strings.Cut(trimmed, ":")
				switch strings.TrimSpace(k) {
				case "phase":
					m.negativePhase = strings.TrimSpace(v)
				case "type":
					m.negativeType = strings.TrimSpace(v)
				}
			}
			continue
		}
		list, inNegative = nil, false
		key, value, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		value = strings.TrimSpace(value)
		var dst *[]string
		switch key {
		case "includes":
			dst = &m.includes
		case "flags":
			dst = &m.flags
		case "features":
			dst = &m.features
		case "negative":
			inNegative = true
			continue
		default:
			continue
		}
		if value == "" {
			list = dst
			continue
		}
		// A flow list, possibly over several lines.
		for !strings.Contains(value, "]") && i+1 < len(lines) {
			i++
			value += " " + strings.TrimSpace(lines[i])
		}
		value = strings.TrimSuffix(strings.TrimPrefix(value, "["), "]")
		for _, item := range strings.Split(value, ",") {
			if item = strings.TrimSpace(item); item != "" {
				*dst = append(*dst, item)
			}
		}
	}
	if m.negativeType != "" && m.negativePhase == "" {
		return nil, errors.New("negative type without a phase")
	}
	return m, nil
}
