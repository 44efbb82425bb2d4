// Package memory is the in-process quota.Limiter: the default when no
// Redis is configured, exact for a single replica.
//
// Each subject has a small mutex-guarded record of its current minute and
// day windows; subjects live in a sharded map so unrelated subjects never
// contend. A reservation charges subjects one after another and rolls the
// already-charged ones back if a later one denies, so a reservation is all
// or nothing and no limit is ever exceeded by reservations (a concurrent
// request may be denied while a doomed reservation is being rolled back;
// the error is on the safe side).
package memory

import (
	"context"
	"hash/maphash"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aigis-dev/aigis/internal/quota"
)

const shards = 64

// idleAfter: a subject untouched for this long (its day window is over)
// is dropped by the sweeper.
const idleAfter = 25 * time.Hour

// Limiter is the in-process implementation of quota.Limiter.
type Limiter struct {
	now    func() time.Time
	seed   maphash.Seed
	shards [shards]shard
	ops    atomic.Uint64
}

type shard struct {
	mu sync.RWMutex
	m  map[string]*bucket
}

type bucket struct {
	mu       sync.Mutex
	minute   int64 // start of the current minute window (unix ms)
	day      int64 // start of the current day window (unix ms)
	requests int64 // in the minute window
	tokensM  int64 // in the minute window
	tokensD  int64 // in the day window
	lastUsed int64 // unix ms
	dead     bool  // removed by the sweeper; look the subject up again
}

// New returns an empty limiter. now is the clock (nil: time.Now); tests
// inject one to roll windows over.
func New(now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	l := &Limiter{now: now, seed: maphash.MakeSeed()}
	for i := range l.shards {
		l.shards[i].m = make(map[string]*bucket)
	}
	return l
}

type state struct {
	buckets []*bucket // charged subjects, nil for unlimited ones
	inline  [4]*bucket
	minute  int64
	day     int64
	settled atomic.Bool
}

// reservation puts the public reservation and the limiter's state in one
// allocation.
type reservation struct {
	res quota.Reservation
	st  state
}

func (l *Limiter) bucket(key string) *bucket {
	sh := &l.shards[maphash.String(l.seed, key)%shards]
	sh.mu.RLock()
	b := sh.m[key]
	sh.mu.RUnlock()
	if b != nil {
		return b
	}
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if b = sh.m[key]; b == nil {
		b = &bucket{}
		sh.m[key] = b
	}
	return b
}

// lockedBucket returns the subject's live bucket, locked.
func (l *Limiter) lockedBucket(key string) *bucket {
	for {
		b := l.bucket(key)
		b.mu.Lock()
		if !b.dead {
			return b
		}
		b.mu.Unlock() // swept between lookup and lock: a new one replaces it
	}
}

// roll moves b to the windows containing now. Caller holds b.mu.
func (b *bucket) roll(minute, day int64) {
	if b.minute != minute {
		b.minute, b.requests, b.tokensM = minute, 0, 0
	}
	if b.day != day {
		b.day, b.tokensD = day, 0
	}
}

