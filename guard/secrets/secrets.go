// Package secrets finds credentials in text. It compiles the gitleaks v8
// default rule set (github.com/zricethezav/gitleaks/v8/config, the embedded
// gitleaks.toml) into its own engine: one Aho-Corasick pass over the text
// finds rule keywords (case-insensitively), and each rule's regular
// expression runs only on the lines around its keyword hits. Secret groups,
// entropy thresholds and allowlists (regexes, stop words) behave as in
// gitleaks. A generic rule adds high-entropy values assigned to credential
// names (password=, token:, api_key=...). Placeholders and already-masked
// values (sk-...XXXX, <REDACTED>, ****, ${VAR}) are not reported.
package secrets

import (
	"fmt"
	"math"
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/spf13/viper"
	"github.com/zricethezav/gitleaks/v8/config"

	"github.com/aigis-dev/aigis/guard/match"
)

// Limits.
const (
	windowBack      = 128      // bytes scanned back to the start of the run holding a keyword
	windowFwd       = 96       // bytes scanned after a keyword hit (then to the end of the run)
	maxRun          = 4096     // a window grows over a whitespace-free run up to this many bytes
	maxHitsPerRule  = 64       // keyword hits examined per rule per text
	maxMatches      = 1000     // matches per text
	maxMultiline    = 16 << 10 // bytes scanned after a keyword hit of a multi-line rule (private keys)
	maxPrefilterSeg = 1024     // segments up to this size are checked against a rule's prefilter first
)

type allowlist struct {
	and       bool
	needsPath bool // has path/commit criteria we cannot evaluate: an AND list never applies
	target    string
	regexes   []*regexp.Regexp
	pre       []*prefilter  // per regex: a necessary condition checked first
	split     []*altMatcher // per regex: its alternatives run separately (nil: run whole)
	stopwords []string
	stopAC    *automaton // stop words, matched in one pass
}

type rule struct {
	id    string
	re    *regexp.Regexp
	rePre *prefilter // necessary condition for re (and anchored) to match
	// shape, when set, is a further necessary condition on a segment,
	// checked before re runs (generic-credential: credentialShape).
	shape       func(seg string) bool
	secretGroup int
	entropy     float64
	keywords    []string
	allow       []allowlist
	always      bool // no keywords: runs on the whole text
	multiline   bool // the regex can span lines: windows are not cut at line ends
	// anchored is the regex anchored at the start of the keyword's run, for
	// gitleaks' generated "identifier = value" rules (they begin with
	// [\w.-]{0,50}?, so a match starts where the identifier starts), with
	// the rule's regex as group 1; nil otherwise.
	anchored *regexp.Regexp
	// wbKeywords are keywords the regex must match right after a leading \b
	// (e.g. jwt: \b(ey...): a hit inside a word ("they") cannot match.
	wbKeywords map[string]bool
	// needsOperator: every match has, after one of its keyword hits, an
	// assignment operator reachable over identifier bytes (operatorAfter);
	// hits without one are skipped before the regex.
	needsOperator bool
	// handMatcher: the anchored regex is generic-api-key's, answered by
	// matchGenericAPIKey on short ASCII segments.
	handMatcher bool
}

// Scanner is safe for concurrent use.
type Scanner struct {
	rules   []rule
	global  []allowlist
	ac      *automaton
	kwRules [][]int // keyword index -> rule indexes
	// kwInWordSkip[kw]: every rule of keyword kw needs it at a word start
	// (rule.wbKeywords), so a hit inside a word ("valley") is dropped at once.
	kwInWordSkip []bool
	always       []int // rules without keywords
	kwLen        []int
	kws          []string // keyword index -> keyword
}

