package queue

import (
	"fmt"
	"log/slog"
	"net"
	"runtime"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
)

// Default values WithDefaults fills in. They are documented on Config.
const (
	DefaultPrefix          = "KILN"
	DefaultMaxPayload      = 256 << 10
	DefaultAckWait         = 30 * time.Second
	DefaultDedupeWindow    = 2 * time.Minute
	DefaultScanInterval    = time.Second
	DefaultAttemptsTTL     = 7 * 24 * time.Hour
	DefaultShutdownTimeout = 30 * time.Second
	DefaultSyncInterval    = time.Second
	DefaultMaxInterrupted  = 20
)

// DefaultRetry is the retry policy of a target that names none: the first
// run plus 5 retries, waiting 2 s, 4 s, 8 s, 16 s and 32 s.
var DefaultRetry = Retry{
	Retries: 5,
	Backoff: []time.Duration{2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 32 * time.Second},
}

// Config configures a Queue. Zero fields take the defaults WithDefaults names.
//
// The json tags name the keys of `kiln serve`'s config file ("queue": {...},
// docs/server.md); a field the file cannot set is tagged "-": the server
// fills URL and DataDir from its own settings.
type Config struct {
	// URL of an external NATS server or cluster (comma-separated URLs). Empty
	// means an embedded server in this process.
	URL string `json:"-"`
	// ConnectOptions are extra options for the connection to an external
	// server: credentials, TLS, and so on.
	ConnectOptions []nats.Option `json:"-"`
	// Conn is the host's own connection to a NATS server with JetStream,
	// used instead of dialing URL or starting the embedded server: Kiln
	// opens no connection of its own. Its workers and its producers share
	// it (on the queue's own connections they are kept apart, so that
	// neither waits on the other's writes: docs/queue-internals.md,
	// "Connections"). Close stops the queue's use of it, flushing its last
	// acks, and never closes it: the host closes it after Close. Open
	// refuses a closed or draining connection and one without JetStream,
	// and checks MaxPayload against the server's max_payload as for URL.
	// Setting both Conn and URL, or Conn and ConnectOptions, is an error;
	// DataDir, Listen, SyncInterval and SyncAlways, which configure the
	// embedded server, are ignored. A connection made in-process
	// (nats.InProcessServer) is taken to be to a server in this process,
	// which a crash takes down with Kiln: as with the embedded server,
	// messages stored before Open may have run (see Delivery.MayHaveRun).
	Conn *nats.Conn `json:"-"`

	// DataDir is where the embedded server keeps its JetStream files.
	// Required when URL and Conn are empty; ignored otherwise.
	DataDir string `json:"-"`
	// Listen is an optional host:port on which the embedded server accepts
	// clients (other nodes, the nats CLI). Empty means no listening socket:
	// Kiln talks to its server in-process only.
	Listen string `json:"listen"`
	// SyncInterval is how often the embedded server fsyncs its files.
	// Default 1s. Every accepted message is written to the operating system
	// before it is acknowledged, so a killed process loses nothing; the
	// interval only bounds what an operating system crash or power loss can
	// take. SyncAlways closes that window at a large cost in throughput.
	SyncInterval time.Duration `json:"syncInterval"`
	// SyncAlways makes the embedded server fsync every write. Default false.
	SyncAlways bool `json:"syncAlways"`

	// Prefix starts every stream, consumer, bucket and subject name, so that
	// several Kiln installations (or tests) share one NATS account. Letters,
	// digits, '_' and '-'. Default "KILN".
	Prefix string `json:"prefix"`
	// Replicas of each stream and bucket on a cluster. Default 1.
	Replicas int `json:"replicas"`

	// Workers is how many handlers run at once. Default 8 per core, the
	// pool's default cap on running executions: scripts mostly wait.
	Workers int `json:"workers"`
	// Prefetch caps the messages held in this process, running or waiting
	// for a worker. Larger batches make each pull cheaper; fairness does not
	// depend on it (a tenant with nothing held is fetched as soon as there is
	// room for one message). Default max(256, 8*Workers).
	Prefetch int `json:"prefetch"`
	// MaxPayload caps an event's payload in bytes. Default 256 KiB.
	MaxPayload int `json:"maxPayload" unit:"bytes"`
	// Retry applies to targets whose Retry is the zero value. Default
	// DefaultRetry.
	Retry Retry `json:"retry"`
	// AckWait is how long the server waits for a held delivery's ack before
	// redelivering it. Held deliveries get a heartbeat every AckWait/3, so a
	// long handler is not redelivered while it runs; AckWait bounds how long
	// a crashed node's deliveries wait before another attempt. Default 30s.
	AckWait time.Duration `json:"ackWait"`
	// DedupeWindow is how long the server remembers message ids to drop
	// duplicate publishes (an event published twice with the same id, a
	// dispatcher redelivered after a crash). Default 2 minutes.
	DedupeWindow time.Duration `json:"dedupeWindow"`
	// ScanInterval is how often the queue lists the tenants with deliveries
	// in the stream, finding work that no local signal announced (published
	// by another node, redelivered after an AckWait). Default 1s.
	ScanInterval time.Duration `json:"scanInterval"`
	// AttemptsTTL is how long the record of a delivery's failed attempts
	// outlives its last write. Default 7 days.
	AttemptsTTL time.Duration `json:"attemptsTTL"`
	// MaxInterrupted dead-letters a delivery that was handed out this many
	// times more than it has recorded outcomes: a handler that crashes its
	// process every time must not loop forever. Default 20.
	MaxInterrupted int `json:"maxInterrupted"`
	// ShutdownTimeout bounds how long Close waits for running handlers.
	// Default 30s.
	ShutdownTimeout time.Duration `json:"shutdownTimeout"`

	// Logger receives the queue's and the embedded server's logs. Default
	// slog.Default().
	Logger *slog.Logger `json:"-"`
	// Now is the clock. Default time.Now.
	Now func() time.Time `json:"-"`
}