// Reserve implements quota.Limiter. It never returns an error.
func (l *Limiter) Reserve(_ context.Context, subjects []quota.Subject, est int64) (*quota.Reservation, *quota.Denial, error) {
	if est < 0 {
		est = 0
	}
	now := l.now()
	minute, minuteEnd, day, dayEnd := quota.Windows(now)
	ms := now.UnixMilli()
	both := &reservation{}
	res, st := &both.res, &both.st
	res.Tokens, st.minute, st.day = est, minute, day
	st.buckets = st.inline[:0]
	var tightReq, tightTok int64 = -1, -1
	for _, s := range subjects {
		lim := s.Limits
		if lim.Unlimited() {
			st.buckets = append(st.buckets, nil)
			continue
		}
		b := l.lockedBucket(s.Key)
		b.roll(minute, day)
		b.lastUsed = ms
		var d *quota.Denial
		switch {
		case lim.RPM > 0 && b.requests+1 > lim.RPM:
			d = &quota.Denial{Status: http.StatusTooManyRequests, Code: quota.CodeRequestRate, Limit: quota.LimitRPM, Max: lim.RPM, RetryAfter: time.Duration(minuteEnd-ms) * time.Millisecond}
		case lim.TPD > 0 && b.tokensD+est > lim.TPD:
			d = &quota.Denial{Status: http.StatusForbidden, Code: quota.CodeQuotaExceeded, Limit: quota.LimitTPD, Max: lim.TPD, RetryAfter: time.Duration(dayEnd-ms) * time.Millisecond}
		case lim.TPM > 0 && b.tokensM+est > lim.TPM:
			d = &quota.Denial{Status: http.StatusTooManyRequests, Code: quota.CodeTokenRate, Limit: quota.LimitTPM, Max: lim.TPM, RetryAfter: time.Duration(minuteEnd-ms) * time.Millisecond}
		}
		if d != nil {
			b.mu.Unlock()
			d.Subject = s.Key
			l.rollback(st, est)
			return nil, d, nil
		}
		b.requests++
		b.tokensM += est
		b.tokensD += est
		if lim.RPM > 0 {
			if rem := lim.RPM - b.requests; tightReq < 0 || rem < tightReq {
				tightReq = rem
				res.LimitRequests, res.RemainingRequests = lim.RPM, rem
				res.ResetRequests = time.Duration(minuteEnd-ms) * time.Millisecond
			}
		}
		if lim.TPM > 0 {
			if rem := lim.TPM - b.tokensM; tightTok < 0 || rem < tightTok {
				tightTok = rem
				res.LimitTokens, res.RemainingTokens = lim.TPM, rem
				res.ResetTokens = time.Duration(minuteEnd-ms) * time.Millisecond
			}
		}
		if lim.TPD > 0 {
			if rem := lim.TPD - b.tokensD; tightTok < 0 || rem < tightTok {
				tightTok = rem
				res.LimitTokens, res.RemainingTokens = lim.TPD, rem
				res.ResetTokens = time.Duration(dayEnd-ms) * time.Millisecond
			}
		}
		b.mu.Unlock()
		st.buckets = append(st.buckets, b)
	}
	res.State = st
	if l.ops.Add(1)%4096 == 0 {
		l.sweep(ms)
	}
	return res, nil, nil
}

// rollback undoes the charges of a partial reservation.
func (l *Limiter) rollback(st *state, est int64) {
	for _, b := range st.buckets {
		if b == nil {
			continue
		}
		b.mu.Lock()
		if b.minute == st.minute {
			b.requests--
			b.tokensM = max(0, b.tokensM-est)
		}
		if b.day == st.day {
			b.tokensD = max(0, b.tokensD-est)
		}
		b.mu.Unlock()
	}
}

// Settle implements quota.Limiter: the difference between actual and
// reserved tokens is applied to the windows the reservation was made in
// (a window that has since rolled over is left alone). It never errors.
func (l *Limiter) Settle(_ context.Context, r *quota.Reservation, actual int64) error {
	if r == nil {
		return nil
	}
	st, ok := r.State.(*state)
	if !ok || !st.settled.CompareAndSwap(false, true) {
		return nil
	}
	if actual < 0 {
		actual = 0
	}
	delta := actual - r.Tokens
	if delta == 0 {
		return nil
	}
	for _, b := range st.buckets {
		if b == nil {
			continue
		}
		b.mu.Lock()
		if b.minute == st.minute {
			b.tokensM = max(0, b.tokensM+delta)
		}
		if b.day == st.day {
			b.tokensD = max(0, b.tokensD+delta)
		}
		b.mu.Unlock()
	}
	return nil
}

// sweep drops subjects idle for longer than a day so memory stays bounded
// by the number of active subjects.
func (l *Limiter) sweep(nowMS int64) {
	cut := nowMS - idleAfter.Milliseconds()
	for i := range l.shards {
		sh := &l.shards[i]
		sh.mu.Lock()
		for k, b := range sh.m {
			b.mu.Lock()
			if b.lastUsed < cut {
				b.dead = true
				delete(sh.m, k)
			}
			b.mu.Unlock()
		}
		sh.mu.Unlock()
	}
}

var _ quota.Limiter = (*Limiter)(nil)
