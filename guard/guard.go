// Package guard is aigis's embeddable data-loss-prevention engine for AI
// traffic. An Engine is built once from a Policy and inspects texts flowing to
// (direction input) or from (direction output) a model. It finds PII
// (guard/pii), secrets (guard/secrets), organisation patterns, dictionaries and
// exact-data matches (guard/orgpatterns), and runs the prompt-injection
// detector (guard/injection). Each finding carries a type (Presidio entity
// names where one exists), a span in Unicode code points (half-open), a score
// and a sensitivity label. The policy maps each type to an action (log, mask,
// hash, pseudonymize, block); the Result carries the verdict and the redacted
// text.
//
// Findings never carry the matched value: a Result is safe to log and audit.
//
// Invalid UTF-8: every invalid byte is decoded as U+FFFD (one code point per
// invalid byte, as Go's range loop does), so offsets are code points of the
// decoded text and the redacted text is valid UTF-8.
package guard

import (
	"context"

	"github.com/aigis-dev/aigis/guard/injection"
)

// Direction says which way a text flows.
type Direction string

// Directions.
const (
	Input  Direction = "input"  // to the model (prompts, tool results sent to it)
	Output Direction = "output" // from the model (completions)
)

// Verdict is the outcome of an inspection, the most severe action that applied.
type Verdict string

// Verdicts, least to most severe.
const (
	Allow  Verdict = "allow"
	Redact Verdict = "redact"
	Block  Verdict = "block"
)

// Action is what the policy does with a finding of a type.
type Action string

// Actions.
const (
	ActionLog          Action = "log"          // report only; text unchanged
	ActionMask         Action = "mask"         // replace with <TYPE>
	ActionHash         Action = "hash"         // replace with <TYPE:hex> (keyed SHA-256, 12 hex digits)
	ActionPseudonymize Action = "pseudonymize" // replace with <TYPE_n>, consistent per value within a Session; Session.Restore maps back
	ActionBlock        Action = "block"        // verdict block; reasons name the type
)

// Sensitivity labels, lowest to highest.
const (
	LabelPublic       = "public"
	LabelInternal     = "internal"
	LabelConfidential = "confidential"
	LabelRestricted   = "restricted"
)

// LabelRank orders sensitivity labels: public 0 < internal 1 < confidential 2
// < restricted 3. An unknown or empty label ranks -1. The gateway compares the
// highest rank of Result.Labels with a model's allowed maximum.
func LabelRank(label string) int {
	switch label {
	case LabelPublic:
		return 0
	case LabelInternal:
		return 1
	case LabelConfidential:
		return 2
	case LabelRestricted:
		return 3
	}
	return -1
}

// Finding is one detected entity. It never holds the matched value.
type Finding struct {
	Type     string  `json:"type"`     // Presidio names (EMAIL_ADDRESS, CREDIT_CARD, ...), SECRET, or an organisation type
	Detector string  `json:"detector"` // pii, gitleaks:<rule-id>, secrets:<rule>, org, dictionary, deny, edm
	Start    int     `json:"start"`    // code points, inclusive
	End      int     `json:"end"`      // code points, exclusive
	Score    float64 `json:"score"`    // 0..1
	Label    string  `json:"label,omitempty"`
	Action   Action  `json:"action,omitempty"` // what the policy did with it
}

// Result is the outcome of one inspection. It is safe to log: no values.
type Result struct {
	Verdict   Verdict           `json:"verdict"`
	Findings  []Finding         `json:"findings"`
	Labels    []string          `json:"labels"`   // distinct labels of the findings, lowest to highest
	Redacted  string            `json:"redacted"` // the text after mask/hash/pseudonymize actions
	Injection *injection.Result `json:"injection,omitempty"`
	Reasons   []string          `json:"reasons,omitempty"`   // e.g. "blocked: US_SSN", "prompt attack detected"; never values
	Truncated bool              `json:"truncated,omitempty"` // the text exceeded the policy's max_bytes; only the prefix was scanned
}

// MaxLabel returns the highest label of r ("" if none).
func (r Result) MaxLabel() string {
	best := ""
	for _, l := range r.Labels {
		if LabelRank(l) > LabelRank(best) {
			best = l
		}
	}
	return best
}

// InspectOptions say how to inspect one text.
type InspectOptions struct {
	Direction Direction      // default Input
	Mode      injection.Mode // default injection.ModeUser; ModeDocument for tool results and documents
	// NoInjection skips prompt-injection detection for this text (DLP still
	// runs): for instructions the application itself wrote, such as the
	// system prompt a gateway forwards.
	NoInjection bool
}

// Inspect scans text with a fresh pseudonymization state. Use a Session when
// pseudonymized values must be restored later.
func (e *Engine) Inspect(ctx context.Context, text string, o InspectOptions) Result {
	return e.NewSession().Inspect(ctx, text, o)
}
