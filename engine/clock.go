package engine

import (
	"math/rand/v2"
	"sync"
	"time"
)

// Clock is the only source of time a script sees: Date, performance.now and
// the timers all read it. Injecting it is what lets a task be replayed
// exactly and lets tests drive timers without sleeping.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// NewTimer returns a channel that receives once d has passed, and a
	// function that stops the timer (reporting whether it was still pending).
	NewTimer(d time.Duration) (<-chan time.Time, func() bool)
}

// SystemClock is the real clock. Inside a testing/synctest bubble it is the
// bubble's fake clock, which is how the engine's timer tests avoid sleeping.
type SystemClock struct{}

// Now implements Clock.
func (SystemClock) Now() time.Time { return time.Now() }

// NewTimer implements Clock.
func (SystemClock) NewTimer(d time.Duration) (<-chan time.Time, func() bool) {
	t := time.NewTimer(d)
	return t.C, t.Stop
}

// Random is the only source of randomness a script sees: Math.random and
// crypto.getRandomValues/randomUUID both draw from it.
type Random interface {
	// Read fills p with random bytes. It never fails.
	Read(p []byte)
	// Float64 returns a number in [0, 1).
	Float64() float64
}

// NewRandom returns a Random. With seed 0 it is seeded from the operating
// system; with any other seed two Randoms produce the same sequence.
func NewRandom(seed uint64) Random {
	if seed == 0 {
		return &chachaRandom{r: rand.New(rand.NewChaCha8(randomSeed()))}
	}
	var s [32]byte
	for i := range 8 {
		s[i] = byte(seed >> (8 * i))
	}
	return &chachaRandom{r: rand.New(rand.NewChaCha8(s))}
}

func randomSeed() [32]byte {
	var s [32]byte
	for i := 0; i < 32; i += 8 {
		v := rand.Uint64()
		for j := range 8 {
			s[i+j] = byte(v >> (8 * j))
		}
	}
	return s
}

// chachaRandom is safe for concurrent use: one VM runs on one goroutine at a
// time, but a Random may be shared by several VMs.
type chachaRandom struct {
	mu sync.Mutex
	r  *rand.Rand
}

func (c *chachaRandom) Read(p []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := 0; i < len(p); i += 8 {
		v := c.r.Uint64()
		for j := 0; j < 8 && i+j < len(p); j++ {
			p[i+j] = byte(v >> (8 * j))
		}
	}
}

func (c *chachaRandom) Float64() float64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.r.Float64()
}
