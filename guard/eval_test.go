package guard

import (
	"context"
	"encoding/json"
	"os"
	"testing"

	"github.com/aigis-dev/aigis/internal/shareddata"
	"regexp"
	"unicode/utf8"
)

type presidioRow struct {
	FullText string `json:"full_text"`
	Spans    []struct {
		EntityType string `json:"entity_type"`
		Start      int    `json:"start_position"`
		End        int    `json:"end_position"`
	} `json:"spans"`
}

func loadPresidio(t testing.TB) []LabeledText {
	path := shareddata.Require(t, "datasets/pii/presidio_synth_dataset_v2.json")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var raw []presidioRow
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	rows := make([]LabeledText, 0, len(raw))
	for _, r := range raw {
		lt := LabeledText{Text: r.FullText}
		for _, s := range r.Spans {
			lt.Spans = append(lt.Spans, LabeledSpan{Type: s.EntityType, Start: s.Start, End: s.End})
		}
		rows = append(rows, lt)
	}
	return rows
}

func TestPresidioEval(t *testing.T) {
	rows := loadPresidio(t)
	off := false
	e, err := New(&Policy{Injection: InjectionPolicy{Enabled: &off}})
	if err != nil {
		t.Fatal(err)
	}
	rep := EvaluateSpans(context.Background(), e, rows, PresidioTypeMap)
	got := map[string]TypeScore{}
	for _, s := range rep.Types {
		got[s.Type] = s
		t.Logf("%-18s gold=%4d pred=%4d P=%.3f R=%.3f F1=%.3f", s.Type, s.Gold, s.Predicted, s.Precision, s.Recall, s.F1)
	}
	t.Logf("unscored predicted types: %v", rep.Unscored)
	// Floors slightly under the measured values (docs/guard.md), so regressions fail.
	floors := map[string][2]float64{ // type: {precision, recall}
		"CREDIT_CARD":       {0.97, 0.97},
		"EMAIL_ADDRESS":     {0.97, 0.97},
		"IBAN_CODE":         {0.95, 0.95},
		"IP_ADDRESS":        {0.95, 0.95},
		"US_SSN":            {0.95, 0.95},
		"DOMAIN_NAME":       {0.95, 0.95},
		"PHONE_NUMBER":      {0.96, 0.97},
		"DATE_TIME":         {0.90, 0.97},
		"US_DRIVER_LICENSE": {0.80, 0.80},
		"STREET_ADDRESS":    {0.94, 0.86},
		"PERSON":            {0.84, 0.62},
		"GPE":               {0.77, 0.28},
		"NRP":               {0.78, 0.84},
		"ORGANIZATION":      {0.95, 0.13},
	}
	// Pattern-based types must also get the span right (same type, identical
	// code-point span), not just overlap the gold span.
	for _, typ := range []string{"CREDIT_CARD", "EMAIL_ADDRESS", "IBAN_CODE", "IP_ADDRESS", "US_SSN", "DOMAIN_NAME", "PHONE_NUMBER"} {
		if s := got[typ]; s.ExactPrecision < 0.95 || s.ExactRecall < 0.95 {
			t.Errorf("%s: exact-span precision %.3f recall %.3f, want >= 0.95", typ, s.ExactPrecision, s.ExactRecall)
		}
	}
	for typ, f := range floors {
		s := got[typ]
		if s.Precision < f[0] || s.Recall < f[1] {
			t.Errorf("%s: precision %.3f recall %.3f, want >= %.2f / %.2f", typ, s.Precision, s.Recall, f[0], f[1])
		}
	}
}

// placeholderRE matches the placeholders the mask, pseudonymize and hash
// actions write.
var placeholderRE = regexp.MustCompile(`<[A-Z][A-Z0-9_]*(?:_\d+|:[0-9a-f]{12})?>`)

// TestRedactedTextNotReflagged inspects each row, then inspects its redacted
// text again in the same session: no finding may touch a placeholder (a
// masked value is never flagged again), and the residual findings (parts
// of a value the first pass left outside its span) are logged.
func TestRedactedTextNotReflagged(t *testing.T) {
	rows := loadPresidio(t)
	for _, act := range []string{"mask", "pseudonymize", "hash"} {
		e := mustEngine(t, mustPolicy(t, "default_action: "+act+"\ninjection: {enabled: false}\n"))
		residual := 0
		for _, row := range rows {
			s := e.NewSession()
			red := s.Inspect(ctx, row.Text, InspectOptions{}).Redacted
			again := s.Inspect(ctx, red, InspectOptions{})
			if len(again.Findings) == 0 {
				continue
			}
			residual++
			for _, loc := range placeholderRE.FindAllStringIndex(red, -1) {
				ps, pe := utf8.RuneCountInString(red[:loc[0]]), utf8.RuneCountInString(red[:loc[1]])
				for _, f := range again.Findings {
					if f.Start < pe && ps < f.End {
						t.Errorf("%s: placeholder %q re-flagged as %s in %q", act, red[loc[0]:loc[1]], f.Type, red)
					}
				}
			}
		}
		t.Logf("%s: %d of %d redacted rows still have a finding outside the placeholders", act, residual, len(rows))
	}
}
