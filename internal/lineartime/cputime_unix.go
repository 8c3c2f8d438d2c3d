//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package lineartime

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time the process has used, in user and system mode.
// Unlike the wall clock it does not grow while the process waits for a
// core that other processes hold.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return wallTime()
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
