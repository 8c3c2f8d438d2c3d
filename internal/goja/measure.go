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

// base counts a baseObject's own properties (the struct itself is counted
// by the caller, with the struct that embeds it).
func (w *walker) base(o *baseObject) {
	w.objValue(o.prototype)
	if o.values != nil {
		n := len(o.values)
		w.add(mapSize(n, unsafe.Sizeof(unistring.String(""))+valueSize))
		dict := n >= dictKeysFrom
		for k, v := range o.values {
			if dict {
				w.keyStr(k)
			}
			w.value(v)
		}
	}
	if cap(o.propNames) > 0 {
		w.add(allocSize(uintptr(cap(o.propNames)) * unsafe.Sizeof(unistring.String(""))))
	}
	w.orderedMap(o.symValues)
	for _, pe := range o.privateElements {
		w.add(64)
		w.values(pe.fields)
		w.values(pe.methods)
	}
}

func (w *walker) orderedMap(m *orderedMap) {
	if m == nil {
		return
	}
	w.add(allocSize(unsafe.Sizeof(*m)) + mapSize(len(m.hashTable), 16))
	es := allocSize(unsafe.Sizeof(mapEntry{}))
	for e := m.iterFirst; e != nil; e = e.iterNext {
		w.add(es)
		w.value(e.key)
		w.value(e.value)
	}
}

func (w *walker) jsFunc(f *baseJsFuncObject) {
	w.base(&f.baseObject)
	w.stash(f.stash)
	w.program(f.prg)
}

// program counts compiled code once: its instructions (estimated at
// instrBytes each, boxed in an interface), its source map, its source.
func (w *walker) program(p *Program) {
	if p == nil || !w.mark(unsafe.Pointer(p)) {
		return
	}
	w.add(allocSize(unsafe.Sizeof(*p)) + int64(cap(p.code))*(16+instrBytes) + allocSize(uintptr(cap(p.srcMap))*unsafe.Sizeof(srcMapItem{})))
	if f := p.src; f != nil && w.mark(unsafe.Pointer(f)) {
		w.add(allocSize(unsafe.Sizeof(*f)) + allocSize(uintptr(len(f.Source()))))
	}
}

func sz[T any](p *T) int64 {
	return allocSize(unsafe.Sizeof(*p))
}

