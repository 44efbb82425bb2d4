package modelscan

import (
	"regexp"
	"strings"
)

// A textRule is a pattern that marks code or server-side template injection
// in text that should be data (metadata, chat templates).
type textRule struct {
	re       *regexp.Regexp
	severity string
	what     string
}

// templateRules flag Jinja2 server-side template injection: reaching Python
// internals from a chat template rendered by transformers, llama.cpp
// frontends or vLLM.
var templateRules = []textRule{
	{regexp.MustCompile(`__(?:class|globals|builtins|subclasses|mro|base|bases|init|import|getattribute|dict|code|func|self|reduce|reduce_ex|loader|spec)__`), "critical", "dunder attribute access (sandbox escape)"},
	{regexp.MustCompile(`(?i)\\x5f|\\u005f|\\137|\\N\{LOW LINE\}`), "critical", "escaped underscore (obfuscated dunder access)"},
	{regexp.MustCompile(`['"]__\w|\w__['"]`), "critical", "string literal holding a dunder fragment (dunder name assembled at render time)"},
	{regexp.MustCompile(`['"]__['"]|['"]_['"]\s*\*\s*\d|\bformat\s*\(\s*95\b|\b95\s*,\s*95\b`), "critical", "underscore pair built at render time (obfuscated dunder access)"},
	{regexp.MustCompile(`['"]_['"]\s*[~+]|[~+]\s*['"]_['"]`), "high", "underscore concatenated into a name"},
	{regexp.MustCompile(`\b(?:os|subprocess|sys|importlib|builtins|shutil|socket|pty)\s*\.\s*[a-z_]+`), "critical", "Python module access"},
	{regexp.MustCompile(`\b(?:popen|system|check_output|exec|eval|compile|__import__|import_module)\s*\(`), "critical", "code or command execution call"},
	{regexp.MustCompile(`\b(?:cycler|joiner|lipsum|namespace)\s*\.`), "high", "attribute access on a Jinja global (cycler/joiner/lipsum/namespace: classic SSTI gadgets)"},
	{regexp.MustCompile(`\|\s*attr\s*\(`), "high", "|attr() filter (dynamic attribute access)"},
	{regexp.MustCompile(`\b(?:self\s*\.\s*_|request\s*\.|config\s*\.|url_for|get_flashed_messages)`), "high", "access to template internals or framework globals"},
	{regexp.MustCompile(`\[\s*['"]_`), "high", "subscript access to a private attribute"},
	{regexp.MustCompile(`\bmro\b|\bsubclasses\b|\bglobals\b`), "high", "introspection names"},
}

// metadataRules flag code in metadata that should be plain values.
var metadataRules = []textRule{
	{regexp.MustCompile(`\b(?:import\s+os|import\s+subprocess|__import__|os\.system|os\.popen|subprocess\.|exec\s*\(|eval\s*\(|pickle\.loads|marshal\.loads|base64\.b64decode)`), "high", "Python code"},
	{regexp.MustCompile(`(?i)<script\b|javascript:`), "high", "script markup"},
	{regexp.MustCompile(`(?i)\b(?:curl|wget)\s+\S+|/bin/(?:ba)?sh\b|\bbash\s+-c\b|powershell(?:\.exe)?\s+-|\bnc\s+-e\b`), "high", "shell command"},
	{regexp.MustCompile(`(?i)\b(?:https?|ftp)://[^\s"']+`), "low", "URL"},
}

type textHit struct {
	severity, what, match string
	offset                int
}

// matchText runs rules over s and returns one hit per rule.
func matchText(s string, rules []textRule) []textHit {
	var out []textHit
	for _, r := range rules {
		if loc := r.re.FindStringIndex(s); loc != nil {
			m := s[loc[0]:loc[1]]
			if len(m) > 80 {
				m = m[:80] + "..."
			}
			out = append(out, textHit{severity: r.severity, what: r.what, match: strings.ToValidUTF8(m, "?"), offset: loc[0]})
		}
	}
	return out
}

// CheckChatTemplate reports SSTI patterns in a Jinja chat template.
func CheckChatTemplate(tpl string) []Finding {
	var out []Finding
	for _, h := range matchText(tpl, templateRules) {
		out = append(out, Finding{Rule: "template.ssti", Severity: h.severity, Detail: "chat template: " + h.what + ": " + h.match, Offset: -1})
	}
	return out
}
