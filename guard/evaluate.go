package guard

import (
	"context"
	"sort"
)

// LabeledSpan is a gold annotation: an entity type and a code-point span.
type LabeledSpan struct {
	Type  string
	Start int
	End   int
}

// LabeledText is one evaluation row.
type LabeledText struct {
	Text  string
	Spans []LabeledSpan
}

// TypeScore counts one entity type's evaluation outcome.
type TypeScore struct {
	Type      string `json:"type"`
	Gold      int    `json:"gold"`      // gold spans
	Predicted int    `json:"predicted"` // predicted spans (after type mapping)
	TruePos   int    `json:"true_pos"`  // predicted spans overlapping a gold span of the type
	Found     int    `json:"found"`     // gold spans overlapped by a prediction of the type
	// Exact counts use the strict rule: same type and identical span.
	ExactTruePos   int     `json:"exact_true_pos"`
	ExactFound     int     `json:"exact_found"`
	ExactPrecision float64 `json:"exact_precision"`
	ExactRecall    float64 `json:"exact_recall"`
	Precision      float64 `json:"precision"`
	Recall         float64 `json:"recall"`
	F1             float64 `json:"f1"`
}

// EvalReport is the outcome of EvaluateSpans.
type EvalReport struct {
	Rows  int         `json:"rows"`
	Types []TypeScore `json:"types"`
	// Unscored counts predicted types absent from the gold annotations' type set.
	Unscored map[string]int `json:"unscored"`
}

// EvaluateSpans inspects each row and scores predictions against gold spans
// per entity type. Matching rule (Precision, Recall): a prediction counts as a true positive if
// it overlaps (at least one code point) a gold span of the same type; a gold
// span counts as found if a prediction of its type overlaps it. mapType maps
// ExactPrecision and ExactRecall use the strict rule instead: same type and
// identical span. mapType maps
// a predicted type to the gold vocabulary ("" drops it); nil keeps types.
func EvaluateSpans(ctx context.Context, e *Engine, rows []LabeledText, mapType func(string) string) EvalReport {
	goldTypes := map[string]bool{}
	for _, r := range rows {
		for _, s := range r.Spans {
			goldTypes[s.Type] = true
		}
	}
	scores := map[string]*TypeScore{}
	get := func(t string) *TypeScore {
		if s, ok := scores[t]; ok {
			return s
		}
		s := &TypeScore{Type: t}
		scores[t] = s
		return s
	}
	rep := EvalReport{Rows: len(rows), Unscored: map[string]int{}}
	for _, row := range rows {
		res := e.Inspect(ctx, row.Text, InspectOptions{Direction: Input})
		var preds []LabeledSpan
		for _, f := range res.Findings {
			t := f.Type
			if mapType != nil {
				t = mapType(t)
			}
			if t == "" {
				continue
			}
			if !goldTypes[t] {
				rep.Unscored[t]++
				continue
			}
			preds = append(preds, LabeledSpan{Type: t, Start: f.Start, End: f.End})
		}
		for _, g := range row.Spans {
			s := get(g.Type)
			s.Gold++
			for _, p := range preds {
				if p.Type == g.Type && p.Start < g.End && g.Start < p.End {
					s.Found++
					break
				}
			}
			for _, p := range preds {
				if p == g {
					s.ExactFound++
					break
				}
			}
		}
		for _, p := range preds {
			s := get(p.Type)
			s.Predicted++
			for _, g := range row.Spans {
				if p.Type == g.Type && p.Start < g.End && g.Start < p.End {
					s.TruePos++
					break
				}
			}
			for _, g := range row.Spans {
				if p == g {
					s.ExactTruePos++
					break
				}
			}
		}
	}
	for _, s := range scores {
		if s.Predicted > 0 {
			s.Precision = float64(s.TruePos) / float64(s.Predicted)
			s.ExactPrecision = float64(s.ExactTruePos) / float64(s.Predicted)
		}
		if s.Gold > 0 {
			s.Recall = float64(s.Found) / float64(s.Gold)
			s.ExactRecall = float64(s.ExactFound) / float64(s.Gold)
		}
		if s.Precision+s.Recall > 0 {
			s.F1 = 2 * s.Precision * s.Recall / (s.Precision + s.Recall)
		}
		rep.Types = append(rep.Types, *s)
	}
	sort.Slice(rep.Types, func(i, j int) bool { return rep.Types[i].Type < rep.Types[j].Type })
	return rep
}

// PresidioTypeMap maps aigis types to the presidio-research synthetic
// dataset's vocabulary (URL is scored as DOMAIN_NAME, LOCATION as GPE).
func PresidioTypeMap(t string) string {
	switch t {
	case "URL":
		return "DOMAIN_NAME"
	case "LOCATION":
		return "GPE"
	case "DATE_OF_BIRTH":
		return "DATE_TIME"
	}
	return t
}

// EvalSplit says which rows of an evaluation set a run uses.
type EvalSplit string

// Splits: every fifth row (index 4, 9, 14, ...) is the test split, the rest
// the development split. Error listings and any tuning use the development
// split only, so the test split's numbers stay a check on unseen rows.
const (
	SplitAll  EvalSplit = "all"
	SplitDev  EvalSplit = "dev"
	SplitTest EvalSplit = "test"
)

// SelectSplit returns the rows of rows in split (all rows for SplitAll or "").
func SelectSplit(rows []LabeledText, split EvalSplit) []LabeledText {
	if split == SplitAll || split == "" {
		return rows
	}
	out := make([]LabeledText, 0, len(rows))
	for i, r := range rows {
		if (i%5 == 4) == (split == SplitTest) {
			out = append(out, r)
		}
	}
	return out
}
