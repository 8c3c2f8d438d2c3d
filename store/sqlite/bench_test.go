package sqlite_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/kiln-run/kiln/kilntype"
	"github.com/kiln-run/kiln/store"
)

// BenchmarkExecutionWrite writes batches of 64 completed HTTP execution
// records, the shape and batch size of a busy server's recorder, as rows
// (ExecutionWrite); the ns/op is per record.
func BenchmarkExecutionWrite(b *testing.B) {
	benchmarkRecords(b, store.Store.ExecutionWrite)
}

// BenchmarkExecutionAppend is BenchmarkExecutionWrite through
// ExecutionAppend, which stores the records of one script in batches.
func BenchmarkExecutionAppend(b *testing.B) {
	benchmarkRecords(b, store.Store.ExecutionAppend)
}

func benchmarkRecords(b *testing.B, write func(store.Store, context.Context, []kilntype.Execution) error) {
	path := filepath.Join(b.TempDir(), "kiln.db")
	s := open(b, path)
	ctx := b.Context()
	tenant, err := s.TenantCreate(ctx, store.TenantCreateParams{Slug: "acme"})
	if err != nil {
		b.Fatal(err)
	}
	sc, err := s.ScriptCreate(ctx, store.ScriptCreateParams{TenantID: tenant.ID, Name: "hello", Type: kilntype.TypeManual, Status: kilntype.StatusActive})
	if err != nil {
		b.Fatal(err)
	}
	const batch = 64
	// What an HTTP trigger records for a wrk request.
	input := json.RawMessage(`{"method":"GET","path":"/t/bench/hello","params":{},"query":{"name":"Ada"},"headers":{"Host":"127.0.0.1:18080"},"body":null}`)
	execs := make([]kilntype.Execution, batch)
	n := 0
	cpu0 := cpuTime()
	b.ResetTimer()
	for i := 0; i < b.N; i += batch {
		for j := range execs {
			now := time.Now().UTC()
			n++
			execs[j] = kilntype.Execution{ID: fmt.Sprintf("%012x%020x", now.UnixMilli(), n), TenantID: tenant.ID, ScriptID: sc.ID, Version: 1,
				Trigger: "http", Status: kilntype.ExecCompleted, Input: input, Output: json.RawMessage(`{"hello":"Ada"}`),
				Logs: []kilntype.LogLine{}, DurationMs: 0.04, CreatedAt: now, StartedAt: &now, FinishedAt: &now}
		}
		if err := write(s, ctx, execs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
}

// cpuTime is the CPU time the process has used (user and system): unlike
// ns/op it does not count time spent waiting on fsync or on another
// process using the machine.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
