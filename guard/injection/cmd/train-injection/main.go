// Command train-injection trains the embedded prompt-injection model from
// ../shared/datasets/prompt_attacks/dev.jsonl, reproducibly, and reports its
// quality on the held-out split (and, with -loso, leave-one-source-out).
//
//	go run ./guard/injection/cmd/train-injection -out guard/injection/model.bin -report /tmp/report.md
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"github.com/aigis-dev/aigis/guard/injection"
	"github.com/aigis-dev/aigis/guard/injection/internal/trainer"
	"github.com/aigis-dev/aigis/internal/shareddata"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "train-injection:", err)
		os.Exit(1)
	}
}

func run() error {
	var (
		data    = flag.String("data", "", "dataset JSONL (default ../shared/datasets/prompt_attacks/dev.jsonl)")
		out     = flag.String("out", "guard/injection/model.bin", "model file to write (empty: do not write)")
		report  = flag.String("report", "", "write the Markdown quality report here (default stdout)")
		loso    = flag.String("loso", "", "comma-separated source families for leave-one-source-out, or \"attacks\" for every family with attacks")
		epochs  = flag.Int("epochs", 4, "training epochs")
		bits    = flag.Uint("bits", 18, "log2 of hashed feature buckets")
		seed    = flag.Uint64("seed", 1, "shuffle seed")
		hard    = flag.Float64("hard-weight", 3, "weight multiplier for hard benign rows")
		persona = flag.Float64("persona-weight", 4, "weight multiplier for the hand-written benign persona prompts")
		framing = flag.Float64("framing-weight", 0.25, "weight multiplier for user attack rows whose persona evidence is framing alone (0 means the default, 0.25)")
		indir   = flag.Bool("indirect", false, "train on the hand-written indirect-injection snippets and their benign look-alikes")
		indirW  = flag.Float64("indirect-weight", 0.5, "weight multiplier for the documents carrying those snippets")
		evalOff = flag.Bool("no-eval", false, "skip the held-out evaluation")
		dump    = flag.String("dump", "", "write the scored test rows as JSONL here (for error analysis)")
		model   = flag.String("model", "", "evaluate this model file instead of training one (-out is ignored)")
		losoDmp = flag.String("loso-dump", "", "directory to write each leave-one-source-out fold's scored held-out rows to (JSONL per family)")
		synth   = flag.String("synthetic-out", "", "write the synthetic test documents as JSONL here (input for aigis guard eval --data)")
	)
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	logf := func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, time.Now().UTC().Format("15:04:05 ")+format+"\n", args...)
	}
	path := *data
	if path == "" {
		p, ok := shareddata.Path("datasets/prompt_attacks/dev.jsonl")
		if !ok {
			return fmt.Errorf("dataset not found: pass -data or place ../shared beside the module root")
		}
		path = p
	}
	rows, err := trainer.Load(path)
	if err != nil {
		return err
	}
	logf("loaded %d rows", len(rows))
	cfg := trainer.Config{Bits: uint32(*bits), Epochs: *epochs, Seed: *seed, HardWeight: *hard, PersonaWeight: *persona, FramingOnlyWeight: *framing, Indirect: *indir, IndirectWeight: *indirW, Logf: logf}
	var blob []byte
	if *model != "" {
		if blob, err = os.ReadFile(*model); err != nil {
			return fmt.Errorf("read model: %w", err)
		}
	} else {
		calib := filter(rows, func(r *trainer.Row) bool { return r.Split == trainer.SplitCalib })
		m, err := trainer.Train(ctx, rows, func(r *trainer.Row) bool { return r.Split == trainer.SplitTrain }, calib, cfg)
		if err != nil {
			return err
		}
		if blob, err = m.MarshalBinary(); err != nil {
			return err
		}
	}
	if *out != "" && *model == "" {
		if err := os.WriteFile(*out, blob, 0o644); err != nil {
			return fmt.Errorf("write model: %w", err)
		}
		logf("wrote %s (%d bytes)", *out, len(blob))
	}
	var w io.Writer = os.Stdout
	if *report != "" {
		f, err := os.Create(*report)
		if err != nil {
			return fmt.Errorf("create report: %w", err)
		}
		defer f.Close()
		w = f
	}
	if !*evalOff {
		test := filter(rows, func(r *trainer.Row) bool { return r.Split == trainer.SplitTest })
		if err := evaluate(ctx, w, blob, test, *dump); err != nil {
			return err
		}
		// Synthetic indirect injections: held-out attack prompts embedded
		// in held-out benign documents (see trainer.SyntheticDocs).
		docs := trainer.SyntheticDocs(filter(rows, func(r *trainer.Row) bool {
			return r.Split == trainer.SplitTest && r.Mode == 0 && r.Label == 1
		}), carriers(rows), "test")
		if err := evaluateSynthetic(ctx, w, blob, "Synthetic indirect injections (held-out attacks in held-out documents)", docs); err != nil {
			return err
		}
		if *synth != "" {
			if err := writeJSONL(*synth, docs); err != nil {
				return err
			}
		}
	}
	if *loso != "" {
		if err := runLOSO(ctx, w, rows, *loso, *losoDmp, cfg, logf); err != nil {
			return err
		}
	}
	return nil
}

