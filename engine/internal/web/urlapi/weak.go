package urlapi

import (
	"runtime"
	"sync"
	"weak"

	"github.com/kiln-run/kiln/internal/goja"
)

// weakTable maps a goja object to the Go state behind it, without keeping
// the object alive: scripts only ever see the object, and the state never
// passes through rt.ToValue, so no Go field or method can reach JS and no
// script can forge or swap the state of an instance.
//
// An entry disappears when its key is collected. That only happens if no
// value in any table references its own key through goja objects, so the
// states must hold no *goja.Object that leads back to their key (see
// urlSlot).
//
// The mutex exists because cleanups run on the runtime's cleanup goroutine,
// not on the goroutine that runs the VM.
type weakTable[V any] struct {
	mu sync.Mutex
	m  map[weak.Pointer[goja.Object]]*V
}

func (t *weakTable[V]) get(o *goja.Object) *V {
	if o == nil {
		return nil
	}
	k := weak.Make(o)
	t.mu.Lock()
	v := t.m[k]
	t.mu.Unlock()
	return v
}

func (t *weakTable[V]) put(o *goja.Object, v *V) {
	k := weak.Make(o)
	t.mu.Lock()
	if t.m == nil {
		t.m = make(map[weak.Pointer[goja.Object]]*V)
	}
	t.m[k] = v
	t.mu.Unlock()
	runtime.AddCleanup(o, t.remove, k)
}

func (t *weakTable[V]) remove(k weak.Pointer[goja.Object]) {
	t.mu.Lock()
	delete(t.m, k)
	t.mu.Unlock()
}

func (t *weakTable[V]) len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.m)
}
