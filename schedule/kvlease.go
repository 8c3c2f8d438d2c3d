package schedule

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Defaults KVLeaseConfig.WithDefaults fills in.
const (
	DefaultBucket      = "KILN_CRON"
	DefaultClaimTTL    = 24 * time.Hour
	DefaultHoldTimeout = 30 * time.Second
)

// KVLeaseConfig configures a KVLease. Zero fields take the defaults named.
type KVLeaseConfig struct {
	// Bucket is the KV bucket holding each job's last due time
	// (last.<jobID>) and its running hold (hold.<jobID>). Claims go in the
	// bucket Bucket+"_CLAIMS" (<jobID>.<due time in unix nanoseconds>).
	// Both are created if missing. Default "KILN_CRON".
	Bucket string
	// ClaimTTL is how long the claims bucket keeps a claim (its MaxAge; NATS
	// 2.9 has no per-key TTL). It must outlast any lateness of a node's
	// clock or timer, so that a late node cannot claim a due time again.
	// Default 24h.
	ClaimTTL time.Duration
	// HoldTimeout is how long a running job's hold lasts without being
	// refreshed: when the node running it dies, the job's next runs are
	// skipped (as overlapping) for at most this long. Holds are refreshed
	// every HoldTimeout/3. Default 30s.
	HoldTimeout time.Duration
	// Replicas of both buckets on a cluster. Default 1.
	Replicas int
	// Logger receives warnings about holds. Default slog.Default().
	Logger *slog.Logger
	// Now is the clock holds are stamped and judged with. Default time.Now.
	Now func() time.Time
}