// New compiles the gitleaks default rules and the generic credential rule.
func New() (*Scanner, error) {
	v := viper.New()
	v.SetConfigType("toml")
	if err := v.ReadConfig(strings.NewReader(config.DefaultConfig)); err != nil {
		return nil, fmt.Errorf("read gitleaks default config: %w", err)
	}
	var vc config.ViperConfig
	if err := v.Unmarshal(&vc); err != nil {
		return nil, fmt.Errorf("decode gitleaks default config: %w", err)
	}
	cfg, err := vc.Translate()
	if err != nil {
		return nil, fmt.Errorf("translate gitleaks default config: %w", err)
	}
	s := &Scanner{}
	for _, a := range cfg.Allowlists {
		s.global = append(s.global, convertAllowlist(a))
	}
	kwIndex := map[string]int{}
	var kws []string
	for _, gr := range cfg.GetOrderedRules() {
		if gr.Regex == nil || len(gr.RequiredRules) > 0 || gr.SkipReport {
			continue
		}
		re, err := regexp.Compile(gr.Regex.String())
		if err != nil {
			return nil, fmt.Errorf("compile gitleaks rule %s: %w", gr.RuleID, err)
		}
		r := rule{id: gr.RuleID, re: re, secretGroup: gr.SecretGroup, entropy: gr.Entropy, keywords: gr.Keywords}
		src := gr.Regex.String()
		r.multiline = strings.Contains(src, `\s\S`) || strings.Contains(src, `(?s`)
		if rest, ok := strings.CutPrefix(strings.TrimPrefix(src, "(?i)"), `\b`); ok {
			for strings.HasPrefix(rest, "(?:") || strings.HasPrefix(rest, "(") {
				rest = strings.TrimPrefix(strings.TrimPrefix(rest, "(?:"), "(")
			}
			for _, k := range r.keywords {
				if len(rest) >= len(k) && strings.EqualFold(rest[:len(k)], k) && !strings.ContainsAny(k, `\.[]()?*+{}|^$`) {
					if r.wbKeywords == nil {
						r.wbKeywords = map[string]bool{}
					}
					r.wbKeywords[strings.ToLower(k)] = true
				}
			}
		}
		for _, k := range wbLeadKeywords(src, r.keywords) {
			if r.wbKeywords == nil {
				r.wbKeywords = map[string]bool{}
			}
			r.wbKeywords[k] = true
		}
		if strings.HasPrefix(strings.TrimPrefix(src, "(?i)"), `[\w.-]{0,50}?`) {
			if ar, err := regexp.Compile(`^[^\w.-]{0,8}?(` + src + `)`); err == nil {
				r.anchored = ar
			}
		}
		for _, a := range gr.Allowlists {
			r.allow = append(r.allow, convertAllowlist(a))
		}
		r.needsOperator = r.id == "generic-api-key" && r.anchored != nil && strings.Contains(src, genericAPIKeyIdent)
		r.handMatcher = r.id == "generic-api-key" && r.anchored != nil && src == genericAPIKeyRegex && gr.SecretGroup <= 1
		s.addRule(r, kwIndex, &kws)
	}
	s.addRule(genericRule(), kwIndex, &kws)
	s.addRule(rule{id: "gcp-service-account", re: regexp.MustCompile(`"type"\s*:\s*"service_account"`), keywords: []string{`"type"`}}, kwIndex, &kws)
	s.ac = newAutomaton(kws)
	s.kwInWordSkip = make([]bool, len(kws))
	for ki, rs := range s.kwRules {
		all := true
		for _, ri := range rs {
			all = all && s.rules[ri].wbKeywords[kws[ki]]
		}
		s.kwInWordSkip[ki] = all
	}
	s.kws = kws
	s.kwLen = make([]int, len(kws))
	for i, k := range kws {
		s.kwLen[i] = len(k)
	}
	return s, nil
}

func (s *Scanner) addRule(r rule, kwIndex map[string]int, kws *[]string) {
	idx := len(s.rules)
	r.rePre = newPrefilter(r.re)
	if len(r.keywords) == 0 {
		r.always = true
		s.always = append(s.always, idx)
	}
	s.rules = append(s.rules, r)
	for _, k := range r.keywords {
		k = strings.ToLower(k)
		ki, ok := kwIndex[k]
		if !ok {
			ki = len(*kws)
			kwIndex[k] = ki
			*kws = append(*kws, k)
			s.kwRules = append(s.kwRules, nil)
		}
		s.kwRules[ki] = append(s.kwRules[ki], idx)
	}
}

