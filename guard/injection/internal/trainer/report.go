package trainer

import (
	"context"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"unicode"

	"github.com/aigis-dev/aigis/guard/injection"
)

// Scored is a row with its detector score.
type Scored struct {
	Row   *Row
	Score float64
}

// ScoreRows runs the detector over rows.
func ScoreRows(ctx context.Context, d *injection.Detector, rows []*Row) ([]Scored, error) {
	out := make([]Scored, 0, len(rows))
	for i, r := range rows {
		if i%1024 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		res := d.Detect(r.Text, modeName(r.Mode))
		out = append(out, Scored{Row: r, Score: res.Score})
	}
	return out, nil
}

func modeName(m int) injection.Mode {
	if m == 1 {
		return injection.ModeDocument
	}
	return injection.ModeUser
}

// Thresholds holds a threshold per mode for one level.
type Thresholds [2]float64

// LevelThresholds reads a detector's thresholds per mode.
func LevelThresholds(d *injection.Detector) Thresholds {
	return Thresholds{d.Threshold(injection.ModeUser), d.Threshold(injection.ModeDocument)}
}

// MetricsOf computes metrics for scored rows that pass the filter.
func MetricsOf(sc []Scored, t Thresholds, keep func(*Row) bool) injection.Metrics {
	var m injection.Metrics
	for _, s := range sc {
		if keep != nil && !keep(s.Row) {
			continue
		}
		m.Add(s.Row.Label, s.Score >= t[s.Row.Mode])
	}
	m.Compute()
	return m
}

// WriteSplitReport writes the held-out evaluation in Markdown.
func WriteSplitReport(w io.Writer, sc []Scored, levels map[string]Thresholds) {
	names := []string{"strict", "balanced", "permissive"}
	fmt.Fprintf(w, "### Held-out test split (%d rows; grouped split, never seen in training or calibration)\n\n", len(sc))
	fmt.Fprintln(w, "| level | mode | rows | TPR | FPR | precision | F1 | balanced acc. | hard-negative FPR (n) |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|")
	for _, lv := range names {
		t := levels[lv]
		for _, mode := range []int{-1, 0, 1} {
			keep := func(r *Row) bool { return mode < 0 || r.Mode == mode }
			m := MetricsOf(sc, t, keep)
			h := MetricsOf(sc, t, func(r *Row) bool { return keep(r) && r.Label == 0 && HardNegative(r.Text) })
			fmt.Fprintf(w, "| %s | %s | %d | %s | %s | %s | %s | %s | %s (%d) |\n", lv, modeLabel(mode), m.N(), f3(m.TPR), f3(m.FPR),
				f3(m.Precision), f3(m.F1), f3(m.BalancedAccuracy), f3(h.FPR), h.N())
		}
	}
	fmt.Fprintln(w)
	t := levels["balanced"]
	fmt.Fprintln(w, "Per source family (test split, balanced):")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| source | rows | attacks | detected (TPR) | benign | false positives (FPR) |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|")
	for _, repo := range repos(sc) {
		m := MetricsOf(sc, t, func(r *Row) bool { return r.Repo == repo })
		fmt.Fprintf(w, "| %s | %d | %d | %d (%s) | %d | %d (%s) |\n", repo, m.N(), m.TP+m.FN, m.TP, f3(m.TPR), m.TN+m.FP, m.FP, f3(m.FPR))
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Per language (guessed from script and stop words; test split, balanced):")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| language | rows | attacks | TPR | benign | FPR |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|")
	langs := map[string]bool{}
	for _, s := range sc {
		langs[Language(s.Row.Text)] = true
	}
	ls := make([]string, 0, len(langs))
	for l := range langs {
		ls = append(ls, l)
	}
	sort.Strings(ls)
	for _, l := range ls {
		m := MetricsOf(sc, t, func(r *Row) bool { return Language(r.Text) == l })
		fmt.Fprintf(w, "| %s | %d | %d | %s | %d | %s |\n", l, m.N(), m.TP+m.FN, f3(m.TPR), m.TN+m.FP, f3(m.FPR))
	}
	fmt.Fprintln(w)
}

