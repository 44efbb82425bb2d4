package taxonomy

import (
	"os"
	"strings"
	"testing"

	"github.com/aigis-dev/aigis/internal/shareddata"
)

func TestTables(t *testing.T) {
	if n := len(Tactics()); n != 16 {
		t.Errorf("tactics = %d, want 16 (ATLAS %s)", n, ATLASVersion)
	}
	if n := len(Techniques()); n != 170 {
		t.Errorf("techniques = %d, want 170", n)
	}
	if n := len(OWASP()); n != 30 {
		t.Errorf("OWASP entries = %d, want 30", n)
	}
	for id, want := range map[string]string{
		"AML.T0010":     "AI Supply Chain Compromise",
		"AML.T0011.000": "Unsafe AI Artifacts",
		"AML.TA0004":    "Initial Access",
		"LLM05:2025":    "Improper Output Handling",
		"ASI04":         "Agentic Supply Chain Vulnerabilities",
		"MCP09":         "Shadow MCP Servers",
	} {
		if got := Name(id); got != want {
			t.Errorf("Name(%s) = %q, want %q", id, got, want)
		}
	}
	if Known("AML.T9999") || Known("LLM11:2025") || Known("") {
		t.Error("unknown ids reported as known")
	}
	e, _ := Lookup("MCP01")
	if e.List != ListOWASPMCP {
		t.Errorf("MCP01 list = %q", e.List)
	}
}

// TestGeneratedMatchesReference: the committed tables equal the shared
// reference (regenerate with `go generate ./internal/taxonomy`).
func TestGeneratedMatchesReference(t *testing.T) {
	p := shareddata.Require(t, "reference/atlas/techniques.txt")
	raw, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	if len(lines) != len(Techniques()) {
		t.Fatalf("reference has %d techniques, tables %d: regenerate", len(lines), len(Techniques()))
	}
	for _, l := range lines {
		parts := strings.Split(l, "|")
		id, name := strings.TrimSpace(parts[0]), strings.TrimSpace(parts[1])
		if Name(id) != name {
			t.Errorf("%s: table %q, reference %q", id, Name(id), name)
		}
	}
}
