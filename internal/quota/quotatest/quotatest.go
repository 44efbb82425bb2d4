// Package quotatest is the conformance suite every quota.Limiter passes.
// Implementations call Run from their tests.
package quotatest

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aigis-dev/aigis/internal/quota"
)

// Clock is a settable clock for tests.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock starts at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the current fake time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// Factory returns a limiter using clock now. Limiters made by one Factory
// within one test share their backend when the implementation is shared
// (Redis) and each test gets a fresh namespace.
type Factory func(t *testing.T, now func() time.Time) quota.Limiter

// Run runs the suite. shared says whether two limiters from one Factory in
// one test share state (true for Redis), enabling the cross-instance test.
func Run(t *testing.T, newLimiter Factory, shared bool) {
	t.Run("RequestsPerMinute", func(t *testing.T) { testRPM(t, newLimiter) })
	t.Run("TokensPerMinuteAndSettle", func(t *testing.T) { testTPM(t, newLimiter) })
	t.Run("TokensPerDay", func(t *testing.T) { testTPD(t, newLimiter) })
	t.Run("AllOrNothing", func(t *testing.T) { testAllOrNothing(t, newLimiter) })
	t.Run("SettleOnceAndOldWindow", func(t *testing.T) { testSettleOnce(t, newLimiter) })
	t.Run("Unlimited", func(t *testing.T) { testUnlimited(t, newLimiter) })
	t.Run("Headers", func(t *testing.T) { testHeaders(t, newLimiter) })
	t.Run("ConcurrentNeverOvershoots", func(t *testing.T) { testConcurrent(t, newLimiter, false) })
	if shared {
		t.Run("TwoInstancesNeverOvershoot", func(t *testing.T) { testConcurrent(t, newLimiter, true) })
	}
}

// start is one second into a minute, near the real time (Redis expires
// keys by its own clock, so the fake clock must not be in the past).
func start() time.Time { return time.Now().UTC().Truncate(time.Minute).Add(time.Second) }

func mustReserve(t *testing.T, l quota.Limiter, s []quota.Subject, est int64) *quota.Reservation {
	t.Helper()
	r, d, err := l.Reserve(context.Background(), s, est)
	if err != nil {
		t.Fatalf("Reserve(%d): %v", est, err)
	}
	if d != nil {
		t.Fatalf("Reserve(%d) denied: %v", est, d)
	}
	if r == nil {
		t.Fatalf("Reserve(%d): nil reservation and nil denial", est)
	}
	return r
}

func mustDeny(t *testing.T, l quota.Limiter, s []quota.Subject, est int64, status int, code, limit string) *quota.Denial {
	t.Helper()
	r, d, err := l.Reserve(context.Background(), s, est)
	if err != nil {
		t.Fatalf("Reserve(%d): %v", est, err)
	}
	if d == nil {
		t.Fatalf("Reserve(%d) allowed (%+v), want %s denial", est, r, code)
	}
	if d.Status != status || d.Code != code || d.Limit != limit {
		t.Fatalf("denial = %+v, want status %d code %s limit %s", d, status, code, limit)
	}
	if d.RetryAfter <= 0 || d.RetryAfterSeconds() < 1 {
		t.Fatalf("denial RetryAfter = %v, want > 0", d.RetryAfter)
	}
	return d
}

func testRPM(t *testing.T, nl Factory) {
	c := NewClock(start())
	l := nl(t, c.Now)
	s := []quota.Subject{{Key: "key:a", Limits: quota.Limits{RPM: 3}}}
	for range 3 {
		mustReserve(t, l, s, 0)
	}
	d := mustDeny(t, l, s, 0, http.StatusTooManyRequests, quota.CodeRequestRate, quota.LimitRPM)
	if d.Subject != "key:a" || d.Max != 3 {
		t.Fatalf("denial subject/max = %q/%d", d.Subject, d.Max)
	}
	if d.RetryAfter != 59*time.Second {
		t.Fatalf("RetryAfter = %v, want 59s (one second into the minute)", d.RetryAfter)
	}
	c.Advance(59 * time.Second) // next minute window
	mustReserve(t, l, s, 0)
	// Another subject is independent.
	mustReserve(t, l, []quota.Subject{{Key: "key:b", Limits: quota.Limits{RPM: 1}}}, 0)
}

