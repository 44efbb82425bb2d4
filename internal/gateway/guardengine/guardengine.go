// Package guardengine adapts the public guard package to the gateway's
// gateway.Guard interface. It is separate from package gateway so the gateway
// builds and tests on its own.
package guardengine

import (
	"context"
	"slices"

	"github.com/aigis-dev/aigis/guard"
	"github.com/aigis-dev/aigis/guard/injection"
	"github.com/aigis-dev/aigis/internal/gateway"
)

// NewFactory returns the factory that compiles guard policies with the
// guard package.
func NewFactory() gateway.GuardFactory {
	return func(doc []byte) (gateway.Guard, error) {
		p, err := guard.ParsePolicy(doc)
		if err != nil {
			return nil, err
		}
		e, err := guard.New(p)
		if err != nil {
			return nil, err
		}
		return New(e), nil
	}
}

// NewOutputChecks returns the gateway's output checks backed by
// injection.CheckOutput: canary leaks, exfiltration through markdown or
// HTML images and links to hosts outside allowed, invisible text and
// ASCII smuggling. Canary and Block are left for the caller to set.
func NewOutputChecks(allowed []string) *gateway.OutputChecks {
	allowed = append([]string(nil), allowed...)
	return &gateway.OutputChecks{
		NewCanary: injection.NewCanary,
		Check: func(text string, canaries []string) []string {
			var kinds []string
			for _, f := range injection.CheckOutput(text, injection.OutputOptions{AllowedDomains: allowed, Canaries: canaries}) {
				if !slices.Contains(kinds, f.Kind) {
					kinds = append(kinds, f.Kind)
				}
			}
			return kinds
		},
	}
}

// CheckPolicy parses and validates a guard policy document (for
// config.Options.CheckPolicy).
func CheckPolicy(doc []byte) error {
	_, err := guard.ParsePolicy(doc)
	return err
}

// New adapts a guard.Engine to the gateway's gateway.Guard.
func New(e *guard.Engine) gateway.Guard { return engineGuard{e} }

type engineGuard struct{ e *guard.Engine }

func (g engineGuard) NewSession() gateway.GuardSession { return &engineSession{s: g.e.NewSession()} }

type engineSession struct{ s *guard.Session }

func (s *engineSession) Inspect(ctx context.Context, text string, output bool, kind gateway.TextKind) gateway.GuardResult {
	o := guard.InspectOptions{Direction: guard.Input, Mode: injection.ModeUser}
	if output {
		o.Direction = guard.Output
	}
	switch kind {
	case gateway.TextDocument:
		o.Mode = injection.ModeDocument
	case gateway.TextInstructions:
		o.NoInjection = true
	}
	return fromGuard(s.s.Inspect(ctx, text, o))
}

func (s *engineSession) Restore(text string) string { return s.s.Restore(text) }

func (s *engineSession) NewStream() gateway.GuardStream {
	return engineStream{s.s.NewStream(guard.InspectOptions{Direction: guard.Output, Mode: injection.ModeUser})}
}

type engineStream struct{ st *guard.Stream }

func (s engineStream) Write(chunk string) (string, gateway.GuardResult) {
	out, r := s.st.Write(chunk)
	return out, fromGuard(r)
}

func (s engineStream) Close() (string, gateway.GuardResult) {
	out, r := s.st.Close()
	return out, fromGuard(r)
}

func fromGuard(r guard.Result) gateway.GuardResult {
	out := gateway.GuardResult{Verdict: string(r.Verdict), Redacted: r.Redacted, Labels: r.Labels, Reasons: r.Reasons,
		MaxLabelRank: guard.LabelRank(r.MaxLabel())}
	if len(r.Findings) > 0 {
		out.Types = make([]string, len(r.Findings))
		for i, f := range r.Findings {
			out.Types[i] = f.Type
		}
	}
	if r.Injection != nil {
		out.Injection = r.Injection.Detected
		out.InjectionScore = r.Injection.Score
		out.Signals = r.Injection.Signals
	}
	return out
}
