package pool

import (
	"bufio"
	"os"
	"runtime/metrics"
	"strconv"
	"strings"
)

// SystemMemory is the machine's memory in bytes, or 4 GiB when it cannot
// be read (non-Linux systems). The pool's defaults derive from it.
func SystemMemory() int64 {
	const fallback = 4 << 30
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return fallback
	}
	defer func() { _ = f.Close() }()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "MemTotal:")
		if !ok {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
		if err != nil || kb <= 0 {
			return fallback
		}
		return kb << 10
	}
	return fallback
}

// liveHeap is the heap the last garbage collection found live: garbage
// since then does not count, so idle VMs are not evicted for it.
func liveHeap() int64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return int64(s[0].Value.Uint64())
}