func testTPM(t *testing.T, nl Factory) {
	c := NewClock(start())
	l := nl(t, c.Now)
	ctx := context.Background()
	s := []quota.Subject{{Key: "key:t", Limits: quota.Limits{TPM: 100}}}
	r1 := mustReserve(t, l, s, 60)
	mustDeny(t, l, s, 50, http.StatusTooManyRequests, quota.CodeTokenRate, quota.LimitTPM)
	// Usage was 20: 40 refunded, so 50 fits now (20 + 50 <= 100).
	if err := l.Settle(ctx, r1, 20); err != nil {
		t.Fatal(err)
	}
	r2 := mustReserve(t, l, s, 50)
	// Usage above the estimate is charged: 20 + 80 = 100, nothing left.
	if err := l.Settle(ctx, r2, 80); err != nil {
		t.Fatal(err)
	}
	mustDeny(t, l, s, 1, http.StatusTooManyRequests, quota.CodeTokenRate, quota.LimitTPM)
	mustReserve(t, l, s, 0)
	c.Advance(time.Minute)
	mustReserve(t, l, s, 100)
}

func testTPD(t *testing.T, nl Factory) {
	c := NewClock(start())
	l := nl(t, c.Now)
	s := []quota.Subject{{Key: "role:r", Limits: quota.Limits{TPD: 1000, TPM: 600}}}
	mustReserve(t, l, s, 600)
	c.Advance(time.Minute)
	d := mustDeny(t, l, s, 600, http.StatusForbidden, quota.CodeQuotaExceeded, quota.LimitTPD)
	if d.RetryAfter <= time.Minute || d.RetryAfter > 24*time.Hour {
		t.Fatalf("TPD RetryAfter = %v, want until the end of the UTC day", d.RetryAfter)
	}
	mustReserve(t, l, s, 400)
	c.Advance(d.RetryAfter)
	mustReserve(t, l, s, 600)
}

func testAllOrNothing(t *testing.T, nl Factory) {
	c := NewClock(start())
	l := nl(t, c.Now)
	key := quota.Subject{Key: "key:k", Limits: quota.Limits{TPM: 200, RPM: 10}}
	role := quota.Subject{Key: "role:small", Limits: quota.Limits{TPM: 100}}
	d := mustDeny(t, l, []quota.Subject{key, role}, 150, http.StatusTooManyRequests, quota.CodeTokenRate, quota.LimitTPM)
	if d.Subject != "role:small" {
		t.Fatalf("denied by %q, want role:small", d.Subject)
	}
	// The key was not charged: its whole budget is still there.
	r := mustReserve(t, l, []quota.Subject{key}, 200)
	if r.RemainingRequests != 9 {
		t.Fatalf("remaining requests = %d, want 9 (the denied request was rolled back)", r.RemainingRequests)
	}
}

func testSettleOnce(t *testing.T, nl Factory) {
	c := NewClock(start())
	l := nl(t, c.Now)
	ctx := context.Background()
	s := []quota.Subject{{Key: "key:s", Limits: quota.Limits{TPM: 100}}}
	r := mustReserve(t, l, s, 100)
	if err := l.Settle(ctx, r, 50); err != nil {
		t.Fatal(err)
	}
	if err := l.Settle(ctx, r, 0); err != nil { // second settle: no-op
		t.Fatal(err)
	}
	mustDeny(t, l, s, 51, http.StatusTooManyRequests, quota.CodeTokenRate, quota.LimitTPM)
	mustReserve(t, l, s, 50)
	if err := l.Settle(ctx, nil, 10); err != nil {
		t.Fatalf("Settle(nil): %v", err)
	}
	// Settling a reservation from a past window leaves the new window alone.
	old := mustReserve(t, l, []quota.Subject{{Key: "key:s2", Limits: quota.Limits{TPM: 100}}}, 10)
	c.Advance(time.Minute)
	s2 := []quota.Subject{{Key: "key:s2", Limits: quota.Limits{TPM: 100}}}
	mustReserve(t, l, s2, 90)
	if err := l.Settle(ctx, old, 100); err != nil {
		t.Fatal(err)
	}
	mustReserve(t, l, s2, 10)
	mustDeny(t, l, s2, 1, http.StatusTooManyRequests, quota.CodeTokenRate, quota.LimitTPM)
}

