package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/owenrumney/go-sarif/v3/pkg/report/v210/sarif"

	"github.com/aigis-dev/aigis/internal/finding"
)

var sample = []finding.Finding{
	{ID: "AIGIS-K8S-001", Title: "Model server without auth", Severity: finding.Medium, File: "k8s/vllm.yaml", Line: 12, Resource: "Deployment.vllm", ATLAS: []string{"AML.T0049"}, OWASP: []string{"LLM10:2025"}},
	{ID: "AIGIS-SECRET-001", Title: "Hardcoded OpenAI key", Severity: finding.Critical, File: "app/main.py", Line: 3, Evidence: "sk-...abcd", Remediation: "Move the key to a secret store | rotate it"},
	{ID: "AIGIS-AZ-001", Title: "Public network access", Severity: finding.High, File: "main.tf", Line: 40, Resource: "azurerm_cognitive_account.oai", Equivalents: []string{"CKV_AZURE_134"}},
}

func TestTableOrdersBySeverity(t *testing.T) {
	var b bytes.Buffer
	if err := Table(&b, sample); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	iCrit, iHigh, iMed := strings.Index(out, "CRITICAL"), strings.Index(out, "HIGH"), strings.Index(out, "MEDIUM")
	if iCrit < 0 || iHigh < 0 || iMed < 0 || !(iCrit < iHigh && iHigh < iMed) {
		t.Fatalf("rows not ordered by severity:\n%s", out)
	}
	if !strings.Contains(out, "main.tf:40 (azurerm_cognitive_account.oai)") {
		t.Errorf("location missing:\n%s", out)
	}
	if !strings.Contains(out, "3 findings: 1 critical, 1 high, 1 medium") {
		t.Errorf("summary missing:\n%s", out)
	}
	b.Reset()
	if err := Table(&b, nil); err != nil || strings.TrimSpace(b.String()) != "no findings" {
		t.Fatalf("empty table = %q, %v", b.String(), err)
	}
}

func TestMarkdownEscapes(t *testing.T) {
	var b bytes.Buffer
	if err := Markdown(&b, "Scan <x>", sample); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if !strings.Contains(out, `secret store \| rotate`) || !strings.Contains(out, "Scan &lt;x&gt;") {
		t.Fatalf("markdown not escaped:\n%s", out)
	}
	if got := strings.Count(out, "\n| "); got != 4 { // header + 3 rows
		t.Fatalf("want 4 table rows, got %d:\n%s", got, out)
	}
}

func TestSARIFValidatesAgainstSchema(t *testing.T) {
	var b bytes.Buffer
	tool := Tool{Name: "aigis", Version: "test", InformationURI: "https://github.com/aigis-dev/aigis",
		Rules: []Rule{{ID: "AIGIS-AZ-001", Title: "Public network access", Severity: finding.High}}}
	if err := SARIF(&b, tool, sample); err != nil {
		t.Fatal(err)
	}
	rep, err := sarif.FromBytes(b.Bytes(), sarif.WithStrictValidation())
	if err != nil {
		t.Fatal(err)
	}
	if err := rep.Validate(); err != nil {
		t.Fatalf("SARIF does not validate against the 2.1.0 schema: %v", err)
	}
	var doc struct {
		Version string `json:"version"`
		Runs    []struct {
			Tool struct {
				Driver struct {
					Rules []struct {
						ID string `json:"id"`
					} `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
			Results []struct {
				RuleID    string `json:"ruleId"`
				RuleIndex int    `json:"ruleIndex"`
				Level     string `json:"level"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Version != "2.1.0" || len(doc.Runs) != 1 || len(doc.Runs[0].Results) != 3 || len(doc.Runs[0].Tool.Driver.Rules) != 3 {
		t.Fatalf("unexpected SARIF shape: %+v", doc)
	}
	for _, r := range doc.Runs[0].Results {
		if doc.Runs[0].Tool.Driver.Rules[r.RuleIndex].ID != r.RuleID {
			t.Errorf("result %s points at rule index %d", r.RuleID, r.RuleIndex)
		}
	}
	if doc.Runs[0].Results[0].Level != "error" || doc.Runs[0].Results[2].Level != "warning" {
		t.Errorf("levels: %+v", doc.Runs[0].Results)
	}
}

func TestFailOnAndFingerprint(t *testing.T) {
	if !FailOn(sample, finding.Critical) || FailOn(sample[:1], finding.High) {
		t.Fatal("FailOn thresholds wrong")
	}
	a := sample[1]
	b := a
	b.Line = 99
	if Fingerprint(a) != Fingerprint(b) {
		t.Error("fingerprint must not depend on the line")
	}
	b.Evidence = "other"
	if Fingerprint(a) == Fingerprint(b) {
		t.Error("fingerprint must depend on the evidence")
	}
	if ruleName("AIGIS-AZ-001") != "AigisAz001" {
		t.Errorf("ruleName = %q", ruleName("AIGIS-AZ-001"))
	}
}
