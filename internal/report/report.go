// Package report writes findings in the formats every reporting command
// shares: a human table, Markdown, and SARIF 2.1.0 for code scanning. JSON
// output is each command's own document (its shape is part of that command's
// contract) built from finding.Finding values.
package report

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/aigis-dev/aigis/internal/finding"
)

// Tool describes the program that produced the findings.
type Tool struct {
	Name           string
	Version        string
	InformationURI string
	Rules          []Rule // optional: metadata for rule ids seen in findings
}

// Rule is the metadata of one check.
type Rule struct {
	ID          string
	Title       string
	Description string
	Help        string // remediation or longer guidance (Markdown allowed)
	Severity    finding.Severity
}

// FailOn reports whether any finding is at or above min: the signal for a
// non-zero exit code in CI.
func FailOn(fs []finding.Finding, min finding.Severity) bool {
	for _, f := range fs {
		if f.Severity >= min {
			return true
		}
	}
	return false
}

// Sorted returns a copy of fs ordered by severity (highest first), then file,
// line, rule id and resource, so that every output is deterministic.
func Sorted(fs []finding.Finding) []finding.Finding {
	out := slices.Clone(fs)
	slices.SortStableFunc(out, func(a, b finding.Finding) int {
		return cmp.Or(
			cmp.Compare(b.Severity, a.Severity),
			cmp.Compare(a.File, b.File),
			cmp.Compare(a.Line, b.Line),
			cmp.Compare(a.ID, b.ID),
			cmp.Compare(a.Resource, b.Resource),
		)
	})
	return out
}

// Location formats a finding's place as file:line (resource).
func Location(f finding.Finding) string {
	var b strings.Builder
	b.WriteString(f.File)
	if f.Line > 0 {
		fmt.Fprintf(&b, ":%d", f.Line)
	}
	if f.Resource != "" {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString("(" + f.Resource + ")")
	}
	return b.String()
}

// Table writes a fixed-width table, highest severity first, followed by a
// one-line count per severity.
func Table(w io.Writer, fs []finding.Finding) error {
	if len(fs) == 0 {
		_, err := fmt.Fprintln(w, "no findings")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SEVERITY\tID\tLOCATION\tTITLE")
	for _, f := range Sorted(fs) {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", strings.ToUpper(f.Severity.String()), f.ID, oneLine(Location(f)), oneLine(f.Title))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintln(w, Summary(fs))
	return err
}

// Summary returns "N findings: 1 critical, 2 high, ...".
func Summary(fs []finding.Finding) string {
	var counts [finding.Critical + 1]int
	for _, f := range fs {
		if f.Severity >= finding.Info && f.Severity <= finding.Critical {
			counts[f.Severity]++
		}
	}
	parts := make([]string, 0, 5)
	for s := finding.Critical; s >= finding.Info; s-- {
		if counts[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[s], s))
		}
	}
	noun := "findings"
	if len(fs) == 1 {
		noun = "finding"
	}
	if len(parts) == 0 {
		return fmt.Sprintf("%d %s", len(fs), noun)
	}
	return fmt.Sprintf("%d %s: %s", len(fs), noun, strings.Join(parts, ", "))
}

// Markdown writes a report with a summary and one table row per finding.
func Markdown(w io.Writer, title string, fs []finding.Finding) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n%s\n\n", mdEscape(title), Summary(fs))
	if len(fs) > 0 {
		b.WriteString("| Severity | ID | Location | Title | ATLAS | OWASP | Remediation |\n")
		b.WriteString("|---|---|---|---|---|---|---|\n")
		for _, f := range Sorted(fs) {
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s |\n",
				f.Severity, mdEscape(f.ID), mdEscape(Location(f)), mdEscape(f.Title),
				mdEscape(strings.Join(f.ATLAS, ", ")), mdEscape(strings.Join(f.OWASP, ", ")), mdEscape(f.Remediation))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

var mdReplacer = strings.NewReplacer("|", `\|`, "\r", " ", "\n", " ", "<", "&lt;", ">", "&gt;")

func mdEscape(s string) string { return mdReplacer.Replace(s) }
