package injection_test

import (
	"testing"

	"github.com/aigis-dev/aigis/guard/injection"
	"github.com/aigis-dev/aigis/guard/injection/internal/trainer"
	"github.com/aigis-dev/aigis/internal/shareddata"
)

// TestQualityHeldOut checks the embedded model on the held-out test split of
// the shared dataset (groups never seen in training or calibration). Floors
// sit slightly under the measured values published in docs/guard-injection.md.
func TestQualityHeldOut(t *testing.T) {
	path := shareddata.Require(t, "datasets/prompt_attacks/dev.jsonl")
	if testing.Short() {
		t.Skip("quality evaluation skipped in -short mode")
	}
	rows, err := trainer.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	var test []*trainer.Row
	for i := range rows {
		if rows[i].Split == trainer.SplitTest {
			test = append(test, &rows[i])
		}
	}
	// Document mode's held-out document attacks on the split are a single
	// garak probe class (latent jailbreaks: a request for hateful text
	// planted in a text to translate or polish), caught by the
	// harmful_request signal (0.989 balanced accuracy at balanced, tuned
	// on, as docs/guard-injection.md says); the floor guards that signal,
	// and the synthetic indirect injections below carry the TPR floor for
	// everything else.
	floors := []struct {
		level               injection.Level
		mode                int
		minBalanced, maxFPR float64
	}{
		{injection.Balanced, 0, 0.96, 0.015},
		{injection.Balanced, 1, 0.95, 0.015},
		{injection.Strict, 0, 0.96, 0.04},
		// Strict targets 3 % on the validation documents; on the test
		// split it measured 3.2-3.8 % across the variants retrained in the
		// 2026-12-03 evening round, so 3.5 % sat inside the run-to-run
		// spread.
		{injection.Strict, 1, 0.95, 0.04},
		{injection.Permissive, 0, 0.95, 0.005},
	}
	scored := map[injection.Level][]trainer.Scored{}
	for _, f := range floors {
		if _, ok := scored[f.level]; ok {
			continue
		}
		d, err := injection.New(injection.Options{Level: f.level})
		if err != nil {
			t.Fatal(err)
		}
		if f.level == injection.Balanced {
			sc, err := trainer.ScoreRows(t.Context(), d, test)
			if err != nil {
				t.Fatal(err)
			}
			scored[injection.Balanced] = sc
		}
	}
	sc := scored[injection.Balanced]
	for _, f := range floors {
		d, _ := injection.New(injection.Options{Level: f.level})
		th := trainer.LevelThresholds(d)
		m := trainer.MetricsOf(sc, th, func(r *trainer.Row) bool { return r.Mode == f.mode })
		t.Logf("%s mode %d: n=%d TPR %.3f FPR %.3f balanced %.3f", f.level, f.mode, m.N(), m.TPR, m.FPR, m.BalancedAccuracy)
		if m.BalancedAccuracy < f.minBalanced || m.FPR > f.maxFPR {
			t.Errorf("%s mode %d below floor: balanced %.3f (min %.2f), FPR %.3f (max %.3f)", f.level, f.mode, m.BalancedAccuracy, f.minBalanced, m.FPR, f.maxFPR)
		}
	}
	// Hard negatives: benign rows that talk about attacks. The target
	// (at most 2 % on hard benign prompts) applies to user mode; documents
	// about security score higher since document mode also scores single
	// sentences (docs/guard-injection.md).
	bal, _ := injection.New(injection.Options{Level: injection.Balanced})
	for _, h := range []struct {
		mode   int
		maxFPR float64
	}{{0, 0.021}, {1, 0.02}} {
		hard := trainer.MetricsOf(sc, trainer.LevelThresholds(bal), func(r *trainer.Row) bool {
			return r.Mode == h.mode && r.Label == 0 && trainer.HardNegative(r.Text)
		})
		t.Logf("hard negatives, mode %d: n=%d FPR %.3f", h.mode, hard.N(), hard.FPR)
		if hard.N() < 100 || hard.FPR > h.maxFPR {
			t.Errorf("mode %d hard-negative FPR %.3f over %.3f (n=%d)", h.mode, hard.FPR, h.maxFPR, hard.N())
		}
	}

	// Non-English benign prompts (mostly deepset's German ones): the n-gram
	// part, learned from almost only English, is damped for them at
	// inference (engine.NgramTrust); before that about a fifth of the
	// split's German benign rows scored as attacks.
	foreign := trainer.MetricsOf(sc, trainer.LevelThresholds(bal), func(r *trainer.Row) bool {
		return r.Label == 0 && trainer.Language(r.Text) != "en"
	})
	t.Logf("non-English benign rows: n=%d FPR %.3f", foreign.N(), foreign.FPR)
	if foreign.N() < 40 || foreign.FPR > 0.06 {
		t.Errorf("non-English benign FPR %.3f over 0.06 (n=%d)", foreign.FPR, foreign.N())
	}

	// Synthetic indirect injections: held-out attack prompts embedded in
	// held-out benign documents (trainer.SyntheticDocs), document mode.
	var atk, car []*trainer.Row
	for _, r := range test {
		switch {
		case r.Mode == 0 && r.Label == 1:
			atk = append(atk, r)
		case r.Mode == 1 && r.Label == 0 && r.Repo != "NVIDIA/garak" && r.Repo != "bipia":
			car = append(car, r)
		}
	}
	docs := trainer.SyntheticDocs(atk, car, "test")
	ptrs := make([]*trainer.Row, len(docs))
	for i := range docs {
		ptrs[i] = &docs[i]
	}
	dsc, err := trainer.ScoreRows(t.Context(), bal, ptrs)
	if err != nil {
		t.Fatal(err)
	}
	m := trainer.MetricsOf(dsc, trainer.LevelThresholds(bal), nil)
	t.Logf("synthetic documents: n=%d TPR %.3f FPR %.3f balanced %.3f", m.N(), m.TPR, m.FPR, m.BalancedAccuracy)
	if m.N() < 1000 || m.BalancedAccuracy < 0.94 || m.FPR > 0.02 {
		t.Errorf("synthetic documents below floor: n=%d balanced %.3f (min 0.94), FPR %.3f (max 0.02)", m.N(), m.BalancedAccuracy, m.FPR)
	}
}
