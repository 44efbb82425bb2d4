package guard

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/aigis-dev/aigis/guard/injection"
)

// Batch (JSONL) limits.
const (
	MaxBatchLineBytes = 8 << 20 // default maximum bytes of one JSONL line
	maxJSONDepth      = 32
)

// BatchItem is one input line of `aigis guard --jsonl`:
// {"id": any JSON scalar, "text": "...", "mode": "user"|"document"}.
type BatchItem struct {
	ID   json.RawMessage `json:"id"`
	Text string          `json:"text"`
	Mode injection.Mode  `json:"mode"`
}

// DecodeBatchLine decodes one JSONL input line strictly: unknown fields,
// nesting deeper than 32 levels, a non-scalar id or an unknown mode are errors.
func DecodeBatchLine(line []byte) (BatchItem, error) {
	var it BatchItem
	if len(bytes.TrimSpace(line)) == 0 {
		return it, errors.New("empty line")
	}
	if d := jsonDepth(line); d > maxJSONDepth {
		return it, fmt.Errorf("JSON nested %d levels deep (limit %d)", d, maxJSONDepth)
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&it); err != nil {
		return it, fmt.Errorf("decode line: %w", err)
	}
	if dec.More() {
		return it, errors.New("decode line: trailing data after the JSON object")
	}
	if len(it.ID) > 0 {
		switch it.ID[0] {
		case '{', '[':
			return it, errors.New("id must be a string, number, boolean or null")
		}
	}
	switch it.Mode {
	case "", injection.ModeUser, injection.ModeDocument:
	default:
		return it, fmt.Errorf("mode %q: want user or document", it.Mode)
	}
	return it, nil
}

// jsonDepth returns the maximum nesting of objects/arrays outside strings.
func jsonDepth(b []byte) int {
	depth, maxd := 0, 0
	inStr, esc := false, false
	for _, c := range b {
		if inStr {
			switch {
			case esc:
				esc = false
			case c == '\\':
				esc = true
			case c == '"':
				inStr = false
			}
			continue
		}
		switch c {
		case '"':
			inStr = true
		case '{', '[':
			depth++
			if depth > maxd {
				maxd = depth
			}
		case '}', ']':
			depth--
		}
	}
	return maxd
}

// BatchFinding is a finding in a JSONL output line.
type BatchFinding struct {
	Type     string  `json:"type"`
	Detector string  `json:"detector"`
	Start    int     `json:"start"`
	End      int     `json:"end"`
	Score    float64 `json:"score"`
	Label    string  `json:"label,omitempty"`
}

// BatchInjection is the injection verdict in a JSONL output line.
type BatchInjection struct {
	Detected bool     `json:"detected"`
	Score    float64  `json:"score"`
	Signals  []string `json:"signals"`
}

// BatchResult is one output line of `aigis guard --jsonl`.
type BatchResult struct {
	ID        json.RawMessage `json:"id"`
	Verdict   Verdict         `json:"verdict,omitempty"`
	Labels    []string        `json:"labels"`
	Findings  []BatchFinding  `json:"findings"`
	Redacted  string          `json:"redacted"`
	Injection *BatchInjection `json:"injection,omitempty"`
	Reasons   []string        `json:"reasons,omitempty"`
	Truncated bool            `json:"truncated,omitempty"`
}

// NewBatchResult shapes a Result as a JSONL output line.
func NewBatchResult(id json.RawMessage, r Result) BatchResult {
	if len(id) == 0 {
		id = json.RawMessage("null")
	}
	out := BatchResult{ID: id, Verdict: r.Verdict, Labels: r.Labels, Redacted: r.Redacted, Reasons: r.Reasons, Truncated: r.Truncated,
		Findings: make([]BatchFinding, 0, len(r.Findings))}
	if out.Labels == nil {
		out.Labels = []string{}
	}
	for _, f := range r.Findings {
		out.Findings = append(out.Findings, BatchFinding{Type: f.Type, Detector: f.Detector, Start: f.Start, End: f.End, Score: f.Score, Label: f.Label})
	}
	if r.Injection != nil {
		sig := r.Injection.Signals
		if sig == nil {
			sig = []string{}
		}
		out.Injection = &BatchInjection{Detected: r.Injection.Detected, Score: r.Injection.Score, Signals: sig}
	}
	return out
}
