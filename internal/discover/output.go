package discover

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"

	"github.com/aigis-dev/aigis/internal/finding"
)

// Fingerprint is a stable identity for a finding, independent of its line
// number, for baselines: rule id, file, resource and evidence.
func Fingerprint(f finding.Finding) string {
	h := sha256.New()
	for _, s := range []string{f.ID, f.File, f.Resource, f.Evidence} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:24]
}

// JSONFinding is the JSON shape of a finding.
type JSONFinding struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Severity    string   `json:"severity"`
	File        string   `json:"file"`
	Line        int      `json:"line"`
	Resource    string   `json:"resource"`
	Evidence    string   `json:"evidence,omitempty"`
	ATLAS       []string `json:"atlas"`
	OWASP       []string `json:"owasp"`
	Equivalents []string `json:"equivalents"`
	Remediation string   `json:"remediation"`
	Fingerprint string   `json:"fingerprint"`
}

// JSONDocument is the `--format json` document.
type JSONDocument struct {
	Assets   []Asset       `json:"assets"`
	Findings []JSONFinding `json:"findings"`
	Warnings []Warning     `json:"warnings,omitempty"`
	Stats    *Stats        `json:"stats,omitempty"`
}

// WriteJSON writes the result as the JSON document (indented).
func WriteJSON(w io.Writer, r *Result, withStats bool) error {
	doc := JSONDocument{Assets: r.Assets, Findings: make([]JSONFinding, 0, len(r.Findings)), Warnings: r.Warnings}
	if doc.Assets == nil {
		doc.Assets = []Asset{}
	}
	if withStats {
		st := r.Stats
		doc.Stats = &st
	}
	for _, f := range r.Findings {
		doc.Findings = append(doc.Findings, JSONFinding{
			ID: f.ID, Title: f.Title, Severity: f.Severity.String(), File: f.File, Line: f.Line, Resource: f.Resource,
			Evidence: f.Evidence, ATLAS: nonNil(f.ATLAS), OWASP: nonNil(f.OWASP), Equivalents: nonNil(f.Equivalents),
			Remediation: f.Remediation, Fingerprint: Fingerprint(f),
		})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("write discover JSON: %w", err)
	}
	return nil
}

// Baseline is a set of finding fingerprints already known.
type Baseline map[string]bool

// LoadBaseline reads a previous `--format json` output (or any JSON with
// findings[].fingerprint, or findings with id/file/resource/evidence).
func LoadBaseline(path string) (Baseline, error) {
	data, err := readBounded(path, 64<<20)
	if err != nil {
		return nil, fmt.Errorf("read baseline %s: %w", path, err)
	}
	var doc struct {
		Findings []struct {
			ID          string `json:"id"`
			File        string `json:"file"`
			Resource    string `json:"resource"`
			Evidence    string `json:"evidence"`
			Fingerprint string `json:"fingerprint"`
		} `json:"findings"`
		Fingerprints []string `json:"fingerprints"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("baseline %s is not a discover JSON report: %w", path, err)
	}
	b := Baseline{}
	for _, f := range doc.Findings {
		fp := f.Fingerprint
		if fp == "" {
			fp = Fingerprint(finding.Finding{ID: f.ID, File: f.File, Resource: f.Resource, Evidence: f.Evidence})
		}
		b[fp] = true
	}
	for _, fp := range doc.Fingerprints {
		b[fp] = true
	}
	return b, nil
}

// New returns the findings not in the baseline.
func (b Baseline) New(fs []finding.Finding) []finding.Finding {
	out := []finding.Finding{}
	for _, f := range fs {
		if !b[Fingerprint(f)] {
			out = append(out, f)
		}
	}
	return out
}
