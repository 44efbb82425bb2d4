package gateway

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	goredis "github.com/redis/go-redis/v9"

	"github.com/aigis-dev/aigis/internal/admin"
	"github.com/aigis-dev/aigis/internal/audit"
	"github.com/aigis-dev/aigis/internal/config"
	"github.com/aigis-dev/aigis/internal/exchange"
	"github.com/aigis-dev/aigis/internal/identity"
	"github.com/aigis-dev/aigis/internal/policy"
	"github.com/aigis-dev/aigis/internal/quota"
	"github.com/aigis-dev/aigis/internal/quota/memory"
	quotaredis "github.com/aigis-dev/aigis/internal/quota/redis"
	"github.com/aigis-dev/aigis/internal/store"
	"github.com/aigis-dev/aigis/internal/upstream"
)

// GuardFactory compiles one guard policy document (YAML) into a Guard.
type GuardFactory func(policyYAML []byte) (Guard, error)

// BuildDeps are what Build cannot make from the config alone.
type BuildDeps struct {
	Store  store.Store  // required; the caller opens and closes it
	Logger *slog.Logger // nil: discard
	// NewGuard compiles guard policies; nil with policies configured is an error.
	NewGuard GuardFactory
	// Transport for upstream calls (nil: upstream.NewTransport()).
	Transport http.RoundTripper
	// NewOutputChecks builds the output checker for guard.output (given
	// the allowed domains); nil with guard.output.enabled is an error.
	NewOutputChecks func(allowedDomains []string) *OutputChecks
}

// Runtime is a built gateway with the resources Build opened.
type Runtime struct {
	Gateway *Gateway
	Audit   *audit.Log
	redis   *goredis.Client
}

// Close flushes the audit log and closes Redis. It does not close the store.
func (rt *Runtime) Close() error {
	var errs []error
	if rt.Audit != nil {
		errs = append(errs, rt.Audit.Close())
	}
	if rt.redis != nil {
		errs = append(errs, rt.redis.Close())
	}
	return errors.Join(errs...)
}

