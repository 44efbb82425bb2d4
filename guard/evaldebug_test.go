package guard

import (
	"context"
	"os"
	"testing"
)

// TestPresidioErrors lists misses and false positives of one type when
// AIGIS_EVAL_DEBUG=TYPE is set (a development aid; skipped otherwise). It
// reads the development split only: the test split stays unseen by tuning.
func TestPresidioErrors(t *testing.T) {
	typ := os.Getenv("AIGIS_EVAL_DEBUG")
	if typ == "" {
		t.Skip("set AIGIS_EVAL_DEBUG=TYPE to list errors")
	}
	rows := SelectSplit(loadPresidio(t), SplitDev)
	off := false
	e, err := New(&Policy{Injection: InjectionPolicy{Enabled: &off}})
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range rows {
		rs := []rune(row.Text)
		res := e.Inspect(context.Background(), row.Text, InspectOptions{})
		for _, g := range row.Spans {
			if g.Type != typ {
				continue
			}
			hit := false
			for _, f := range res.Findings {
				if PresidioTypeMap(f.Type) == typ && f.Start < g.End && g.Start < f.End {
					hit = true
				}
			}
			if !hit {
				t.Logf("MISS %q in %q", string(rs[g.Start:g.End]), row.Text)
			}
		}
		for _, f := range res.Findings {
			if PresidioTypeMap(f.Type) != typ {
				continue
			}
			hit := false
			for _, g := range row.Spans {
				if g.Type == typ && f.Start < g.End && g.Start < f.End {
					hit = true
				}
			}
			if !hit {
				t.Logf("FP %q (%.2f) in %q", string(rs[f.Start:f.End]), f.Score, row.Text)
			}
		}
	}
}
