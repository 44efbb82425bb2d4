// Package finding holds the one finding shape shared by discover, modelscan,
// redteam and detect: a stable rule id, a severity, a location, evidence that
// never holds a secret in clear, a remediation and taxonomy mappings.
package finding

import (
	"fmt"
	"strings"
)

// Severity orders findings from informational to critical.
type Severity int

// Severities, lowest first. The zero value is Info.
const (
	Info Severity = iota
	Low
	Medium
	High
	Critical
)

var severityNames = [...]string{"info", "low", "medium", "high", "critical"}

// String returns the lower-case name ("high").
func (s Severity) String() string {
	if s < Info || s > Critical {
		return fmt.Sprintf("severity(%d)", int(s))
	}
	return severityNames[s]
}

// MarshalText encodes the severity as its name.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText parses a severity name.
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// ParseSeverity parses "info", "low", "medium", "high" or "critical"
// (case-insensitive).
func ParseSeverity(name string) (Severity, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	for i, v := range severityNames {
		if v == n {
			return Severity(i), nil
		}
	}
	return Info, fmt.Errorf("unknown severity %q: want one of info, low, medium, high, critical", name)
}

// Finding is one result of a check.
type Finding struct {
	ID          string   `json:"id"`                    // stable rule id, e.g. "AIGIS-AZ-001"
	Title       string   `json:"title"`                 // one line, what is wrong
	Severity    Severity `json:"severity"`              // info .. critical
	File        string   `json:"file,omitempty"`        // path of the file, slash-separated
	Line        int      `json:"line,omitempty"`        // 1-based line, 0 when unknown
	Resource    string   `json:"resource,omitempty"`    // IaC address or other logical location
	Evidence    string   `json:"evidence,omitempty"`    // what was seen; never a secret in clear
	Remediation string   `json:"remediation,omitempty"` // what to do
	ATLAS       []string `json:"atlas"`                 // MITRE ATLAS technique ids (AML.T0010)
	OWASP       []string `json:"owasp"`                 // OWASP ids (LLM03:2025, ASI04, MCP03)
	Equivalents []string `json:"equivalents"`           // same check elsewhere (CKV_AZURE_134)
}

// AtLeast reports whether the finding's severity is at or above min.
func (f Finding) AtLeast(min Severity) bool { return f.Severity >= min }

// Max returns the highest severity among fs and whether there was any.
func Max(fs []Finding) (Severity, bool) {
	if len(fs) == 0 {
		return Info, false
	}
	m := fs[0].Severity
	for _, f := range fs[1:] {
		if f.Severity > m {
			m = f.Severity
		}
	}
	return m, true
}
