// Package gateway is the aigis LLM gateway: the HTTP server, the request
// pipeline and the streaming plumbing.
//
// Every model request, whatever its dialect, takes the same path in one
// function (Gateway.serveModel, pipeline.go):
//
//	identity -> dialect decode -> policy -> quota reserve -> guard(request)
//	-> upstream call -> guard(response, streaming) -> dialect encode
//	-> audit event (durable before the response completes) -> quota settle
//
// The gateway depends on small interfaces it declares (Authenticator,
// Authorizer, Upstream, Auditor, Guard) so each building block can be
// replaced in tests; Build wires the real ones from a config.Config.
package gateway

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aigis-dev/aigis/internal/dialect"
	"github.com/aigis-dev/aigis/internal/exchange"
	"github.com/aigis-dev/aigis/internal/identity"
	"github.com/aigis-dev/aigis/internal/policy"
	"github.com/aigis-dev/aigis/internal/quota"
)

// Authenticator resolves a request to a principal (identity.Authenticator).
// An *identity.AuthError means 401; any other error means 503.
type Authenticator interface {
	Authenticate(r *http.Request) (*identity.Principal, error)
}

// Authorizer decides what a principal may do (policy.Policy).
type Authorizer interface {
	Authorize(p *identity.Principal, ex *exchange.Exchange) policy.Decision
	AllowedModels(p *identity.Principal, models []string) []string
	Subjects(dst []quota.Subject, p *identity.Principal, keyLimits quota.Limits) []quota.Subject
}

// Upstream calls one provider. It builds the URL for op, sets the
// provider's credentials and returns the raw response; the caller closes
// its body. Cancelling ctx aborts the call, including a stream.
type Upstream interface {
	Do(ctx context.Context, op exchange.Operation, upstreamModel string, body []byte, stream bool) (*http.Response, error)
}

// Auditor makes a Record durable. Record returns only once the record is
// committed (the gateway calls it before the response completes).
type Auditor interface {
	Record(ctx context.Context, rec *Record) error
}

// Pinger reports whether the store is reachable (for /readyz).
type Pinger interface {
	Ping(ctx context.Context) error
}

// Model is a public model name mapped to an upstream.
type Model struct {
	Name          string // what callers ask for
	UpstreamName  string
	UpstreamKind  string // openai, anthropic, azure
	UpstreamModel string
	// MaxLabelRank is the highest sensitivity rank the model may receive
	// (public 0 .. restricted 3).
	MaxLabelRank int
	Upstream     Upstream
	// BoundaryFallback names the model a request goes to instead when it
	// carries data above MaxLabelRank ("" = block such requests).
	BoundaryFallback string
}

// OutputChecks inspect model outputs (streamed or not) for signs of a
// successful prompt attack: a system-prompt canary repeated, data sent out
// through markdown images or links to hosts outside an allowlist, and
// invisible text. guardengine.NewOutputChecks builds one.
type OutputChecks struct {
	// Canary inserts a fresh canary token into each request's system
	// prompt(s) and looks for it in the output.
	Canary bool
	// Block ends the response with prompt_attack_detected on a finding;
	// false only records the finding in the audit event.
	Block bool
	// Check returns the kinds of problem found in text (empty: none).
	// canaries are the tokens inserted in this request (may be empty).
	Check func(text string, canaries []string) []string
	// NewCanary returns a fresh random canary token.
	NewCanary func() (string, error)
}

// Limits bound requests and the server.
type Limits struct {
	MaxBodyBytes      int64
	MaxHeaderBytes    int
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	IdleTimeout       time.Duration
	UpstreamTimeout   time.Duration
	ShutdownTimeout   time.Duration
	MaxEventBytes     int // one upstream SSE event; default 1 MiB
}

func (l *Limits) defaults() {
	if l.MaxBodyBytes <= 0 {
		l.MaxBodyBytes = 4 << 20
	}
	if l.MaxHeaderBytes <= 0 {
		l.MaxHeaderBytes = 64 << 10
	}
	if l.ReadHeaderTimeout <= 0 {
		l.ReadHeaderTimeout = 10 * time.Second
	}
	if l.ReadTimeout <= 0 {
		l.ReadTimeout = 60 * time.Second
	}
	if l.IdleTimeout <= 0 {
		l.IdleTimeout = 120 * time.Second
	}
	if l.UpstreamTimeout <= 0 {
		l.UpstreamTimeout = 10 * time.Minute
	}
	if l.ShutdownTimeout <= 0 {
		l.ShutdownTimeout = 30 * time.Second
	}
	if l.MaxEventBytes <= 0 {
		l.MaxEventBytes = 1 << 20
	}
}