func convertAllowlist(a *config.Allowlist) allowlist {
	out := allowlist{and: a.MatchCondition == config.AllowlistMatchAnd, target: a.RegexTarget, stopwords: a.StopWords}
	out.needsPath = len(a.Paths) > 0 || len(a.Commits) > 0
	if len(a.StopWords) > 0 {
		out.stopAC = newAutomaton(a.StopWords)
	}
	for _, re := range a.Regexes {
		x := regexp.MustCompile(re.String())
		out.regexes = append(out.regexes, x)
		out.pre = append(out.pre, newPrefilter(x))
		out.split = append(out.split, newAltMatcher(x))
	}
	return out
}

// genericCredentialPattern matches values assigned to password-like names
// (DB_PASSWORD=..., "client_secret": "..."); tokens are left to the gitleaks rules.
const genericCredentialPattern = `(?i)(?:password|passwd|pwd|passphrase|secret|api[_-]?key|apikey|access[_-]?key|client[_-]?secret|private[_-]?key)["']?\s{0,3}(?:=|:|=>|:=)\s{0,3}["']?([^\s"'<>{}$,;]{10,128})`

// credentialShape is a necessary condition for genericCredentialPattern to
// match in seg: every match has a name ending in one of credentialEnds,
// then ["']?\s{0,3}, an operator (= : => :=), \s{0,3}["']? and at least
// 10 value bytes. Spaces, quotes and '>' cannot start a value, so only the
// operator's second byte (":=" or ":" then a value starting with '=') is
// ambiguous and both readings are tried. Texts with multi-byte runes run
// the regex (under (?i), k and s also match K and ſ).
func credentialShape(seg string) bool {
	if !isASCII(seg) {
		return true
	}
	for p := 0; p < len(seg); p++ {
		for _, w := range credentialEnds {
			if len(seg)-p < len(w) || !strings.EqualFold(seg[p:p+len(w)], w) {
				continue
			}
			q := p + len(w)
			if q < len(seg) && (seg[q] == '"' || seg[q] == '\'') {
				q++
			}
			q = skipSpaces(seg, q, 3)
			if q >= len(seg) || seg[q] != '=' && seg[q] != ':' {
				continue
			}
			if credentialValueAt(seg, q+1) {
				return true
			}
			if q+1 < len(seg) && (seg[q] == '=' && seg[q+1] == '>' || seg[q] == ':' && seg[q+1] == '=') && credentialValueAt(seg, q+2) {
				return true
			}
		}
	}
	return false
}

// credentialEnds: every alternative of the name part of
// genericCredentialPattern ends with one of these.
var credentialEnds = []string{"password", "passwd", "pwd", "passphrase", "secret", "key"}

func credentialValueAt(seg string, q int) bool {
	q = skipSpaces(seg, q, 3)
	if q < len(seg) && (seg[q] == '"' || seg[q] == '\'') {
		q++
	}
	if len(seg)-q < 10 {
		return false
	}
	for _, c := range []byte(seg[q : q+10]) {
		switch c {
		case ' ', '\t', '\n', '\f', '\r', '"', '\'', '<', '>', '{', '}', '$', ',', ';':
			return false
		}
	}
	return true
}

// skipSpaces skips at most n bytes of \s ([\t\n\f\r ]) from q.
func skipSpaces(seg string, q, n int) int {
	for k := 0; k < n && q < len(seg); k++ {
		switch seg[q] {
		case ' ', '\t', '\n', '\f', '\r':
			q++
		default:
			return q
		}
	}
	return q
}

var dottedIdentifier = regexp.MustCompile(`^[A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*)+$|^https?://`)

func genericRule() rule {
	return rule{
		id:       "generic-credential",
		re:       regexp.MustCompile(genericCredentialPattern),
		shape:    credentialShape,
		entropy:  3.2,
		keywords: []string{"password", "passwd", "pwd", "passphrase", "secret", "api_key", "api-key", "apikey", "access_key", "access-key", "client_secret", "private_key"},
	}
}

