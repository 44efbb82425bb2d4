package report

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"strings"

	"github.com/owenrumney/go-sarif/v3/pkg/report/v210/sarif"

	"github.com/aigis-dev/aigis/internal/finding"
)

// SARIFLevel maps a severity to a SARIF result level.
func SARIFLevel(s finding.Severity) string {
	switch {
	case s >= finding.High:
		return "error"
	case s == finding.Medium:
		return "warning"
	default:
		return "note"
	}
}

// securitySeverity is the GitHub code-scanning "security-severity" score.
func securitySeverity(s finding.Severity) string {
	switch s {
	case finding.Critical:
		return "9.5"
	case finding.High:
		return "8.0"
	case finding.Medium:
		return "5.5"
	case finding.Low:
		return "3.0"
	default:
		return "0.0"
	}
}

// Fingerprint is a stable identity of a finding (rule, file, resource and
// evidence; not the line, so that unrelated edits above it do not make it
// "new"). Baselines and SARIF partialFingerprints use it.
func Fingerprint(f finding.Finding) string {
	h := sha256.New()
	for _, s := range []string{f.ID, f.File, f.Resource, f.Evidence} {
		io.WriteString(h, s)
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// SARIF writes a SARIF 2.1.0 log with one run. Rules come from tool.Rules
// and, for ids without metadata, from the findings themselves.
func SARIF(w io.Writer, tool Tool, fs []finding.Finding) error {
	rep := buildSARIF(tool, fs)
	return rep.PrettyWrite(w)
}

func buildSARIF(tool Tool, fs []finding.Finding) *sarif.Report {
	rep := sarif.NewReport()
	run := sarif.NewRunWithInformationURI(tool.Name, tool.InformationURI)
	if tool.Version != "" {
		run.Tool.Driver.WithVersion(tool.Version)
	}
	meta := make(map[string]Rule, len(tool.Rules))
	for _, r := range tool.Rules {
		meta[r.ID] = r
	}
	sorted := Sorted(fs)
	// Declare rules: those given, then any id only seen in findings.
	addRule := func(r Rule, f *finding.Finding) {
		if run.GetRuleIndex(r.ID) >= 0 {
			return
		}
		d := run.AddRule(r.ID)
		title := firstNonEmpty(r.Title, r.ID)
		d.WithName(ruleName(r.ID)).WithShortDescription(sarif.NewMultiformatMessageString().WithText(title))
		if r.Description != "" {
			d.WithFullDescription(sarif.NewMultiformatMessageString().WithText(r.Description))
		}
		if r.Help != "" {
			d.WithMarkdownHelp(r.Help)
		}
		d.WithDefaultConfiguration(sarif.NewReportingConfiguration().WithLevel(SARIFLevel(r.Severity)))
		props := sarif.NewPropertyBag().Add("security-severity", securitySeverity(r.Severity))
		tags := []string{"security"}
		if f != nil {
			tags = append(tags, f.ATLAS...)
			tags = append(tags, f.OWASP...)
		}
		props.WithTags(tags)
		d.WithProperties(props)
	}
	for _, r := range tool.Rules {
		addRule(r, nil)
	}
	for i := range sorted {
		f := &sorted[i]
		if _, ok := meta[f.ID]; !ok {
			addRule(Rule{ID: f.ID, Title: f.Title, Help: f.Remediation, Severity: f.Severity}, f)
		}
	}
	for i := range sorted {
		f := &sorted[i]
		msg := f.Title
		if f.Evidence != "" {
			msg += ": " + f.Evidence
		}
		res := run.CreateResultForRule(f.ID).
			WithLevel(SARIFLevel(f.Severity)).
			WithMessage(sarif.NewTextMessage(msg)).
			WithPartialFingerprints(map[string]string{"aigis/v1": Fingerprint(*f)})
		if f.File != "" {
			pl := sarif.NewPhysicalLocation().WithArtifactLocation(sarif.NewSimpleArtifactLocation(toURI(f.File)))
			if f.Line > 0 {
				pl.WithRegion(sarif.NewRegion().WithStartLine(f.Line))
			}
			loc := sarif.NewLocationWithPhysicalLocation(pl)
			if f.Resource != "" {
				loc.WithLogicalLocations([]*sarif.LogicalLocation{sarif.NewLogicalLocation().WithFullyQualifiedName(f.Resource).WithKind("resource")})
			}
			res.WithLocations([]*sarif.Location{loc})
		}
		props := sarif.NewPropertyBag().Add("severity", f.Severity.String())
		if len(f.ATLAS) > 0 {
			props.Add("atlas", f.ATLAS)
		}
		if len(f.OWASP) > 0 {
			props.Add("owasp", f.OWASP)
		}
		if len(f.Equivalents) > 0 {
			props.Add("equivalents", f.Equivalents)
		}
		res.WithProperties(props)
	}
	rep.AddRun(run)
	return rep
}

// toURI turns an OS path into a relative URI reference (forward slashes).
func toURI(p string) string {
	p = strings.ReplaceAll(p, `\`, "/")
	return strings.TrimPrefix(p, "./")
}

// ruleName turns "AIGIS-AZ-001" into "AigisAz001" (SARIF names are identifiers).
func ruleName(id string) string {
	var b strings.Builder
	up := true
	for _, r := range id {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			if up && r >= 'a' && r <= 'z' {
				r -= 'a' - 'A'
			} else if !up && r >= 'A' && r <= 'Z' {
				r += 'a' - 'A'
			}
			b.WriteRune(r)
			up = false
		default:
			up = true
		}
	}
	return b.String()
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
