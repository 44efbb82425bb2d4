package secrets

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/aigis-dev/aigis/guard/match"
	"github.com/aigis-dev/aigis/internal/shareddata"
)

type exampleRow struct {
	RuleID string `json:"rule_id"`
	Label  string `json:"label"`
	Text   string `json:"text"`
}

// TestGitleaksExamples scores the scanner on gitleaks' own rule test strings:
// a "secret" row must produce a finding, a "not_secret" row must not.
func TestGitleaksExamples(t *testing.T) {
	path := shareddata.Require(t, "datasets/secrets/gitleaks_static_examples.json")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rows []exampleRow
	if err := json.Unmarshal(b, &rows); err != nil {
		t.Fatal(err)
	}
	s, err := New()
	if err != nil {
		t.Fatal(err)
	}
	// Per split (every fifth row is "test", as guard.SelectSplit does for
	// the PII set): the rules are gitleaks' own and were not tuned on these
	// rows, so both splits are reported and the floors apply to all rows.
	split := map[bool]*[4]int{false: {}, true: {}} // test? -> tp, fn, fp, tn
	var tp, fn, fp, tn, sameRule int
	for i, r := range rows {
		sp := split[i%5 == 4]
		ms := s.Find(r.Text, nil)
		if r.Label == "secret" {
			if len(ms) > 0 {
				tp++
				sp[0]++
				for _, m := range ms {
					if strings.TrimPrefix(m.Detector, "gitleaks:") == r.RuleID {
						sameRule++
						break
					}
				}
			} else {
				fn++
				sp[1]++
				t.Logf("MISS %s: %.80q", r.RuleID, r.Text)
			}
		} else {
			if len(ms) > 0 {
				fp++
				sp[2]++
				t.Logf("FP %s -> %s: %.80q", r.RuleID, detectors(ms), r.Text)
			} else {
				tn++
				sp[3]++
			}
		}
	}
	for _, test := range []bool{true, false} {
		c := split[test]
		name := map[bool]string{true: "test", false: "dev"}[test]
		t.Logf("split %s: secret rows %d found / %d missed; not_secret rows %d flagged / %d clean", name, c[0], c[1], c[2], c[3])
	}
	prec := float64(tp) / float64(max(tp+fp, 1))
	rec := float64(tp) / float64(max(tp+fn, 1))
	t.Logf("secret rows: %d found, %d missed (same rule id: %d); not_secret rows: %d flagged, %d clean; precision %.3f recall %.3f", tp, fn, sameRule, fp, tn, prec, rec)
	if rec < 0.94 || prec < 0.90 {
		t.Errorf("precision %.3f recall %.3f below floors 0.90 / 0.94", prec, rec)
	}
}

func detectors(ms []match.Match) string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Detector)
	}
	return strings.Join(out, ",")
}
