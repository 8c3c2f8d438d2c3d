package goja

// Kiln patch 1 (FORK.md): the meter's measurement, a walk of what the
// runtime can reach, summing the Go heap sizes of what it finds.
//
// The sizes are estimates: unsafe.Sizeof of goja's structs rounded up to
// Go's allocation size classes, slices by their capacity, Go maps by an
// estimate of their groups (Go's swiss tables), strings by their bytes
// (UTF-16 strings 2 bytes a unit). A string of 1 KiB or more is counted
// once however many times it is referenced (keyed by its data pointer);
// smaller strings are counted at each reference. Host Go values behind
// reflect-based objects are counted as a fixed size: the walk does not look
// into them. Compiled code (Programs) and regexp programs are not counted.

import (
	"math/big"
	"math/bits"
	"unsafe"

	"github.com/kiln-run/kiln/internal/goja/unistring"
)

const (
	walkDedupStringLen = 1024 // strings at least this long are counted once
	valueSize          = 16   // a Value (an interface) in a slice or map
	dictKeysFrom       = 32   // objects with this many keys: count their keys' bytes
	hostObjectSize     = 256  // what a host (reflect) object is counted as
	instrBytes         = 16   // what a compiled instruction is counted as
	regexpProgramSize  = 1024 // what a compiled regexp is counted as
	// tinyAllocSize is what a boxed number or a short string's bytes are
	// counted as: Go's tiny allocator packs them in 16-byte blocks, which
	// the garbage made alongside them (the boxes of temporaries) keeps
	// half empty more often than not.
	tinyAllocSize = 16
)

type walker struct {
	r       *Runtime
	seen    map[unsafe.Pointer]struct{}
	objs    []*Object
	stashes []*stash
	total   int64
}

// measure walks what the runtime can reach and returns its size in bytes.
func (r *Runtime) measure() int64 {
	w := r.meter.w
	if w == nil {
		w = &walker{r: r, seen: make(map[unsafe.Pointer]struct{})}
		r.meter.w = w
	}
	w.total = 0
	w.roots()
	w.drain()
	total := w.total
	// keep the visited map's buckets for the next walk, unless it grew huge
	if len(w.seen) > 1<<20 {
		w.seen = make(map[unsafe.Pointer]struct{})
	} else {
		clear(w.seen)
	}
	clear(w.objs[:cap(w.objs)])
	w.objs = w.objs[:0]
	clear(w.stashes[:cap(w.stashes)])
	w.stashes = w.stashes[:0]
	return total
}

func (w *walker) roots() {
	r := w.r
	w.value(r.globalObject)
	w.stash(&r.global.stash)
	if ss := r.stringSingleton; ss != nil {
		w.value(ss.value) // the last string used as an object
	}
	for _, s := range r.symbolRegistry {
		w.value(s)
	}
	vm := r.vm
	if vm != nil {
		w.add(int64(cap(vm.stack)) * valueSize)
		w.add(int64(cap(vm.callStack)) * int64(unsafe.Sizeof(context{})))
		sp := vm.sp
		if sp > len(vm.stack) {
			sp = len(vm.stack)
		}
		for _, v := range vm.stack[:max(sp, 0)] {
			w.value(v)
		}
		w.stash(vm.stash)
		w.value(vm.newTarget)
		w.value(vm.result)
		for i := range vm.callStack {
			ctx := &vm.callStack[i]
			w.stash(ctx.stash)
			w.value(ctx.newTarget)
			w.value(ctx.result)
		}
		w.tryFrames(vm.tryStack)
		w.iterItems(vm.iterStack)
		w.asyncRunner(vm.curAsyncRunner)
	}
	for _, j := range r.jobQueue {
		w.job(&j)
	}
	for _, j := range r.meter.jobs {
		w.job(&j)
	}
	for _, v := range r.meter.tmpRoots {
		w.value(v)
	}
	for p := range r.meter.hostPromises {
		w.value(p)
	}
	if roots := r.meter.roots; roots != nil {
		roots(w.value)
	}
}

func (w *walker) add(n int64) { w.total += n }

// mark reports whether p is seen for the first time.
func (w *walker) mark(p unsafe.Pointer) bool {
	if _, ok := w.seen[p]; ok {
		return false
	}
	w.seen[p] = struct{}{}
	return true
}

func (w *walker) drain() {
	for len(w.objs) > 0 || len(w.stashes) > 0 {
		for len(w.objs) > 0 {
			o := w.objs[len(w.objs)-1]
			w.objs[len(w.objs)-1] = nil
			w.objs = w.objs[:len(w.objs)-1]
			w.object(o)
		}
		for len(w.stashes) > 0 {
			s := w.stashes[len(w.stashes)-1]
			w.stashes[len(w.stashes)-1] = nil
			w.stashes = w.stashes[:len(w.stashes)-1]
			w.stashContents(s)
		}
	}
}

