package injection

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Metrics are binary classification counts and rates.
type Metrics struct {
	TP               int     `json:"tp"`
	FP               int     `json:"fp"`
	TN               int     `json:"tn"`
	FN               int     `json:"fn"`
	TPR              float64 `json:"tpr"`
	FPR              float64 `json:"fpr"`
	Precision        float64 `json:"precision"`
	F1               float64 `json:"f1"`
	BalancedAccuracy float64 `json:"balanced_accuracy"`
}

// Add counts one verdict.
func (m *Metrics) Add(label int, detected bool) {
	switch {
	case label == 1 && detected:
		m.TP++
	case label == 1:
		m.FN++
	case detected:
		m.FP++
	default:
		m.TN++
	}
}

// N is the number of rows counted.
func (m *Metrics) N() int { return m.TP + m.FP + m.TN + m.FN }

// Compute fills the rates from the counts (NaN where undefined).
func (m *Metrics) Compute() {
	div := func(a, b int) float64 {
		if b == 0 {
			return math.NaN()
		}
		return float64(a) / float64(b)
	}
	m.TPR = div(m.TP, m.TP+m.FN)
	m.FPR = div(m.FP, m.FP+m.TN)
	m.Precision = div(m.TP, m.TP+m.FP)
	m.F1 = 2 * m.Precision * m.TPR / (m.Precision + m.TPR)
	switch {
	case m.TP+m.FN == 0:
		m.BalancedAccuracy = 1 - m.FPR
	case m.FP+m.TN == 0:
		m.BalancedAccuracy = m.TPR
	default:
		m.BalancedAccuracy = (m.TPR + 1 - m.FPR) / 2
	}
}

// EvalOptions configure Evaluate.
type EvalOptions struct {
	Mode       Mode // default mode for rows without one ("" = user)
	ForceMode  bool // ignore per-row modes
	KeepErrors int  // misclassified rows kept (0: none)
	MaxRows    int  // stop after this many rows (0: all)
}

// EvalRow is a misclassified row.
type EvalRow struct {
	Line   int     `json:"line"`
	Label  int     `json:"label"`
	Mode   Mode    `json:"mode"`
	Score  float64 `json:"score"`
	Text   string  `json:"text"`
	Signal string  `json:"signals"`
}

// EvalReport is the outcome of Evaluate.
type EvalReport struct {
	Rows       int               `json:"rows"`
	Overall    Metrics           `json:"overall"`
	PerMode    map[Mode]*Metrics `json:"per_mode"`
	LatencyP50 time.Duration     `json:"latency_p50_ns"`
	LatencyP99 time.Duration     `json:"latency_p99_ns"`
	Errors     []EvalRow         `json:"errors,omitempty"`
}

// MaxEvalLine bounds one JSONL line in Evaluate.
const MaxEvalLine = 8 << 20

// Evaluate runs the detector over labeled JSONL rows ({"text", "label",
// "mode"?}) and reports quality and latency. Latency is wall time per Detect
// call on this machine, reported and never asserted.
func Evaluate(ctx context.Context, d *Detector, r io.Reader, opts EvalOptions) (*EvalReport, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 1<<20), MaxEvalLine)
	rep := &EvalReport{PerMode: map[Mode]*Metrics{}}
	var lat []time.Duration
	line := 0
	for sc.Scan() {
		line++
		if line%256 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		b := sc.Bytes()
		if len(strings.TrimSpace(string(b))) == 0 {
			continue
		}
		var row struct {
			Text  *string         `json:"text"`
			Label json.RawMessage `json:"label"`
			Mode  string          `json:"mode"`
		}
		if err := json.Unmarshal(b, &row); err != nil {
			return nil, fmt.Errorf("eval data line %d: %w", line, err)
		}
		if row.Text == nil {
			return nil, fmt.Errorf("eval data line %d: missing \"text\"", line)
		}
		label, err := parseLabel(row.Label)
		if err != nil {
			return nil, fmt.Errorf("eval data line %d: %w", line, err)
		}
		mode := opts.Mode
		if !opts.ForceMode && row.Mode != "" {
			if mode, err = ParseMode(row.Mode); err != nil {
				return nil, fmt.Errorf("eval data line %d: %w", line, err)
			}
		}
		if mode == "" {
			mode = ModeUser
		}
		t0 := time.Now()
		res := d.Detect(*row.Text, mode)
		lat = append(lat, time.Since(t0))
		rep.Overall.Add(label, res.Detected)
		pm := rep.PerMode[mode]
		if pm == nil {
			pm = &Metrics{}
			rep.PerMode[mode] = pm
		}
		pm.Add(label, res.Detected)
		if res.Detected != (label == 1) && len(rep.Errors) < opts.KeepErrors {
			rep.Errors = append(rep.Errors, EvalRow{Line: line, Label: label, Mode: mode, Score: res.Score,
				Text: *row.Text, Signal: strings.Join(res.Signals, ",")})
		}
		rep.Rows++
		if opts.MaxRows > 0 && rep.Rows >= opts.MaxRows {
			break
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read eval data: %w", err)
	}
	rep.Overall.Compute()
	for _, m := range rep.PerMode {
		m.Compute()
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	rep.LatencyP50 = Percentile(lat, 0.50)
	rep.LatencyP99 = Percentile(lat, 0.99)
	return rep, nil
}

// Percentile returns the q-quantile (nearest rank) of sorted durations.
func Percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func parseLabel(raw json.RawMessage) (int, error) {
	s := strings.Trim(strings.TrimSpace(string(raw)), `"`)
	switch s {
	case "1", "true", "attack", "injection", "jailbreak":
		return 1, nil
	case "0", "false", "benign", "safe":
		return 0, nil
	case "", "null":
		return 0, fmt.Errorf("missing \"label\" (0 benign, 1 attack)")
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		if f >= 0.5 {
			return 1, nil
		}
		return 0, nil
	}
	return 0, fmt.Errorf("label %q is not 0/1", s)
}
