package discover

import (
	"github.com/aigis-dev/aigis/internal/discover/iac"
	"github.com/aigis-dev/aigis/internal/finding"
)

// Rule is the metadata of one posture check.
type Rule struct {
	ID          string           `json:"id"`
	Title       string           `json:"title"`
	Severity    finding.Severity `json:"severity"`
	ATLAS       []string         `json:"atlas"`
	OWASP       []string         `json:"owasp"`
	Equivalents []string         `json:"equivalents"`
	Remediation string           `json:"remediation"`
	Scope       string           `json:"scope"` // what the check reads: terraform, arm, bicep, cloudformation, kubernetes, code, mcp, model, dataset
}

// codeRules are the checks implemented in code (not IaC); their findings
// carry the same metadata.
var codeRules = []Rule{
	{ID: "AIGIS-SECRET-001", Title: "Hardcoded AI provider API key", Severity: finding.Critical, ATLAS: []string{"AML.T0055", "AML.T0012"}, OWASP: []string{"LLM02:2025", "LLM10:2025"}, Equivalents: []string{"gitleaks"}, Scope: "code", Remediation: "Revoke and rotate the key; load keys from the environment or a secret manager."},
	{ID: "AIGIS-CODE-001", Title: "Model loaded with trust_remote_code=True", Severity: finding.High, ATLAS: []string{"AML.T0011.000", "AML.T0010.003"}, OWASP: []string{"LLM03:2025", "LLM05:2025"}, Scope: "code", Remediation: "Remove trust_remote_code=True or pin revision= to a reviewed commit."},
	{ID: "AIGIS-CODE-002", Title: "torch.load without weights_only=True", Severity: finding.High, ATLAS: []string{"AML.T0011.000", "AML.T0010.003"}, OWASP: []string{"LLM03:2025", "LLM04:2025"}, Scope: "code", Remediation: "Pass weights_only=True or load safetensors."},
	{ID: "AIGIS-CODE-003", Title: "LangChain deserialization with allow_dangerous_deserialization=True", Severity: finding.High, ATLAS: []string{"AML.T0011.000", "AML.T0070"}, OWASP: []string{"LLM03:2025", "LLM08:2025"}, Scope: "code", Remediation: "Load only stores you created and protect them from writes; drop the flag."},
	{ID: "AIGIS-CODE-004", Title: "LLM output flows into code execution, a shell or SQL", Severity: finding.High, ATLAS: []string{"AML.T0050", "AML.T0051", "AML.T0053"}, OWASP: []string{"LLM05:2025", "ASI05"}, Scope: "code", Remediation: "Treat model output as untrusted: strict schema, allow-listed actions, parameterised SQL, no eval/exec/shell."},
	{ID: "AIGIS-CODE-005", Title: "Model or data deserialized with pickle/joblib/dill", Severity: finding.Medium, ATLAS: []string{"AML.T0011.000", "AML.T0010.003"}, OWASP: []string{"LLM03:2025", "LLM04:2025"}, Scope: "code", Remediation: "Use safetensors/ONNX for models and non-executable data formats; unpickle only verified files."},
	{ID: "AIGIS-CODE-006", Title: "LLM API called over plain HTTP", Severity: finding.Medium, ATLAS: []string{"AML.T0025", "AML.T0057"}, OWASP: []string{"LLM02:2025"}, Scope: "code", Remediation: "Use https:// for LLM APIs."},
	{ID: "AIGIS-MCP-001", Title: "MCP server package is not pinned to a version", Severity: finding.Medium, ATLAS: []string{"AML.T0010.001", "AML.T0010.005"}, OWASP: []string{"LLM03:2025", "MCP04", "ASI04"}, Scope: "mcp", Remediation: "Pin to an exact reviewed version (pkg@1.2.3, pkg==1.2.3, image@sha256:...)."},
	{ID: "AIGIS-MCP-002", Title: "MCP server config holds a secret in clear", Severity: finding.High, ATLAS: []string{"AML.T0055", "AML.T0083"}, OWASP: []string{"LLM02:2025", "MCP01"}, Scope: "mcp", Remediation: "Reference secrets from the environment or client secret inputs; rotate the exposed credential."},
	{ID: "AIGIS-MCP-003", Title: "MCP server reached over plain HTTP on a non-local host", Severity: finding.High, ATLAS: []string{"AML.T0025", "AML.T0049"}, OWASP: []string{"LLM02:2025", "MCP07"}, Scope: "mcp", Remediation: "Use https:// with authentication for remote MCP servers."},
	{ID: "AIGIS-MCP-004", Title: "MCP server is launched by a shell that downloads code at start", Severity: finding.High, ATLAS: []string{"AML.T0010.005", "AML.T0011.001"}, OWASP: []string{"LLM03:2025", "MCP04", "MCP05"}, Scope: "mcp", Remediation: "Install from a pinned, verified package or image."},
	{ID: "AIGIS-MCP-005", Title: "MCP server container runs with host-level privileges", Severity: finding.High, ATLAS: []string{"AML.T0053", "AML.T0012"}, OWASP: []string{"LLM06:2025", "MCP02", "ASI03"}, Scope: "mcp", Remediation: "Run unprivileged, without the Docker socket, host root or host network."},
	{ID: "AIGIS-MODEL-001", Title: "Pickle-based model file committed to the repository", Severity: finding.High, ATLAS: []string{"AML.T0011.000", "AML.T0010.003"}, OWASP: []string{"LLM03:2025", "LLM04:2025"}, Equivalents: []string{"picklescan", "modelscan"}, Scope: "model", Remediation: "Convert to safetensors/ONNX/GGUF and scan with `aigis model scan`."},
	{ID: "AIGIS-MODEL-002", Title: "Model file flagged by the model scanner", Severity: finding.Critical, ATLAS: []string{"AML.T0011.000", "AML.T0010.003", "AML.T0018"}, OWASP: []string{"LLM03:2025", "LLM04:2025"}, Scope: "model", Remediation: "Do not load it; replace with a verified, signed model."},
	{ID: "AIGIS-HF-001", Title: "Model folder ships custom code (auto_map) that runs with trust_remote_code", Severity: finding.Medium, ATLAS: []string{"AML.T0011.000", "AML.T0010.003"}, OWASP: []string{"LLM03:2025"}, Scope: "model", Remediation: "Review the model's code, pin the revision, or use a natively supported model."},
	{ID: "AIGIS-DATA-001", Title: "Dataset contains sensitive data", Severity: finding.Medium, ATLAS: []string{"AML.T0036", "AML.T0057", "AML.T0024.000"}, OWASP: []string{"LLM02:2025", "LLM04:2025"}, Scope: "dataset", Remediation: "Remove or pseudonymise personal data before training; restrict access."},
}

// Rules returns every check's metadata, IaC checks first.
func Rules() []Rule {
	var out []Rule
	for _, c := range iac.Checks() {
		scope := ""
		for i, f := range c.Formats() {
			if i > 0 {
				scope += ","
			}
			scope += f
		}
		out = append(out, Rule{ID: c.ID, Title: c.Title, Severity: c.Severity, ATLAS: c.ATLAS, OWASP: c.OWASP,
			Equivalents: nonNil(c.Equivalents), Remediation: c.Remediation, Scope: scope})
	}
	for _, r := range codeRules {
		r.Equivalents = nonNil(r.Equivalents)
		out = append(out, r)
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