// Build wires a Gateway from a validated config: identity over the store's
// keys, the policy, quotas (in process or Redis), upstream clients, guard
// policies, the audit log with group commit, the admin API and metrics.
func Build(ctx context.Context, cfg *config.Config, deps BuildDeps) (*Runtime, error) {
	if deps.Store == nil {
		return nil, errors.New("gateway: a store is required")
	}
	log := deps.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	rt := &Runtime{}
	auth, err := identity.New(cfg.Identity, identity.Deps{Keys: deps.Store, Logger: log})
	if err != nil {
		return nil, fmt.Errorf("gateway: identity: %w", err)
	}
	pol, err := policy.New(cfg.Roles)
	if err != nil {
		return nil, fmt.Errorf("gateway: %w", err)
	}
	var lim quota.Limiter
	if cfg.Redis != nil {
		ropts := &goredis.Options{Addr: cfg.Redis.Addr, Username: cfg.Redis.Username, Password: cfg.Redis.Password, DB: cfg.Redis.DB}
		if cfg.Redis.TLS {
			ropts.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12}
		}
		// Per-call deadlines and fast failure on an outage (see ConfigureClient).
		quotaredis.ConfigureClient(ropts)
		rc := goredis.NewClient(ropts)
		pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := rc.Ping(pctx).Err()
		cancel()
		if err != nil && !cfg.Quota.FailOpen {
			_ = rc.Close()
			return nil, fmt.Errorf("gateway: redis at %s is unreachable: %w (start it, fix redis.addr, or set quota.fail_open)", cfg.Redis.Addr, err)
		}
		rt.redis = rc
		lim = quotaredis.New(rc, quotaredis.Options{Prefix: cfg.Quota.KeyPrefix, FailOpen: cfg.Quota.FailOpen, Logger: log})
	} else {
		lim = memory.New(time.Now)
	}
	tr := deps.Transport
	if tr == nil {
		tr = upstream.NewTransport()
	}
	clients := map[string]*upstream.Client{}
	for _, uc := range cfg.Upstreams {
		c, err := upstream.New(uc, tr)
		if err != nil {
			return nil, fmt.Errorf("gateway: %w", err)
		}
		clients[uc.Name] = c
	}
	models := make([]Model, 0, len(cfg.Models))
	for _, m := range cfg.Models {
		c := clients[m.Upstream]
		if c == nil {
			return nil, fmt.Errorf("gateway: model %q: unknown upstream %q", m.Name, m.Upstream)
		}
		models = append(models, Model{Name: m.Name, UpstreamName: m.Upstream, UpstreamKind: c.Kind(),
			UpstreamModel: m.Model, MaxLabelRank: labelRank(m.MaxLabel), Upstream: c, BoundaryFallback: m.BoundaryFallback})
	}
	picker, err := buildGuards(cfg.Guard, deps.NewGuard)
	if err != nil {
		return nil, err
	}
	var output *OutputChecks
	if oc := cfg.Guard.Output; oc.Enabled {
		if deps.NewOutputChecks == nil {
			return nil, errors.New("gateway: guard.output is enabled but no output checker is available in this build")
		}
		output = deps.NewOutputChecks(oc.AllowedDomains)
		output.Canary, output.Block = oc.Canary, oc.Action != "flag"
	}
	var aopts audit.Options
	if cfg.Audit.Bodies {
		keys := map[string][]byte{}
		for _, k := range cfg.Audit.Keys {
			b, err := audit.ParseKey(k.Key)
			if err != nil {
				return nil, fmt.Errorf("gateway: audit key %q: %w", k.ID, err)
			}
			keys[k.ID] = b
		}
		kr, err := audit.NewKeyring(cfg.Audit.CurrentKey, keys)
		if err != nil {
			return nil, fmt.Errorf("gateway: audit keyring: %w", err)
		}
		aopts.Keyring = kr
	}
	rt.Audit = audit.NewLog(deps.Store, aopts)
	var adm http.Handler
	var scan *ModelScan
	if cfg.Admin.Token != "" {
		adm = admin.New(admin.Options{Store: deps.Store, Token: cfg.Admin.Token})
		scan = &ModelScan{Token: cfg.Admin.Token, MaxBytes: int64(cfg.Admin.ModelScanMaxBytes)}
	}
	metricsPath := ""
	if cfg.Metrics.Enabled == nil || *cfg.Metrics.Enabled {
		metricsPath = cfg.Metrics.Path
	}
	l := cfg.Limits
	metrics := NewMetrics()
	if jb, ok := deps.Store.(interface{ AuditJournalBytes() int64 }); ok {
		metrics.Registry().MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "aigis_audit_journal_bytes",
			Help: "Bytes of audit events in the SQLite audit journal not yet copied into the database (normally the last ~20 ms of events; grows only while the copy fails, and appends fail past 256 MiB).",
		}, func() float64 { return float64(jb.AuditJournalBytes()) }))
	}
	g, err := New(Options{
		Auth: auth, Policy: pol, Limiter: lim, KeyLimits: cfg.KeyLimits, Models: models,
		Auditor: NewAuditor(rt.Audit), Guard: picker, Output: output, Admin: adm, ModelScan: scan, Ready: storePinger{deps.Store},
		Logger: log, Metrics: metrics, MetricsPath: metricsPath, AuditBodies: cfg.Audit.Bodies,
		Limits: Limits{
			MaxBodyBytes: int64(l.MaxBodyBytes), MaxHeaderBytes: int(l.MaxHeaderBytes),
			ReadHeaderTimeout: l.ReadHeaderTimeout.Std(), ReadTimeout: l.ReadTimeout.Std(), IdleTimeout: l.IdleTimeout.Std(),
			UpstreamTimeout: l.UpstreamTimeout.Std(), ShutdownTimeout: l.ShutdownTimeout.Std(),
		},
	})
	if err != nil {
		_ = rt.Close()
		return nil, err
	}
	rt.Gateway = g
	return rt, nil
}

func buildGuards(gc config.Guard, factory GuardFactory) (*GuardPicker, error) {
	if len(gc.Policies) == 0 {
		return nil, nil
	}
	if factory == nil {
		return nil, errors.New("gateway: guard policies are configured but no guard engine is available in this build")
	}
	built := map[string]Guard{}
	for name, p := range gc.Policies {
		gd, err := factory(p.YAML)
		if err != nil {
			return nil, fmt.Errorf("gateway: guard policy %q: %w", name, err)
		}
		built[name] = gd
	}
	picker := &GuardPicker{}
	if gc.Default != "" {
		picker.Default, picker.DefaultName = built[gc.Default], gc.Default
	}
	for _, r := range gc.Routes {
		gr := GuardRoute{Roles: r.Roles, Guard: built[r.Policy], Name: r.Policy}
		for _, op := range r.Operations {
			gr.Operations = append(gr.Operations, exchange.Operation(op))
		}
		picker.Routes = append(picker.Routes, gr)
	}
	return picker, nil
}

