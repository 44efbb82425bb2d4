// Package orgpatterns finds organisation-specific sensitive data: regular
// expressions with validators and keyword proximity, keyword dictionaries,
// and exact data match (EDM) against salted hashes of known values.
package orgpatterns

import (
	"fmt"
	"regexp"
	"regexp/syntax"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/aigis-dev/aigis/guard/checksum"
	"github.com/aigis-dev/aigis/guard/match"
)

// Limits.
const (
	maxMatchesPerRule = 1000
	maxTermWords      = 8
)

// Rule is a regex with an optional checksum validator and keyword proximity.
type Rule struct {
	Type      string
	Pattern   string   // Go RE2
	Validator string   // "", luhn, mod97, mod11, verhoeff
	Keywords  []string // if set, one must occur within Window bytes of the match
	Window    int      // default 50
	Score     float64  // default 0.85
}

// Dictionary reports whole-word occurrences of terms.
type Dictionary struct {
	Type          string
	Terms         []string
	CaseSensitive bool
	Detector      string // default "dictionary"
}

// EDMSource is a loaded exact-data-match index and the type it reports.
type EDMSource struct {
	Type  string
	Index *EDMIndex
}

// Config lists the organisation detectors.
type Config struct {
	Rules        []Rule
	Dictionaries []Dictionary
	EDM          []EDMSource
}

type rule struct {
	Rule
	re     *regexp.Regexp
	prefix string // required literal prefix (after a leading \b), "" if none
	// first-byte prefilter: when every match starts with an ASCII byte of
	// first (after an optional leading \b), the anchored regex runs only at
	// such positions.
	first *[256]bool
	// firstSkip is first as bytes (1 = can start a match), for the block
	// skip of find: eight bytes are tested with one OR of table loads.
	firstSkip *[256]uint8
	boundary  bool // the pattern starts with \b
	anchoredR *regexp.Regexp
	// classes[j] holds the bytes a match can have at offset j from its
	// start: the fixed-width ASCII head of the pattern (\d{4}- gives five
	// classes), checked before the anchored regex runs at a position.
	classes  [][256]bool
	keywords []string
	validate func(string) bool
}

type term struct {
	typ      string
	detector string
	words    []string // lower-cased unless caseSensitive
	caseSens bool
}

// Matcher is safe for concurrent use.
type Matcher struct {
	rules   []rule
	terms   map[string][]term // first word (lower-cased) -> terms
	shapes  [512]uint64       // bitset of (length, first, last byte) of lower-cased first words
	minTerm int               // byte length bounds of first words
	maxTerm int
	edm     []EDMSource
}

// New compiles a Config.
func New(c Config) (*Matcher, error) {
	m := &Matcher{terms: map[string][]term{}, edm: c.EDM}
	for i, r := range c.Rules {
		re, err := regexp.Compile(r.Pattern)
		if err != nil {
			return nil, fmt.Errorf("org rule %d (%s): pattern: %w", i, r.Type, err)
		}
		cr := rule{Rule: r, re: re, prefix: literalPrefix(r.Pattern)}
		if cr.prefix == "" {
			if fb, wb, ok := firstBytes(r.Pattern); ok {
				if ar, err := regexp.Compile(`^(?:` + r.Pattern + `)`); err == nil {
					cr.first, cr.boundary, cr.anchoredR = fb, wb, ar
					cr.firstSkip = new([256]uint8)
					for c, ok := range fb {
						if ok {
							cr.firstSkip[c] = 1
						}
					}
					cr.classes = classPrefix(r.Pattern)
				}
			}
		}
		if cr.Window == 0 {
			cr.Window = 50
		}
		if cr.Score == 0 {
			cr.Score = 0.85
		}
		for _, k := range r.Keywords {
			if k = strings.ToLower(strings.TrimSpace(k)); k != "" {
				cr.keywords = append(cr.keywords, k)
			}
		}
		switch r.Validator {
		case "":
		case "luhn":
			cr.validate = func(s string) bool { return checksum.Luhn(digitsOnly(s)) }
		case "mod97":
			cr.validate = checksum.Mod97
		case "mod11":
			cr.validate = func(s string) bool { return checksum.Mod11(digitsOnly(s)) }
		case "verhoeff":
			cr.validate = func(s string) bool { return checksum.Verhoeff(digitsOnly(s)) }
		default:
			return nil, fmt.Errorf("org rule %d (%s): unknown validator %q", i, r.Type, r.Validator)
		}
		m.rules = append(m.rules, cr)
	}
	for _, d := range c.Dictionaries {
		det := d.Detector
		if det == "" {
			det = "dictionary"
		}
		for _, t := range d.Terms {
			ws := splitWords(t)
			if len(ws) == 0 || len(ws) > maxTermWords {
				continue
			}
			if !d.CaseSensitive {
				for i := range ws {
					ws[i] = strings.ToLower(ws[i])
				}
			}
			key := strings.ToLower(ws[0])
			m.terms[key] = append(m.terms[key], term{typ: d.Type, detector: det, words: ws, caseSens: d.CaseSensitive})
			if m.minTerm == 0 || len(ws[0])/2 < m.minTerm {
				m.minTerm = max(len(ws[0])/2, 1)
			}
			m.maxTerm = max(m.maxTerm, len(ws[0])+8) // case folding can change byte length
			k := termShape(len(key), key[0], key[len(key)-1])
			m.shapes[k>>6] |= 1 << (k & 63)
		}
	}
	return m, nil
}

