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
	var byMode [2][]time.Duration
	i := 0
	for b.Loop() {
		t := texts[names[i%len(names)]]
		m := (i / len(names)) % 2 // every input in both modes
		mode := []injection.Mode{injection.ModeUser, injection.ModeDocument}[m]
		i++
		c0 := threadCPU()
		d.Detect(t, mode)
		el := threadCPU() - c0
		lat = append(lat, el)
		byMode[m] = append(byMode[m], el)
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(injection.Percentile(lat, 0.50).Nanoseconds()), "cpu-p50-ns")
	b.ReportMetric(float64(injection.Percentile(lat, 0.99).Nanoseconds()), "cpu-p99-ns")
	b.ReportMetric(float64(lat[len(lat)-1].Nanoseconds()), "cpu-max-ns")
	reportModes(b, byMode)
}

func reportModes(b *testing.B, byMode [2][]time.Duration) {
	for m, name := range []string{"user", "doc"} {
		l := byMode[m]
		if len(l) == 0 {
			continue
		}
		sort.Slice(l, func(i, j int) bool { return l[i] < l[j] })
		b.ReportMetric(float64(injection.Percentile(l, 0.50).Nanoseconds()), "cpu-p50-"+name+"-ns")
		b.ReportMetric(float64(injection.Percentile(l, 0.99).Nanoseconds()), "cpu-p99-"+name+"-ns")
	}
}

// BenchmarkDocument8KBCPUTime alternates user and document mode on the same
// 8 KB document: the difference is the cost of sentence-level scoring,
// measured in the same run on on-CPU time.
func BenchmarkDocument8KBCPUTime(b *testing.B) {
	d, err := injection.New(injection.Options{})
	if err != nil {
		b.Fatal(err)
	}
	text := document8KB()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var byMode [2][]time.Duration
	i := 0
	for b.Loop() {
		m := i % 2
		i++
		c0 := threadCPU()
		d.Detect(text, []injection.Mode{injection.ModeUser, injection.ModeDocument}[m])
		byMode[m] = append(byMode[m], threadCPU()-c0)
	}
	reportModes(b, byMode)
}