func labelRank(l string) int {
	switch l {
	case "public":
		return 0
	case "internal":
		return 1
	case "confidential":
		return 2
	}
	return 3
}

// storePinger checks the store by reading the audit head.
type storePinger struct{ st store.Store }

func (p storePinger) Ping(ctx context.Context) error {
	_, err := p.st.LastAudit(ctx)
	return err
}

// auditLog is what NewAuditor needs from audit.Log.
type auditLog interface {
	Append(ctx context.Context, ev *audit.Event) error
}

// NewAuditor returns an Auditor that appends Records to an audit log.
func NewAuditor(l auditLog) Auditor {
	return AuditFunc(func(ctx context.Context, rec *Record) error {
		return l.Append(ctx, ToEvent(rec))
	})
}

// ToEvent converts a Record into an audit event.
func ToEvent(rec *Record) *audit.Event {
	ev := &audit.Event{
		ID: rec.ID, Time: rec.Time,
		Principal: audit.Principal{ID: rec.PrincipalID, Kind: rec.PrincipalKind, Name: rec.PrincipalName},
		Roles:     rec.Roles, Route: rec.Route, Operation: string(rec.Operation), Dialect: rec.Dialect,
		Model: rec.Model, Stream: rec.Stream,
		Upstream: audit.Upstream{Name: rec.UpstreamName, Model: rec.UpstreamModel},
		ClientIP: rec.ClientIP, UserAgent: rec.UserAgent, Status: rec.Status, ErrorCode: rec.ErrorCode,
		LatencyMS:         float64(rec.Latency.Microseconds()) / 1000,
		UpstreamLatencyMS: rec.UpstreamMS,
		TTFBMS:            float64(rec.TTFB.Microseconds()) / 1000,
		Usage:             audit.Usage{PromptTokens: rec.Usage.PromptTokens, CompletionTokens: rec.Usage.CompletionTokens, TotalTokens: rec.Usage.TotalTokens},
		RequestBody:       rec.RequestBody, ResponseBody: rec.ResponseBody,
	}
	if rec.Truncated {
		ev.ErrorCode = nonEmpty(ev.ErrorCode, "truncated")
	}
	if rec.PrincipalID != "" || rec.PolicyCode != "" {
		d := audit.Decision{Stage: "policy", Effect: "allow", Reason: rec.PolicyCode}
		if !rec.PolicyAllow {
			d.Effect = "deny"
		}
		if rec.PrincipalID == "" {
			d.Stage = "identity"
		}
		ev.Decisions = append(ev.Decisions, d)
	}
	if rec.QuotaReserved > 0 || rec.QuotaDenied != "" {
		ev.Quota = &audit.QuotaInfo{Reserved: rec.QuotaReserved, Settled: rec.Usage.TotalTokens, Limit: rec.QuotaDenied, Exceeded: rec.QuotaDenied != ""}
		if rec.QuotaDenied != "" {
			ev.Decisions = append(ev.Decisions, audit.Decision{Stage: "quota", Effect: "deny", Reason: rec.ErrorCode})
		}
	}
	if g := rec.Guard; g.Verdict != "" || g.Policy != "" || g.Canary || g.Boundary != "" {
		ev.Guard = &audit.GuardSummary{Verdict: g.Verdict, Findings: g.Findings, InjectionScore: g.InjectionScore,
			InjectionSignals: g.Signals, Boundary: g.Boundary, Canary: g.Canary, BlockedAt: g.BlockedAt}
		switch {
		case g.BlockedAt != "":
		case rec.ErrorCode == CodeRequestBlocked || rec.ErrorCode == CodePromptAttack || rec.ErrorCode == CodeDataBoundary:
			ev.Guard.BlockedAt = "request"
		case rec.ErrorCode == CodeResponseBlocked:
			ev.Guard.BlockedAt = "response"
		}
		for _, n := range g.Findings {
			if g.Verdict == "redact" {
				ev.Guard.Redactions += n
			}
		}
	}
	return ev
}

func nonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