// Find appends the matches in text to dst.
func (m *Matcher) Find(text string, dst []match.Match) []match.Match {
	for i := range m.rules {
		r := &m.rules[i]
		for _, loc := range r.find(text) {
			v := text[loc[0]:loc[1]]
			if r.validate != nil && !r.validate(v) {
				continue
			}
			if len(r.keywords) > 0 && !match.ContainsFoldNear(text, loc[0], loc[1], r.Window, r.keywords) {
				continue
			}
			dst = append(dst, match.Match{Type: r.Type, Detector: "org", Start: loc[0], End: loc[1], Score: r.Score})
		}
	}
	if len(m.terms) == 0 && len(m.edm) == 0 {
		return dst
	}
	if len(m.terms) > 0 {
		dst = m.findTerms(text, dst)
	}
	for _, src := range m.edm {
		dst = src.Index.find(text, src.Type, dst)
	}
	return dst
}

// nextWord returns the span of the first word at or after i, or (-1, -1).
// ASCII byte classes of nextWord: 1 = word byte (alnum, '_', '-'), 2 = a
// byte of a multi-byte rune, 0 = other.
var asciiWord = func() (t [256]uint8) {
	for c := 0; c < 256; c++ {
		switch {
		case c >= utf8.RuneSelf:
			t[c] = 2
		case match.IsAlnum(byte(c)) || c == '_' || c == '-':
			t[c] = 1
		}
	}
	return
}()

func nextWord(text string, i int) (int, int) {
	start := -1
	for i < len(text) {
		c := text[i]
		if k := asciiWord[c]; k != 2 {
			// ASCII fast path.
			if start < 0 {
				for i < len(text) && asciiWord[text[i]] == 0 {
					i++
				}
				if i == len(text) {
					break
				}
				if asciiWord[text[i]] == 1 {
					start = i
					i++
				}
				continue
			}
			for i < len(text) && asciiWord[text[i]] == 1 {
				i++
			}
			if i == len(text) || asciiWord[text[i]] == 0 {
				return start, i
			}
			continue
		}
		r, n := utf8.DecodeRuneInString(text[i:])
		isW := isWordRune(r)
		if isW && start < 0 {
			start = i
		} else if !isW && start >= 0 {
			return start, i
		}
		i += n
	}
	if start >= 0 {
		return start, len(text)
	}
	return -1, -1
}

func termShape(n int, first, last byte) int {
	return (n&31)<<10 | int(first&31)<<5 | int(last&31)
}

// findTerms walks the words of text once, verifying multi-word terms in place.
func (m *Matcher) findTerms(text string, dst []match.Match) []match.Match {
	var buf []byte
	for i := 0; i < len(text); {
		// Inline ASCII fast path of nextWord (one call per word is most of
		// the cost on prose); words touching multi-byte runes go through it.
		for i < len(text) && asciiWord[text[i]] == 0 {
			i++
		}
		if i == len(text) {
			break
		}
		s, e := i, i
		if asciiWord[text[i]] == 1 {
			for e < len(text) && asciiWord[text[e]] == 1 {
				e++
			}
			if e < len(text) && asciiWord[text[e]] == 2 {
				s, e = nextWord(text, s)
			}
		} else {
			s, e = nextWord(text, i)
			if s < 0 {
				break
			}
		}
		i = e
		if e-s < m.minTerm || e-s > m.maxTerm {
			continue
		}
		if text[s] < utf8.RuneSelf && text[e-1] < utf8.RuneSelf {
			k := termShape(e-s, match.Lower(text[s]), match.Lower(text[e-1]))
			if m.shapes[k>>6]&(1<<(k&63)) == 0 {
				continue
			}
		}
		buf = appendLower(buf[:0], text[s:e])
		cands, ok := m.terms[string(buf)]
		if !ok {
			continue
		}
		for _, t := range cands {
			ok := t.caseSens && text[s:e] == t.words[0] || !t.caseSens
			end := e
			for k := 1; ok && k < len(t.words); k++ {
				ns, ne := nextWord(text, end)
				if ns < 0 || !onlySpace(text[end:ns]) {
					ok = false
					break
				}
				w := text[ns:ne]
				if t.caseSens && w != t.words[k] || !t.caseSens && !strings.EqualFold(w, t.words[k]) {
					ok = false
					break
				}
				end = ne
			}
			if ok {
				dst = append(dst, match.Match{Type: t.typ, Detector: t.detector, Start: s, End: end, Score: 1})
			}
		}
	}
	return dst
}

