package guard

import (
	"context"
	"encoding/json"
	"os"
	"testing"

	"github.com/aigis-dev/aigis/internal/shareddata"
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
		"PHONE_NUMBER":      {0.94, 0.94},
		"DATE_TIME":         {0.90, 0.97},
		"US_DRIVER_LICENSE": {0.80, 0.80},
		"STREET_ADDRESS":    {0.93, 0.70},
		"PERSON":            {0.80, 0.62},
		"GPE":               {0.69, 0.34},
	}
	for typ, f := range floors {
		s := got[typ]
		if s.Precision < f[0] || s.Recall < f[1] {
			t.Errorf("%s: precision %.3f recall %.3f, want >= %.2f / %.2f", typ, s.Precision, s.Recall, f[0], f[1])
		}
	}
}
