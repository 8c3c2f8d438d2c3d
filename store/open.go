package store

import "log/slog"

// OpenOption configures how an implementation (store/sqlite,
// store/postgres) opens its database.
type OpenOption func(*OpenConfig)

// OpenConfig is what OpenOptions set; NewOpenConfig fills in the defaults.
type OpenConfig struct {
	// Logger receives what the store reports on its own, such as the
	// scripts a migration renamed. Default slog.Default().
	Logger *slog.Logger
}

// WithLogger sends the store's own reports to log.
func WithLogger(log *slog.Logger) OpenOption {
	return func(c *OpenConfig) { c.Logger = log }
}

// NewOpenConfig applies opts over the defaults.
func NewOpenConfig(opts ...OpenOption) OpenConfig {
	var c OpenConfig
	for _, o := range opts {
		o(&c)
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}
