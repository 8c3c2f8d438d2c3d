// Package engine runs sandboxed JavaScript and TypeScript handlers under
// limits and returns a result, logs, an error with a stable code, and
// metrics. It knows nothing of HTTP, stores or queues: triggers and the
// server are thin adapters around it.
//
// The life of a script: Compile transforms and lowers a Source once (cached by
// content hash); NewVM creates a sandboxed VM bound to that Program and runs
// its module code; Invoke calls its handler, as many times as the caller
// likes, one at a time.
package engine

import (
	"context"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/dlclark/regexp2/v2"
)

// Config holds the engine's defaults. The zero value is usable: WithDefaults
// fills every unset field.
type Config struct {
	// Timeout is the default wall-clock limit of one invocation. Default 30s.
	Timeout time.Duration
	// MemoryLimit is the default memory limit of one invocation, in bytes.
	// Default 64 MiB. See docs/limits.md for how it is measured.
	MemoryLimit int64
	// MaxCallStackSize is the deepest JavaScript call stack allowed before
	// STACK_OVERFLOW. Default 10,000 frames.
	MaxCallStackSize int
	// OutputBytes caps the JSON size of a handler's result. Default 1 MiB.
	OutputBytes int64
	// MaxLogEntries caps the log lines kept per invocation; later lines are
	// dropped and the truncation is marked. Default 1,000.
	MaxLogEntries int
	// MaxLogBytes caps the bytes of log messages kept per invocation.
	// Default 256 KiB.
	MaxLogBytes int
	// RegexpTimeout bounds one match of a backtracking regular expression
	// (goja cannot interrupt a native call). A match that runs this long
	// fails the invocation with TIMEOUT. Default 100ms.
	RegexpTimeout time.Duration
	// CacheSize is how many compiled programs are kept, the most recently
	// used; four times as many compiled files are kept besides, so that a
	// program whose files mostly did not change compiles only the changed
	// ones. Default 512.
	CacheSize int
	// Clock is the time every script sees. Default SystemClock.
	Clock Clock
	// Random is the randomness every script sees. Default NewRandom(0).
	Random Random
	// Modules are the host functions every VM exposes, through the gate.
	Modules []Module
	// Fetch sends the requests of scripts' fetch() calls, through the gate
	// (each is recorded as a host call named "fetch"). Kiln's server gives
	// it sdk.Fetch, backed by an *outbound.Client, which guards against
	// SSRF. Nil (the default) leaves fetch defined but rejecting with a
	// TypeError whose code is NOT_SUPPORTED.
	Fetch FetchFunc
	// HostCallGuard, if set, is asked before every host call (fetch and
	// every module function) and may refuse it with an *Error, such as
	// RATE_LIMITED; the refusal is recorded like any failed call.
	HostCallGuard func(ctx context.Context, meta Meta, name string) error
	// OnHostCall, if set, is told of every host call (fetch and every
	// module function) before HostCallGuard is asked, and may return a
	// context for the call (say, one carrying a tracing span) and a
	// function that the gate calls once with the call's error code (""
	// on success) when it ends. Kiln's tracing is this hook; nil (the
	// default) costs nothing.
	OnHostCall func(ctx context.Context, meta Meta, name string) (context.Context, func(code Code))
	// MemorySampleInterval is how often the memory watchdog samples the
	// heap while invocations run. Default 1ms.
	MemorySampleInterval time.Duration
	// ManageHeapLimit keeps the Go runtime's soft memory limit
	// (debug.SetMemoryLimit) at the process's idle live heap plus the
	// memory limits of the invocations running plus 64 MiB, so that
	// scripts' garbage is collected before the process grows past what
	// they may hold (docs/limits.md). The limit is the process's: leave
	// this off if the host tunes GOMEMLIMIT itself (a limit already set
	// is never changed). kiln serve turns it on.
	ManageHeapLimit bool
}

