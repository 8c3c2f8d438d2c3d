package kilntype

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestCodeTable: every code has a status and none is listed twice under
// two names.
func TestCodeTable(t *testing.T) {
	seen := map[Code]bool{}
	for _, c := range Codes() {
		if seen[c] {
			t.Errorf("code %s twice", c)
		}
		seen[c] = true
		info := c.Info()
		if !c.Known() || info.Status < 400 || info.Status > 599 {
			t.Errorf("code %s: status %d", c, info.Status)
		}
		if strings.ToUpper(string(c)) != string(c) || strings.ContainsAny(string(c), " -") {
			t.Errorf("code %q is not UPPER_SNAKE_CASE", c)
		}
	}
	if Code("NO_SUCH_CODE").Known() || Code("NO_SUCH_CODE").HTTPStatus() != 500 || Code("NO_SUCH_CODE").Info().Script {
		t.Error("an unknown code must not be in the table and must answer 500")
	}
}

// TestNoStrayCodeLiterals: outside this package's table, no Go source file
// spells an error code as a string literal — code that raises or compares
// a code names the table's constant, so there is one vocabulary and a
// typo is a compile error. Tests may spell codes: they check what a
// client or a script sees.
func TestNoStrayCodeLiterals(t *testing.T) {
	codes := map[string]bool{}
	for _, c := range Codes() {
		codes[string(c)] = true
	}
	root := ".."
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); name == "node_modules" || name == "testdata" || strings.HasPrefix(name, ".") && path != root {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") || path == filepath.Join(root, "kilntype", "codes.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			if s, err := strconv.Unquote(lit.Value); err == nil && codes[s] {
				t.Errorf("%s: the code %s is spelled as a string; use kilntype's constant", fset.Position(lit.Pos()), s)
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
