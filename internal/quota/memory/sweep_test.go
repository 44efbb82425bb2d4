package memory

import (
	"context"
	"testing"
	"time"

	"github.com/aigis-dev/aigis/internal/quota"
)

func (l *Limiter) subjects() int {
	n := 0
	for i := range l.shards {
		l.shards[i].mu.RLock()
		n += len(l.shards[i].m)
		l.shards[i].mu.RUnlock()
	}
	return n
}

// TestSweepDropsIdleSubjects: memory stays bounded by active subjects, and
// a swept subject starts fresh.
func TestSweepDropsIdleSubjects(t *testing.T) {
	now := time.Now()
	l := New(func() time.Time { return now })
	ctx := context.Background()
	old := []quota.Subject{{Key: "key:old", Limits: quota.Limits{TPD: 100}}}
	if _, d, _ := l.Reserve(ctx, old, 100); d != nil {
		t.Fatal(d)
	}
	now = now.Add(idleAfter + time.Hour)
	active := []quota.Subject{{Key: "key:active", Limits: quota.Limits{RPM: 1 << 40}}}
	for range 4096 {
		if _, d, _ := l.Reserve(ctx, active, 0); d != nil {
			t.Fatal(d)
		}
	}
	if n := l.subjects(); n != 1 {
		t.Fatalf("%d subjects after the sweep, want 1", n)
	}
	if _, d, _ := l.Reserve(ctx, old, 100); d != nil {
		t.Fatalf("swept subject (new day) denied: %v", d)
	}
}