// Find appends the secrets in text to dst. Type is SECRET; Detector is
// "gitleaks:<rule-id>" or "secrets:generic-credential".
func (s *Scanner) Find(text string, dst []match.Match) []match.Match {
	// Keyword hits, then (rule, keyword start) pairs grouped by rule.
	buf := hitPool.Get().(*hitBuf)
	defer putHitBuf(buf)
	// No cap on hits short of the text's own bound: a flood of one keyword
	// must not hide another rule's hit further on (rules cap their own hits).
	buf.hits = s.ac.scanHits(text, buf.hits[:0], 8*len(text)+16)
	buf.pairs = buf.pairs[:0]
	for _, h := range buf.hits {
		kw, end := int(h.kw), int(h.end)
		start := end - s.kwLen[kw]
		inWord := start > 0 && match.IsWordByte(text[start-1])
		if inWord && s.kwInWordSkip[kw] {
			continue
		}
		for _, ri := range s.kwRules[kw] {
			if inWord && s.rules[ri].wbKeywords != nil && s.rules[ri].wbKeywords[s.kws[kw]] {
				continue
			}
			buf.pairs = append(buf.pairs, [2]int32{int32(ri), int32(start)})
		}
	}
	// Stable: hits of one rule stay in text order.
	slices.SortStableFunc(buf.pairs, func(x, y [2]int32) int { return int(x[0] - y[0]) })
	hits := buf.byRule[:0]
	starts := buf.starts[:0]
	for k := 0; k < len(buf.pairs); {
		ri := buf.pairs[k][0]
		from := len(starts)
		for ; k < len(buf.pairs) && buf.pairs[k][0] == ri; k++ {
			if len(starts)-from < maxHitsPerRule {
				starts = append(starts, int(buf.pairs[k][1]))
			}
		}
		hits = append(hits, ruleHits{int(ri), from, len(starts)})
	}
	buf.starts = starts
	buf.byRule = hits
	n0 := len(dst)
	for _, ri := range s.always {
		dst = s.runRule(text, ri, 0, len(text), dst)
	}
	for _, rh := range hits {
		ri, hs := rh.rule, starts[rh.from:rh.to]
		if s.rules[ri].anchored != nil {
			last := -1
			for _, h := range hs {
				a, b := lineWindow(text, h, false)
				if a == last {
					continue // same run, same anchored match
				}
				if s.rules[ri].needsOperator && !operatorAfter(text, h, b) {
					continue // e.g. "key" or "token" in prose
				}
				last = a
				dst = s.runAnchored(text, ri, a, b, dst)
			}
			continue
		}
		// Merge line windows around hits.
		ws, we := -1, -1
		for _, h := range hs {
			a, b := lineWindow(text, h, s.rules[ri].multiline)
			if ws >= 0 && a <= we {
				if b > we {
					we = b
				}
				continue
			}
			if ws >= 0 {
				dst = s.runRule(text, ri, ws, we, dst)
			}
			ws, we = a, b
		}
		if ws >= 0 {
			dst = s.runRule(text, ri, ws, we, dst)
		}
		if len(dst)-n0 > maxMatches {
			break
		}
	}
	return dedupe(dst, n0)
}

// maxPooledHits: hit buffers grown past this (huge, keyword-dense texts) are
// left to the GC instead of being kept in the pool.
const maxPooledHits = 1 << 16

func putHitBuf(b *hitBuf) {
	if cap(b.hits) > maxPooledHits || cap(b.pairs) > maxPooledHits {
		return
	}
	hitPool.Put(b)
}

type ruleHits struct{ rule, from, to int }

type hitBuf struct {
	hits   []hit
	pairs  [][2]int32
	byRule []ruleHits
	starts []int
}

var hitPool = sync.Pool{New: func() any { return new(hitBuf) }}

// dedupe drops identical spans found through several windows.
func dedupe(dst []match.Match, n0 int) []match.Match {
	seen := map[[2]int]bool{}
	out := dst[:n0]
	for _, m := range dst[n0:] {
		k := [2]int{m.Start, m.End}
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, m)
	}
	return out
}