func onlySpace(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r' {
			return false
		}
	}
	return len(s) > 0
}

func appendLower(b []byte, s string) []byte {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		for i := 0; i < len(s); i++ {
			b = append(b, match.Lower(s[i]))
		}
		return b
	}
	for _, r := range s {
		b = utf8.AppendRune(b, unicode.ToLower(r))
	}
	return b
}

func isWordRune(r rune) bool {
	return r == '_' || r == '-' || unicode.IsLetter(r) || unicode.IsDigit(r)
}

// wordSpans returns byte spans of words (letters, digits, '_' and '-').
func wordSpans(text string) [][2]int {
	out := make([][2]int, 0, 64)
	start := -1
	for i := 0; i < len(text); {
		c := text[i]
		var r rune = rune(c)
		n := 1
		if c >= utf8.RuneSelf {
			r, n = utf8.DecodeRuneInString(text[i:])
		}
		isW := c < utf8.RuneSelf && (match.IsAlnum(c) || c == '_' || c == '-') || c >= utf8.RuneSelf && isWordRune(r)
		if isW {
			if start < 0 {
				start = i
			}
		} else if start >= 0 {
			out = append(out, [2]int{start, i})
			start = -1
		}
		i += n
	}
	if start >= 0 {
		out = append(out, [2]int{start, len(text)})
	}
	return out
}

// literalPrefix returns the literal a pattern must start with (after an
// optional leading \b), or "" when there is none or it is case-folded.
func literalPrefix(pattern string) string {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return ""
	}
	re = re.Simplify()
	if re.Op == syntax.OpCapture && len(re.Sub) == 1 {
		re = re.Sub[0]
	}
	if re.Op != syntax.OpConcat || len(re.Sub) == 0 {
		return ""
	}
	subs := re.Sub
	if subs[0].Op == syntax.OpWordBoundary {
		subs = subs[1:]
	}
	if len(subs) == 0 || subs[0].Op != syntax.OpLiteral || subs[0].Flags&syntax.FoldCase != 0 {
		return ""
	}
	return string(subs[0].Rune)
}

// firstBytes computes the ASCII bytes every match must start with (after an
// optional leading \b); ok is false when that set is unknown or not ASCII.
func firstBytes(pattern string) (*[256]bool, bool, bool) {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return nil, false, false
	}
	re = re.Simplify()
	var set [256]bool
	boundary := false
	node := re
	for {
		switch node.Op {
		case syntax.OpCapture:
			node = node.Sub[0]
			continue
		case syntax.OpConcat:
			if len(node.Sub) == 0 {
				return nil, false, false
			}
			if node.Sub[0].Op == syntax.OpWordBoundary && len(node.Sub) > 1 {
				boundary = true
				node = node.Sub[1]
			} else {
				node = node.Sub[0]
			}
			continue
		case syntax.OpPlus:
			node = node.Sub[0]
			continue
		case syntax.OpRepeat:
			if node.Min < 1 {
				return nil, false, false
			}
			node = node.Sub[0]
			continue
		case syntax.OpLiteral:
			if len(node.Rune) == 0 || node.Rune[0] >= utf8.RuneSelf {
				return nil, false, false
			}
			c := byte(node.Rune[0])
			set[c] = true
			if node.Flags&syntax.FoldCase != 0 {
				if l := match.Lower(c); l == 'k' || l == 's' {
					// (?i)k and (?i)s also match K (U+212A) and ſ (U+017F).
					return nil, false, false
				}
				set[match.Lower(c)] = true
				if c >= 'a' && c <= 'z' {
					set[c-32] = true
				}
			}
			return &set, boundary, true
		case syntax.OpCharClass:
			for k := 0; k+1 < len(node.Rune); k += 2 {
				lo, hi := node.Rune[k], node.Rune[k+1]
				if hi >= utf8.RuneSelf {
					return nil, false, false
				}
				for c := lo; c <= hi; c++ {
					set[c] = true
				}
			}
			return &set, boundary, true
		}
		return nil, false, false
	}
}

// maxClassPrefix bounds the byte classes kept by classPrefix.
const maxClassPrefix = 16

