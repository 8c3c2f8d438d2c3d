// Package schedule runs scheduled scripts: it parses cron expressions with
// their time zones (Parse), and fires each job at its due times (Scheduler).
//
// Several nodes may run a Scheduler with the same jobs: a Lease shared
// through NATS JetStream KV (NewKVLease) lets exactly one of them fire each
// due time, keeps runs of one job from overlapping across nodes, and
// remembers each job's last due time so that runs missed while every node
// was down can be caught up at start. docs/cron.md tells the whole story:
// expressions, time zones and daylight saving, overlaps, missed runs and the
// lease.
package schedule

// The zone database is compiled in (about 450 KB), so that the time zones
// Parse accepts do not depend on the host having /usr/share/zoneinfo: a
// schedule validated on one node must load on every other.
import _ "time/tzdata"