// lineWindow is the span a rule's regex runs on around a keyword hit at h:
// from the start of the whitespace-free run holding the keyword (at most
// windowBack bytes back) to windowFwd bytes after it, stretched to the end of
// the whitespace-free run there (long tokens, at most maxRun bytes), cut at
// line ends. gitleaks rules put the keyword inside the identifier or the
// secret, with the assignment operator within ~25 bytes after it, so this
// covers their matches while keeping the NFA's input small.
func lineWindow(text string, h int, multiline bool) (int, int) {
	if multiline {
		return h, min(len(text), h+maxMultiline)
	}
	a := h
	for a > 0 && h-a < windowBack && !isSpace(text[a-1]) {
		a--
	}
	b := min(h+windowFwd, len(text))
	for b < len(text) && b-h < maxRun && !isSpace(text[b]) {
		b++
	}
	if k := strings.IndexByte(text[h:b], '\n'); k >= 0 {
		b = h + k
	}
	return a, b
}

// wbLeadKeywords returns the keywords (lower case) that can be dropped when
// a hit lies inside a word, from the regex's syntax: the regex is \b then a
// group whose every alternative starts with a literal beginning with a word
// byte and with one of the rule's keywords (vault-service-token:
// \b((?:hvs\.…|s\.…))). Every match then starts, at a word start, with a
// keyword, whose hit there is kept, so an in-word hit ("actions.") is never
// the only one covering a match. Case-folded literals with k or s are left
// out: (?i) also matches K (U+212A) and ſ (U+017F), which the keyword
// automaton does not fold.
func wbLeadKeywords(src string, keywords []string) []string {
	t, err := syntax.Parse(src, syntax.Perl)
	if err != nil || t.Op != syntax.OpConcat || len(t.Sub) < 2 || t.Sub[0].Op != syntax.OpWordBoundary {
		return nil
	}
	g := t.Sub[1]
	for g.Op == syntax.OpCapture {
		g = g.Sub[0]
	}
	alts := []*syntax.Regexp{g}
	if g.Op == syntax.OpAlternate {
		alts = g.Sub
	}
	var out []string
	for _, a := range alts {
		lit := a
		if a.Op == syntax.OpConcat && len(a.Sub) > 0 {
			lit = a.Sub[0]
		}
		if lit.Op != syntax.OpLiteral {
			return nil
		}
		l := string(lit.Rune)
		if l == "" || !match.IsWordByte(l[0]) || !isASCII(l) ||
			lit.Flags&syntax.FoldCase != 0 && strings.ContainsAny(strings.ToLower(l), "ks") {
			return nil
		}
		lead := ""
		for _, k := range keywords {
			if len(k) <= len(l) && strings.EqualFold(l[:len(k)], k) && match.IsWordByte(k[0]) {
				lead = strings.ToLower(k)
				break
			}
		}
		if lead == "" {
			return nil
		}
		out = append(out, lead)
	}
	return out
}

// genericAPIKeyIdent is the identifier part of gitleaks' generic-api-key
// rule that operatorAfter relies on: each alternative contains one of the
// rule's keywords (access, api, auth, key, credential, creds, passwd,
// password, secret, token), and after it come at most 20 bytes of
// [ \t\w.-], at most 3 of [\s'"], then the operator.
const genericAPIKeyIdent = `(?:access|auth|(?-i:[Aa]pi|API)|credential|creds|key|passw(?:or)?d|secret|token)(?:[ \t\w.-]{0,20})[\s'"]{0,3}(?:=|>|:{1,3}=|\|\||:|=>|\?=|,)`

// operatorAfter reports whether an assignment operator byte (= > : | ? ,)
// follows the keyword starting at h within the identifier distance (the rest
// of the identifier, 10 bytes; 20 bytes of [ \t\w.-]; 3 of [\s'"]) over
// bytes those parts allow (any multi-byte rune counts as allowed), before
// b, and a value can start after it (valueAfter).
func operatorAfter(text string, h, b int) bool {
	end := min(b, h+48)
	for j := h; j < end; j++ {
		c := text[j]
		switch {
		case c == '=' || c == '>' || c == ':' || c == '|' || c == '?' || c == ',':
			return valueAfter(text, j, b)
		case match.IsWordByte(c) || c == '.' || c == '-' || c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\'' || c == '"':
		case c >= utf8.RuneSelf:
			// Under (?i) Go's \w also matches ſ (U+017F) and K (U+212A),
			// so multi-byte runes may be identifier bytes.
		default:
			return false
		}
	}
	return false
}

