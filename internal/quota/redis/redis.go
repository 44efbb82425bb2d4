// Package redis is the quota.Limiter shared by gateway replicas through
// Redis. Each reserve and each settle is one Lua script, so a reservation
// is checked and applied atomically across every subject and replica.
//
// A subject is one Redis hash "<prefix><subject key>" holding its current
// minute window (start, requests, tokens) and day window (start, tokens).
// It expires an hour after its day window ends. Window boundaries come
// from the replica's clock (passed to the script), so replicas should run
// NTP; a skew of s seconds shifts a boundary by at most s.
//
// On Redis Cluster every subject of a request must hash to one slot: use a
// prefix with a hash tag, e.g. "{aigis}:quota:" (one slot holds all quota
// state; the load is one small script per request).
package redis

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/aigis-dev/aigis/internal/quota"
)

// Options configure the Redis limiter.
type Options struct {
	// Prefix namespaces keys. Default quota.DefaultKeyPrefix.
	Prefix string
	// FailOpen admits requests (unmetered, logged) when Redis fails. The
	// default fails closed: Reserve returns an error wrapping quota.ErrUnavailable.
	FailOpen bool
	// Timeout bounds each script call. Default 1s. go-redis honours it only
	// when the client has ContextTimeoutEnabled (see ConfigureClient);
	// otherwise its ReadTimeout (default 3s) applies.
	Timeout time.Duration
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Logger receives fail-open warnings; default slog.Default().
	Logger *slog.Logger
}

// Limiter implements quota.Limiter on Redis.
type Limiter struct {
	c        goredis.Scripter
	o        Options
	lastWarn atomic.Int64
}

