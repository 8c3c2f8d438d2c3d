package tc39

import (
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// test262Commit is the tc39/test262 commit the vendored tests come from.
const test262Commit = "be13516fb6441b950ba8a3df97eb34062c186972"

var vendorFrom = flag.String("vendor-from", "", "copy the selected tests and their harness from this test262 checkout (at test262Commit) into testdata/test262, replacing it")

// TestVendor refreshes testdata/test262 from a test262 checkout when
// -vendor-from is given, and is skipped otherwise. Only tests that run are
// copied: those in roots, not ES modules, and needing no feature in
// unsupportedFeatures; then the harness files they include, and the
// licence.
func TestVendor(t *testing.T) {
	if *vendorFrom == "" {
		t.Skip("-vendor-from is not set")
	}
	src := *vendorFrom
	dst := filepath.Join("testdata", "test262")
	if err := os.RemoveAll(dst); err != nil {
		t.Fatal(err)
	}
	harness := map[string]bool{"assert.js": true, "sta.js": true, "doneprintHandle.js": true}
	var copied, skipped, thinned int
	var size int64
	for _, root := range roots {
		err := fs.WalkDir(os.DirFS(src), path.Join("test", root), func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !isTestFile(p) {
				return err
			}
			if leftOut(strings.TrimPrefix(p, "test/")) {
				thinned++
				return nil
			}
			b, err := os.ReadFile(filepath.Join(src, p))
			if err != nil {
				return err
			}
			m, err := parseMeta(string(b))
			if err != nil {
				return fmt.Errorf("%s: %w", p, err)
			}
			if m.skipReason() != "" {
				skipped++
				return nil
			}
			for _, inc := range m.includes {
				harness[inc] = true
			}
			copied++
			size += int64(len(b))
			return writeFile(filepath.Join(dst, p), b)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	names := make([]string, 0, len(harness))
	for h := range harness {
		names = append(names, h)
	}
	slices.Sort(names)
	for _, h := range names {
		b, err := os.ReadFile(filepath.Join(src, "harness", h))
		if err != nil {
			t.Fatal(err)
		}
		size += int64(len(b))
		if err := writeFile(filepath.Join(dst, "harness", h), b); err != nil {
			t.Fatal(err)
		}
	}
	licence, err := os.ReadFile(filepath.Join(src, "LICENSE"))
	if err != nil {
		t.Fatal(err)
	}
	if err := writeFile(filepath.Join(dst, "LICENSE"), licence); err != nil {
		t.Fatal(err)
	}
	readme := fmt.Sprintf("A part of https://github.com/tc39/test262 at commit %s,\n"+
		"under the licence in LICENSE: the tests that engine/internal/tc39 runs\n"+
		"(its roots, without ES modules and features goja lacks) and the harness\n"+
		"files they include. Refresh it as docs/conformance.md says; do not edit.\n", test262Commit)
	if err := writeFile(filepath.Join(dst, "README.md"), []byte(readme)); err != nil {
		t.Fatal(err)
	}
	// Byte for byte: some tests hold a carriage return on purpose.
	if err := writeFile(filepath.Join(dst, ".gitattributes"), []byte("* -text linguist-vendored\n")); err != nil {
		t.Fatal(err)
	}
	t.Logf("copied %d tests and %d harness files (%.1f MiB); left out %d tests that need what goja lacks and %d variants", copied, len(names), float64(size)/(1<<20), skipped, thinned)
}

// isTestFile reports whether p is a test (fixtures are imported by module
// tests, which are not run).
func isTestFile(p string) bool {
	return strings.HasSuffix(p, ".js") && !strings.HasSuffix(p, "_FIXTURE.js")
}

func writeFile(p string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return os.WriteFile(p, b, 0o644)
}
