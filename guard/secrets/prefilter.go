package secrets

import (
	"regexp"
	"regexp/syntax"
	"strings"
	"unicode/utf8"
)

// A prefilter is a necessary condition for a regular expression to match,
// derived from its syntax tree: a few literal sets such that every match
// contains, for each set, at least one of its literals (compared ASCII
// case-insensitively). When an ASCII text fails the condition the regex
// cannot match it and is not run. The condition is only trusted on ASCII
// input: under (?i), 'k' and 's' also match the non-ASCII runes K (U+212A)
// and ſ (U+017F), which the byte automaton does not fold; on other input
// the regex always runs.
type prefilter struct {
	sets []*automaton
}

// maxPrefilterSets bounds the conjunction kept per regex (each set is one
// automaton pass over the candidate text).
const maxPrefilterSets = 3

// newPrefilter returns nil when no useful condition is found (the regex
// always runs).
func newPrefilter(re *regexp.Regexp) *prefilter {
	t, err := syntax.Parse(re.String(), syntax.Perl)
	if err != nil {
		return nil
	}
	sets := necessary(t)
	if len(sets) == 0 {
		return nil
	}
	// Keep the most selective sets: longest shortest literal first.
	for i := 1; i < len(sets); i++ {
		for j := i; j > 0 && minLen(sets[j]) > minLen(sets[j-1]); j-- {
			sets[j], sets[j-1] = sets[j-1], sets[j]
		}
	}
	if len(sets) > maxPrefilterSets {
		sets = sets[:maxPrefilterSets]
	}
	p := &prefilter{}
	for _, s := range sets {
		p.sets = append(p.sets, newAutomaton(s))
	}
	return p
}

func minLen(set []string) int {
	m := -1
	for _, s := range set {
		if m < 0 || len(s) < m {
			m = len(s)
		}
	}
	return m
}

// mayMatch reports false only when the regex provably cannot match text.
func (p *prefilter) mayMatch(text string) bool {
	if p == nil {
		return true
	}
	for i := 0; i < len(text); i++ {
		if text[i] >= utf8.RuneSelf {
			return true
		}
	}
	for _, a := range p.sets {
		found := false
		a.scan(text, func(int, int) bool { found = true; return false })
		if !found {
			return false
		}
	}
	return true
}