func filter(rows []trainer.Row, keep func(*trainer.Row) bool) []*trainer.Row {
	var out []*trainer.Row
	for i := range rows {
		if keep(&rows[i]) {
			out = append(out, &rows[i])
		}
	}
	return out
}

func detectors(blob []byte) (*injection.Detector, map[string]trainer.Thresholds, error) {
	levels := map[string]trainer.Thresholds{}
	var bal *injection.Detector
	for _, lv := range []injection.Level{injection.Strict, injection.Balanced, injection.Permissive} {
		d, err := injection.New(injection.Options{Level: lv, Model: blob})
		if err != nil {
			return nil, nil, err
		}
		levels[string(lv)] = trainer.LevelThresholds(d)
		if lv == injection.Balanced {
			bal = d
		}
	}
	return bal, levels, nil
}

func evaluate(ctx context.Context, w io.Writer, blob []byte, test []*trainer.Row, dump string) error {
	d, levels, err := detectors(blob)
	if err != nil {
		return err
	}
	sc, err := trainer.ScoreRows(ctx, d, test)
	if err != nil {
		return err
	}
	trainer.WriteSplitReport(w, sc, levels)
	if dump != "" {
		return writeDump(dump, d, sc, levels["balanced"])
	}
	return nil
}

// writeDump writes scored rows as JSONL for error analysis: score, the
// balanced verdict, label, mode, source and signals.
func writeDump(path string, d *injection.Detector, sc []trainer.Scored, bal trainer.Thresholds) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("create dump: %w", err)
	}
	enc := json.NewEncoder(f)
	for _, s := range sc {
		res := d.Detect(s.Row.Text, []injection.Mode{injection.ModeUser, injection.ModeDocument}[s.Row.Mode])
		if err := enc.Encode(map[string]any{"score": s.Score, "detected": s.Score >= bal[s.Row.Mode], "label": s.Row.Label,
			"mode": s.Row.Mode, "repo": s.Row.Repo, "group": s.Row.Group, "signals": res.Signals, "text": s.Row.Text}); err != nil {
			f.Close()
			return err
		}
	}
	return f.Close()
}

// writeJSONL writes rows in the `aigis guard eval` format.
func writeJSONL(path string, rows []trainer.Row) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	enc := json.NewEncoder(f)
	for _, r := range rows {
		if err := enc.Encode(map[string]any{"text": r.Text, "label": r.Label, "mode": "document", "source": r.Source}); err != nil {
			f.Close()
			return err
		}
	}
	return f.Close()
}

// carriers are the held-out benign documents that synthetic injections are
// embedded into.
func carriers(rows []trainer.Row) []*trainer.Row {
	return filter(rows, func(r *trainer.Row) bool {
		return r.Split == trainer.SplitTest && r.Mode == 1 && r.Label == 0 && r.Repo != "NVIDIA/garak" && r.Repo != "bipia"
	})
}

