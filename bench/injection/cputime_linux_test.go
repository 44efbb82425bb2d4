//go:build linux

package injection_bench

import (
	"runtime"
	"sort"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/aigis-dev/aigis/guard/injection"
)

// threadCPU returns the calling thread's CPU time (CLOCK_THREAD_CPUTIME_ID).
func threadCPU() time.Duration {
	var ts syscall.Timespec
	const clockThreadCPUTime = 3
	syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockThreadCPUTime, uintptr(unsafe.Pointer(&ts)), 0)
	return time.Duration(ts.Nano())
}

// BenchmarkDetectCPUTime reports per-call p50/p99 of on-CPU time (the
// thread's CPU clock), which, unlike wall time, excludes time the thread
// spent preempted on a shared, oversubscribed machine.
func BenchmarkDetectCPUTime(b *testing.B) {
	d, err := injection.New(injection.Options{})
	if err != nil {
		b.Fatal(err)
	}
	texts := inputs()
	names := make([]string, 0, len(texts))
	for n := range texts {
		names = append(names, n)
	}
	sort.Strings(names)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	lat := make([]time.Duration, 0, b.N)
	i := 0
	for b.Loop() {
		t := texts[names[i%len(names)]]
		mode := injection.ModeUser
		if i%2 == 1 {
			mode = injection.ModeDocument
		}
		i++
		c0 := threadCPU()
		d.Detect(t, mode)
		lat = append(lat, threadCPU()-c0)
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(injection.Percentile(lat, 0.50).Nanoseconds()), "cpu-p50-ns")
	b.ReportMetric(float64(injection.Percentile(lat, 0.99).Nanoseconds()), "cpu-p99-ns")
	b.ReportMetric(float64(lat[len(lat)-1].Nanoseconds()), "cpu-max-ns")
}
