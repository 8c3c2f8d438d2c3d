package goja

import "testing"

// TestExportDetachedTypedArray: Kiln patch 5. Exporting a view of a
// detached buffer gives an empty slice instead of panicking.
func TestExportDetachedTypedArray(t *testing.T) {
	r := New()
	v, err := r.RunString(`var a = new Float64Array(8); a`)
	if err != nil {
		t.Fatal(err)
	}
	a := v.(*Object)
	a.self.(*typedArrayObject).viewedArrayBuf.detach()
	if s, ok := a.Export().([]float64); !ok || len(s) != 0 {
		t.Fatalf("exported %#v", a.Export())
	}
}
