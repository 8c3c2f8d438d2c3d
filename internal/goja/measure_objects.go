package goja

// Kiln patch 1 (FORK.md): what the meter's walk (measure.go) counts for each
// kind of goja structure — its own size, rounded to Go's allocation size
// classes, and the values it holds, which the walk then visits.

import (
	"math/bits"
	"unsafe"

	"github.com/kiln-run/kiln/internal/goja/unistring"
)

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
