// Package quota meters requests and tokens per subject (an API key, a role)
// with requests-per-minute, tokens-per-minute and tokens-per-day limits.
//
// Token limits are enforced by reservation: before the upstream call the
// gateway reserves the estimated tokens (prompt estimate + max_tokens) on
// every subject at once, all or nothing; after the call it settles the
// reservation with the upstream's reported usage, which refunds or charges
// the difference. Concurrent requests therefore cannot overshoot a limit.
//
// Windows are fixed and aligned: minutes for RPM and TPM, UTC days for TPD.
// Implementations live in the subpackages memory (in-process, the default)
// and redis (shared by replicas). The shared conformance suite is in
// quotatest.
package quota

import (
	"context"
	"errors"
	"fmt"
	"math/bits"
	"net/http"
	"strconv"
	"time"
)

// Limits are the ceilings of one subject. Zero means unlimited.
type Limits struct {
	RPM int64 `yaml:"rpm" json:"rpm,omitempty"` // requests per minute
	TPM int64 `yaml:"tpm" json:"tpm,omitempty"` // tokens per minute
	TPD int64 `yaml:"tpd" json:"tpd,omitempty"` // tokens per UTC day
}

// MaxLimit bounds a limit so counters stay exact in Redis (Lua numbers
// are doubles, exact to 2^53).
const MaxLimit = 1e15

// Validate reports negative or absurdly large limits.
func (l Limits) Validate() error {
	switch {
	case l.RPM < 0:
		return fmt.Errorf("rpm must be >= 0 (0 = unlimited), got %d", l.RPM)
	case l.TPM < 0:
		return fmt.Errorf("tpm must be >= 0 (0 = unlimited), got %d", l.TPM)
	case l.TPD < 0:
		return fmt.Errorf("tpd must be >= 0 (0 = unlimited), got %d", l.TPD)
	case l.RPM > MaxLimit || l.TPM > MaxLimit || l.TPD > MaxLimit:
		return fmt.Errorf("limits must be at most %d (use 0 for unlimited)", int64(MaxLimit))
	}
	return nil
}

// Unlimited reports whether no limit is set.
func (l Limits) Unlimited() bool { return l.RPM == 0 && l.TPM == 0 && l.TPD == 0 }

// Subject is one thing being metered, e.g. "key:<id>" or "role:<name>".
type Subject struct {
	Key    string
	Limits Limits
}

// Limit names, as reported in a Denial.
const (
	LimitRPM = "rpm"
	LimitTPM = "tpm"
	LimitTPD = "tpd"
)

// Stable denial codes.
const (
	CodeRequestRate   = "rate_limit_requests" // 429: RPM reached
	CodeTokenRate     = "rate_limit_tokens"   // 429: TPM reached
	CodeQuotaExceeded = "quota_exceeded"      // 403: TPD exhausted
	CodeUnavailable   = "quota_unavailable"   // 503: the limiter's backend failed (fail closed)
)

// Denial says why a reservation was refused.
type Denial struct {
	Status     int           // http.StatusTooManyRequests (rates) or http.StatusForbidden (daily quota)
	Code       string        // CodeRequestRate, CodeTokenRate or CodeQuotaExceeded
	Limit      string        // LimitRPM, LimitTPM or LimitTPD
	Subject    string        // the subject key that denied
	Max        int64         // the limit's value
	RetryAfter time.Duration // until the window that denied resets
}

// Error renders the denial for logs and client messages.
func (d *Denial) Error() string {
	return fmt.Sprintf("%s limit of %d reached for %s; retry in %s", d.Limit, d.Max, d.Subject, d.RetryAfter.Round(time.Second))
}

// RetryAfterSeconds is the Retry-After header value (whole seconds, at least 1).
func (d *Denial) RetryAfterSeconds() int64 {
	s := int64((d.RetryAfter + time.Second - 1) / time.Second)
	if s < 1 {
		s = 1
	}
	return s
}

// ErrUnavailable is wrapped by errors from a limiter whose backend failed
// while failing closed. The gateway answers 503 with CodeUnavailable.
var ErrUnavailable = errors.New("quota backend unavailable")