func (w *walker) value(v Value) {
	switch v := v.(type) {
	case nil:
	case *Object:
		if v != nil && w.mark(unsafe.Pointer(v)) {
			w.objs = append(w.objs, v)
		}
	case asciiString:
		w.asciiStr(string(v), 16)
	case unicodeString:
		w.unicodeStr(v, 24)
	case *importedString:
		if w.mark(unsafe.Pointer(v)) {
			w.add(allocSize(unsafe.Sizeof(*v)))
			w.asciiStr(v.s, 0)
			w.unicodeStr(v.u, 0)
		}
	case valueInt:
		if v < -256 || v > 255 {
			w.add(tinyAllocSize)
		}
	case valueFloat:
		w.add(tinyAllocSize)
	case *valueBigInt:
		if w.mark(unsafe.Pointer(v)) {
			w.add(allocSize(unsafe.Sizeof(big.Int{})) + allocSize(uintptr(cap((*big.Int)(v).Bits()))*bits.UintSize/8))
		}
	case *Symbol:
		if w.mark(unsafe.Pointer(v)) {
			w.add(allocSize(unsafe.Sizeof(*v)))
			w.value(v.desc)
		}
	case *valueProperty:
		w.add(allocSize(unsafe.Sizeof(*v)))
		w.value(v.value)
		w.objValue(v.getterFunc)
		w.objValue(v.setterFunc)
	case *mappedProperty:
		w.add(allocSize(unsafe.Sizeof(*v)))
	}
}

func (w *walker) objValue(o *Object) {
	if o != nil {
		w.value(o)
	}
}

func (w *walker) asciiStr(s string, hdr int64) {
	if len(s) == 0 {
		return
	}
	if len(s) >= walkDedupStringLen {
		if !w.mark(unsafe.Pointer(unsafe.StringData(s))) {
			return
		}
	}
	w.add(hdr + max(allocSize(uintptr(len(s))), tinyAllocSize))
}

func (w *walker) unicodeStr(s unicodeString, hdr int64) {
	if cap(s) == 0 {
		return
	}
	if len(s) >= walkDedupStringLen/2 {
		if !w.mark(unsafe.Pointer(unsafe.SliceData(s))) {
			return
		}
	}
	w.add(hdr + allocSize(uintptr(cap(s))*2))
}

func (w *walker) keyStr(s unistring.String) {
	w.asciiStr(string(s), 0)
}

func (w *walker) stash(s *stash) {
	if s != nil && w.mark(unsafe.Pointer(s)) {
		w.stashes = append(w.stashes, s)
	}
}

func (w *walker) stashContents(s *stash) {
	w.add(allocSize(unsafe.Sizeof(*s)))
	w.values(s.values)
	w.values(s.extraArgs)
	w.objValue(s.obj)
	w.stash(s.outer)
}

func (w *walker) values(vals []Value) {
	if cap(vals) > 0 {
		w.add(allocSize(uintptr(cap(vals)) * valueSize))
	}
	for _, v := range vals {
		w.value(v)
	}
}

func (w *walker) tryFrames(frames []tryFrame) {
	for i := range frames {
		tf := &frames[i]
		if tf.exception != nil {
			w.value(tf.exception.val)
		}
		w.stash(tf.stash)
	}
}

func (w *walker) iterItems(items []iterStackItem) {
	for i := range items {
		w.value(items[i].val)
		if it := items[i].iter; it != nil {
			w.objValue(it.iterator)
		}
	}
}

func (w *walker) execCtx(ctx *execCtx) {
	w.stash(ctx.stash)
	w.value(ctx.newTarget)
	w.value(ctx.result)
	w.values(ctx.stack)
	w.tryFrames(ctx.tryStack)
	w.iterItems(ctx.iterStack)
}

func (w *walker) generator(g *generator) {
	w.execCtx(&g.ctx)
	w.value(g.returning)
}

func (w *walker) asyncRunner(ar *asyncRunner) {
	if ar == nil || !w.mark(unsafe.Pointer(ar)) {
		return
	}
	w.add(allocSize(unsafe.Sizeof(*ar)))
	w.generator(&ar.gen)
	w.capability(ar.promiseCap)
	w.objValue(ar.f)
}

func (w *walker) capability(c *promiseCapability) {
	if c == nil {
		return
	}
	w.add(allocSize(unsafe.Sizeof(*c)))
	w.objValue(c.promise)
	w.objValue(c.resolveObj)
	w.objValue(c.rejectObj)
}

func (w *walker) reaction(re *promiseReaction) {
	if re == nil || !w.mark(unsafe.Pointer(re)) {
		return
	}
	w.add(allocSize(unsafe.Sizeof(*re)))
	w.capability(re.capability)
	if re.handler != nil {
		w.value(re.handler.obj)
	}
	w.asyncRunner(re.asyncRunner)
}

func (w *walker) job(j *promiseJob) {
	w.reaction(j.reaction)
	if j.p != nil {
		w.objValue(j.p.val)
	}
	w.value(j.arg)
	if j.then != nil {
		w.value(j.then.obj)
	}
}