var bucketName = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// WithDefaults returns c with every unset field filled in.
func (c KVLeaseConfig) WithDefaults() KVLeaseConfig {
	if c.Bucket == "" {
		c.Bucket = DefaultBucket
	}
	if c.ClaimTTL == 0 {
		c.ClaimTTL = DefaultClaimTTL
	}
	if c.HoldTimeout == 0 {
		c.HoldTimeout = DefaultHoldTimeout
	}
	if c.Replicas == 0 {
		c.Replicas = 1
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// Validate reports the first setting that cannot work.
func (c KVLeaseConfig) Validate() error {
	switch {
	case !bucketName.MatchString(c.Bucket):
		return fmt.Errorf("schedule KV lease config: Bucket %q must be letters, digits, '_' and '-'", c.Bucket)
	case c.ClaimTTL < time.Minute:
		return fmt.Errorf("schedule KV lease config: ClaimTTL %s is under a minute; claims must outlive any node's lateness", c.ClaimTTL)
	case c.HoldTimeout < 30*time.Millisecond:
		return fmt.Errorf("schedule KV lease config: HoldTimeout %s is too short to refresh a hold in", c.HoldTimeout)
	case c.Replicas < 1 || c.Replicas > 5:
		return fmt.Errorf("schedule KV lease config: Replicas %d must be between 1 and 5", c.Replicas)
	}
	return nil
}

// KVLease is a Lease in NATS JetStream KV, shared by every node connected
// to the same NATS. It works on NATS 2.9 and later: it needs no per-key
// TTL. Each node (each Scheduler) needs its own KVLease: a KVLease
// recognises its own claims and holds, which is what makes retrying them
// after an error safe.
type KVLease struct {
	cfg    KVLeaseConfig
	state  jetstream.KeyValue // last.<job>, hold.<job>
	claims jetstream.KeyValue // <job>.<unix nanos>
	owner  string             // this lease's identity in claims and holds
	log    *slog.Logger
}

// NewKVLease opens (creating them if missing) the buckets cfg names. ctx
// bounds the set-up only.
func NewKVLease(ctx context.Context, js jetstream.JetStream, cfg KVLeaseConfig) (*KVLease, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	state, err := openBucket(ctx, js, jetstream.KeyValueConfig{
		Bucket:      cfg.Bucket,
		Description: "Kiln scheduler: each scheduled job's last due time and running hold",
		History:     1,
		Storage:     jetstream.FileStorage,
		Replicas:    cfg.Replicas,
	})
	if err != nil {
		return nil, err
	}
	claims, err := openBucket(ctx, js, jetstream.KeyValueConfig{
		Bucket:      cfg.Bucket + "_CLAIMS",
		Description: "Kiln scheduler: which node fires each due time",
		History:     1,
		TTL:         cfg.ClaimTTL,
		Storage:     jetstream.FileStorage,
		Replicas:    cfg.Replicas,
	})
	if err != nil {
		return nil, err
	}
	var id [16]byte
	_, _ = rand.Read(id[:])
	return &KVLease{
		cfg:    cfg,
		state:  state,
		claims: claims,
		owner:  hex.EncodeToString(id[:]),
		log:    cfg.Logger.With("component", "schedule"),
	}, nil
}

// openBucket opens a bucket, creating it if missing. An existing bucket is
// used as it is, so that an operator may have tuned it.
func openBucket(ctx context.Context, js jetstream.JetStream, cfg jetstream.KeyValueConfig) (jetstream.KeyValue, error) {
	kv, err := js.KeyValue(ctx, cfg.Bucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		kv, err = js.CreateKeyValue(ctx, cfg)
		if errors.Is(err, jetstream.ErrBucketExists) { // another node created it first
			kv, err = js.KeyValue(ctx, cfg.Bucket)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("open KV bucket %s: %w", cfg.Bucket, err)
	}
	return kv, nil
}

// Claim implements Lease: the first node to create the key <jobID>.<at in
// unix nanoseconds> in the claims bucket wins.
func (l *KVLease) Claim(ctx context.Context, jobID string, at time.Time) (bool, error) {
	key := jobID + "." + strconv.FormatInt(at.UnixNano(), 10)
	_, err := l.claims.Create(ctx, key, []byte(l.owner))
	if err == nil {
		return true, nil
	}
	if !errors.Is(err, jetstream.ErrKeyExists) {
		return false, fmt.Errorf("claim %s: %w", key, err)
	}
	// Ours if an earlier attempt whose answer was lost created it.
	e, err := l.claims.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return false, nil // created, then aged out: long past
	}
	if err != nil {
		return false, fmt.Errorf("claim %s: %w", key, err)
	}
	return string(e.Value()) == l.owner, nil
}

// holdRecord is the value of hold.<jobID>.
type holdRecord struct {
	Owner       string    `json:"owner"`
	ScheduledAt time.Time `json:"scheduledAt"`
	Heartbeat   time.Time `json:"heartbeat"`
}

func (r holdRecord) encode() []byte {
	b, _ := json.Marshal(r)
	return b
}

// Hold implements Lease with the key hold.<jobID>: created by the run that
// holds the job, refreshed every HoldTimeout/3 while it runs, deleted by
// release. A record not refreshed for HoldTimeout (its node died) is taken
// over.
func (l *KVLease) Hold(ctx context.Context, jobID string, at time.Time) (ReleaseFunc, bool, error) {
	key := "hold." + jobID
	rec := holdRecord{Owner: l.owner, ScheduledAt: at, Heartbeat: l.cfg.Now()}
	for range 3 {
		rev, err := l.state.Create(ctx, key, rec.encode())
		if err == nil {
			return l.keep(key, rec, rev), true, nil
		}
		if !errors.Is(err, jetstream.ErrKeyExists) {
			return nil, false, fmt.Errorf("hold %s: %w", key, err)
		}
		e, err := l.state.Get(ctx, key)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			continue // released meanwhile
		}
		if err != nil {
			return nil, false, fmt.Errorf("hold %s: %w", key, err)
		}
		var cur holdRecord
		_ = json.Unmarshal(e.Value(), &cur) // unreadable = stale
		switch {
		case cur.Owner == l.owner && cur.ScheduledAt.Equal(at):
			return l.keep(key, cur, e.Revision()), true, nil // an earlier attempt's
		case cur.Owner == l.owner:
			// This node's earlier run, whose release failed: the Scheduler
			// never runs a job twice at once on one node.
		case l.cfg.Now().Sub(cur.Heartbeat) < l.cfg.HoldTimeout:
			return nil, false, nil
		default:
			l.log.Warn("taking over a stale scheduled-job hold: its node stopped refreshing it",
				"job", jobID, "held_for", cur.ScheduledAt, "last_heartbeat", cur.Heartbeat)
		}
		rev, err = l.state.Update(ctx, key, rec.encode(), e.Revision())
		if err == nil {
			return l.keep(key, rec, rev), true, nil
		}
		if !revisionConflict(err) {
			return nil, false, fmt.Errorf("hold %s: %w", key, err)
		}
	}
	return nil, false, nil // other nodes keep taking it
}

func revisionConflict(err error) bool {
	return errors.Is(err, jetstream.ErrKeyRevisionMismatch) || errors.Is(err, jetstream.ErrKeyExists)
}

// keep refreshes a hold until the returned release deletes it.
func (l *KVLease) keep(key string, rec holdRecord, rev uint64) ReleaseFunc {
	stop, done := make(chan struct{}), make(chan struct{})
	lost := false
	go func() {
		defer close(done)
		every := l.cfg.HoldTimeout / 3
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
			}
			rec.Heartbeat = l.cfg.Now()
			ctx, cancel := context.WithTimeout(context.Background(), every)
			r, err := l.state.Update(ctx, key, rec.encode(), rev)
			cancel()
			switch {
			case err == nil:
				rev = r
			case revisionConflict(err):
				l.log.Warn("a scheduled job's hold was taken over while its run goes on: runs may overlap", "key", key)
				lost = true
				return
			default:
				l.log.Warn("refreshing a scheduled job's hold", "key", key, "err", err)
			}
		}
	}()
	var once sync.Once
	return func(ctx context.Context) (err error) {
		once.Do(func() {
			close(stop)
			<-done
			if lost {
				return
			}
			err = l.state.Delete(ctx, key, jetstream.LastRevision(rev))
			if err != nil && !revisionConflict(err) {
				err = fmt.Errorf("release %s: %w", key, err)
			} else {
				err = nil
			}
		})
		return err
	}
}

// Last implements Lease with the key last.<jobID>.
func (l *KVLease) Last(ctx context.Context, jobID string) (time.Time, bool, error) {
	e, err := l.state.Get(ctx, "last."+jobID)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("last run of %s: %w", jobID, err)
	}
	n, err := strconv.ParseInt(string(e.Value()), 10, 64)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("last run of %s: %q is not unix nanoseconds", jobID, e.Value())
	}
	return time.Unix(0, n).UTC(), true, nil
}

// SetLast implements Lease.
func (l *KVLease) SetLast(ctx context.Context, jobID string, at time.Time) error {
	if _, err := l.state.Put(ctx, "last."+jobID, []byte(strconv.FormatInt(at.UnixNano(), 10))); err != nil {
		return fmt.Errorf("set last run of %s: %w", jobID, err)
	}
	return nil
}
