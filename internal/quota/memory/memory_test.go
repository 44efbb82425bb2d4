package memory_test

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aigis-dev/aigis/internal/quota"
	"github.com/aigis-dev/aigis/internal/quota/memory"
	"github.com/aigis-dev/aigis/internal/quota/quotatest"
)

func TestLimiter(t *testing.T) {
	quotatest.Run(t, func(t *testing.T, now func() time.Time) quota.Limiter {
		return memory.New(now)
	}, false)
}

// BenchmarkReserveSettle: one key subject and one shared role subject per
// request, as the gateway does; parallel goroutines use 64 distinct keys.
func BenchmarkReserveSettle(b *testing.B) {
	l := memory.New(nil)
	ctx := context.Background()
	var n atomic.Int64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		key := "key:" + strconv.FormatInt(n.Add(1)%64, 10)
		subjects := []quota.Subject{
			{Key: key, Limits: quota.Limits{RPM: 1 << 40, TPM: 1 << 49}},
			{Key: "role:dev", Limits: quota.Limits{TPM: 1 << 49, TPD: 1 << 49}},
		}
		for pb.Next() {
			r, d, err := l.Reserve(ctx, subjects, 1000)
			if err != nil || d != nil {
				b.Fatal(err, d)
			}
			if err := l.Settle(ctx, r, 600); err != nil {
				b.Fatal(err)
			}
		}
	})
}