func evaluateSynthetic(ctx context.Context, w io.Writer, blob []byte, title string, docs []trainer.Row) error {
	d, levels, err := detectors(blob)
	if err != nil {
		return err
	}
	ptrs := make([]*trainer.Row, len(docs))
	for i := range docs {
		ptrs[i] = &docs[i]
	}
	sc, err := trainer.ScoreRows(ctx, d, ptrs)
	if err != nil {
		return err
	}
	trainer.WriteSyntheticReport(w, title, sc, levels)
	return nil
}

func runLOSO(ctx context.Context, w io.Writer, rows []trainer.Row, which, dumpDir string, cfg trainer.Config, logf func(string, ...any)) error {
	var fams []string
	if which == "attacks" {
		seen := map[string]bool{}
		for _, r := range rows {
			if r.Label == 1 && !seen[r.Repo] {
				seen[r.Repo] = true
				fams = append(fams, r.Repo)
			}
		}
	} else {
		fams = strings.Split(which, ",")
	}
	fmt.Fprintln(w, "### Leave-one-source-out (train and calibrate without the family, test on all its rows)")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Mode `document (synthetic)`: the family's user-mode attacks embedded in held-out benign documents.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| held-out family | mode | rows | attacks | TPR (balanced) | benign | FPR (balanced) | TPR (strict) | FPR (strict) |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|")
	for _, fam := range fams {
		fam = strings.TrimSpace(fam)
		logf("LOSO: holding out %s", fam)
		calib := filter(rows, func(r *trainer.Row) bool { return r.Split == trainer.SplitCalib && r.Repo != fam })
		m, err := trainer.Train(ctx, rows, func(r *trainer.Row) bool { return r.Split == trainer.SplitTrain && r.Repo != fam }, calib, cfg)
		if err != nil {
			return fmt.Errorf("LOSO %s: %w", fam, err)
		}
		blob, err := m.MarshalBinary()
		if err != nil {
			return err
		}
		d, levels, err := detectors(blob)
		if err != nil {
			return err
		}
		held := filter(rows, func(r *trainer.Row) bool { return r.Repo == fam })
		sc, err := trainer.ScoreRows(ctx, d, held)
		if err != nil {
			return err
		}
		if dumpDir != "" {
			name := strings.NewReplacer("/", "_", " ", "_").Replace(fam) + ".jsonl"
			if err := writeDump(filepath.Join(dumpDir, name), d, sc, levels["balanced"]); err != nil {
				return err
			}
		}
		for _, mode := range []int{0, 1} {
			keep := func(r *trainer.Row) bool { return r.Mode == mode }
			b := trainer.MetricsOf(sc, levels["balanced"], keep)
			if b.N() == 0 {
				continue
			}
			s := trainer.MetricsOf(sc, levels["strict"], keep)
			fmt.Fprintf(w, "| %s | %s | %d | %d | %.3f | %d | %.3f | %.3f | %.3f |\n", fam, []string{"user", "document"}[mode], b.N(),
				b.TP+b.FN, b.TPR, b.TN+b.FP, b.FPR, s.TPR, s.FPR)
		}
		docs := trainer.SyntheticDocs(filter(rows, func(r *trainer.Row) bool { return r.Repo == fam && r.Mode == 0 && r.Label == 1 }),
			carriers(rows), "loso")
		if len(docs) > 0 {
			ptrs := make([]*trainer.Row, len(docs))
			for i := range docs {
				ptrs[i] = &docs[i]
			}
			sc, err := trainer.ScoreRows(ctx, d, ptrs)
			if err != nil {
				return err
			}
			b := trainer.MetricsOf(sc, levels["balanced"], nil)
			s := trainer.MetricsOf(sc, levels["strict"], nil)
			if b.TP+b.FN > 0 {
				fmt.Fprintf(w, "| %s | document (synthetic) | %d | %d | %.3f | %d | %.3f | %.3f | %.3f |\n", fam, b.N(),
					b.TP+b.FN, b.TPR, b.TN+b.FP, b.FPR, s.TPR, s.FPR)
			}
		}
		if f, ok := w.(*os.File); ok {
			f.Sync()
		}
	}
	fmt.Fprintln(w)
	return nil
}
