package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/aigis-dev/aigis/guard/injection"
)

// newGuardEvalCmd builds `aigis guard eval`: run the prompt-injection detector
// over labeled JSONL and print quality and latency.
func newGuardEvalCmd() *cobra.Command {
	var (
		data       string
		mode       string
		level      string
		showErrors bool
		maxErrors  int
		maxRows    int
		asJSON     bool
		modelFile  string
	)
	cmd := &cobra.Command{
		Use:   "eval --data FILE.jsonl",
		Short: "Evaluate the prompt-injection detector on labeled JSONL",
		Long: `Evaluate the prompt-injection detector on labeled data.

Each input line is {"text": "...", "label": 0|1, "mode": "user"|"document"}; "mode"
is optional (--mode sets the default; rows without one use it). Prints TPR, FPR,
precision, F1, balanced accuracy and the latency p50/p99 of one Detect call.

Exit codes: 0 evaluated; 1 error (bad flags, an unknown mode or level, an unreadable
model or data file, or a malformed data line), as every aigis command.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if data == "" {
				return fmt.Errorf("--data is required (a JSONL file of {\"text\",\"label\",\"mode\"?} lines, or - for stdin)")
			}
			m, err := injection.ParseMode(mode)
			if err != nil {
				return err
			}
			lv, err := injection.ParseLevel(level)
			if err != nil {
				return err
			}
			opts := injection.Options{Level: lv}
			if modelFile != "" {
				b, err := os.ReadFile(modelFile)
				if err != nil {
					return fmt.Errorf("read --model: %w", err)
				}
				opts.Model = b
			}
			d, err := injection.New(opts)
			if err != nil {
				return err
			}
			var in io.Reader = cmd.InOrStdin()
			if data != "-" {
				f, err := os.Open(data)
				if err != nil {
					return fmt.Errorf("open --data: %w", err)
				}
				defer f.Close()
				in = f
			}
			keep := 0
			if showErrors {
				keep = maxErrors
			}
			rep, err := injection.Evaluate(cmd.Context(), d, in, injection.EvalOptions{
				Mode: m, ForceMode: cmd.Flags().Changed("mode"), KeepErrors: keep, MaxRows: maxRows})
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				return enc.Encode(jsonSafe(rep))
			}
			fmt.Fprintf(out, "rows %d  level %s\n", rep.Rows, lv)
			fmt.Fprintf(out, "%-9s %7s %6s %6s %6s %9s %6s %8s\n", "mode", "rows", "TPR", "FPR", "prec", "F1", "balacc", "TP/FP")
			printMetrics(out, "all", &rep.Overall)
			modes := make([]string, 0, len(rep.PerMode))
			for k := range rep.PerMode {
				modes = append(modes, string(k))
			}
			sort.Strings(modes)
			for _, k := range modes {
				printMetrics(out, k, rep.PerMode[injection.Mode(k)])
			}
			fmt.Fprintf(out, "latency per Detect: p50 %s  p99 %s (this machine; reported, not asserted)\n", rep.LatencyP50, rep.LatencyP99)
			if showErrors {
				fmt.Fprintf(out, "\nmisclassified rows (first %d):\n", len(rep.Errors))
				for _, e := range rep.Errors {
					kind := "FN"
					if e.Label == 0 {
						kind = "FP"
					}
					fmt.Fprintf(out, "%s line %d mode %s score %.3f signals [%s]: %s\n", kind, e.Line, e.Mode, e.Score, e.Signal, snippet(e.Text, 160))
				}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&data, "data", "", "labeled JSONL file ({\"text\",\"label\",\"mode\"?} per line; - for stdin)")
	f.StringVar(&mode, "mode", "user", "mode for rows without one: user or document (when set explicitly, applies to every row)")
	f.StringVar(&level, "level", "balanced", "threshold preset: strict, balanced or permissive")
	f.BoolVar(&showErrors, "show-errors", false, "list misclassified rows")
	f.IntVar(&maxErrors, "max-errors", 50, "most misclassified rows listed with --show-errors")
	f.IntVar(&maxRows, "max-rows", 0, "stop after this many rows (0: all)")
	f.BoolVar(&asJSON, "json", false, "print the report as JSON")
	f.StringVar(&modelFile, "model", "", "use this model file instead of the embedded one")
	return cmd
}

func printMetrics(w io.Writer, name string, m *injection.Metrics) {
	fmt.Fprintf(w, "%-9s %7d %6s %6s %6s %9s %6s %8s\n", name, m.N(), pct(m.TPR), pct(m.FPR), pct(m.Precision), pct(m.F1),
		pct(m.BalancedAccuracy), fmt.Sprintf("%d/%d", m.TP, m.FP))
}

func pct(v float64) string {
	if math.IsNaN(v) {
		return "-"
	}
	return fmt.Sprintf("%.3f", v)
}

func snippet(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// jsonSafe replaces NaN rates (undefined, e.g. no attacks in the data) with
// -1 so that the report encodes as JSON.
func jsonSafe(rep *injection.EvalReport) *injection.EvalReport {
	fix := func(m *injection.Metrics) {
		for _, p := range []*float64{&m.TPR, &m.FPR, &m.Precision, &m.F1, &m.BalancedAccuracy} {
			if math.IsNaN(*p) {
				*p = -1
			}
		}
	}
	fix(&rep.Overall)
	for _, m := range rep.PerMode {
		fix(m)
	}
	return rep
}