func testUnlimited(t *testing.T, nl Factory) {
	c := NewClock(start())
	l := nl(t, c.Now)
	s := []quota.Subject{{Key: "key:u"}}
	for range 100 {
		r := mustReserve(t, l, s, 1<<40)
		if r.LimitRequests != 0 || r.LimitTokens != 0 {
			t.Fatalf("unlimited reservation reports limits: %+v", r)
		}
	}
	mustReserve(t, l, nil, 5)
}

func testHeaders(t *testing.T, nl Factory) {
	c := NewClock(start())
	l := nl(t, c.Now)
	s := []quota.Subject{
		{Key: "key:h", Limits: quota.Limits{RPM: 10, TPM: 1000}},
		{Key: "role:h", Limits: quota.Limits{RPM: 5, TPD: 500}},
	}
	r := mustReserve(t, l, s, 100)
	if r.LimitRequests != 5 || r.RemainingRequests != 4 {
		t.Fatalf("requests limit/remaining = %d/%d, want 5/4 (tightest)", r.LimitRequests, r.RemainingRequests)
	}
	if r.LimitTokens != 500 || r.RemainingTokens != 400 {
		t.Fatalf("tokens limit/remaining = %d/%d, want 500/400 (tightest)", r.LimitTokens, r.RemainingTokens)
	}
	h := http.Header{}
	r.SetHeaders(h)
	want := map[string]string{
		"X-Ratelimit-Limit-Requests": "5", "X-Ratelimit-Remaining-Requests": "4", "X-Ratelimit-Reset-Requests": "59s",
		"X-Ratelimit-Limit-Tokens": "500", "X-Ratelimit-Remaining-Tokens": "400",
	}
	for k, v := range want {
		if got := h.Get(k); got != v {
			t.Fatalf("header %s = %q, want %q", k, got, v)
		}
	}
	if h.Get("X-Ratelimit-Reset-Tokens") == "" {
		t.Fatal("no X-Ratelimit-Reset-Tokens")
	}
}

// testConcurrent reserves from many goroutines (on two limiter instances
// when two is set) and checks that exactly the budget was granted.
func testConcurrent(t *testing.T, nl Factory, two bool) {
	c := NewClock(start())
	ls := []quota.Limiter{nl(t, c.Now)}
	if two {
		ls = append(ls, nl(t, c.Now))
	}
	const (
		workers  = 32
		perWork  = 20
		est      = 7
		tpm      = 1000 // 142 reservations of 7 fit
		roleRPM  = 1000 // never denies, but is charged first and must be rolled back
		wantToks = tpm / est
	)
	key := quota.Subject{Key: "key:c", Limits: quota.Limits{TPM: tpm}}
	role := quota.Subject{Key: "role:c", Limits: quota.Limits{RPM: roleRPM}}
	var granted, denied atomic.Int64
	var mu sync.Mutex
	var held []*quota.Reservation
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l := ls[w%len(ls)]
			for range perWork {
				r, d, err := l.Reserve(context.Background(), []quota.Subject{role, key}, est)
				if err != nil {
					errs <- err
					return
				}
				if d != nil {
					denied.Add(1)
					continue
				}
				granted.Add(1)
				mu.Lock()
				held = append(held, r)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if g := granted.Load(); g != wantToks {
		t.Fatalf("granted %d reservations of %d tokens under TPM %d, want exactly %d", g, est, tpm, wantToks)
	}
	if g, d := granted.Load(), denied.Load(); g+d != workers*perWork {
		t.Fatalf("granted+denied = %d, want %d", g+d, workers*perWork)
	}
	// The role's RPM budget was charged only for granted requests.
	var extra int64
	for {
		_, d, err := ls[0].Reserve(context.Background(), []quota.Subject{role}, 0)
		if err != nil {
			t.Fatal(err)
		}
		if d != nil {
			break
		}
		extra++
	}
	if extra != roleRPM-wantToks {
		t.Fatalf("role had %d requests left, want %d (denied reservations must be rolled back)", extra, roleRPM-wantToks)
	}
	// Settling everything to 0 concurrently refunds exactly: the key's
	// whole token budget is available again, and not a token more.
	for i, r := range held {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := ls[i%len(ls)].Settle(context.Background(), r, 0); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	mustReserve(t, ls[len(ls)-1], []quota.Subject{key}, tpm)
	mustDeny(t, ls[0], []quota.Subject{key}, 1, http.StatusTooManyRequests, quota.CodeTokenRate, quota.LimitTPM)
}