// WithDefaults returns c with every unset field filled in.
func (c Config) WithDefaults() Config {
	if c.Prefix == "" {
		c.Prefix = DefaultPrefix
	}
	if c.Replicas == 0 {
		c.Replicas = 1
	}
	if c.Workers == 0 {
		c.Workers = 8 * runtime.GOMAXPROCS(0)
	}
	if c.Prefetch == 0 {
		c.Prefetch = max(256, 8*c.Workers)
	}
	if c.MaxPayload == 0 {
		c.MaxPayload = DefaultMaxPayload
	}
	if c.Retry.isZero() {
		c.Retry = DefaultRetry
	}
	if c.AckWait == 0 {
		c.AckWait = DefaultAckWait
	}
	if c.DedupeWindow == 0 {
		c.DedupeWindow = DefaultDedupeWindow
	}
	if c.ScanInterval == 0 {
		c.ScanInterval = DefaultScanInterval
	}
	if c.AttemptsTTL == 0 {
		c.AttemptsTTL = DefaultAttemptsTTL
	}
	if c.MaxInterrupted == 0 {
		c.MaxInterrupted = DefaultMaxInterrupted
	}
	if c.ShutdownTimeout == 0 {
		c.ShutdownTimeout = DefaultShutdownTimeout
	}
	if c.SyncInterval == 0 {
		c.SyncInterval = DefaultSyncInterval
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// Validate reports the first problem with c in plain words. Call it on the
// result of WithDefaults.
func (c Config) Validate() error {
	switch {
	case c.Conn != nil && c.URL != "":
		return fmt.Errorf("queue config: set Conn (the host's connection) or URL (a server to dial), not both")
	case c.Conn != nil && len(c.ConnectOptions) > 0:
		return fmt.Errorf("queue config: ConnectOptions apply to a connection the queue dials; with Conn the host configures its own connection")
	case c.Conn == nil && c.URL == "" && c.DataDir == "":
		return fmt.Errorf("queue config: DataDir is required for the embedded server (or set URL for an external one, or Conn for the host's connection)")
	}
	if !validToken(c.Prefix, 32) {
		return fmt.Errorf("queue config: Prefix %q must be 1-32 letters, digits, '_' or '-'", c.Prefix)
	}
	if c.Listen != "" {
		host, port, err := net.SplitHostPort(c.Listen)
		if err != nil {
			return fmt.Errorf("queue config: Listen %q is not host:port: %w", c.Listen, err)
		}
		if _, err := strconv.ParseUint(port, 10, 16); err != nil || host == "" {
			return fmt.Errorf("queue config: Listen %q needs a host and a port number", c.Listen)
		}
	}
	switch {
	case c.Replicas < 1 || c.Replicas > 5:
		return fmt.Errorf("queue config: Replicas must be 1 to 5, not %d", c.Replicas)
	case c.Workers < 1:
		return fmt.Errorf("queue config: Workers must be at least 1, not %d", c.Workers)
	case c.Prefetch < c.Workers:
		return fmt.Errorf("queue config: Prefetch (%d) must be at least Workers (%d)", c.Prefetch, c.Workers)
	case c.MaxPayload < 1 || c.MaxPayload > 8<<20:
		return fmt.Errorf("queue config: MaxPayload must be 1 byte to 8 MiB, not %d", c.MaxPayload)
	case c.AckWait < 100*time.Millisecond:
		return fmt.Errorf("queue config: AckWait must be at least 100ms, not %s", c.AckWait)
	case c.DedupeWindow < time.Second:
		return fmt.Errorf("queue config: DedupeWindow must be at least 1s, not %s", c.DedupeWindow)
	case c.ScanInterval < 10*time.Millisecond:
		return fmt.Errorf("queue config: ScanInterval must be at least 10ms, not %s", c.ScanInterval)
	case c.AttemptsTTL < time.Minute:
		return fmt.Errorf("queue config: AttemptsTTL must be at least a minute, not %s", c.AttemptsTTL)
	case c.MaxInterrupted < 1:
		return fmt.Errorf("queue config: MaxInterrupted must be at least 1, not %d", c.MaxInterrupted)
	case c.SyncInterval < 0:
		return fmt.Errorf("queue config: SyncInterval must not be negative")
	}
	if err := c.Retry.validate(); err != nil {
		return fmt.Errorf("queue config: Retry: %w", err)
	}
	return nil
}

// Retry is how often and when a failed delivery is tried again.
//
// The zero Retry means "the queue's default" (Config.Retry). Retries < 0
// means no retry at all: the first failure dead-letters the delivery.
type Retry struct {
	// Retries is how many times a failed delivery is tried again after its
	// first attempt.
	Retries int `json:"retries"`
	// Backoff[n-1] is the wait before the n-th retry; the last value repeats
	// when the slice is shorter than Retries. Empty means retry at once.
	Backoff []time.Duration `json:"backoff,omitempty"`
}

func (r Retry) isZero() bool { return r.Retries == 0 && len(r.Backoff) == 0 }

// maxAttempts is the first run plus the retries.
func (r Retry) maxAttempts() int { return 1 + max(0, r.Retries) }

// delay is the wait before the retry that follows the failed attempt n
// (n >= 1): the wait before retry n.
func (r Retry) delay(n int) time.Duration {
	if len(r.Backoff) == 0 {
		return 0
	}
	return r.Backoff[min(n, len(r.Backoff))-1]
}

func (r Retry) validate() error {
	if r.Retries > 1000 {
		return fmt.Errorf("at most 1000 retries, not %d", r.Retries)
	}
	for _, d := range r.Backoff {
		if d < 0 {
			return fmt.Errorf("backoff %s is negative", d)
		}
	}
	return nil
}
