package kiln

import (
	"log/slog"

	"github.com/kiln-run/kiln/engine"
)

// Option changes a Config before New applies its defaults. Options are a
// convenience for the outside world a host injects; every one of them
// sets a Config field that can be set directly too.
type Option func(*Config)

// WithLogger sends Kiln's logs to log.
func WithLogger(log *slog.Logger) Option { return func(c *Config) { c.Logger = log } }

// WithClock makes scripts see clock's time.
func WithClock(clock engine.Clock) Option { return func(c *Config) { c.Clock = clock } }

// WithRandom makes scripts draw their randomness from r.
func WithRandom(r engine.Random) Option { return func(c *Config) { c.Random = r } }
