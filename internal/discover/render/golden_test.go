package render_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/owenrumney/go-sarif/v3/pkg/report/v210/sarif"

	"github.com/aigis-dev/aigis/internal/discover"
	"github.com/aigis-dev/aigis/internal/discover/render"
	"github.com/aigis-dev/aigis/internal/finding"
	"github.com/aigis-dev/aigis/internal/report"
)

var update = flag.Bool("update", false, "rewrite the golden files")

var repo = filepath.Join("testdata", "repo")

// run scans the golden repository (built-in dataset classifier, no model
// scanner: the output depends only on this package) and renders format.
func run(t *testing.T, format string) (string, *discover.Result) {
	t.Helper()
	res, err := discover.New(discover.Options{Workers: 2}).Scan(context.Background(), repo)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := render.Write(&out, format, res, render.Meta{ToolVersion: "test", Subject: "repo"}); err != nil {
		t.Fatal(err)
	}
	return out.String(), res
}

var timestampRe = regexp.MustCompile(`"timestamp": "[^"]*"`)

func TestGoldenOutputs(t *testing.T) {
	for _, format := range []string{"table", "json", "sarif", "cyclonedx", "markdown"} {
		t.Run(format, func(t *testing.T) {
			got, _ := run(t, format)
			got = timestampRe.ReplaceAllString(got, `"timestamp": "TIMESTAMP"`)
			golden := filepath.Join("testdata", "discover."+format+".golden")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create)", err)
			}
			if got != string(want) {
				t.Errorf("output differs from %s (run with -update after checking):\n%s", golden, firstDiff(string(want), got))
			}
		})
	}
}

func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(al) || i < len(bl); i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			return "line " + itoa(i+1) + ":\n- " + x + "\n+ " + y
		}
	}
	return ""
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

// TestJSONShape checks the documented JSON contract.
func TestJSONShape(t *testing.T) {
	out, _ := run(t, "json")
	var doc struct {
		Assets   []map[string]any `json:"assets"`
		Findings []map[string]any `json:"findings"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Assets) == 0 || len(doc.Findings) == 0 {
		t.Fatalf("empty document: %s", out)
	}
	for _, f := range doc.Findings {
		for _, k := range []string{"id", "title", "severity", "file", "line", "resource", "atlas", "owasp", "equivalents", "remediation"} {
			if _, ok := f[k]; !ok {
				t.Errorf("finding lacks %q: %v", k, f)
			}
		}
	}
	kinds := map[string]bool{}
	for _, a := range doc.Assets {
		kinds[a["kind"].(string)] = true
	}
	for _, k := range []string{"sdk", "llm-endpoint", "model-name", "model-file", "hf-model", "dataset", "mcp-server", "cloud-ai", "model-deployment", "model-serving"} {
		if !kinds[k] {
			t.Errorf("no asset of kind %s", k)
		}
	}
}

// TestSARIFStructure validates the discover SARIF log (every rule in
// driver.rules) against the SARIF 2.1.0 JSON schema embedded in go-sarif,
// then checks the structure code scanning needs.
func TestSARIFStructure(t *testing.T) {
	out, _ := run(t, "sarif")
	rep, err := sarif.FromBytes([]byte(out), sarif.WithStrictValidation())
	if err != nil {
		t.Fatal(err)
	}
	if err := rep.Validate(); err != nil {
		t.Fatalf("discover SARIF does not validate against the 2.1.0 schema: %v", err)
	}
	// the validation must be able to fail: a result level outside the enum
	rep.Runs[0].Results[0].Level = "fatal"
	if err := rep.Validate(); err == nil {
		t.Fatal("schema validation accepted an invalid result level")
	}
	var log struct {
		Schema  string `json:"$schema"`
		Version string `json:"version"`
		Runs    []struct {
			Tool struct {
				Driver struct {
					Name  string `json:"name"`
					Rules []struct {
						ID string `json:"id"`
					} `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
			Results []struct {
				RuleID    string                `json:"ruleId"`
				Level     string                `json:"level"`
				Message   struct{ Text string } `json:"message"`
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct{ URI string } `json:"artifactLocation"`
					} `json:"physicalLocation"`
				} `json:"locations"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(out), &log); err != nil {
		t.Fatal(err)
	}
	if log.Version != "2.1.0" || len(log.Runs) != 1 || log.Runs[0].Tool.Driver.Name == "" {
		t.Fatalf("not a SARIF 2.1.0 log: %.300s", out)
	}
	rules := map[string]bool{}
	for _, r := range log.Runs[0].Tool.Driver.Rules {
		rules[r.ID] = true
	}
	if len(log.Runs[0].Results) == 0 {
		t.Fatal("no results")
	}
	for _, r := range log.Runs[0].Results {
		if !rules[r.RuleID] {
			t.Errorf("result rule %s not in driver.rules", r.RuleID)
		}
		if r.Message.Text == "" || len(r.Locations) == 0 || r.Locations[0].PhysicalLocation.ArtifactLocation.URI == "" {
			t.Errorf("result lacks message or location: %+v", r)
		}
		switch r.Level {
		case "error", "warning", "note", "none":
		default:
			t.Errorf("bad level %q", r.Level)
		}
	}
}

func TestFailOnThreshold(t *testing.T) {
	_, res := run(t, "json")
	if !report.FailOn(res.Findings, finding.High) {
		t.Fatal("the golden repo has high findings")
	}
	if report.FailOn(res.Findings, finding.Critical) {
		t.Fatal("the golden repo has no critical findings")
	}
}

func TestUnknownFormat(t *testing.T) {
	err := render.Write(&bytes.Buffer{}, "yaml", &discover.Result{}, render.Meta{})
	if !errors.Is(err, render.ErrUnknownFormat) {
		t.Fatalf("err = %v", err)
	}
}
