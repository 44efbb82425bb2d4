package redis_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net"
	"os"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/aigis-dev/aigis/internal/quota"
	"github.com/aigis-dev/aigis/internal/quota/quotatest"
	quotaredis "github.com/aigis-dev/aigis/internal/quota/redis"
)

// client connects to AIGIS_TEST_REDIS or skips.
func client(t testing.TB) *goredis.Client {
	t.Helper()
	addr := os.Getenv("AIGIS_TEST_REDIS")
	if addr == "" {
		t.Skip("AIGIS_TEST_REDIS not set (e.g. 127.0.0.1:6379); skipping Redis quota tests")
	}
	c := goredis.NewClient(&goredis.Options{Addr: addr})
	t.Cleanup(func() { c.Close() })
	if err := c.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("redis %s: %v", addr, err)
	}
	return c
}

// prefix is unique per test so runs never see each other's counters.
func prefix(t testing.TB) string {
	b := make([]byte, 8)
	rand.Read(b)
	return "aigis-test:" + hex.EncodeToString(b) + ":"
}

func TestLimiter(t *testing.T) {
	client(t) // skip early when unset
	prefixes := map[*testing.T]string{}
	quotatest.Run(t, func(t *testing.T, now func() time.Time) quota.Limiter {
		p, ok := prefixes[t]
		if !ok {
			p = prefix(t)
			prefixes[t] = p
		}
		// A client (connection pool) per limiter: two limiters in one test
		// behave like two gateway replicas sharing one Redis.
		return quotaredis.New(client(t), quotaredis.Options{Prefix: p, Now: now})
	}, true)
}

func TestKeysExpire(t *testing.T) {
	c := client(t)
	p := prefix(t)
	l := quotaredis.New(c, quotaredis.Options{Prefix: p})
	if _, d, err := l.Reserve(context.Background(), []quota.Subject{{Key: "key:x", Limits: quota.Limits{RPM: 5}}}, 1); err != nil || d != nil {
		t.Fatalf("reserve: %v %v", d, err)
	}
	ttl, err := c.PTTL(context.Background(), p+"key:x").Result()
	if err != nil {
		t.Fatal(err)
	}
	if ttl <= 0 || ttl > 25*time.Hour {
		t.Fatalf("PTTL = %v, want a positive expiry within a day and an hour", ttl)
	}
}

func TestFailClosedAndOpen(t *testing.T) {
	// A client pointing at a closed port: every call fails fast.
	bad := goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialerRetries: 1, DialTimeout: 200 * time.Millisecond})
	defer bad.Close()
	s := []quota.Subject{{Key: "key:f", Limits: quota.Limits{RPM: 1}}}

	closed := quotaredis.New(bad, quotaredis.Options{})
	r, d, err := closed.Reserve(context.Background(), s, 10)
	if !errors.Is(err, quota.ErrUnavailable) || r != nil || d != nil {
		t.Fatalf("fail closed: got %v %v %v, want ErrUnavailable", r, d, err)
	}

	open := quotaredis.New(bad, quotaredis.Options{FailOpen: true})
	for range 3 { // RPM 1 is not enforced while Redis is down
		r, d, err = open.Reserve(context.Background(), s, 10)
		if err != nil || d != nil || r == nil {
			t.Fatalf("fail open: got %v %v %v, want an unmetered reservation", r, d, err)
		}
	}
	if err := open.Settle(context.Background(), r, 5); err != nil {
		t.Fatalf("settle of an unmetered reservation: %v", err)
	}
}

func BenchmarkReserveSettle(b *testing.B) {
	c := client(b)
	l := quotaredis.New(c, quotaredis.Options{Prefix: prefix(b)})
	ctx := context.Background()
	subjects := []quota.Subject{
		{Key: "key:bench", Limits: quota.Limits{RPM: 1 << 40, TPM: 1 << 49}},
		{Key: "role:dev", Limits: quota.Limits{TPM: 1 << 49, TPD: 1 << 49}},
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
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

// TestHungRedisFailsClosed: a Redis that accepts connections and never
// answers does not hang requests: Reserve gives up after Options.Timeout.
func TestHungRedisFailsClosed(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close() // hold it open, say nothing
		}
	}()
	// ConfigureClient makes go-redis honour the per-call deadline.
	o := &goredis.Options{Addr: ln.Addr().String()}
	quotaredis.ConfigureClient(o)
	hung := goredis.NewClient(o)
	defer hung.Close()
	l := quotaredis.New(hung, quotaredis.Options{Timeout: 100 * time.Millisecond})
	done := make(chan error, 1)
	go func() {
		_, _, err := l.Reserve(context.Background(), []quota.Subject{{Key: "key:h", Limits: quota.Limits{RPM: 1}}}, 1)
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, quota.ErrUnavailable) {
			t.Fatalf("err = %v, want ErrUnavailable", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Reserve hung on an unresponsive Redis")
	}
}