// Reservation is a successful reserve. Its exported fields describe the
// tightest limit across the subjects, for the x-ratelimit-* headers; a
// field whose limit is unlimited is zero. It is settled exactly once.
type Reservation struct {
	Tokens int64 // reserved tokens (the estimate)

	LimitRequests     int64
	RemainingRequests int64
	ResetRequests     time.Duration
	LimitTokens       int64
	RemainingTokens   int64
	ResetTokens       time.Duration

	// Implementation state, set by the Limiter that made it.
	State any
}

// SetHeaders writes the OpenAI-style x-ratelimit-* headers for the limits
// that are set. Nothing is written for unlimited dimensions.
func (r *Reservation) SetHeaders(h http.Header) {
	if r == nil {
		return
	}
	if r.LimitRequests > 0 {
		h["X-Ratelimit-Limit-Requests"] = []string{strconv.FormatInt(r.LimitRequests, 10)}
		h["X-Ratelimit-Remaining-Requests"] = []string{strconv.FormatInt(r.RemainingRequests, 10)}
		h["X-Ratelimit-Reset-Requests"] = []string{formatReset(r.ResetRequests)}
	}
	if r.LimitTokens > 0 {
		h["X-Ratelimit-Limit-Tokens"] = []string{strconv.FormatInt(r.LimitTokens, 10)}
		h["X-Ratelimit-Remaining-Tokens"] = []string{strconv.FormatInt(r.RemainingTokens, 10)}
		h["X-Ratelimit-Reset-Tokens"] = []string{formatReset(r.ResetTokens)}
	}
}

// formatReset renders a reset duration the way OpenAI does ("1s", "6m0s").
func formatReset(d time.Duration) string {
	if d < time.Second {
		d = time.Second
	}
	return d.Round(time.Second).String()
}

// Limiter reserves and settles quota for a set of subjects.
//
// Reserve is all or nothing: either every subject is charged one request
// and estimatedTokens, or none is and a Denial (or error) is returned. A
// returned error wraps ErrUnavailable when the backend failed.
// Settle replaces the reserved estimate by actualTokens (refunding or
// charging the difference) in the windows the reservation was made in.
// Settle of a nil reservation, or a second Settle, is a no-op.
type Limiter interface {
	Reserve(ctx context.Context, subjects []Subject, estimatedTokens int64) (*Reservation, *Denial, error)
	Settle(ctx context.Context, r *Reservation, actualTokens int64) error
}

// Config is the quota block of the gateway's configuration. The backend is
// in-process unless the gateway has a redis connection configured.
type Config struct {
	// FailOpen lets requests through, logged, when the shared backend
	// (Redis) fails. The default fails closed: 503 quota_unavailable.
	FailOpen bool `yaml:"fail_open"`
	// KeyPrefix namespaces the Redis keys. Default "aigis:quota:".
	KeyPrefix string `yaml:"key_prefix"`
}

// DefaultKeyPrefix is the Redis key prefix when none is configured.
const DefaultKeyPrefix = "aigis:quota:"

// Validate checks the block.
func (c Config) Validate() error {
	if len(c.KeyPrefix) > 128 {
		return fmt.Errorf("key_prefix is %d bytes, at most 128", len(c.KeyPrefix))
	}
	return nil
}

// Windows returns the start of the minute and UTC-day windows containing
// t, in Unix milliseconds, and their ends. Implementations share it so
// they agree on window boundaries.
func Windows(t time.Time) (minuteStart, minuteEnd, dayStart, dayEnd int64) {
	ms := t.UnixMilli()
	minuteStart = ms - mod(ms, 60_000)
	dayStart = ms - mod(ms, 86_400_000)
	return minuteStart, minuteStart + 60_000, dayStart, dayStart + 86_400_000
}

func mod(a, b int64) int64 {
	m := a % b
	if m < 0 {
		m += b
	}
	return m
}

// EstimateTokens returns a conservative token estimate for text: one token
// per three ASCII bytes (English averages about four), one per two
// non-ASCII bytes (about 1.5 per CJK character, 2 per emoji; such text is
// about one token per character or more), plus one. It reads eight bytes
// at a time and does not allocate.
func EstimateTokens(text string) int64 {
	var high int
	i := 0
	for ; i+8 <= len(text); i += 8 {
		b := text[i : i+8]
		w := uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
			uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
		high += bits.OnesCount64(w & 0x8080808080808080)
	}
	for ; i < len(text); i++ {
		high += int(text[i] >> 7)
	}
	ascii := int64(len(text) - high)
	return (ascii+2)/3 + (int64(high)+1)/2 + 1
}