// WithDefaults returns a copy of c with every unset field set to its default.
func (c Config) WithDefaults() Config {
	if c.Timeout == 0 {
		c.Timeout = 30 * time.Second
	}
	if c.MemoryLimit == 0 {
		c.MemoryLimit = 64 << 20
	}
	if c.MaxCallStackSize == 0 {
		c.MaxCallStackSize = 10_000
	}
	if c.OutputBytes == 0 {
		c.OutputBytes = 1 << 20
	}
	if c.MaxLogEntries == 0 {
		c.MaxLogEntries = 1000
	}
	if c.MaxLogBytes == 0 {
		c.MaxLogBytes = 256 << 10
	}
	if c.RegexpTimeout == 0 {
		c.RegexpTimeout = 100 * time.Millisecond
	}
	if c.CacheSize == 0 {
		c.CacheSize = 512
	}
	if c.Clock == nil {
		c.Clock = SystemClock{}
	}
	if c.Random == nil {
		c.Random = NewRandom(0)
	}
	if c.MemorySampleInterval == 0 {
		c.MemorySampleInterval = time.Millisecond
	}
	return c
}

// Validate reports the first setting that cannot work, in plain English.
func (c Config) Validate() error {
	switch {
	case c.Timeout < time.Millisecond:
		return fmt.Errorf("engine timeout %s is too short: use at least 1ms", c.Timeout)
	case c.MemoryLimit < 1<<20:
		return fmt.Errorf("engine memory limit %d bytes is too small: use at least 1 MiB", c.MemoryLimit)
	case c.MaxCallStackSize < 10:
		return fmt.Errorf("max call stack size %d is too small: use at least 10", c.MaxCallStackSize)
	case c.OutputBytes < 1:
		return fmt.Errorf("output cap %d bytes must be positive", c.OutputBytes)
	case c.MaxLogEntries < 1 || c.MaxLogBytes < 1:
		return fmt.Errorf("log caps must be positive")
	case c.RegexpTimeout < time.Millisecond:
		return fmt.Errorf("regexp timeout %s is too short: use at least 1ms", c.RegexpTimeout)
	case c.CacheSize < 1:
		return fmt.Errorf("compile cache size %d must be positive", c.CacheSize)
	}
	seen := map[string]bool{}
	for _, m := range c.Modules {
		for _, f := range m.Funcs {
			if err := f.validate(); err != nil {
				return err
			}
			if seen[f.Name] {
				return fmt.Errorf("host function %q is registered twice", f.Name)
			}
			seen[f.Name] = true
		}
	}
	return nil
}

// Engine compiles programs and creates VMs. It is safe for concurrent use.
type Engine struct {
	cfg      Config
	compiler *compiler
	memory   *memoryWatchdog
}

// regexpTimeoutOnce sets regexp2's process-wide match timeout the first time
// an engine is made, unless the host application already chose one.
var regexpTimeoutOnce sync.Once

// New returns an engine with cfg's settings (defaults filled in). Call Close
// when done to stop its memory watchdog.
func New(cfg Config) (*Engine, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	regexpTimeoutOnce.Do(func() {
		if regexp2.DefaultMatchTimeout == time.Duration(math.MaxInt64) {
			regexp2.DefaultMatchTimeout = cfg.RegexpTimeout
		}
	})
	var limiter *heapLimiter
	if cfg.ManageHeapLimit {
		processHeapLimiter.acquire()
		limiter = &processHeapLimiter
	}
	return &Engine{
		cfg:      cfg,
		compiler: newCompiler(cfg.CacheSize),
		memory:   newMemoryWatchdog(cfg.MemorySampleInterval, limiter),
	}, nil
}

// Config returns the engine's effective configuration.
func (e *Engine) Config() Config { return e.cfg }

// Close stops the engine's background work. VMs must not be used after it.
func (e *Engine) Close() error {
	if e.memory.close() && e.memory.limiter != nil {
		e.memory.limiter.release()
	}
	return nil
}

// Compile transforms, lowers and compiles src. It returns a SYNTAX_ERROR (with
// the user's file, line and column) when the source does not parse, and a
// SANDBOX_VIOLATION when it imports anything but its own files. Results are
// cached by content hash.
func (e *Engine) Compile(ctx context.Context, src Source) (*Program, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return e.compiler.compile(src)
}
