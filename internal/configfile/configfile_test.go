package configfile

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// testConfig has a field of every kind Decode knows, nested two deep, and
// the fields a file must not set.
type testConfig struct {
	Addr         string        `json:"addr"`
	Debug        bool          `json:"debug"`
	Ratio        float64       `json:"ratio"`
	Timeout      time.Duration `json:"timeout"`
	MaxBodyBytes int64         `json:"maxBodyBytes"`
	Allow        []string      `json:"allow"`
	Mode         testMode      `json:"mode"`
	Pool         testPool      `json:"pool"`
	Secret       string        `json:"-"`
	Hook         func()        `json:"-"`
	unexported   int           //nolint:unused // here so that the tests see the walker skip unexported fields
}

type testMode string

type testPool struct {
	MaxVMs       int           `json:"maxVMs"`
	MaxWait      time.Duration `json:"maxWait"`
	MemoryBudget int64         `json:"memoryBudget" unit:"bytes"`
	Small        uint8         `json:"small"`
	Retry        testRetry     `json:"retry"`
}

type testRetry struct {
	Retries int             `json:"retries"`
	Backoff []time.Duration `json:"backoff,omitempty"`
}

func TestDecode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		file string
		want testConfig
	}{
		{"empty object", `{}`, testConfig{}},
		{"every kind", `{
			"addr": "127.0.0.1:8080", "debug": true, "ratio": 0.5, "timeout": "1m30s",
			"maxBodyBytes": "2MiB", "allow": ["10.0.0.0/8", "127.0.0.1:9000"], "mode": "skip",
			"pool": {"maxVMs": 64, "maxWait": "250ms", "memoryBudget": "1GiB", "small": 255,
			         "retry": {"retries": 3, "backoff": ["1s", "2s"]}}
		}`, testConfig{
			Addr: "127.0.0.1:8080", Debug: true, Ratio: 0.5, Timeout: 90 * time.Second,
			MaxBodyBytes: 2 << 20, Allow: []string{"10.0.0.0/8", "127.0.0.1:9000"}, Mode: "skip",
			Pool: testPool{MaxVMs: 64, MaxWait: 250 * time.Millisecond, MemoryBudget: 1 << 30, Small: 255,
				Retry: testRetry{Retries: 3, Backoff: []time.Duration{time.Second, 2 * time.Second}}},
		}},
		{"durations", `{"timeout": "1h", "pool": {"maxWait": " 5s "}}`, testConfig{Timeout: time.Hour, Pool: testPool{MaxWait: 5 * time.Second}}},
		{"zero duration", `{"timeout": "0"}`, testConfig{}},
		{"sizes with units", `{"maxBodyBytes": "512KiB", "pool": {"memoryBudget": "64MiB"}}`, testConfig{MaxBodyBytes: 512 << 10, Pool: testPool{MemoryBudget: 64 << 20}}},
		{"sizes as numbers of bytes", `{"maxBodyBytes": 1048576, "pool": {"memoryBudget": 0}}`, testConfig{MaxBodyBytes: 1 << 20}},
		{"negative counts", `{"pool": {"maxVMs": -1}}`, testConfig{Pool: testPool{MaxVMs: -1}}},
		{"null leaves a field as it is", `{"addr": null, "pool": null, "allow": null}`, testConfig{}},
		{"empty list", `{"allow": []}`, testConfig{Allow: []string{}}},
		{"byte order mark", "\uFEFF{\"addr\": \"x\"}", testConfig{Addr: "x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got testConfig
			if err := Decode("kiln.json", []byte(tt.file), &got); err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

// TestDecodeKeepsUnsetFields: a file sets what it names; Decode does not
// zero the rest (the caller's values stand, defaults come later).
func TestDecodeKeepsUnsetFields(t *testing.T) {
	t.Parallel()
	cfg := testConfig{Addr: "keep", Pool: testPool{MaxVMs: 7}}
	if err := Decode("kiln.json", []byte(`{"pool": {"maxWait": "1s"}}`), &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != "keep" || cfg.Pool.MaxVMs != 7 || cfg.Pool.MaxWait != time.Second {
		t.Fatalf("got %+v", cfg)
	}
}

func TestDecodeErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		file string
		want string // the whole message
	}{
		// Unknown keys, with the nearest valid one.
		{"unknown nested key", "{\n  \"pool\": {\n    \"maxVM\": 4\n  }\n}",
			`unknown key "pool.maxVM" in kiln.json (line 3); did you mean "pool.maxVMs"?`},
		{"unknown key, wrong case", `{"Addr": "x"}`,
			`unknown key "Addr" in kiln.json (line 1); did you mean "addr"?`},
		{"unknown key two deep", `{"pool": {"retry": {"retrys": 1}}}`,
			`unknown key "pool.retry.retrys" in kiln.json (line 1); did you mean "pool.retry.retries"?`},
		{"key at the wrong level", `{"maxWait": "1s"}`,
			`unknown key "maxWait" in kiln.json (line 1); did you mean "pool.maxWait"?`},
		{"unknown key, nothing near", `{"pool": {"colour": "red"}}`,
			`unknown key "pool.colour" in kiln.json (line 1); the keys under "pool" are maxVMs, maxWait, memoryBudget, small, retry`},
		{"unknown top-level key, nothing near", `{"zzzzzz": 1}`,
			`unknown key "zzzzzz" in kiln.json (line 1); the keys at the top level are addr, debug, ratio, timeout, maxBodyBytes, allow, mode, pool`},
		{"not settable from a file", `{"secret": "x"}`,
			`key "secret" in kiln.json (line 1) cannot be set in a config file; docs/server.md says how to set it`},
		{"unexported field", `{"unexported": 1}`,
			`unknown key "unexported" in kiln.json (line 1); the keys at the top level are addr, debug, ratio, timeout, maxBodyBytes, allow, mode, pool`},
		{"key twice", "{\"addr\": \"a\",\n\"addr\": \"b\"}",
			`key "addr" appears twice in kiln.json (lines 1 and 2): keep one`},

		// Wrong types name the key and the type expected.
		{"string for a number", `{"pool": {"maxVMs": "64"}}`,
			`"pool.maxVMs" in kiln.json (line 1) must be a whole number, not the string "64"`},
		{"fraction for a whole number", `{"pool": {"maxVMs": 2.5}}`,
			`"pool.maxVMs" in kiln.json (line 1) must be a whole number, not the number 2.5`},
		{"number too large", `{"pool": {"small": 256}}`,
			`"pool.small" in kiln.json (line 1) is too large: the number 256`},
		{"negative unsigned", `{"pool": {"small": -1}}`,
			`"pool.small" in kiln.json (line 1) must not be negative, not the number -1`},
		{"number for a string", `{"addr": 8080}`,
			`"addr" in kiln.json (line 1) must be a string, not the number 8080`},
		{"string for a bool", `{"debug": "yes"}`,
			`"debug" in kiln.json (line 1) must be true or false, not the string "yes"`},
		{"object for a list", `{"allow": {}}`,
			`"allow" in kiln.json (line 1) must be a list, [...], not an object, {...}`},
		{"list for an object", `{"pool": [1]}`,
			`"pool" in kiln.json (line 1) must be an object, {...}, not a list, [...]`},
		{"wrong list element", "{\"allow\": [\"a\",\n 5]}",
			`"allow[1]" in kiln.json (line 2) must be a string, not the number 5`},
		{"null list element", `{"pool": {"retry": {"backoff": ["1s", null]}}}`,
			`"pool.retry.backoff[1]" in kiln.json (line 1) must be a duration such as "250ms", "30s" or "1h", not null`},

		// Durations are strings with a unit.
		{"duration as a bare number", `{"timeout": 30}`,
			`"timeout" in kiln.json (line 1) must be a duration written as a string with a unit, such as "30s" or "250ms", not the bare number 30`},
		{"duration without a unit", `{"timeout": "30"}`,
			`"timeout" in kiln.json (line 1) must be a duration such as "250ms", "30s" or "1h", not "30"`},
		{"duration in words", `{"pool": {"maxWait": "5 seconds"}}`,
			`"pool.maxWait" in kiln.json (line 1) must be a duration such as "250ms", "30s" or "1h", not "5 seconds"`},

		// Sizes are strings with a unit or whole numbers of bytes.
		{"size with a bad unit", `{"maxBodyBytes": "64 megs"}`,
			`"maxBodyBytes" in kiln.json (line 1) must be a size such as "512KiB", "64MiB" or "1GiB", or a whole number of bytes, not "64 megs"`},
		{"size as a fraction of a byte", `{"pool": {"memoryBudget": 1.5}}`,
			`"pool.memoryBudget" in kiln.json (line 1) must be a size such as "512KiB", "64MiB" or "1GiB", or a whole number of bytes, not the number 1.5`},
		{"negative size", `{"maxBodyBytes": -1}`,
			`"maxBodyBytes" in kiln.json (line 1) must be a size such as "512KiB", "64MiB" or "1GiB", or a whole number of bytes, not the number -1`},
		{"size as a bool", `{"maxBodyBytes": true}`,
			`"maxBodyBytes" in kiln.json (line 1) must be a size such as "512KiB", "64MiB" or "1GiB", or a whole number of bytes, not true`},

		// Not a JSON object.
		{"empty file", "", `kiln.json is empty: a config file is one JSON object; write {} for no settings`},
		{"blank file", " \n\t\n", `kiln.json is empty: a config file is one JSON object; write {} for no settings`},
		{"a list", `[]`, `kiln.json must hold one JSON object, {...}, not a list, [...]`},
		{"null", `null`, `kiln.json must hold one JSON object, {...}, not null`},
		{"two objects", "{}\n{}", `kiln.json has more after the object's closing } (line 2): a config file is one JSON object`},
		{"line comment", "{\n  // the address\n  \"addr\": \"x\"\n}",
			`kiln.json has a comment at line 2, column 3, and JSON has no comments: remove it`},
		{"block comment", "{\"addr\": \"x\", /* no */ \"debug\": true}",
			`kiln.json has a comment at line 1, column 15, and JSON has no comments: remove it`},
		{"hash comment", "# kiln\n{}", `kiln.json has a comment at line 1, column 1, and JSON has no comments: remove it`},
		{"trailing comma", "{\"addr\": \"x\",\n}",
			`kiln.json is not valid JSON: line 2, column 1: invalid character '}' looking for beginning of object key string`},
		{"single quotes", `{'addr': 'x'}`,
			`kiln.json is not valid JSON: line 1, column 2: invalid character '\'' looking for beginning of object key string`},
		{"cut off", `{"pool": {"maxVMs": 4`, `kiln.json ends too soon: a closing } or ], or the end of a value, is missing`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var cfg testConfig
			err := Decode("kiln.json", []byte(tt.file), &cfg)
			if err == nil || err.Error() != tt.want {
				t.Fatalf("Decode(%q)\n got: %v\nwant: %s", tt.file, err, tt.want)
			}
		})
	}
}

// TestKeys pins the naming and kind rules: json tags name keys, nested
// structs add dotted keys, `json:"-"` and unexported fields are left out,
// and a size is an integer named ...Bytes or tagged `unit:"bytes"`.
func TestKeys(t *testing.T) {
	t.Parallel()
	keys, err := Keys(reflect.TypeFor[testConfig]())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, k := range keys {
		s := k.Path + " " + string(k.Kind)
		if k.Elem != "" {
			s += " of " + string(k.Elem)
		}
		got = append(got, s)
	}
	want := []string{
		"addr string", "debug bool", "ratio float", "timeout duration", "maxBodyBytes size",
		"allow list of string", "mode string",
		"pool.maxVMs int", "pool.maxWait duration", "pool.memoryBudget size", "pool.small int",
		"pool.retry.retries int", "pool.retry.backoff list of duration",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Keys:\n got %q\nwant %q", got, want)
	}
	v := reflect.ValueOf(testConfig{Pool: testPool{Retry: testRetry{Retries: 9}}})
	if k := keys[len(keys)-2]; v.FieldByIndex(k.Index).Int() != 9 {
		t.Fatalf("%s: Index %v does not lead to the field", k.Path, k.Index)
	}
}

// TestKeysEmbedded: an embedded struct without a tag adds its keys to its
// parent's, as encoding/json does.
func TestKeysEmbedded(t *testing.T) {
	t.Parallel()
	type Common struct {
		Name string `json:"name"`
	}
	type withEmbedded struct {
		Common
		Port int `json:"port"`
	}
	var cfg withEmbedded
	if err := Decode("kiln.json", []byte(`{"name": "a", "port": 1}`), &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.Name != "a" || cfg.Port != 1 {
		t.Fatalf("got %+v", cfg)
	}
}

// TestKeysRefusesUnclearFields: a field with no key name, or of a type a
// file cannot hold, is a mistake in the struct, reported before any file
// is read.
func TestKeysRefusesUnclearFields(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		typ  reflect.Type
		want string
	}{
		{"no json tag", reflect.TypeFor[struct{ Workers int }](), "has no json key name"},
		{"a func", reflect.TypeFor[struct {
			Now func() time.Time `json:"now"`
		}](), "cannot hold a func() time.Time"},
		{"a map", reflect.TypeFor[struct {
			M map[string]int `json:"m"`
		}](), "cannot hold a map[string]int"},
		{"a string named as a size", reflect.TypeFor[struct {
			LabelBytes string `json:"labelBytes"`
		}](), "must be an integer"},
		{"an unknown unit", reflect.TypeFor[struct {
			N int `json:"n" unit:"seconds"`
		}](), `unit "seconds"`},
		{"two fields, one key", reflect.StructOf([]reflect.StructField{ // built here: go vet refuses the literal
			{Name: "A", Type: reflect.TypeFor[int](), Tag: `json:"a"`},
			{Name: "B", Type: reflect.TypeFor[int](), Tag: `json:"a"`},
		}), `two fields have the key "a"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := Keys(tt.typ); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Keys: %v; want an error containing %q", err, tt.want)
			}
			dst := reflect.New(tt.typ).Interface()
			if err := Decode("kiln.json", []byte(`{}`), dst); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Decode: %v; want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestParseSize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"64MiB", 64 << 20, true}, {"1GiB", 1 << 30, true}, {"512KB", 512e3, true}, {"1048576", 1 << 20, true},
		{"1.5MiB", 3 << 19, true}, {"64 MiB", 64 << 20, true}, {"", 0, false}, {"-1MiB", 0, false}, {"MiB", 0, false}, {"9e99GiB", 0, false},
	}
	for _, tt := range tests {
		got, err := ParseSize(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

// FuzzDecode: no input makes Decode panic, and what it accepts is JSON.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{`{}`, `{"pool": {"maxVMs": 4, "retry": {"backoff": ["1s"]}}}`, `{"maxBodyBytes": "1MiB"}`, `[`, `{"allow": [1, "a"]}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var cfg testConfig
		_ = Decode("kiln.json", data, &cfg)
	})
}
