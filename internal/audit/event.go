// Package audit records one event per gateway request in an append-only,
// hash-chained log over a store.Audit, verifies the chain, encrypts optional
// request/response bodies, and exports or follows the log.
//
// The gateway builds an Event, fills what it knows, and calls Log.Append,
// which returns once the event is durably committed. Concurrent appends are
// group-committed: one transaction carries every event that arrived while
// the previous transaction was committing.
package audit

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"time"
)

// Principal is who made the request.
type Principal struct {
	ID   string `json:"id"`
	Kind string `json:"kind"` // "api_key", "oidc", "mtls", "anonymous", ...
	Name string `json:"name,omitempty"`
}

// Upstream is where the gateway sent the request.
type Upstream struct {
	Name  string `json:"name,omitempty"`  // configured upstream name
	Model string `json:"model,omitempty"` // model name sent upstream (after alias mapping)
}

// Usage is the token usage the upstream reported (or the gateway estimated).
type Usage struct {
	PromptTokens     int64 `json:"prompt_tokens,omitempty"`
	CompletionTokens int64 `json:"completion_tokens,omitempty"`
	TotalTokens      int64 `json:"total_tokens,omitempty"`
}

// Decision is one authorization or policy decision taken for the request.
type Decision struct {
	Stage  string `json:"stage"`            // "policy", "quota", "guard", "boundary", ...
	Effect string `json:"effect"`           // "allow" or "deny"
	Reason string `json:"reason,omitempty"` // stable reason code, e.g. "model_not_granted"
	Rule   string `json:"rule,omitempty"`   // the rule or grant that decided
}

// GuardSummary says what the content guard saw, never the values it saw:
// finding types with counts, the verdict, injection score and signal names,
// and the data-boundary routing outcome.
type GuardSummary struct {
	Verdict          string         `json:"verdict,omitempty"`  // "allow", "redact", "block", ...
	Findings         map[string]int `json:"findings,omitempty"` // finding type -> count
	InjectionScore   float64        `json:"injection_score,omitempty"`
	InjectionSignals []string       `json:"injection_signals,omitempty"`
	Boundary         string         `json:"boundary,omitempty"`   // data-boundary routing, e.g. "rerouted:eu-only"
	BlockedAt        string         `json:"blocked_at,omitempty"` // "request" or "response" when blocked
	Redactions       int            `json:"redactions,omitempty"`
	Canary           bool           `json:"canary,omitempty"` // a canary token was inserted into the system prompt
}

// QuotaInfo is what the limiter did for the request.
type QuotaInfo struct {
	Reserved  int64  `json:"reserved,omitempty"`  // tokens reserved before the call
	Settled   int64  `json:"settled,omitempty"`   // tokens charged after the call
	Remaining int64  `json:"remaining,omitempty"` // tokens left in the tightest window
	Limit     string `json:"limit,omitempty"`     // which limit applied or tripped, e.g. "key/tpm"
	Exceeded  bool   `json:"exceeded,omitempty"`
}

// Bodies holds encrypted request/response bodies: AES-256-GCM, nonce
// prefixed, with the event id and part name as additional data.
type Bodies struct {
	KeyID    string `json:"key_id"`
	Request  []byte `json:"request,omitempty"`
	Response []byte `json:"response,omitempty"`
}

// Event is one audited request. Seq, PrevHash and Hash are set by Log.Append
// (and by readers); everything else is the gateway's.
type Event struct {
	Seq      int64  `json:"seq,omitempty"`
	PrevHash string `json:"prev_hash,omitempty"` // hex
	Hash     string `json:"hash,omitempty"`      // hex

	ID        string    `json:"id"`
	Time      time.Time `json:"time"`
	Principal Principal `json:"principal"`
	Roles     []string  `json:"roles,omitempty"`
	Route     string    `json:"route,omitempty"`     // e.g. "POST /v1/chat/completions"
	Operation string    `json:"operation,omitempty"` // e.g. "chat", "embeddings", "messages", "tools/call"
	Dialect   string    `json:"dialect,omitempty"`   // "openai", "anthropic", "azure", "mcp"
	Model     string    `json:"model,omitempty"`     // model the caller asked for
	Stream    bool      `json:"stream,omitempty"`
	Upstream  Upstream  `json:"upstream"`
	ClientIP  string    `json:"client_ip,omitempty"`
	UserAgent string    `json:"user_agent,omitempty"`
	Status    int       `json:"status"`
	ErrorCode string    `json:"error_code,omitempty"`

	LatencyMS         float64 `json:"latency_ms"`                    // total, request received -> response complete
	UpstreamLatencyMS float64 `json:"upstream_latency_ms,omitempty"` // upstream call
	TTFBMS            float64 `json:"ttfb_ms,omitempty"`             // first streamed byte to the client

	Usage     Usage         `json:"usage"`
	Decisions []Decision    `json:"decisions,omitempty"`
	Guard     *GuardSummary `json:"guard,omitempty"`
	Quota     *QuotaInfo    `json:"quota,omitempty"`
	Bodies    *Bodies       `json:"bodies,omitempty"`

	// RequestBody and ResponseBody are plaintext handed to Append. They are
	// never serialised: Append encrypts them into Bodies when the Log has a
	// keyring and drops them otherwise. Readers fill them with
	// Keyring.Decrypt.
	RequestBody  []byte `json:"-"`
	ResponseBody []byte `json:"-"`
}

// NewID returns a new event id: 16 random bytes in hex, prefixed "ev_".
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return "ev_" + hex.EncodeToString(b[:])
}

// finite replaces NaN and infinities (which JSON cannot encode) with 0.
func finite(f float64) float64 {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0
	}
	return f
}

// canonical returns the bytes the chain hash covers: the JSON encoding of
// the event without its chain fields, time in UTC, as encoding/json writes
// it (struct fields in declaration order, map keys sorted: deterministic),
// by appendEvent where it can; the stored bytes are what verification hashes.
func canonical(ev *Event) ([]byte, error) {
	c := *ev
	c.Seq, c.PrevHash, c.Hash = 0, "", ""
	c.Time = c.Time.UTC().Round(0)
	c.LatencyMS = finite(c.LatencyMS)
	c.UpstreamLatencyMS = finite(c.UpstreamLatencyMS)
	c.TTFBMS = finite(c.TTFBMS)
	if c.Guard != nil {
		g := *c.Guard
		g.InjectionScore = finite(g.InjectionScore)
		c.Guard = &g
	}
	if b, ok := appendEvent(make([]byte, 0, 768), &c); ok {
		return b, nil
	}
	b, err := json.Marshal(&c)
	if err != nil {
		return nil, fmt.Errorf("audit: encode event %s: %w", ev.ID, err)
	}
	return b, nil
}

// maxEventBytes bounds one stored event (bodies included) when reading.
const maxEventBytes = 64 << 20

// decodeEvent parses stored event bytes.
func decodeEvent(data []byte) (Event, error) {
	var ev Event
	if len(data) > maxEventBytes {
		return ev, fmt.Errorf("audit: stored event is %d bytes, over the %d limit", len(data), maxEventBytes)
	}
	if err := json.Unmarshal(data, &ev); err != nil {
		return ev, fmt.Errorf("audit: decode stored event: %w", err)
	}
	return ev, nil
}