// valueAfter reports whether a generic-api-key value can start after the
// operator byte at j, before b: the rest of the operator (at most 3 bytes,
// ":::=") and at most 5 of [`'"\s=] precede the value, whose first byte is
// [\w.=-] or, under (?i), a letter of [a-z] (ASCII or the non-ASCII folds
// of k and s). So within 9 bytes after j, over operator, quote and space
// bytes only, a value byte must come ("key: ${VAR}" has none).
func valueAfter(text string, j, b int) bool {
	end := min(b, j+10)
	for p := j + 1; p < end; p++ {
		c := text[p]
		switch {
		case match.IsWordByte(c) || c == '.' || c == '=' || c == '-' || c >= utf8.RuneSelf:
			return true
		case c == '>' || c == ':' || c == '|' || c == '?' || c == ',' || c == '`' || c == '\'' || c == '"' ||
			c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
		default:
			return false
		}
	}
	return false
}

func isSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\t' || c == '\r' }

// runAnchored matches an anchored rule once at the start of text[a:b]. The
// anchored regex wraps the rule's in group 1, so one run yields the rule's
// match and its capture groups.
func (s *Scanner) runAnchored(text string, ri, a, b int, dst []match.Match) []match.Match {
	r := &s.rules[ri]
	seg := text[a:b]
	// The anchored regex's group 1 is the rule's regex: a match of it is a
	// match of r.re, so r.re's condition holds on seg.
	if !r.rePre.mayMatch(seg) {
		return dst
	}
	if r.handMatcher {
		if loc, ok, handled := matchGenericAPIKey(seg); handled {
			if !ok {
				return dst
			}
			return s.emit(text, r, a, seg, loc[:], dst)
		}
	}
	loc := r.anchored.FindStringSubmatchIndex(seg)
	if loc == nil {
		return dst
	}
	return s.emit(text, r, a, seg, loc[2:], dst)
}

func (s *Scanner) runRule(text string, ri, a, b int, dst []match.Match) []match.Match {
	r := &s.rules[ri]
	seg := text[a:b]
	// On long segments (rules without keywords run on the whole text) the
	// regex engine's own literal scan is as fast as the prefilter's.
	if len(seg) <= maxPrefilterSeg && !r.rePre.mayMatch(seg) {
		return dst
	}
	if r.shape != nil && !r.shape(seg) {
		return dst
	}
	for _, whole := range r.re.FindAllStringIndex(seg, 16) {
		// Capture groups only for actual matches (the common no-match case
		// stays on the cheaper matcher).
		ms, me := whole[0], whole[1]
		loc := r.re.FindStringSubmatchIndex(seg[ms:me])
		if loc == nil {
			continue
		}
		for k := range loc {
			if loc[k] >= 0 {
				loc[k] += ms
			}
		}
		dst = s.emit(text, r, a, seg, loc, dst)
	}
	return dst
}

// emit validates one match (submatch indexes loc into seg = text[a:...]) and
// appends it.
func (s *Scanner) emit(text string, r *rule, a int, seg string, loc []int, dst []match.Match) []match.Match {
	ms, me := loc[0], loc[1]
	{
		ss, se := ms, me
		if len(loc) >= 4 {
			if r.secretGroup > 0 && 2*r.secretGroup+1 < len(loc) {
				ss, se = loc[2*r.secretGroup], loc[2*r.secretGroup+1]
			} else {
				for g := 1; 2*g+1 < len(loc); g++ {
					if loc[2*g] >= 0 && loc[2*g+1] > loc[2*g] {
						ss, se = loc[2*g], loc[2*g+1]
						break
					}
				}
			}
		}
		if ss < 0 || se <= ss {
			return dst
		}
		secret := seg[ss:se]
		if r.entropy > 0 && shannon(secret) <= r.entropy {
			return dst
		}
		if masked(secret) {
			return dst
		}
		line := lineOf(text, a+ms, a+me)
		if allowed(s.global, secret, seg[ms:me], line) || allowed(r.allow, secret, seg[ms:me], line) {
			return dst
		}
		det := "gitleaks:" + r.id
		score := 0.9
		if r.id == "gcp-service-account" {
			det, score = "secrets:gcp-service-account", 0.8
		}
		if r.id == "generic-credential" {
			det = "secrets:generic-credential"
			score = 0.75
			if !mixedClasses(secret) || dottedIdentifier.MatchString(secret) {
				return dst
			}
		}
		dst = append(dst, match.Match{Type: "SECRET", Detector: det, Start: a + ss, End: a + se, Score: score})
	}
	return dst
}

