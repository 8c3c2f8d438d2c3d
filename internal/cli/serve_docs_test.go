package cli

import (
	"os"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/kiln-run/kiln/internal/configfile"
	"github.com/kiln-run/kiln/server"
)

// settingsRow is one row of the settings table in docs/server.md, each
// cell as written.
type settingsRow struct {
	line                           int
	key, flag, env, value, meaning string
}

// machineDefaults are the keys whose default depends on the machine's
// memory, which a test cannot vary (defaults that depend on the cores are
// found by varying GOMAXPROCS).
var machineDefaults = []string{"pool.memoryBudget"}

// TestServeConfigDocs holds the settings table in docs/server.md to the
// code, so it cannot drift: it lists every key the config file takes
// (configfile.Keys over server.Config) in the order they are declared and
// no other; its flag and environment columns are what serveSettings reads;
// and every default that does not depend on the machine is written as the
// JSON value that decodes to what Config.WithDefaults() gives.
//
// Not parallel: it changes GOMAXPROCS to tell the defaults that depend on
// the cores from the fixed ones.
func TestServeConfigDocs(t *testing.T) {
	rows := readSettingsTable(t, "../../docs/server.md")
	keys, err := configfile.Keys(reflect.TypeFor[server.Config]())
	if err != nil {
		t.Fatal(err)
	}

	// Every key, in order, and nothing else.
	var want, got []string
	for _, k := range keys {
		want = append(want, k.Path)
	}
	for _, r := range rows {
		if r.key != "—" {
			got = append(got, unquoteCode(t, r, r.key))
		}
	}
	for _, k := range want {
		if !slices.Contains(got, k) {
			t.Errorf("docs/server.md: the settings table has no row for the config key %q", k)
		}
	}
	for _, k := range got {
		if !slices.Contains(want, k) {
			t.Errorf("docs/server.md: the settings table lists %q, which is not a config key (keys: %s)", k, strings.Join(want, ", "))
		}
	}
	if !t.Failed() && !slices.Equal(got, want) {
		t.Errorf("docs/server.md: list the config keys in the order server.Config declares them:\n%s", strings.Join(want, "\n"))
	}

	// The sizes whose names do not say so are named where the file format
	// is described.
	_, sizes, _ := strings.Cut(readFile(t, "../../docs/server.md"), "- Sizes are")
	sizes, _, _ = strings.Cut(sizes, "\n- ")
	for _, k := range keys {
		if k.Kind == configfile.Size && !strings.HasSuffix(k.Path, "Bytes") && !strings.Contains(sizes, "`"+k.Path+"`") {
			t.Errorf("docs/server.md: %s is a size; name it where sizes are described", k.Path)
		}
	}

	// The flag and environment columns.
	settings := serveSettings()
	for _, r := range rows {
		flag, env := "—", "—"
		i := slices.IndexFunc(settings, func(s serveSetting) bool {
			if r.key == "—" {
				return s.key == "" && "`"+s.env+"`" == r.env
			}
			return s.key != "" && "`"+s.key+"`" == r.key
		})
		if i >= 0 {
			if settings[i].flag != "" {
				flag = "`--" + settings[i].flag + "`"
			}
			env = "`" + settings[i].env + "`"
			settings = slices.Delete(settings, i, i+1)
		}
		if i < 0 && r.key == "—" {
			t.Errorf("docs/server.md:%d: a row with no key is for a variable kiln serve reads, and it reads no %s", r.line, r.env)
			continue
		}
		if r.flag != flag || r.env != env {
			t.Errorf("docs/server.md:%d: %s has flag %s and environment %s; kiln serve reads %s and %s", r.line, r.key, r.flag, r.env, flag, env)
		}
	}
	for _, s := range settings {
		t.Errorf("docs/server.md: the settings table has no row for %s (key %q, flag %q)", s.env, s.key, s.flag)
	}

	// The defaults.
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	oneCore := reflect.ValueOf(server.Config{}.WithDefaults())
	runtime.GOMAXPROCS(8)
	eightCores := reflect.ValueOf(server.Config{}.WithDefaults())
	checked := 0
	for _, r := range rows {
		if r.key == "—" {
			continue
		}
		path := unquoteCode(t, r, r.key)
		i := slices.IndexFunc(keys, func(k configfile.Key) bool { return k.Path == path })
		if i < 0 {
			continue // reported above
		}
		def, fixed := oneCore.FieldByIndex(keys[i].Index), eightCores.FieldByIndex(keys[i].Index)
		if !strings.HasPrefix(r.value, "`") {
			if !def.IsZero() && reflect.DeepEqual(def.Interface(), fixed.Interface()) && !slices.Contains(machineDefaults, path) {
				t.Errorf("docs/server.md:%d: %s's default is %v on any number of cores: write it in code font, as the JSON value to put in the file", r.line, path, def)
			}
			continue
		}
		end := strings.Index(r.value[1:], "`")
		if end < 0 {
			t.Fatalf("docs/server.md:%d: unclosed code span in %q", r.line, r.value)
		}
		value := r.value[1 : end+1]
		var doc server.Config
		file := value
		for _, part := range slices.Backward(strings.Split(path, ".")) {
			file = `{"` + part + `": ` + file + `}`
		}
		if err := configfile.Decode("the default in docs/server.md", []byte(file), &doc); err != nil {
			t.Errorf("docs/server.md:%d: %v", r.line, err)
			continue
		}
		documented := reflect.ValueOf(doc).FieldByIndex(keys[i].Index)
		switch {
		case !reflect.DeepEqual(def.Interface(), fixed.Interface()):
			t.Errorf("docs/server.md:%d: %s's default depends on the cores (%v on 1, %v on 8): say how, not %s", r.line, path, def, fixed, value)
		case !reflect.DeepEqual(documented.Interface(), def.Interface()):
			t.Errorf("docs/server.md:%d: %s's default is written %s, but WithDefaults gives %v", r.line, path, value, def)
		}
		checked++
	}
	if checked < 20 {
		t.Errorf("checked only %d defaults against WithDefaults; did the table's format change?", checked)
	}
}