// necessary returns literal sets (lower-case ASCII) such that every string
// matched by t contains at least one literal of each set. An empty result
// means no condition.
func necessary(t *syntax.Regexp) [][]string {
	switch t.Op {
	case syntax.OpLiteral:
		s := strings.ToLower(string(t.Rune))
		if s == "" || !isASCII(s) {
			return nil
		}
		return [][]string{{s}}
	case syntax.OpCapture, syntax.OpPlus:
		return necessary(t.Sub[0])
	case syntax.OpRepeat:
		if t.Min >= 1 {
			return necessary(t.Sub[0])
		}
		return nil
	case syntax.OpConcat:
		// Every child must match: each child's conditions hold.
		var out [][]string
		for _, c := range t.Sub {
			out = append(out, necessary(c)...)
		}
		return out
	case syntax.OpAlternate:
		// One child matches: the union of one set from each child.
		var set []string
		for _, c := range t.Sub {
			cs := necessary(c)
			if len(cs) == 0 {
				return nil
			}
			best := cs[0]
			for _, s := range cs[1:] {
				if minLen(s) > minLen(best) {
					best = s
				}
			}
			set = append(set, best...)
		}
		return [][]string{set}
	case syntax.OpCharClass:
		// A small ASCII class ([=:], [Aa]) is a set of one-byte literals.
		var set []string
		for i := 0; i+1 < len(t.Rune); i += 2 {
			lo, hi := t.Rune[i], t.Rune[i+1]
			if hi >= utf8.RuneSelf || hi-lo > 8 {
				return nil
			}
			for r := lo; r <= hi; r++ {
				set = append(set, strings.ToLower(string(r)))
			}
			if len(set) > 16 {
				return nil
			}
		}
		if len(set) == 0 {
			return nil
		}
		return [][]string{set}
	}
	return nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// altMatcher answers MatchString for a regex whose top level is a large
// alternation (gitleaks' generic-api-key allowlist has ~40 alternatives,
// and Go's NFA runs them all in lock step at every byte): one automaton
// pass over the literals that each alternative needs selects the
// alternatives that can match, and only those run, each as its own small
// regex. An alternative that starts with a literal runs anchored at each
// occurrence of it only. An unanchored alternation matches a text iff one
// of its alternatives does.
type altMatcher struct {
	whole  *regexp.Regexp
	ac     *automaton
	kwAlt  []int            // automaton keyword -> alternative
	alts   []*regexp.Regexp // alternative i, compiled alone (unanchored)
	lead   []int            // alternative i starts with a literal of this length (0: no)
	anch   []*regexp.Regexp // alternative i anchored with ^ (when lead[i] > 0)
	always []int            // alternatives without a literal condition
}

// minSplitAlts: smaller alternations run as one regex.
const minSplitAlts = 8

// maxAltCands bounds the anchored runs per text; past it the whole regex runs.
const maxAltCands = 32

// newAltMatcher returns nil when re is not a large top-level alternation.
func newAltMatcher(re *regexp.Regexp) *altMatcher {
	t, err := syntax.Parse(re.String(), syntax.Perl)
	if err != nil {
		return nil
	}
	if t.Op != syntax.OpAlternate || len(t.Sub) < minSplitAlts || len(t.Sub) > 256 {
		return nil
	}
	m := &altMatcher{whole: re}
	var kws []string
	for i, sub := range t.Sub {
		src := sub.String()
		x, err := regexp.Compile(src)
		if err != nil {
			return nil
		}
		m.alts = append(m.alts, x)
		m.lead = append(m.lead, 0)
		m.anch = append(m.anch, nil)
		lit := sub
		if sub.Op == syntax.OpConcat && len(sub.Sub) > 0 {
			lit = sub.Sub[0]
		}
		if l := strings.ToLower(string(lit.Rune)); lit.Op == syntax.OpLiteral && l != "" && isASCII(l) {
			a, err := regexp.Compile(`^(?:` + src + `)`)
			if err != nil {
				return nil
			}
			m.lead[i], m.anch[i] = len(l), a
			kws = append(kws, l)
			m.kwAlt = append(m.kwAlt, i)
			continue
		}
		sets := necessary(sub)
		if len(sets) == 0 {
			m.always = append(m.always, i)
			continue
		}
		best := sets[0]
		for _, s := range sets[1:] {
			if minLen(s) > minLen(best) {
				best = s
			}
		}
		for _, k := range best {
			kws = append(kws, k)
			m.kwAlt = append(m.kwAlt, i)
		}
	}
	m.ac = newAutomaton(kws)
	return m
}

// MatchString reports whether re matches text.
func (m *altMatcher) MatchString(text string) bool {
	if !isASCII(text) {
		return m.whole.MatchString(text)
	}
	var cand [4]uint64 // unanchored alternatives to run
	for _, i := range m.always {
		cand[i>>6] |= 1 << (i & 63)
	}
	// Anchored runs: (alternative, start) of each leading literal occurrence.
	var runs [maxAltCands][2]int
	nr := 0
	overflow := false
	m.ac.scan(text, func(kw, end int) bool {
		i := m.kwAlt[kw]
		if m.lead[i] == 0 {
			cand[i>>6] |= 1 << (i & 63)
			return true
		}
		if nr == maxAltCands {
			overflow = true
			return false
		}
		runs[nr] = [2]int{i, end - m.lead[i]}
		nr++
		return true
	})
	if overflow {
		return m.whole.MatchString(text)
	}
	for _, r := range runs[:nr] {
		if m.anch[r[0]].MatchString(text[r[1]:]) {
			return true
		}
	}
	for i, x := range m.alts {
		if cand[i>>6]&(1<<(i&63)) != 0 && x.MatchString(text) {
			return true
		}
	}
	return false
}
