package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A Terraform file with a public, key-authenticated Azure OpenAI account
// (AIGIS-AZ-001/002, high severity) and a requirements file with an AI SDK.
const discoverTF = `resource "azurerm_cognitive_account" "oai" {
  name     = "oai"
  kind     = "OpenAI"
  sku_name = "S0"
  public_network_access_enabled = true
  local_auth_enabled = true
}
`

func discoverTree(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(discoverTF), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "requirements.txt"), []byte("openai==1.40.0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestDiscoverCommandExitCodesAndBaseline(t *testing.T) {
	dir := discoverTree(t)
	code, out, errOut := runModelCLI("discover", "--no-dlp", "--format", "json", dir)
	if code != 0 {
		t.Fatalf("no --fail-on: exit %d, want 0; stderr %s", code, errOut)
	}
	var doc struct {
		Assets []struct {
			Kind, Name, Version string
			Properties          map[string]string
		}
		Findings []struct {
			ID, Severity, File, Resource string
			Line                         int
			Atlas, Owasp, Equivalents    []string
		}
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("json: %v\n%s", err, out)
	}
	var sdk, az001 bool
	for _, a := range doc.Assets {
		sdk = sdk || (a.Kind == "sdk" && a.Properties["package"] == "openai" && a.Version == "1.40.0")
	}
	for _, f := range doc.Findings {
		if f.ID == "AIGIS-AZ-001" {
			az001 = f.Resource == "azurerm_cognitive_account.oai" && f.Line > 0 && len(f.Atlas) > 0 && len(f.Owasp) > 0 &&
				strings.Contains(strings.Join(f.Equivalents, ","), "CKV_AZURE_134")
		}
	}
	if !sdk || !az001 {
		t.Fatalf("missing openai SDK asset or AIGIS-AZ-001 finding with its mapping:\n%s", out)
	}

	// A high finding fails --fail-on high with exit 2; --fail-on critical
	// passes (AIGIS-AZ-001 is high, not critical).
	if code, _, errOut := runModelCLI("discover", "--no-dlp", "--fail-on", "high", dir); code != 2 {
		t.Fatalf("--fail-on high: exit %d, want 2; stderr %s", code, errOut)
	}
	if code, _, errOut := runModelCLI("discover", "--no-dlp", "--fail-on", "critical", dir); code != 0 {
		t.Fatalf("--fail-on critical: exit %d, want 0; stderr %s", code, errOut)
	}

	// With today's report as baseline nothing is new, so --fail-on high
	// passes; a new finding in another file fails again.
	base := filepath.Join(t.TempDir(), "baseline.json")
	if err := os.WriteFile(base, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := runModelCLI("discover", "--no-dlp", "--baseline", base, "--fail-on", "high", dir); code != 0 {
		t.Fatalf("baseline: exit %d, want 0; stderr %s", code, errOut)
	}
	other := strings.ReplaceAll(discoverTF, `"oai"`, `"oai2"`)
	if err := os.WriteFile(filepath.Join(dir, "more.tf"), []byte(other), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, _ = runModelCLI("discover", "--no-dlp", "--baseline", base, "--fail-on", "high", "--format", "json", dir)
	doc.Findings = nil
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("json: %v\n%s", err, out)
	}
	if code != 2 || len(doc.Findings) == 0 {
		t.Fatalf("baseline with a new finding: exit %d, %d findings; want 2 and the new ones", code, len(doc.Findings))
	}
	for _, f := range doc.Findings {
		if f.Resource != "azurerm_cognitive_account.oai2" {
			t.Errorf("baseline let through a known finding: %s on %s", f.ID, f.Resource)
		}
	}
}

func TestDiscoverCommandBadInput(t *testing.T) {
	dir := discoverTree(t)
	for _, args := range [][]string{
		{"discover", "--fail-on", "severe", dir},
		{"discover", "--format", "xml", dir},
		{"discover", "--baseline", filepath.Join(dir, "missing.json"), dir},
	} {
		if code, _, errOut := runModelCLI(args...); code != 1 || errOut == "" {
			t.Errorf("%v: exit %d (stderr %q), want 1 with a message", args, code, errOut)
		}
	}
	// A manifest that is binary junk gives a warning naming the file, and
	// the scan goes on to report the rest.
	if err := os.WriteFile(filepath.Join(dir, "package.json"), []byte("\x00\x01\x02garbage\xff"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runModelCLI("discover", "--no-dlp", "--format", "json", dir)
	if code != 0 || !strings.Contains(errOut, "package.json") || !strings.Contains(out, "AIGIS-AZ-001") {
		t.Fatalf("junk manifest: exit %d, stderr %q, want exit 0, a warning and the other findings", code, errOut)
	}
}

func TestDiscoverCommandFormats(t *testing.T) {
	dir := discoverTree(t)
	for format, want := range map[string]string{
		"table":     "AIGIS-AZ-001",
		"markdown":  "AIGIS-AZ-001",
		"sarif":     `"2.1.0"`,
		"cyclonedx": `"specVersion": "1.6"`,
	} {
		code, out, errOut := runModelCLI("discover", "--no-dlp", "--format", format, dir)
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("--format %s: exit %d, stderr %q, output lacks %q", format, code, errOut, want)
		}
	}
}