// Options are the Gateway's dependencies, already built.
type Options struct {
	Auth      Authenticator // required
	Policy    Authorizer    // required
	Limiter   quota.Limiter // nil: no quotas
	KeyLimits quota.Limits  // per-principal limits on top of the role limits
	Models    []Model
	Auditor   Auditor       // required: every request is audited
	Guard     *GuardPicker  // nil: no guard
	Output    *OutputChecks // nil: no output checks
	Admin     http.Handler  // mounted at /admin/; nil: 404
	// ModelScan enables POST /admin/v1/model-scan (nil: off).
	ModelScan *ModelScan
	Ready     Pinger       // nil: always ready
	Metrics   *Metrics     // nil: NewMetrics()
	Logger    *slog.Logger // nil: discard
	Limits    Limits
	// MetricsPath serves Prometheus metrics; "" disables it.
	MetricsPath string
	// AuditBodies hands request and response bodies to the Auditor (which
	// stores them encrypted).
	AuditBodies bool
	Now         func() time.Time
}

// Gateway is the HTTP handler of the LLM gateway. Build one with New or
// Build; serve it with Serve or as an http.Handler.
type Gateway struct {
	o          Options
	models     map[string]*Model
	modelNames []string // config order, for /v1/models
	metrics    *Metrics
	log        *slog.Logger
	now        func() time.Time
	idPrefix   string
	idSeq      atomic.Uint64
	bufs       sync.Pool
	created    int64
	router     *dialect.Router
	modelScan  http.Handler  // nil: off
	openai     dialect.Codec // error shapes outside a route
	anthropic  dialect.Codec
}

// New builds a Gateway from built dependencies.
func New(o Options) (*Gateway, error) {
	if o.Auth == nil || o.Policy == nil || o.Auditor == nil {
		return nil, errors.New("gateway: Auth, Policy and Auditor are required")
	}
	o.Limits.defaults()
	g := &Gateway{o: o, models: make(map[string]*Model, len(o.Models)), metrics: o.Metrics, log: o.Logger, now: o.Now}
	if g.metrics == nil {
		g.metrics = NewMetrics()
	}
	if g.log == nil {
		g.log = slog.New(slog.DiscardHandler)
	}
	if g.now == nil {
		g.now = time.Now
	}
	for i := range o.Models {
		m := &o.Models[i]
		if m.Upstream == nil {
			return nil, fmt.Errorf("gateway: model %q has no upstream client", m.Name)
		}
		if _, dup := g.models[m.Name]; dup {
			return nil, fmt.Errorf("gateway: model %q defined twice", m.Name)
		}
		g.models[m.Name] = m
		g.modelNames = append(g.modelNames, m.Name)
	}
	for _, m := range g.models {
		if m.BoundaryFallback == "" {
			continue
		}
		fb := g.models[m.BoundaryFallback]
		if fb == nil || fb == m || fb.MaxLabelRank <= m.MaxLabelRank {
			return nil, fmt.Errorf("gateway: model %q: boundary_fallback %q must be another model with a higher max_label", m.Name, m.BoundaryFallback)
		}
		if compatible("openai", m.UpstreamKind) != compatible("openai", fb.UpstreamKind) {
			return nil, fmt.Errorf("gateway: model %q: boundary_fallback %q speaks a different API", m.Name, m.BoundaryFallback)
		}
	}
	if o.Output != nil && (o.Output.Check == nil || (o.Output.Canary && o.Output.NewCanary == nil)) {
		return nil, errors.New("gateway: output checks need Check (and NewCanary when Canary is on)")
	}
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, fmt.Errorf("gateway: request id prefix: %w", err)
	}
	g.idPrefix = "req_" + hex.EncodeToString(b[:])
	g.created = g.now().Unix()
	g.router = dialect.NewRouter(dialect.Limits{})
	g.openai, g.anthropic = dialect.OpenAI(dialect.Limits{}), dialect.Anthropic(dialect.Limits{})
	if o.ModelScan != nil {
		if o.ModelScan.Token == "" {
			return nil, errors.New("gateway: the model-scan endpoint needs the admin token")
		}
		g.modelScan = newModelScanHandler(*o.ModelScan)
	}
	g.bufs.New = func() any { b := make([]byte, 0, 16<<10); return &b }
	return g, nil
}

// newRequestID returns a unique id: a random per-process prefix and a counter.
func (g *Gateway) newRequestID() string {
	n := g.idSeq.Add(1)
	var b [32]byte
	s := append(b[:0], g.idPrefix...)
	s = append(s, '_')
	s = strconv.AppendUint(s, n, 36)
	return string(s)
}
