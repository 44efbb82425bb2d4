package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/aigis-dev/aigis/guard"
)

type presidioRow struct {
	FullText string `json:"full_text"`
	Spans    []struct {
		EntityType string `json:"entity_type"`
		Start      int    `json:"start_position"`
		End        int    `json:"end_position"`
	} `json:"spans"`
}

// evalPII prints per-type precision and recall on a presidio-research
// synthetic dataset file (overlap matching, see guard.EvaluateSpans).
func evalPII(w io.Writer, path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read dataset: %w", err)
	}
	var raw []presidioRow
	if err := json.Unmarshal(b, &raw); err != nil {
		return fmt.Errorf("decode dataset: %w", err)
	}
	rows := make([]guard.LabeledText, 0, len(raw))
	for _, r := range raw {
		lt := guard.LabeledText{Text: r.FullText}
		for _, s := range r.Spans {
			lt.Spans = append(lt.Spans, guard.LabeledSpan{Type: s.EntityType, Start: s.Start, End: s.End})
		}
		rows = append(rows, lt)
	}
	off := false
	e, err := guard.New(&guard.Policy{Injection: guard.InjectionPolicy{Enabled: &off}})
	if err != nil {
		return err
	}
	for _, split := range []guard.EvalSplit{guard.SplitTest, guard.SplitDev, guard.SplitAll} {
		sel := guard.SelectSplit(rows, split)
		rep := guard.EvaluateSpans(context.Background(), e, sel, guard.PresidioTypeMap)
		fmt.Fprintf(w, "### split %s: %d rows (test = every fifth row, never used for tuning)\n\n", split, rep.Rows)
		fmt.Fprintln(w, "| type | gold | predicted | precision | recall | F1 | exact-span precision | exact-span recall |")
		fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|")
		for _, t := range rep.Types {
			fmt.Fprintf(w, "| %s | %d | %d | %.3f | %.3f | %.3f | %.3f | %.3f |\n", t.Type, t.Gold, t.Predicted, t.Precision, t.Recall, t.F1, t.ExactPrecision, t.ExactRecall)
		}
		if len(rep.Unscored) > 0 {
			fmt.Fprintf(w, "\npredicted types absent from the gold set: %v\n", rep.Unscored)
		}
		fmt.Fprintln(w)
	}
	return nil
}