// New returns a limiter using client c (a *redis.Client, ClusterClient or
// Ring). It does no I/O.
func New(c goredis.Scripter, o Options) *Limiter {
	if o.Prefix == "" {
		o.Prefix = quota.DefaultKeyPrefix
	}
	if o.Timeout <= 0 {
		o.Timeout = time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return &Limiter{c: c, o: o}
}

// ConfigureClient adjusts go-redis client options for the request path:
// per-call deadlines are honoured (ContextTimeoutEnabled), a failed dial
// is retried once rather than five times with backoff, and a failed
// command once, so that a Redis outage turns into a fast fail-closed (or
// fail-open) decision instead of requests waiting seconds. Fields the
// caller already set to non-zero values are kept.
func ConfigureClient(o *goredis.Options) {
	o.ContextTimeoutEnabled = true
	if o.DialerRetries == 0 {
		o.DialerRetries = 1
	}
	if o.MaxRetries == 0 {
		o.MaxRetries = 1
	}
	if o.DialTimeout == 0 {
		o.DialTimeout = time.Second
	}
}

// reserveScript: KEYS = subjects; ARGV = minute start, day start, estimate,
// key expiry (unix ms), then rpm, tpm, tpd per subject. Returns {0, i, code}
// when subject i denies (code 1 rpm, 2 tpm, 3 tpd) and changes nothing;
// else {1, requests, minute tokens, day tokens, ...} after charging all.
var reserveScript = goredis.NewScript(`
local minute = tonumber(ARGV[1])
local day = tonumber(ARGV[2])
local est = tonumber(ARGV[3])
local expireat = tonumber(ARGV[4])
local cur = {}
for i = 1, #KEYS do
  local base = 4 + 3 * (i - 1)
  local rpm = tonumber(ARGV[base + 1])
  local tpm = tonumber(ARGV[base + 2])
  local tpd = tonumber(ARGV[base + 3])
  local v = redis.call('HMGET', KEYS[i], 'm', 'r', 'tm', 'd', 'td')
  local r, tm, td = 0, 0, 0
  if tonumber(v[1]) == minute then
    r = tonumber(v[2]) or 0
    tm = tonumber(v[3]) or 0
  end
  if tonumber(v[4]) == day then
    td = tonumber(v[5]) or 0
  end
  if rpm > 0 and r + 1 > rpm then return {0, i, 1} end
  if tpd > 0 and td + est > tpd then return {0, i, 3} end
  if tpm > 0 and tm + est > tpm then return {0, i, 2} end
  cur[i] = {r + 1, tm + est, td + est}
end
local out = {1}
for i = 1, #KEYS do
  local c = cur[i]
  redis.call('HSET', KEYS[i], 'm', minute, 'r', c[1], 'tm', c[2], 'd', day, 'td', c[3])
  redis.call('PEXPIREAT', KEYS[i], expireat)
  out[#out + 1] = c[1]
  out[#out + 1] = c[2]
  out[#out + 1] = c[3]
end
return out
`)

// settleScript: KEYS = subjects; ARGV = minute start, day start, delta.
// Applies delta to the windows that are still the reservation's.
var settleScript = goredis.NewScript(`
local minute = tonumber(ARGV[1])
local day = tonumber(ARGV[2])
local delta = tonumber(ARGV[3])
for i = 1, #KEYS do
  local v = redis.call('HMGET', KEYS[i], 'm', 'tm', 'd', 'td')
  if tonumber(v[1]) == minute then
    local x = (tonumber(v[2]) or 0) + delta
    if x < 0 then x = 0 end
    redis.call('HSET', KEYS[i], 'tm', x)
  end
  if tonumber(v[3]) == day then
    local x = (tonumber(v[4]) or 0) + delta
    if x < 0 then x = 0 end
    redis.call('HSET', KEYS[i], 'td', x)
  end
end
return 1
`)

type state struct {
	keys    []string
	minute  int64
	day     int64
	settled atomic.Bool
}

// Reserve implements quota.Limiter.
func (l *Limiter) Reserve(ctx context.Context, subjects []quota.Subject, est int64) (*quota.Reservation, *quota.Denial, error) {
	if est < 0 {
		est = 0
	}
	now := l.o.Now()
	minute, minuteEnd, day, dayEnd := quota.Windows(now)
	ms := now.UnixMilli()
	keys := make([]string, 0, len(subjects))
	limited := make([]quota.Subject, 0, len(subjects))
	args := make([]any, 0, 4+3*len(subjects))
	args = append(args, minute, day, est, dayEnd+time.Hour.Milliseconds())
	for _, s := range subjects {
		if s.Limits.Unlimited() {
			continue
		}
		keys = append(keys, l.o.Prefix+s.Key)
		limited = append(limited, s)
		args = append(args, s.Limits.RPM, s.Limits.TPM, s.Limits.TPD)
	}
	res := &quota.Reservation{Tokens: est}
	if len(keys) == 0 {
		return res, nil, nil
	}
	cctx, cancel := context.WithTimeout(ctx, l.o.Timeout)
	defer cancel()
	vals, err := reserveScript.Run(cctx, l.c, keys, args...).Int64Slice()
	if err == nil && (len(vals) == 0 || (vals[0] == 0 && len(vals) != 3) || (vals[0] == 1 && len(vals) != 1+3*len(keys))) {
		err = fmt.Errorf("unexpected script reply %v", vals)
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		return l.failed(fmt.Errorf("quota: reserve on redis: %w", err), est)
	}
	if vals[0] == 0 {
		i := int(vals[1]) - 1
		if i < 0 || i >= len(limited) {
			return l.failed(fmt.Errorf("quota: reserve on redis: subject index %d out of range", i+1), est)
		}
		s := limited[i]
		d := &quota.Denial{Subject: s.Key, Status: http.StatusTooManyRequests, RetryAfter: time.Duration(minuteEnd-ms) * time.Millisecond}
		switch vals[2] {
		case 1:
			d.Code, d.Limit, d.Max = quota.CodeRequestRate, quota.LimitRPM, s.Limits.RPM
		case 2:
			d.Code, d.Limit, d.Max = quota.CodeTokenRate, quota.LimitTPM, s.Limits.TPM
		default:
			d.Status, d.Code, d.Limit, d.Max = http.StatusForbidden, quota.CodeQuotaExceeded, quota.LimitTPD, s.Limits.TPD
			d.RetryAfter = time.Duration(dayEnd-ms) * time.Millisecond
		}
		return nil, d, nil
	}
	var tightReq, tightTok int64 = -1, -1
	for i, s := range limited {
		r, tm, td := vals[1+3*i], vals[2+3*i], vals[3+3*i]
		if s.Limits.RPM > 0 {
			if rem := s.Limits.RPM - r; tightReq < 0 || rem < tightReq {
				tightReq = rem
				res.LimitRequests, res.RemainingRequests = s.Limits.RPM, rem
				res.ResetRequests = time.Duration(minuteEnd-ms) * time.Millisecond
			}
		}
		if s.Limits.TPM > 0 {
			if rem := s.Limits.TPM - tm; tightTok < 0 || rem < tightTok {
				tightTok = rem
				res.LimitTokens, res.RemainingTokens = s.Limits.TPM, rem
				res.ResetTokens = time.Duration(minuteEnd-ms) * time.Millisecond
			}
		}
		if s.Limits.TPD > 0 {
			if rem := s.Limits.TPD - td; tightTok < 0 || rem < tightTok {
				tightTok = rem
				res.LimitTokens, res.RemainingTokens = s.Limits.TPD, rem
				res.ResetTokens = time.Duration(dayEnd-ms) * time.Millisecond
			}
		}
	}
	res.State = &state{keys: keys, minute: minute, day: day}
	return res, nil, nil
}

// failed applies the fail-open/closed setting to a backend error.
func (l *Limiter) failed(err error, est int64) (*quota.Reservation, *quota.Denial, error) {
	if !l.o.FailOpen {
		return nil, nil, fmt.Errorf("%w: %w", quota.ErrUnavailable, err)
	}
	now := l.o.Now().Unix()
	if last := l.lastWarn.Load(); now-last >= 10 && l.lastWarn.CompareAndSwap(last, now) {
		l.o.Logger.Warn("quota: redis failed; admitting request unmetered (fail_open)", "error", err.Error())
	}
	return &quota.Reservation{Tokens: est}, nil, nil
}

// Settle implements quota.Limiter.
func (l *Limiter) Settle(ctx context.Context, r *quota.Reservation, actual int64) error {
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
	// Settle runs after the response; the caller's context may be done.
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), l.o.Timeout)
	defer cancel()
	err := settleScript.Run(cctx, l.c, st.keys, st.minute, st.day, delta).Err()
	if err != nil && !errors.Is(err, goredis.Nil) {
		return fmt.Errorf("quota: settle %s tokens on redis: %w", strconv.FormatInt(delta, 10), err)
	}
	return nil
}

var _ quota.Limiter = (*Limiter)(nil)
