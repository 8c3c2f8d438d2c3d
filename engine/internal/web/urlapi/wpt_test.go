package urlapi

import (
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/kiln-run/kiln/internal/goja"
)

var updateKnownFailures = flag.Bool("update-known-failures", false,
	"rewrite testdata/wpt_known_failures.txt from this run's WPT failures")

// wptDir holds the web-platform-tests URL data, vendored unmodified at a
// pinned upstream commit (see its README.md).
const wptDir = "testdata/wpt"

const knownFailuresFile = "testdata/wpt_known_failures.txt"

// readWPT returns the named WPT data file. The data is part of the
// repository, so a missing file is a broken checkout and fails the test.
func readWPT(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(wptDir, name))
	if err != nil {
		t.Fatalf("WPT data %s: %v", name, err)
	}
	return string(b)
}

// wptHarness is the JS side of the WPT tests. Each function takes the
// parsed data and returns [[key, [mismatch, ...]], ...]: an empty mismatch
// list is a pass. Keys escape every non-printable or non-ASCII UTF-16 code
// unit, so inputs with lone surrogates keep distinct, stable keys.
const wptHarness = `(function () {
  'use strict';
  const esc = (s) => String(s).replace(/[^\x20-\x7e]|\\/g,
    (c) => c === '\\' ? '\\\\' : '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
  const show = (v) => typeof v === 'string' ? '"' + esc(v) + '"' : String(v);
  const attrs = ['href', 'protocol', 'username', 'password', 'host', 'hostname', 'port', 'pathname', 'search', 'hash', 'origin'];
  function compare(u, want, only) {
    const bad = [];
    for (const k of only || attrs) {
      if (!(k in want)) continue;
      if (u[k] !== want[k]) bad.push(k + ': got ' + show(u[k]) + ', want ' + show(want[k]));
    }
    return bad;
  }
  function attempt(f) {
    try { return [f(), null]; } catch (e) { return [null, e]; }
  }
  return {
    urltestdata(data) {
      const out = [];
      for (const c of data) {
        if (typeof c === 'string') continue;
        const args = c.base === null ? [c.input] : [c.input, c.base];
        const key = 'urltestdata: ' + esc(c.input) + ' @ ' + (c.base === null ? 'null' : esc(c.base));
        const [u, err] = attempt(() => new URL(...args));
        const bad = [];
        if (c.failure) {
          if (!(err instanceof TypeError)) bad.push('expected TypeError, got ' + (err ? String(err) : show(u.href)));
          if (URL.canParse(...args)) bad.push('URL.canParse returned true');
          if (URL.parse(...args) !== null) bad.push('URL.parse did not return null');
        } else if (err) {
          bad.push('threw ' + String(err));
        } else {
          bad.push(...compare(u, c));
          if ('searchParams' in c && u.searchParams.toString() !== c.searchParams) {
            bad.push('searchParams: got ' + show(u.searchParams.toString()) + ', want ' + show(c.searchParams));
          }
          if (!URL.canParse(...args)) bad.push('URL.canParse returned false');
          const p = URL.parse(...args);
          if (p === null || p.href !== c.href) bad.push('URL.parse disagrees with new URL');
        }
        out.push([key, bad]);
      }
      return out;
    },
    setters(data) {
      const out = [];
      for (const setter of Object.keys(data)) {
        if (setter === 'comment') continue;
        for (const c of data[setter]) {
          const key = 'setters: ' + setter + ' ' + esc(c.href) + ' <- ' + esc(c.new_value);
          const [, err] = attempt(() => {
            const u = new URL(c.href);
            u[setter] = c.new_value;
            out.push([key, compare(u, c.expected, Object.keys(c.expected))]);
          });
          if (err) out.push([key, ['threw ' + String(err)]]);
        }
      }
      return out;
    },
    toascii(data) {
      const out = [];
      for (const c of data) {
        if (typeof c === 'string') continue;
        const key = 'toascii: ' + esc(c.input);
        const bad = [];
        const [u, err] = attempt(() => new URL('https://' + c.input + '/x'));
        if (c.output === null) {
          if (!(err instanceof TypeError)) bad.push('new URL: expected TypeError, got ' + (err ? String(err) : show(u.href)));
        } else if (err) {
          bad.push('new URL threw ' + String(err));
        } else {
          bad.push(...compare(u, {host: c.output, hostname: c.output, pathname: '/x', href: 'https://' + c.output + '/x'}));
        }
        for (const setter of ['host', 'hostname']) {
          const v = new URL('https://x/x');
          v[setter] = c.input;
          const want = c.output === null ? 'x' : c.output;
          if (v[setter] !== want) bad.push(setter + ' setter: got ' + show(v[setter]) + ', want ' + show(want));
        }
        out.push([key, bad]);
      }
      return out;
    },
  };
})()`

