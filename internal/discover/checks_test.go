package discover

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aigis-dev/aigis/internal/finding"
	"github.com/aigis-dev/aigis/internal/modelscan"
	"github.com/aigis-dev/aigis/internal/taxonomy"
)

// realModelScanner wires the real model scanner for tests of AIGIS-MODEL-002.
type realModelScanner struct{ s *modelscan.Scanner }

func (m realModelScanner) ScanModel(ctx context.Context, path string) (ModelVerdict, error) {
	r := m.s.ScanFile(ctx, path)
	v := ModelVerdict{Format: r.Format, Verdict: r.Verdict}
	for _, f := range r.Findings {
		sev, _ := finding.ParseSeverity(f.Severity)
		v.Findings = append(v.Findings, finding.Finding{ID: f.Rule, Title: f.Detail, Severity: sev})
	}
	return v, nil
}

func testScanner() *Scanner {
	return New(Options{Workers: 2, ModelScanner: realModelScanner{modelscan.New(modelscan.Options{})}})
}

// TestCheckFixtures runs every fixture under testdata/checks/<RULE>/<case>:
// a case whose name starts with "fail" must produce the rule, one starting
// with "pass" must not.
func TestCheckFixtures(t *testing.T) {
	root := filepath.Join("testdata", "checks")
	rules, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	s := testScanner()
	for _, r := range rules {
		cases, err := os.ReadDir(filepath.Join(root, r.Name()))
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cases {
			id, name := r.Name(), c.Name()
			t.Run(id+"/"+name, func(t *testing.T) {
				res, err := s.Scan(context.Background(), filepath.Join(root, id, name))
				if err != nil {
					t.Fatal(err)
				}
				var got []finding.Finding
				for _, f := range res.Findings {
					if f.ID == id {
						got = append(got, f)
					}
				}
				wantFail := strings.HasPrefix(name, "fail")
				if wantFail && len(got) == 0 {
					t.Fatalf("%s not reported; findings: %v; warnings: %v", id, ids(res.Findings), res.Warnings)
				}
				if !wantFail && len(got) > 0 {
					t.Fatalf("%s reported on a passing fixture: %+v", id, got[0])
				}
				for _, f := range got {
					if f.File == "" || f.Remediation == "" || len(f.ATLAS) == 0 || len(f.OWASP) == 0 {
						t.Errorf("finding lacks location, remediation or taxonomy: %+v", f)
					}
				}
			})
		}
	}
}

func ids(fs []finding.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.ID)
	}
	return out
}

// TestEveryRuleHasFixtures: each check has a failing and a passing fixture.
func TestEveryRuleHasFixtures(t *testing.T) {
	rules := Rules()
	if len(rules) < 60 {
		t.Fatalf("want at least 60 checks, have %d", len(rules))
	}
	seen := map[string]bool{}
	for _, r := range rules {
		if seen[r.ID] {
			t.Errorf("duplicate rule id %s", r.ID)
		}
		seen[r.ID] = true
		entries, err := os.ReadDir(filepath.Join("testdata", "checks", r.ID))
		if err != nil {
			t.Errorf("%s has no fixtures: %v", r.ID, err)
			continue
		}
		var fail, pass bool
		for _, e := range entries {
			fail = fail || strings.HasPrefix(e.Name(), "fail")
			pass = pass || strings.HasPrefix(e.Name(), "pass")
		}
		if !fail || !pass {
			t.Errorf("%s needs a fail* and a pass* fixture (fail=%v pass=%v)", r.ID, fail, pass)
		}
	}
}

// TestRuleTaxonomy: every ATLAS and OWASP id a rule uses exists in the
// taxonomy tables, and every rule has a remediation.
func TestRuleTaxonomy(t *testing.T) {
	for _, r := range Rules() {
		if r.Remediation == "" || r.Title == "" {
			t.Errorf("%s: missing title or remediation", r.ID)
		}
		if len(r.ATLAS) == 0 || len(r.OWASP) == 0 {
			t.Errorf("%s: needs ATLAS and OWASP ids", r.ID)
		}
		for _, id := range slices.Concat(r.ATLAS, r.OWASP) {
			if !taxonomy.Known(id) {
				t.Errorf("%s: unknown taxonomy id %q", r.ID, id)
			}
		}
	}
}

// TestCheckovParity lists the Checkov ids the issue requires and checks each
// is the equivalent of one of our rules.
func TestCheckovParity(t *testing.T) {
	want := []string{"CKV_AZURE_134", "CKV_AZURE_236", "CKV_AZURE_238", "CKV_AZURE_247", "CKV2_AZURE_22",
		"CKV_AZURE_142", "CKV_AZURE_144", "CKV_AZURE_150", "CKV_AZURE_243", "CKV2_AZURE_49", "CKV2_AZURE_50",
		"CKV_AZURE_124", "CKV_AZURE_207", "CKV_AZURE_208", "CKV_AZURE_209", "CKV_AZURE_210",
		"CKV_AWS_373", "CKV_AWS_383", "CKV_AWS_187", "CKV_AWS_306", "CKV_AWS_307", "CKV_AWS_367", "CKV_AWS_368",
		"CKV_AWS_369", "CKV_AWS_370", "CKV_AWS_371", "CKV_AWS_372", "CKV2_AWS_68", "CKV_AWS_267", "CKV_AWS_268",
		"CKV_GCP_89", "CKV_GCP_92", "CKV_GCP_96", "CKV_GCP_126", "CKV_GCP_127", "CKV2_GCP_21", "CKV2_GCP_24",
		"CKV2_GCP_25", "CKV2_GCP_26", "CKV2_GCP_27", "CKV2_GCP_28", "CKV2_GCP_33", "CKV2_GCP_34", "CKV2_GCP_35", "CKV2_GCP_36"}
	have := map[string]bool{}
	for _, r := range Rules() {
		for _, e := range r.Equivalents {
			have[e] = true
		}
	}
	for _, w := range want {
		if !have[w] {
			t.Errorf("no rule is equivalent to %s", w)
		}
	}
}
