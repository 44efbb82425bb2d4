// Package render writes a discover result in every output format: table
// (assets and findings), JSON, SARIF 2.1.0, CycloneDX 1.6 AI-BOM and
// Markdown.
package render

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/aigis-dev/aigis/internal/aibom"
	"github.com/aigis-dev/aigis/internal/discover"
	"github.com/aigis-dev/aigis/internal/report"
)

// Formats lists the accepted format names.
var Formats = []string{"table", "json", "sarif", "cyclonedx", "markdown"}

// Meta describes the run for formats that record it.
type Meta struct {
	ToolVersion string
	Subject     string    // what was scanned
	Timestamp   time.Time // zero: omitted (reproducible output)
}

// ErrUnknownFormat is returned for a format name not in Formats.
var ErrUnknownFormat = fmt.Errorf("unknown format: want one of %s", strings.Join(Formats, ", "))

// Write renders res in format.
func Write(w io.Writer, format string, res *discover.Result, m Meta) error {
	switch strings.ToLower(format) {
	case "json":
		return discover.WriteJSON(w, res, false)
	case "sarif":
		return report.SARIF(w, Tool(m.ToolVersion), res.Findings)
	case "cyclonedx", "cdx", "aibom":
		return aibom.Encode(w, res, aibom.Meta{ToolName: "aigis", ToolVersion: m.ToolVersion, Subject: m.Subject, Timestamp: m.Timestamp})
	case "markdown", "md":
		if err := report.Markdown(w, "aigis discover", res.Findings); err != nil {
			return err
		}
		return assetTable(w, res.Assets, true)
	case "table", "":
		if err := assetTable(w, res.Assets, false); err != nil {
			return err
		}
		if _, err := fmt.Fprintln(w); err != nil {
			return err
		}
		return report.Table(w, res.Findings)
	}
	return fmt.Errorf("%q: %w", format, ErrUnknownFormat)
}

func assetTable(w io.Writer, as []discover.Asset, md bool) error {
	var b strings.Builder
	if md {
		fmt.Fprintf(&b, "\n## AI assets (%d)\n\n| Kind | Name | Version | Location |\n|---|---|---|---|\n", len(as))
	} else {
		fmt.Fprintf(&b, "AI ASSETS (%d)\n", len(as))
	}
	for _, a := range as {
		loc := a.File
		if a.Line > 0 {
			loc = fmt.Sprintf("%s:%d", a.File, a.Line)
		}
		if md {
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", a.Kind, mdCell(a.Name), mdCell(a.Version), mdCell(loc))
		} else {
			fmt.Fprintf(&b, "  %-16s %-40s %-14s %s\n", a.Kind, a.Name, a.Version, loc)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func mdCell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ", "<", "&lt;", ">", "&gt;").Replace(s)
}

// Tool is the SARIF tool description with every discover rule.
func Tool(version string) report.Tool {
	t := report.Tool{Name: "aigis discover", Version: version, InformationURI: "https://github.com/aigis-dev/aigis"}
	for _, r := range discover.Rules() {
		help := r.Remediation
		if len(r.Equivalents) > 0 {
			help += "\n\nEquivalent checks: " + strings.Join(r.Equivalents, ", ")
		}
		t.Rules = append(t.Rules, report.Rule{ID: r.ID, Title: r.Title, Description: r.Title, Help: help, Severity: r.Severity})
	}
	return t
}

// Rules writes the check catalogue as a table or JSON.
func Rules(w io.Writer, format string) error {
	rules := discover.Rules()
	sort.SliceStable(rules, func(i, j int) bool { return rules[i].ID < rules[j].ID })
	if strings.ToLower(format) == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rules)
	}
	var b strings.Builder
	for _, r := range rules {
		fmt.Fprintf(&b, "%-16s %-8s %-14s %-44s %s\n", r.ID, r.Severity, r.Scope, strings.Join(r.Equivalents, ","), r.Title)
	}
	fmt.Fprintf(&b, "%d checks\n", len(rules))
	_, err := io.WriteString(w, b.String())
	return err
}
