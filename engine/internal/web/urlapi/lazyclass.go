package urlapi

import "github.com/kiln-run/kiln/internal/goja"

// lazyClass is a WebIDL interface object (URL, URLSearchParams) whose
// members are built the first time anything touches it.
//
// Building a class means ~25 native function objects at ~1µs each in goja,
// too much for Install, which runs for every VM while many scripts never
// use URL. So scripts get a Proxy of the real constructor (target). While
// the class is unbuilt, the proxy's handler offers every trap; each one
// builds the class and then performs the operation through Reflect (the
// trap and Reflect functions share names and arguments by design). Once
// built, the handler offers only the apply trap, so every other operation
// reaches the target natively, at full speed and with exact semantics.
//
// The apply trap stays because goja's native constructors cannot tell
// `new C()` from `C()`, and WebIDL constructors must throw on a plain call.
type lazyClass struct {
	in     *installation
	name   string
	length int
	target *goja.Object // the real constructor, never handed to scripts
	proto  *goja.Object
	ctor   *goja.Object // the proxy that scripts see as the class
	built  bool

	build     func(c *lazyClass) // defines static and prototype members
	construct func(obj *goja.Object, args []goja.Value)

	traps map[string]goja.Value
}

func (in *installation) newLazyClass(name string, length int, construct func(*goja.Object, []goja.Value), build func(*lazyClass)) (*lazyClass, error) {
	rt := in.rt
	c := &lazyClass{in: in, name: name, length: length, construct: construct, build: build}
	c.target = rt.ToValue(func(call goja.ConstructorCall) *goja.Object {
		// Through the proxy new.target is always set; without it the target
		// was reached some other way and must not construct anything.
		if call.NewTarget == nil {
			in.throwTypeError("Illegal constructor")
		}
		c.ensure()
		c.construct(call.This, call.Arguments)
		return nil
	}).(*goja.Object)
	// goja gave the target a prototype object; it becomes the class's.
	c.proto = c.target.Get("prototype").(*goja.Object)
	handler := rt.NewDynamicObject((*lazyHandler)(c))
	// A null prototype, so that a script adding Object.prototype.get cannot
	// plant traps in this handler.
	if err := handler.SetPrototype(nil); err != nil {
		return nil, err
	}
	proxy, err := rt.New(in.proxyCtor, c.target, handler)
	if err != nil {
		return nil, err
	}
	c.ctor = proxy
	return c, nil
}

// ensure builds the class once.
func (c *lazyClass) ensure() {
	if c.built {
		return
	}
	c.built = true
	in := c.in
	in.setNameLength(c.target, c.name, c.length)
	_ = c.target.DefineDataProperty("prototype", c.proto, goja.FLAG_FALSE, goja.FLAG_FALSE, goja.FLAG_FALSE)
	_ = c.proto.DefineDataProperty("constructor", c.ctor, goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_FALSE)
	in.tag(c.proto, c.name)
	// goja's proxies lack the internal hook that the inherited
	// Function.prototype[Symbol.hasInstance] calls, so `x instanceof C`
	// would throw; an own ordinary-instanceof method fixes that.
	_ = c.target.DefineDataPropertySymbol(goja.SymHasInstance, in.fn("[Symbol.hasInstance]", 1, in.ordinaryHasInstance),
		goja.FLAG_FALSE, goja.FLAG_TRUE, goja.FLAG_FALSE)
	c.build(c)
}

// lazyHandler is the proxy handler of a lazyClass, as a goja dynamic
// object so its traps can appear and disappear.
type lazyHandler lazyClass

var proxyTraps = map[string]bool{
	"get": true, "set": true, "has": true, "deleteProperty": true, "defineProperty": true,
	"getOwnPropertyDescriptor": true, "ownKeys": true, "preventExtensions": true, "construct": true,
}

func (h *lazyHandler) Get(key string) goja.Value {
	c := (*lazyClass)(h)
	if key == "apply" {
		return c.trap(key, func(goja.FunctionCall) goja.Value {
			c.in.throwTypeError("Class constructor %s cannot be invoked without 'new'", c.name)
			return nil
		})
	}
	if c.built || !proxyTraps[key] {
		return nil
	}
	return c.trap(key, func(call goja.FunctionCall) goja.Value {
		c.ensure()
		// Reflect is looked up now rather than at Install: creating it
		// costs goja ~15µs in a fresh runtime and most VMs never get here.
		// A script that replaced Reflect before first touching the class
		// only changes how its own operation is forwarded.
		var f goja.Callable
		if r, ok := c.in.rt.Get("Reflect").(*goja.Object); ok {
			f, _ = goja.AssertFunction(r.Get(key))
		}
		if f == nil {
			c.in.throwTypeError("Reflect.%s is not a function", key)
		}
		v, err := f(goja.Undefined(), call.Arguments...)
		if err != nil {
			panic(err)
		}
		return v
	})
}

func (c *lazyClass) trap(key string, f func(goja.FunctionCall) goja.Value) goja.Value {
	if t, ok := c.traps[key]; ok {
		return t
	}
	if c.traps == nil {
		c.traps = make(map[string]goja.Value, 2)
	}
	t := c.in.fn(key, 0, f)
	c.traps[key] = t
	return t
}

func (h *lazyHandler) Set(string, goja.Value) bool { return false }
func (h *lazyHandler) Has(key string) bool         { return h.Get(key) != nil }
func (h *lazyHandler) Delete(string) bool          { return false }
func (h *lazyHandler) Keys() []string              { return nil }