// classPrefix returns the byte classes of the first bytes every match of
// pattern has (after a leading \b): literals, ASCII character classes and
// their fixed repetitions, up to the first element of another kind, a
// non-ASCII rune, or a case-folded k or s (which also match K U+212A and
// ſ U+017F).
func classPrefix(pattern string) [][256]bool {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return nil
	}
	re = re.Simplify()
	var out [][256]bool
	var walk func(n *syntax.Regexp, top bool) bool // false: stop
	walk = func(n *syntax.Regexp, top bool) bool {
		if len(out) >= maxClassPrefix {
			return false
		}
		switch n.Op {
		case syntax.OpCapture:
			return walk(n.Sub[0], top)
		case syntax.OpConcat:
			for k, sub := range n.Sub {
				if k == 0 && top && sub.Op == syntax.OpWordBoundary {
					continue
				}
				if !walk(sub, false) {
					return false
				}
			}
			return true
		case syntax.OpRepeat:
			if n.Min != n.Max || n.Min < 1 {
				return false
			}
			for range n.Min {
				if !walk(n.Sub[0], false) {
					return false
				}
			}
			return true
		case syntax.OpLiteral:
			for _, r := range n.Rune {
				if r >= utf8.RuneSelf {
					return false
				}
				var set [256]bool
				c := byte(r)
				set[c] = true
				if n.Flags&syntax.FoldCase != 0 {
					if l := match.Lower(c); l == 'k' || l == 's' {
						return false
					}
					if c >= 'a' && c <= 'z' {
						set[c-32] = true
					} else if c >= 'A' && c <= 'Z' {
						set[c+32] = true
					}
				}
				if len(out) >= maxClassPrefix {
					return false
				}
				out = append(out, set)
			}
			return true
		case syntax.OpCharClass:
			var set [256]bool
			for k := 0; k+1 < len(n.Rune); k += 2 {
				lo, hi := n.Rune[k], n.Rune[k+1]
				if hi >= utf8.RuneSelf {
					return false
				}
				for c := lo; c <= hi; c++ {
					set[c] = true
				}
			}
			out = append(out, set)
			return true
		}
		return false
	}
	walk(re, true)
	return out
}

// headMatches reports whether text[i:] can start a match: its first bytes
// are in classes.
func headMatches(classes [][256]bool, text string, i int) bool {
	if i+len(classes) > len(text) {
		return len(classes) == 0
	}
	for j := range classes {
		if !classes[j][text[i+j]] {
			return false
		}
	}
	return true
}

// maxPrefixedMatch bounds a match of a prefixed rule, in bytes.
const maxPrefixedMatch = 1024

// find returns match locations; with a literal prefix the regex runs only
// at the prefix's occurrences.
func (r *rule) find(text string) [][]int {
	if r.prefix == "" && r.first != nil {
		var out [][]int
		fs := r.firstSkip
		for i := 0; i < len(text) && len(out) < maxMatchesPerRule; i++ {
			if !r.first[text[i]] {
				// Skip blocks of eight bytes none of which can start a
				// match (text[i] cannot either); the loop's i++ then
				// moves to the first byte not yet looked at.
				if fs != nil {
					for i+9 <= len(text) {
						b := text[i+1 : i+9]
						if fs[b[0]]|fs[b[1]]|fs[b[2]]|fs[b[3]]|fs[b[4]]|fs[b[5]]|fs[b[6]]|fs[b[7]] != 0 {
							break
						}
						i += 8
					}
				}
				continue
			}
			if r.boundary && i > 0 && match.IsWordByte(text[i-1]) || !headMatches(r.classes, text, i) {
				continue
			}
			if loc := r.anchoredR.FindStringIndex(text[i:min(i+maxPrefixedMatch, len(text))]); loc != nil && loc[1] > 0 {
				out = append(out, []int{i, i + loc[1]})
				i += loc[1] - 1
			}
		}
		return out
	}
	if r.prefix == "" {
		return r.re.FindAllStringIndex(text, maxMatchesPerRule)
	}
	var out [][]int
	for off := 0; off < len(text) && len(out) < maxMatchesPerRule; {
		k := strings.Index(text[off:], r.prefix)
		if k < 0 {
			break
		}
		p := off + k
		a := max(p-1, 0)
		b := min(p+maxPrefixedMatch, len(text))
		if loc := r.re.FindStringIndex(text[a:b]); loc != nil && a+loc[0] == p {
			out = append(out, []int{p, a + loc[1]})
			off = a + loc[1]
			if off == p {
				off++
			}
			continue
		}
		off = p + 1
	}
	return out
}

func splitWords(s string) []string {
	var out []string
	for _, w := range wordSpans(s) {
		out = append(out, s[w[0]:w[1]])
	}
	return out
}

func digitsOnly(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if match.IsDigit(s[i]) {
			b = append(b, s[i])
		}
	}
	return string(b)
}