func (w *walker) object(o *Object) {
	w.add(sz(o))
	switch s := o.self.(type) {
	case *baseObject:
		w.add(sz(s))
		w.base(s)
	case *arrayObject:
		w.add(sz(s))
		w.base(&s.baseObject)
		w.values(s.values)
	case *sparseArrayObject:
		w.add(sz(s))
		w.base(&s.baseObject)
		if cap(s.items) > 0 {
			w.add(allocSize(uintptr(cap(s.items)) * unsafe.Sizeof(sparseArrayItem{})))
		}
		for i := range s.items {
			w.value(s.items[i].value)
		}
	case *funcObject:
		w.add(sz(s))
		w.jsFunc(&s.baseJsFuncObject)
	case *arrowFuncObject:
		w.add(sz(s))
		w.jsFunc(&s.baseJsFuncObject)
		w.objValue(s.funcObj)
		w.value(s.newTarget)
	case *asyncArrowFuncObject:
		w.add(sz(s))
		w.jsFunc(&s.baseJsFuncObject)
		w.objValue(s.funcObj)
		w.value(s.newTarget)
	case *methodFuncObject:
		w.add(sz(s))
		w.jsFunc(&s.baseJsFuncObject)
		w.objValue(s.homeObject)
	case *generatorMethodFuncObject:
		w.add(sz(s))
		w.jsFunc(&s.baseJsFuncObject)
		w.objValue(s.homeObject)
	case *asyncMethodFuncObject:
		w.add(sz(s))
		w.jsFunc(&s.baseJsFuncObject)
		w.objValue(s.homeObject)
	case *generatorFuncObject:
		w.add(sz(s))
		w.jsFunc(&s.baseJsFuncObject)
	case *asyncFuncObject:
		w.add(sz(s))
		w.jsFunc(&s.baseJsFuncObject)
	case *classFuncObject:
		w.add(sz(s))
		w.jsFunc(&s.baseJsFuncObject)
		w.values(s.computedKeys)
		w.values(s.privateMethods)
	case *nativeFuncObject:
		w.add(sz(s))
		w.base(&s.baseObject)
	case *boundFuncObject:
		w.add(sz(s))
		w.base(&s.baseObject)
		w.objValue(s.wrapped)
		w.values(s.boundArgs)
	case *wrappedFuncObject:
		w.add(sz(s) + hostObjectSize)
		w.base(&s.baseObject)
	case *generatorObject:
		w.add(sz(s))
		w.base(&s.baseObject)
		w.generator(&s.gen)
		if s.delegated != nil {
			w.objValue(s.delegated.iterator)
		}
	case *argumentsObject:
		w.add(sz(s))
		w.base(&s.baseObject)
	case *errorObject:
		w.add(sz(s))
		w.base(&s.baseObject)
		if cap(s.stack) > 0 {
			w.add(allocSize(uintptr(cap(s.stack)) * unsafe.Sizeof(StackFrame{})))
		}
	case *primitiveValueObject:
		w.add(sz(s))
		w.base(&s.baseObject)
		w.value(s.pValue)
	case *stringObject:
		w.add(sz(s))
		w.base(&s.baseObject)
		w.value(s.value)
	case *dateObject:
		w.add(sz(s))
		w.base(&s.baseObject)
	case *regexpObject:
		w.add(sz(s) + regexpProgramSize)
		w.base(&s.baseObject)
		w.value(s.source)
	case *mapObject:
		w.add(sz(s))
		w.base(&s.baseObject)
		w.orderedMap(s.m)
	case *setObject:
		w.add(sz(s))
		w.base(&s.baseObject)
		w.orderedMap(s.m)
	case *weakMapObject:
		w.add(sz(s))
		w.base(&s.baseObject)
		w.weakMap(&s.m)
	case *weakSetObject:
		w.add(sz(s))
		w.base(&s.baseObject)
		w.weakMap(&s.s)
	case *Promise:
		w.add(sz(s))
		w.base(&s.baseObject)
		w.value(s.result)
		for _, re := range s.fulfillReactions {
			w.reaction(re)
		}
		for _, re := range s.rejectReactions {
			w.reaction(re)
		}
	case *proxyObject:
		w.add(sz(s))
		w.base(&s.baseObject)
		w.objValue(s.target)
		if h, ok := s.handler.(*jsProxyHandler); ok {
			w.objValue(h.handler)
		}
	case *arrayBufferObject:
		w.add(sz(s))
		w.base(&s.baseObject)
		if cap(s.data) > 0 {
			w.add(allocSize(uintptr(cap(s.data))))
		}
	case *typedArrayObject:
		w.add(sz(s) + 32)
		w.base(&s.baseObject)
		if s.viewedArrayBuf != nil {
			w.objValue(s.viewedArrayBuf.val)
		}
		w.objValue(s.defaultCtor)
	case *dataViewObject:
		w.add(sz(s))
		w.base(&s.baseObject)
		if s.viewedArrayBuf != nil {
			w.objValue(s.viewedArrayBuf.val)
		}
	case *arrayIterObject:
		w.add(sz(s))
		w.base(&s.baseObject)
		w.objValue(s.obj)
	case *mapIterObject:
		w.add(sz(s))
		w.base(&s.baseObject)
	case *setIterObject:
		w.add(sz(s))
		w.base(&s.baseObject)
	case *regExpStringIterObject:
		w.add(sz(s))
		w.base(&s.baseObject)
		w.objValue(s.matcher)
		w.value(s.s)
	case *stringIterObject:
		w.add(sz(s))
		w.base(&s.baseObject)
	case *guardedObject:
		w.add(sz(s))
		w.base(&s.baseObject)
	case *templatedObject:
		w.add(sz(s))
		w.base(&s.baseObject)
	case *templatedFuncObject:
		w.add(sz(s))
		w.base(&s.baseObject)
	case *templatedArrayObject:
		w.add(sz(s))
		w.base(&s.baseObject)
	case *objectGoReflect:
		w.add(sz(s) + hostObjectSize)
		w.base(&s.baseObject)
	case *objectGoMapSimple:
		w.add(sz(s) + hostObjectSize)
		w.base(&s.baseObject)
	case *objectGoMapReflect:
		w.add(sz(s) + hostObjectSize)
		w.base(&s.objectGoReflect.baseObject)
	case *objectGoSlice:
		w.add(sz(s) + hostObjectSize)
		w.base(&s.baseObject)
	case *objectGoSliceReflect:
		w.add(sz(s) + hostObjectSize)
		w.base(&s.objectGoArrayReflect.objectGoReflect.baseObject)
	case *objectGoArrayReflect:
		w.add(sz(s) + hostObjectSize)
		w.base(&s.objectGoReflect.baseObject)
	default:
		// dynamic objects and anything else: a fixed size
		w.add(hostObjectSize)
	}
}

func (w *walker) weakMap(m *weakMap) {
	// the values are counted as if every key were alive
	w.add(mapSize(len(m.m), 8+valueSize))
	for _, v := range m.m {
		w.value(v)
	}
}

// mapSize estimates the Go heap a map with n entries of slot bytes (key and
// element) takes: Go's swiss tables, groups of 8 slots and 8 control bytes,
// a table at most 1024 slots, filled up to 7/8.
func mapSize(n int, slot uintptr) int64 {
	const hdr = 48
	if n == 0 {
		return hdr
	}
	group := 8 + 8*slot
	if n <= 8 {
		return hdr + allocSize(group)
	}
	capacity := uintptr(1) << bits.Len(uint((n*8+6)/7-1))
	tableCap := min(capacity, 1024)
	tables := capacity / tableCap
	return hdr + int64(tables)*(allocSize(48)+allocSize(tableCap/8*group)) + allocSize(tables*8)
}

// sizeClasses are Go's small allocation size classes (runtime/sizeclasses.go).
var sizeClasses = [...]uint16{8, 16, 24, 32, 48, 64, 80, 96, 112, 128, 144, 160, 176, 192, 208, 224, 240, 256, 288, 320, 352, 384, 416, 448, 480, 512, 576, 640, 704, 768, 896, 1024, 1152, 1280, 1408, 1536, 1792, 2048, 2304, 2688, 3072, 3200, 3456, 4096, 4864, 5376, 6144, 6528, 6784, 6912, 8192, 9472, 9728, 10240, 10880, 12288, 13568, 14336, 16384, 18432, 19072, 20480, 21760, 24576, 27264, 28672, 32768}

// allocSize is what the Go allocator takes for an allocation of n bytes.
func allocSize(n uintptr) int64 {
	if n == 0 {
		return 0
	}
	if n <= 32768 {
		lo, hi := 0, len(sizeClasses)-1
		for lo < hi {
			mid := (lo + hi) / 2
			if uintptr(sizeClasses[mid]) < n {
				lo = mid + 1
			} else {
				hi = mid
			}
		}
		return int64(sizeClasses[lo])
	}
	return int64((n + 8191) &^ 8191)
}