func lineOf(text string, s, e int) string {
	a := strings.LastIndexByte(text[:s], '\n') + 1
	b := strings.IndexByte(text[e:], '\n')
	if b < 0 {
		b = len(text)
	} else {
		b += e
	}
	return text[a:b]
}

func allowed(lists []allowlist, secret, m, line string) bool {
	for _, a := range lists {
		target := secret
		switch a.target {
		case "match":
			target = m
		case "line":
			target = line
		}
		sw := false
		if a.stopAC != nil {
			a.stopAC.scan(secret, func(int, int) bool { sw = true; return false })
		}
		if sw && !a.and {
			return true // stop words are cheaper than the regexes
		}
		re := false
		for i, x := range a.regexes {
			if a.pre[i].mayMatch(target) && (a.split[i] != nil && a.split[i].MatchString(target) || a.split[i] == nil && x.MatchString(target)) {
				re = true
				break
			}
		}
		if a.and {
			if a.needsPath {
				continue
			}
			checks := 0
			ok := true
			if len(a.regexes) > 0 {
				checks++
				ok = ok && re
			}
			if len(a.stopwords) > 0 {
				checks++
				ok = ok && sw
			}
			if checks > 0 && ok {
				return true
			}
			continue
		}
		if re || sw {
			return true
		}
	}
	return false
}

// masked reports placeholders and already-redacted values.
func masked(v string) bool {
	lv := strings.ToLower(v)
	for _, p := range []string{"xxxx", "****", "...", "…", "<redacted", "redacted>", "[redacted", "${", "{{", "%(", "<your", "your_", "your-", "changeme", "placeholder", "example", "dummy", "<secret", "<token", "<password", "<api"} {
		if strings.Contains(lv, p) {
			return true
		}
	}
	if strings.HasPrefix(v, "<") && strings.HasSuffix(v, ">") || strings.HasPrefix(v, "$") {
		return true
	}
	// Documentation values: a keyboard run ("dapi1234567890...", "sk-abcdefghijkl");
	// eight ascending characters in a row occur in a random token with
	// probability ~1e-13 per position.
	if strings.Contains(lv, "12345678") || strings.Contains(lv, "abcdefgh") {
		return true
	}
	// One repeated character.
	same := true
	for i := 1; i < len(v); i++ {
		if v[i] != v[0] {
			same = false
			break
		}
	}
	return same
}

func mixedClasses(v string) bool {
	var lo, up, dg, ot bool
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c >= 'a' && c <= 'z':
			lo = true
		case c >= 'A' && c <= 'Z':
			up = true
		case c >= '0' && c <= '9':
			dg = true
		default:
			ot = true
		}
	}
	n := 0
	for _, b := range []bool{lo, up, dg, ot} {
		if b {
			n++
		}
	}
	return n >= 2
}

// shannon is the Shannon entropy in bits per byte, as gitleaks computes it.
func shannon(s string) float64 {
	if s == "" {
		return 0
	}
	var counts [256]int
	for i := 0; i < len(s); i++ {
		counts[s[i]]++
	}
	h := 0.0
	n := float64(len(s))
	for _, c := range counts {
		if c > 0 {
			p := float64(c) / n
			h -= p * math.Log2(p)
		}
	}
	return h
}
