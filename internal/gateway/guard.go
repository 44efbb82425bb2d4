package gateway

import (
	"context"
	"slices"

	"github.com/aigis-dev/aigis/internal/exchange"
)

// Guard is a compiled guard policy as the gateway uses it. The guard
// package's Engine satisfies it through NewGuardEngine (guard_engine.go).
type Guard interface {
	NewSession() GuardSession
}

// GuardSession inspects the texts of one request and its response, keeping
// the pseudonyms it handed out so Restore can put the originals back.
type GuardSession interface {
	// Inspect checks one text of the given kind; output is true for model
	// output.
	Inspect(ctx context.Context, text string, output bool, kind TextKind) GuardResult
	// Restore replaces the session's pseudonyms in text with the originals.
	Restore(text string) string
	// NewStream returns an incremental inspector for response text; the
	// text it releases has the session's pseudonyms restored already.
	NewStream() GuardStream
}

// TextKind says where an input text came from, which decides how prompt
// injection is looked for in it.
type TextKind int

// Kinds of input text.
const (
	// TextUser is a user turn (and any text not listed below): direct
	// prompt injection and jailbreaks.
	TextUser TextKind = iota
	// TextDocument is content the model reads: tool results and retrieved
	// documents (indirect prompt injection).
	TextDocument
	// TextInstructions is the application's own instructions (system and
	// developer messages): DLP runs on them, injection detection does not,
	// since they are instructions by design.
	TextInstructions
)

// GuardStream inspects a streamed text incrementally with a hold-back window.
type GuardStream interface {
	// Write adds a chunk and returns the text that may be released now.
	Write(chunk string) (string, GuardResult)
	// Close releases the held-back tail.
	Close() (string, GuardResult)
}

// GuardResult is the outcome of one inspection. It carries no values.
type GuardResult struct {
	Verdict        string // "allow", "redact" or "block"
	Redacted       string // the text to use when Verdict is "redact"
	Types          []string
	MaxLabelRank   int // -1 when no finding has a label
	Labels         []string
	Injection      bool
	InjectionScore float64
	Signals        []string
	Reasons        []string
}

// GuardRoute selects a policy for requests by operation and role.
type GuardRoute struct {
	Operations []exchange.Operation // empty: all
	Roles      []string             // empty: all
	Guard      Guard
	Name       string
}

// GuardPicker selects the guard for a request: the first route whose
// operations and roles match, else the default (nil: no guard).
type GuardPicker struct {
	Routes      []GuardRoute
	Default     Guard
	DefaultName string
}

// pick returns the guard and its policy name for op and roles.
func (p *GuardPicker) pick(op exchange.Operation, roles []string) (Guard, string) {
	if p == nil {
		return nil, ""
	}
	for i := range p.Routes {
		rt := &p.Routes[i]
		if len(rt.Operations) > 0 && !slices.Contains(rt.Operations, op) {
			continue
		}
		if len(rt.Roles) > 0 && !anyIn(rt.Roles, roles) {
			continue
		}
		return rt.Guard, rt.Name
	}
	return p.Default, p.DefaultName
}

func anyIn(want, have []string) bool {
	for _, h := range have {
		if slices.Contains(want, h) {
			return true
		}
	}
	return false
}

// guardTally accumulates results into the audit summary.
func (s *GuardSummary) add(r GuardResult) {
	if rank(r.Verdict) > rank(s.Verdict) {
		s.Verdict = r.Verdict
	}
	for _, t := range r.Types {
		if s.Findings == nil {
			s.Findings = map[string]int{}
		}
		s.Findings[t]++
	}
	for _, l := range r.Labels {
		if !slices.Contains(s.Labels, l) {
			s.Labels = append(s.Labels, l)
		}
	}
	if r.Injection {
		s.Injection = true
	}
	if r.InjectionScore > s.InjectionScore {
		s.InjectionScore = r.InjectionScore
	}
	for _, sig := range r.Signals {
		if !slices.Contains(s.Signals, sig) {
			s.Signals = append(s.Signals, sig)
		}
	}
	for _, re := range r.Reasons {
		if !slices.Contains(s.Reasons, re) {
			s.Reasons = append(s.Reasons, re)
		}
	}
}

func rank(v string) int {
	switch v {
	case "allow":
		return 1
	case "flag": // an output check fired in flag-only mode
		return 2
	case "redact":
		return 3
	case "block":
		return 4
	}
	return 0
}