var wptHarnessProgram = sync.OnceValue(func() *goja.Program {
	return goja.MustCompile("wpt_harness.js", wptHarness, true)
})

// runWPT runs one harness suite over one data file inside a fresh runtime
// with Install applied, and returns the failing keys (with their reasons)
// and the case count.
func runWPT(t *testing.T, suite, file string) (failures map[string][]string, total int) {
	t.Helper()
	rt := newTestRuntime(t)
	h, err := rt.RunProgram(wptHarnessProgram())
	if err != nil {
		t.Fatal(err)
	}
	jsonParse, _ := goja.AssertFunction(rt.Get("JSON").ToObject(rt).Get("parse"))
	data, err := jsonParse(goja.Undefined(), rt.ToValue(readWPT(t, file)))
	if err != nil {
		t.Fatalf("parse %s: %v", file, err)
	}
	run, _ := goja.AssertFunction(h.ToObject(rt).Get(suite))
	res, err := run(goja.Undefined(), data)
	if err != nil {
		t.Fatalf("harness %s: %v", suite, err)
	}
	var rows [][]any
	if err := rt.ExportTo(res, &rows); err != nil {
		t.Fatal(err)
	}
	failures = map[string][]string{}
	for _, row := range rows {
		key := row[0].(string)
		var reasons []string
		for _, r := range row[1].([]any) {
			reasons = append(reasons, r.(string))
		}
		if len(reasons) > 0 {
			failures[key] = append(failures[key], reasons...)
		}
	}
	return failures, len(rows)
}

// checkKnownFailures compares this suite's failures with the known-failures
// file: a new failure is a regression, and a listed case that now passes
// must be removed so the list stays honest. -update-known-failures rewrites
// this suite's lines instead.
func checkKnownFailures(t *testing.T, suite string, failures map[string][]string, total int) {
	t.Helper()
	t.Logf("%s: %d/%d passed", suite, total-len(failures), total)
	prefix := suite + ": "
	raw, err := os.ReadFile(knownFailuresFile)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var others []string
	known := map[string]bool{}
	for _, line := range strings.Split(string(raw), "\n") {
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, prefix):
			known[line] = true
		default:
			others = append(others, line)
		}
	}
	if *updateKnownFailures {
		lines := others
		for k := range failures {
			lines = append(lines, k)
		}
		slices.Sort(lines)
		header := "# WPT URL cases that fail today, one key per line; keys escape non-ASCII as \\uXXXX.\n" +
			"# Regenerate with: go test ./engine/internal/web/urlapi/ -run TestWPT -update-known-failures\n"
		if err := os.WriteFile(knownFailuresFile, []byte(header+strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	for k, reasons := range failures {
		if !known[k] {
			t.Errorf("regression: %s\n\t%s", k, strings.Join(reasons, "\n\t"))
		}
	}
	for k := range known {
		if _, failing := failures[k]; !failing {
			t.Errorf("now passes but is listed in %s: %s (refresh the file with -update-known-failures)", knownFailuresFile, k)
		}
	}
}

func TestWPTURL(t *testing.T) {
	failures, total := runWPT(t, "urltestdata", "urltestdata.json")
	checkKnownFailures(t, "urltestdata", failures, total)
}

func TestWPTSetters(t *testing.T) {
	failures, total := runWPT(t, "setters", "setters_tests.json")
	checkKnownFailures(t, "setters", failures, total)
}

func TestWPTToASCII(t *testing.T) {
	failures, total := runWPT(t, "toascii", "toascii.json")
	checkKnownFailures(t, "toascii", failures, total)
}