func repos(sc []Scored) []string {
	set := map[string]bool{}
	for _, s := range sc {
		set[s.Row.Repo] = true
	}
	out := make([]string, 0, len(set))
	for r := range set {
		out = append(out, r)
	}
	sort.Strings(out)
	return out
}

func modeLabel(m int) string {
	switch m {
	case 0:
		return "user"
	case 1:
		return "document"
	}
	return "all"
}

func f3(v float64) string {
	if math.IsNaN(v) {
		return "–"
	}
	return fmt.Sprintf("%.3f", v)
}

// Language guesses a row's language: by script for non-Latin text, by stop
// words for Latin text. Good enough to slice results, not a language detector.
func Language(text string) string {
	if len(text) > 4000 {
		text = text[:4000]
	}
	var latin, cyr, han, kana, hangul, arabic, deva int
	for _, c := range text {
		switch {
		case c < 0x250 && unicode.IsLetter(c):
			latin++
		case unicode.Is(unicode.Cyrillic, c):
			cyr++
		case unicode.Is(unicode.Hiragana, c) || unicode.Is(unicode.Katakana, c):
			kana++
		case unicode.Is(unicode.Han, c):
			han++
		case unicode.Is(unicode.Hangul, c):
			hangul++
		case unicode.Is(unicode.Arabic, c):
			arabic++
		case unicode.Is(unicode.Devanagari, c):
			deva++
		}
	}
	best, name := latin, "latin"
	for _, c := range []struct {
		n    int
		name string
	}{{cyr, "ru"}, {han + kana, "zh"}, {hangul, "ko"}, {arabic, "ar"}, {deva, "hi"}} {
		if c.n > best {
			best, name = c.n, c.name
		}
	}
	if name == "zh" && kana > 0 {
		name = "ja"
	}
	if name != "latin" {
		return name
	}
	words := strings.FieldsFunc(strings.ToLower(text), func(r rune) bool { return !unicode.IsLetter(r) && r != '\'' })
	scores := map[string]int{}
	for _, w := range words {
		if l, ok := stopwords[w]; ok {
			scores[l]++
		}
	}
	lang, top := "en", 0
	for _, l := range []string{"en", "de", "fr", "es", "it", "pt", "nl", "tr", "pl"} {
		if scores[l] > top {
			lang, top = l, scores[l]
		}
	}
	return lang
}

var stopwords = map[string]string{
	"the": "en", "and": "en", "is": "en", "you": "en", "of": "en", "to": "en", "what": "en", "this": "en",
	"der": "de", "die": "de", "und": "de", "ist": "de", "nicht": "de", "ich": "de", "du": "de", "ein": "de", "eine": "de", "mit": "de", "sie": "de", "wie": "de", "alle": "de",
	"le": "fr", "les": "fr", "est": "fr", "et": "fr", "vous": "fr", "une": "fr", "pas": "fr", "je": "fr", "tu": "fr", "des": "fr",
	"el": "es", "los": "es", "las": "es", "es": "es", "y": "es", "que": "es", "una": "es", "por": "es", "todas": "es",
	"il": "it", "di": "it", "che": "it", "sono": "it", "gli": "it", "della": "it", "tutte": "it",
	"não": "pt", "você": "pt", "uma": "pt", "os": "pt", "são": "pt", "muito": "pt",
	"het": "nl", "een": "nl", "niet": "nl", "ik": "nl", "jij": "nl", "zijn": "nl",
	"ve": "tr", "bir": "tr", "bu": "tr", "için": "tr", "değil": "tr",
	"się": "pl", "nie": "pl", "jest": "pl", "że": "pl", "wszystkie": "pl",
}
