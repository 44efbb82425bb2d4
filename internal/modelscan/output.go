package modelscan

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/aigis-dev/aigis/internal/finding"
)

// ruleTitles gives each rule family a one-line title for the shared finding shape.
var ruleTitles = map[string]string{
	"pickle.global.dangerous":   "Pickle imports a dangerous callable",
	"pickle.global.dynamic":     "Pickle imports a name computed at load time",
	"pickle.global.risky":       "Pickle imports a callable combinator",
	"pickle.global.unknown":     "Pickle imports a global outside the allowlist",
	"pickle.call.indirect":      "Pickle calls a computed callable",
	"pickle.build.global":       "Pickle modifies an imported module, class or function",
	"pickle.setitem.global":     "Pickle writes into an imported object",
	"pickle.ext-code":           "Pickle uses the copyreg extension registry",
	"archive.path-traversal":    "Archive member escapes the extraction folder",
	"archive.link-escape":       "Archive link points outside the archive",
	"archive.bomb":              "Archive expands beyond the limits",
	"archive.compression-ratio": "Archive member has an extreme compression ratio",
	"zip.prepended-data":        "Data precedes the zip archive (polyglot)",
	"zip.crc-mismatch":          "Zip member CRC does not match",
	"zip.flag-anomaly":          "Zip member flags are inconsistent",
	"file.error":                "Model file could not be analysed",
}

func titleFor(rule string) string {
	if t, ok := ruleTitles[rule]; ok {
		return t
	}
	return strings.ReplaceAll(rule, ".", " ")
}

// AsFindings converts the result's own findings (not its members') to the
// shared finding shape; an error verdict becomes a high "file.error" finding
// so that it is never silently clean.
func (r FileResult) AsFindings() []finding.Finding {
	var out []finding.Finding
	for _, f := range r.Findings {
		sev, err := finding.ParseSeverity(f.Severity)
		if err != nil {
			sev = finding.Medium
		}
		ev := f.Detail
		if f.Offset >= 0 {
			ev = fmt.Sprintf("%s (offset %d)", f.Detail, f.Offset)
		}
		out = append(out, finding.Finding{
			ID: f.Rule, Title: titleFor(f.Rule), Severity: sev, File: r.Path, Evidence: ev,
			Remediation: "Do not load this artifact. Obtain the model from a trusted source in a format that cannot run code (safetensors, GGUF without custom templates), or review and allowlist the flagged globals.",
			ATLAS:       []string{"AML.T0010.003", "AML.T0011.000"},
			OWASP:       []string{"LLM03:2025", "LLM04:2025"},
			Equivalents: []string{},
		})
	}
	if r.Error != "" {
		out = append(out, finding.Finding{
			ID: "file.error", Title: titleFor("file.error"), Severity: finding.High, File: r.Path, Evidence: r.Error,
			Remediation: "The file could not be analysed and is not known to be safe: repair, extract or convert it and scan again.",
			ATLAS:       []string{"AML.T0010.003"}, OWASP: []string{"LLM03:2025"}, Equivalents: []string{},
		})
	}
	return out
}

// allowlistFile is the YAML document accepted by LoadAllowlist.
type allowlistFile struct {
	Allow []string `yaml:"allow"`
}

// LoadAllowlist reads extra allowlisted globals from a YAML file of the form
// "allow: [module.name, module.*]".
func LoadAllowlist(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read allowlist: %w", err)
	}
	if len(b) > 4<<20 {
		return nil, errors.New("allowlist file larger than 4 MiB")
	}
	var f allowlistFile
	if err := yaml.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("parse allowlist %s (want `allow: [module.name, ...]`): %w", path, err)
	}
	for _, a := range f.Allow {
		if !strings.Contains(a, ".") {
			return nil, fmt.Errorf("allowlist entry %q: want module.name or module.*", a)
		}
	}
	return f.Allow, nil
}
