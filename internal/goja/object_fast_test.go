package goja

import (
	"slices"
	"strings"
	"testing"
)

// Kiln patch 7: the fast paths build and read what the general ones do.

func TestNewObjectSizedCreateDataProperty(t *testing.T) {
	r := New()
	// A setter on Object.prototype: an object literal does not call it,
	// and neither does CreateDataProperty.
	if _, err := r.RunString(`var setterCalls = 0; Object.defineProperty(Object.prototype, "b", {set(v) { setterCalls++ }, configurable: true})`); err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{0, 2, 8} {
		o := r.NewObjectSized(n)
		for _, kv := range [][2]string{{"b", "1"}, {"2", "two"}, {"__proto__", "own"}, {"a", "x"}, {"1", "one"}} {
			if err := o.CreateDataProperty(kv[0], NewStringValue(kv[1])); err != nil {
				t.Fatal(err)
			}
		}
		if err := o.CreateDataProperty("b", nil); err != nil { // redefined in place, as undefined
			t.Fatal(err)
		}
		r.Set("o", o)
		got, err := r.RunString(`JSON.stringify([Object.getPrototypeOf(o) === Object.prototype, Object.keys(o), Object.getOwnPropertyDescriptor(o, "__proto__"), o.b, "b" in o, setterCalls])`)
		if err != nil {
			t.Fatal(err)
		}
		const want = `[true,["1","2","b","__proto__","a"],{"value":"own","writable":true,"enumerable":true,"configurable":true},null,true,0]`
		if got.String() != want {
			t.Errorf("n=%d: %s, want %s", n, got, want)
		}
		if keys := o.AppendKeys(nil); !slices.Equal(keys, o.Keys()) {
			t.Errorf("n=%d: AppendKeys %q, Keys %q", n, keys, o.Keys())
		}
	}
	// Not extensible: the general path's TypeError.
	frozen, err := r.RunString(`Object.freeze({})`)
	if err != nil {
		t.Fatal(err)
	}
	if err := frozen.(*Object).CreateDataProperty("x", valueTrue); err == nil {
		t.Error("a frozen object took a property")
	}
	// Another kind of object: the general path.
	arr := r.NewArray(1, 2)
	if err := arr.CreateDataProperty("5", valueTrue); err != nil || arr.Get("length").ToInteger() != 6 {
		t.Errorf("array: %v, length %v", err, arr.Get("length"))
	}
}

func TestAppendKeysMatchesKeys(t *testing.T) {
	r := New()
	for _, src := range []string{
		`({})`,
		`({b: 1, 10: 2, a: 3, 2: 4, "é": 5, "😀": 6})`,
		`Object.defineProperty({a: 1, c: 3}, "b", {value: 2, enumerable: false})`,
		`(function () { var o = {a: 1, b: 2, c: 3}; delete o.b; o.d = 4; return o })()`,
		`[1, 2, 3]`,
		`new Proxy({x: 1, y: 2}, {})`,
		`Object.assign(Object.create({inherited: 1}), {own: 2})`,
	} {
		v, err := r.RunString(src)
		if err != nil {
			t.Fatal(err)
		}
		o := v.(*Object)
		buf := []string{"kept"}
		if got, want := o.AppendKeys(buf), append([]string{"kept"}, o.Keys()...); !slices.Equal(got, want) {
			t.Errorf("%s: AppendKeys %q, Keys %q", src, got, want)
		}
	}
}

func TestNewStringValueMatchesToValue(t *testing.T) {
	r := New()
	for _, s := range []string{"", "Ada", "héllo", "😀", strings.Repeat("a", 17), strings.Repeat("é", 20), "0123456789abcdef"} {
		got, want := NewStringValue(s), r.ToValue(s)
		if !got.StrictEquals(want) || got.String() != s || got.ExportType() != want.ExportType() {
			t.Errorf("%q: %#v, ToValue %#v", s, got, want)
		}
	}
}

// The fast paths charge the meter what NewObject and Set charge.
func TestObjectFastPathsCharge(t *testing.T) {
	keys := []string{"method", "path", "params", "query", "headers", "body"}
	charge := func(build func(r *Runtime)) int64 {
		r := New()
		r.SetMemoryLimit(1 << 30)
		_, before := r.MemoryUsage()
		build(r)
		_, after := r.MemoryUsage()
		return after - before
	}
	slow := charge(func(r *Runtime) {
		o := r.NewObject()
		for _, k := range keys {
			if err := o.Set(k, valueTrue); err != nil {
				t.Fatal(err)
			}
		}
	})
	fast := charge(func(r *Runtime) {
		o := r.NewObjectSized(len(keys))
		for _, k := range keys {
			if err := o.CreateDataProperty(k, valueTrue); err != nil {
				t.Fatal(err)
			}
		}
	})
	if fast != slow || slow != meterObjectBytes+int64(len(keys))*meterPropBytes {
		t.Errorf("charged %d by the fast path, %d by NewObject and Set; want both %d", fast, slow, meterObjectBytes+int64(len(keys))*meterPropBytes)
	}
}

func BenchmarkObjectFromGo(b *testing.B) {
	r := New()
	keys := []string{"method", "path", "params", "query", "headers", "body"}
	b.Run("NewObject+Set", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			o := r.NewObject()
			for _, k := range keys {
				_ = o.Set(k, valueTrue)
			}
		}
	})
	b.Run("NewObjectSized+CreateDataProperty", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			o := r.NewObjectSized(len(keys))
			for _, k := range keys {
				_ = o.CreateDataProperty(k, valueTrue)
			}
		}
	})
	o := r.NewObject()
	for _, k := range keys {
		_ = o.Set(k, valueTrue)
	}
	b.Run("Keys", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = o.Keys()
		}
	})
	b.Run("AppendKeys", func(b *testing.B) {
		b.ReportAllocs()
		var buf [8]string
		for b.Loop() {
			_ = o.AppendKeys(buf[:0])
		}
	})
}