// TestServeConfigDocsExample: the example config file in docs/server.md
// is one kiln serve accepts.
func TestServeConfigDocsExample(t *testing.T) {
	t.Parallel()
	_, rest, ok := strings.Cut(readFile(t, "../../docs/server.md"), "## Configuration")
	_, rest, ok2 := strings.Cut(rest, "```json\n")
	example, _, ok3 := strings.Cut(rest, "```")
	if !ok || !ok2 || !ok3 {
		t.Fatal("docs/server.md: no ```json example under ## Configuration")
	}
	var cfg server.Config
	if err := configfile.Decode("the example in docs/server.md", []byte(example), &cfg); err != nil {
		t.Fatal(err)
	}
	if err := cfg.WithDefaults().Validate(); err != nil {
		t.Fatalf("the example in docs/server.md: %v", err)
	}
}

// readSettingsTable reads the table under the header row "| key | flag |
// environment | default | meaning |".
func readSettingsTable(t *testing.T, file string) []settingsRow {
	t.Helper()
	lines := strings.Split(readFile(t, file), "\n")
	start := slices.Index(lines, "| key | flag | environment | default | meaning |")
	if start < 0 {
		t.Fatalf("%s has no settings table (header | key | flag | environment | default | meaning |)", file)
	}
	var rows []settingsRow
	for n := start + 2; n < len(lines) && strings.HasPrefix(lines[n], "|"); n++ {
		cells := strings.Split(strings.Trim(lines[n], "|"), "|")
		if len(cells) != 5 {
			t.Fatalf("%s:%d: want 5 cells, found %d (no | inside a cell)", file, n+1, len(cells))
		}
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		rows = append(rows, settingsRow{line: n + 1, key: cells[0], flag: cells[1], env: cells[2], value: cells[3], meaning: cells[4]})
	}
	if len(rows) == 0 {
		t.Fatalf("%s: the settings table is empty", file)
	}
	return rows
}

// unquoteCode returns the text of cell, which must be one code span.
func unquoteCode(t *testing.T, r settingsRow, cell string) string {
	t.Helper()
	if len(cell) < 3 || cell[0] != '`' || cell[len(cell)-1] != '`' || strings.Count(cell, "`") != 2 {
		t.Fatalf("docs/server.md:%d: want a key in code font or —, not %q", r.line, cell)
	}
	return cell[1 : len(cell)-1]
}

func readFile(t *testing.T, file string) string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
