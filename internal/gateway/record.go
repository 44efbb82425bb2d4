package gateway

import (
	"context"
	"time"

	"github.com/aigis-dev/aigis/internal/exchange"
)

// Record is what the gateway knows about one request when it ends: the
// audit event before the audit package encodes it. It never holds a
// credential; bodies are present only when body auditing is on, and the
// Auditor stores them encrypted.
type Record struct {
	ID            string
	Time          time.Time
	PrincipalID   string
	PrincipalKind string
	PrincipalName string
	Roles         []string
	Route         string // the ingress path pattern, e.g. /v1/chat/completions
	Operation     exchange.Operation
	Dialect       string
	Model         string // public name the caller asked for
	UpstreamName  string
	UpstreamModel string
	ClientIP      string
	UserAgent     string
	Stream        bool

	Status     int
	ErrorCode  string // stable code of the error answered, "" on success
	Truncated  bool   // a stream that did not end normally
	BytesIn    int64
	BytesOut   int64
	Latency    time.Duration // whole request
	UpstreamMS float64       // upstream call until the last byte
	TTFB       time.Duration // streams: until the first byte sent to the client
	Usage      exchange.Usage

	PolicyAllow  bool
	PolicyCode   string
	PolicyReason string

	QuotaReserved int64  // tokens reserved
	QuotaDenied   string // limit name that denied (rpm, tpm, tpd)

	Guard GuardSummary

	RequestBody  []byte // only when body auditing is on
	ResponseBody []byte
}

// GuardSummary is what the guard did: types and counts, never values.
type GuardSummary struct {
	Policy         string
	Verdict        string         // allow, redact, block ("" when no guard ran)
	Findings       map[string]int // finding type -> count, requests and responses together
	Labels         []string
	Injection      bool
	InjectionScore float64
	Signals        []string
	Reasons        []string
	Boundary       string // data-boundary decision, e.g. "blocked: confidential > internal"
	BlockedAt      string // "request" or "response" when set explicitly (else derived from the error code)
	Canary         bool   // a canary was inserted into the system prompt
}

// AuditFunc adapts a function to Auditor.
type AuditFunc func(ctx context.Context, rec *Record) error

// Record calls f.
func (f AuditFunc) Record(ctx context.Context, rec *Record) error { return f(ctx, rec) }
