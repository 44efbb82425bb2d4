package audit

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aigis-dev/aigis/internal/store/storetest"
)

// BenchmarkAppend measures Log.Append latency (enqueue to durable commit)
// with 1, 16 and 64 concurrent appenders, on SQLite (WAL,
// synchronous=NORMAL and FULL) and, when AIGIS_TEST_POSTGRES is set, on
// PostgreSQL. ns/op is wall time per event (throughput); p50/p99 are per
// Append call.
//
//	go test -run '^$' -bench BenchmarkAppend -benchtime 2000x ./internal/audit
func BenchmarkAppend(b *testing.B) {
	kinds := []struct {
		name string
		dsn  func(testing.TB) string
	}{
		{"sqlite", storetest.SQLiteDSN},
		{"sqlite-full", func(t testing.TB) string { return "sqlite://" + storetest.SQLiteDSN(t) + "?synchronous=full" }},
		{"postgres", storetest.PostgresDSN},
	}
	for _, k := range kinds {
		for _, writers := range []int{1, 16, 64} {
			b.Run(fmt.Sprintf("%s/writers=%d", k.name, writers), func(b *testing.B) {
				st := openStore(b, k.dsn(b))
				l := newLog(b, st, Options{})
				benchAppend(b, l, writers)
			})
		}
	}
}

func benchAppend(b *testing.B, l *Log, writers int) {
	ctx := context.Background()
	// Warm up the connection and statement caches.
	for range 10 {
		if err := l.Append(ctx, sampleEvent(0)); err != nil {
			b.Fatal(err)
		}
	}
	lat := make([][]time.Duration, writers)
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ReportAllocs()
	cpu0 := cpuTime()
	b.ResetTimer()
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(b.N) {
				ev := sampleEvent(w)
				t0 := time.Now()
				if err := l.Append(ctx, ev); err != nil {
					b.Error(err)
					return
				}
				lat[w] = append(lat[w], time.Since(t0))
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	// Process CPU time (user+system) per event: unlike wall time, it does
	// not grow when other processes compete for the CPU.
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
	all := slices.Concat(lat...)
	if len(all) == 0 {
		return
	}
	slices.Sort(all)
	q := func(p float64) float64 { return float64(all[int(p*float64(len(all)-1))].Microseconds()) }
	b.ReportMetric(q(0.50), "p50-µs")
	b.ReportMetric(q(0.99), "p99-µs")
	b.ReportMetric(q(0.999), "p99.9-µs")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkVerify measures chain verification throughput.
func BenchmarkVerify(b *testing.B) {
	st := openStore(b, storetest.SQLiteDSN(b))
	l := newLog(b, st, Options{})
	const n = 5000
	var wg sync.WaitGroup
	for w := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range n / 50 {
				if err := l.Append(context.Background(), sampleEvent(w)); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.ResetTimer()
	for b.Loop() {
		rep, err := Verify(context.Background(), st)
		if err != nil || !rep.OK() || rep.Events != n {
			b.Fatalf("verify: %v %+v", err, rep.Problems)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkCanonical measures event encoding and hashing (done by each
// appender before it queues, off the commit path).
func BenchmarkCanonical(b *testing.B) {
	ev := sampleEvent(1)
	ev.ID, ev.Time = NewID(), time.Now()
	prev := make([]byte, 32)
	b.ReportAllocs()
	for b.Loop() {
		data, err := canonical(ev)
		if err != nil {
			b.Fatal(err)
		}
		_ = chainHash(1, prev, data)
	}
}
