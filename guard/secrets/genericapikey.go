package secrets

// A hand-written matcher for gitleaks' generic-api-key regex, anchored as
// runAnchored runs it (^[^\w.-]{0,8}?( <rule regex> )):
//
//	(?i)[\w.-]{0,50}?(?:access|auth|(?-i:[Aa]pi|API)|credential|creds|key|passw(?:or)?d|secret|token)
//	(?:[ \t\w.-]{0,20})[\s'"]{0,3}(?:=|>|:{1,3}=|\|\||:|=>|\?=|,)[\x60'"\s=]{0,5}
//	([\w.=-]{10,150}|[a-z0-9][a-z0-9+/]{11,}={0,3})(?:[\x60'"\s;]|\\[nr]|$)
//
// It explores the alternatives in the regex's priority order (lazy
// quantifiers shortest first, greedy longest first, alternations left to
// right), so the first success is the match Go's regexp reports, with the
// same group spans. Like Go's backtracker it remembers, per stage and
// position, the outcome of the rest of the match (which does not depend on
// how the position was reached), so each (stage, position) is solved once.
// It handles ASCII segments of at most maxGenericSeg bytes; on others the
// regex runs (under (?i), \w and [a-z] also match ſ and K).
// TestGenericAPIKeyMatcherAgrees and FuzzGenericAPIKeyMatcher compare it with
// the regex.

// genericAPIKeyRegex is the gitleaks v8 rule the matcher implements; the
// matcher is used only when the loaded rule's regex is exactly this.
const genericAPIKeyRegex = `(?i)[\w.-]{0,50}?(?:access|auth|(?-i:[Aa]pi|API)|credential|creds|key|passw(?:or)?d|secret|token)(?:[ \t\w.-]{0,20})[\s'"]{0,3}(?:=|>|:{1,3}=|\|\||:|=>|\?=|,)[\x60'"\s=]{0,5}([\w.=-]{10,150}|[a-z0-9][a-z0-9+/]{11,}={0,3})(?:[\x60'"\s;]|\\[nr]|$)`

// maxGenericSeg bounds the segments the matcher takes (its work is bounded
// by stages × positions × the value run it scans from each position).
const maxGenericSeg = 256

const (
	gcWord    = 1 << iota // \w
	gcDotDash             // . -
	gcSpace               // \s: \t \n \f \r space
	gcQuote               // ' "
	gcTick                // `
	gcAlnum               // [a-zA-Z0-9]
)

var genericClass = func() (t [256]uint8) {
	for c := 0; c < 128; c++ {
		b := byte(c)
		if b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' {
			t[c] |= gcWord | gcAlnum
		}
		switch b {
		case '_':
			t[c] |= gcWord
		case '.', '-':
			t[c] |= gcDotDash
		case '\t', '\n', '\f', '\r', ' ':
			t[c] |= gcSpace
		case '\'', '"':
			t[c] |= gcQuote
		case '`':
			t[c] |= gcTick
		}
	}
	return
}()

var genericKeywords = []string{"access", "auth", "", "credential", "creds", "key", "password", "passwd", "secret", "token"}

type genericMatcher struct {
	seg string
	// memo per stage and position: 0 unknown, 1 failed, 2 matched (result in res).
	memo [4][maxGenericSeg + 1]uint8
	res  [4][maxGenericSeg + 1][3]int16 // value start, value end, match end
}

// Stages: 0 = B ([ \t\w.-]{0,20}) at p, 1 = C ([\s'"]{0,3}), 2 = operator,
// 3 = D ([\x60'"\s=]{0,5}) then the value and the terminator.

// matchGenericAPIKey returns the anchored regex's group 1 and group 2 spans
// (loc[0:2], loc[2:4]) in seg; handled is false when the regex must run.
func matchGenericAPIKey(seg string) (loc [4]int, ok, handled bool) {
	if len(seg) > maxGenericSeg || !isASCII(seg) {
		return loc, false, false
	}
	m := genericMatcher{seg: seg}
	// ^[^\w.-]{0,8}? is lazy and its class is disjoint from what group 1
	// can start with ([\w.-] or a keyword letter): only the first [\w.-]
	// byte, within 8 bytes, can start the group.
	p0 := 0
	for p0 < len(seg) && genericClass[seg[p0]]&(gcWord|gcDotDash) == 0 {
		p0++
	}
	if p0 > 8 || p0 == len(seg) {
		return loc, false, true
	}
	// [\w.-]{0,50}? lazy, then the keyword alternation.
	for a := 0; a <= 50 && p0+a <= len(seg); a++ {
		q := p0 + a
		for _, kw := range genericKeywordsAt(seg, q) {
			if vs, ve, end, ok := m.stage(0, q+kw); ok {
				return [4]int{p0, end, vs, ve}, true, true
			}
		}
		if q == len(seg) || genericClass[seg[q]]&(gcWord|gcDotDash) == 0 {
			break
		}
	}
	return loc, false, true
}

// genericKeywordsAt returns the lengths of the keyword alternatives matching
// at q, in the alternation's order.
func genericKeywordsAt(seg string, q int) []int {
	var out []int
	rest := seg[q:]
	for i, k := range genericKeywords {
		if i == 2 { // (?-i:[Aa]pi|API)
			if len(rest) >= 3 && (rest[:3] == "api" || rest[:3] == "Api" || rest[:3] == "API") {
				out = append(out, 3)
			}
			continue
		}
		if len(rest) >= len(k) && equalFoldASCII(rest[:len(k)], k) {
			out = append(out, len(k))
		}
	}
	return out
}

func equalFoldASCII(a, b string) bool {
	for i := 0; i < len(a); i++ {
		if lower(a[i]) != lower(b[i]) {
			return false
		}
	}
	return true
}

// stage solves stage st at position p: the value span and match end of the
// first match of the rest of the regex from there.
func (m *genericMatcher) stage(st, p int) (int, int, int, bool) {
	switch m.memo[st][p] {
	case 1:
		return 0, 0, 0, false
	case 2:
		r := m.res[st][p]
		return int(r[0]), int(r[1]), int(r[2]), true
	}
	vs, ve, end, ok := m.solve(st, p)
	if ok {
		m.memo[st][p] = 2
		m.res[st][p] = [3]int16{int16(vs), int16(ve), int16(end)}
	} else {
		m.memo[st][p] = 1
	}
	return vs, ve, end, ok
}

func (m *genericMatcher) solve(st, p int) (int, int, int, bool) {
	seg := m.seg
	run := func(mask uint8, extra byte, max int) int {
		n := 0
		for p+n < len(seg) && n < max && (genericClass[seg[p+n]]&mask != 0 || seg[p+n] == extra && extra != 0) {
			n++
		}
		return n
	}
	switch st {
	case 0: // (?:[ \t\w.-]{0,20}) greedy
		n := 0
		for p+n < len(seg) && n < 20 {
			c := seg[p+n]
			if c != ' ' && c != '\t' && genericClass[c]&(gcWord|gcDotDash) == 0 {
				break
			}
			n++
		}
		for k := n; k >= 0; k-- {
			if vs, ve, end, ok := m.stage(1, p+k); ok {
				return vs, ve, end, true
			}
		}
	case 1: // [\s'"]{0,3} greedy
		n := run(gcSpace|gcQuote, 0, 3)
		for k := n; k >= 0; k-- {
			if vs, ve, end, ok := m.stage(2, p+k); ok {
				return vs, ve, end, true
			}
		}
	case 2: // (?:=|>|:{1,3}=|\|\||:|=>|\?=|,)
		for _, e := range operatorEnds(seg, p) {
			if vs, ve, end, ok := m.stage(3, e); ok {
				return vs, ve, end, true
			}
		}
	case 3: // [\x60'"\s=]{0,5} greedy, then the value and the terminator
		n := run(gcSpace|gcQuote|gcTick, '=', 5)
		for k := n; k >= 0; k-- {
			if vs, ve, end, ok := valueAt(seg, p+k); ok {
				return vs, ve, end, true
			}
		}
	}
	return 0, 0, 0, false
}

// operatorEnds returns the end of each operator alternative matching at p,
// in the alternation's order.
func operatorEnds(seg string, p int) []int {
	var out []int
	at := func(i int, c byte) bool { return i < len(seg) && seg[i] == c }
	if at(p, '=') {
		out = append(out, p+1)
	}
	if at(p, '>') {
		out = append(out, p+1)
	}
	colons := 0
	for colons < 3 && at(p+colons, ':') {
		colons++
	}
	for c := colons; c >= 1; c-- { // :{1,3}= greedy
		if at(p+c, '=') {
			out = append(out, p+c+1)
		}
	}
	if at(p, '|') && at(p+1, '|') {
		out = append(out, p+2)
	}
	if at(p, ':') {
		out = append(out, p+1)
	}
	if at(p, '=') && at(p+1, '>') {
		out = append(out, p+2)
	}
	if at(p, '?') && at(p+1, '=') {
		out = append(out, p+2)
	}
	if at(p, ',') {
		out = append(out, p+1)
	}
	return out
}

// valueAt matches ([\w.=-]{10,150}|[a-z0-9][a-z0-9+/]{11,}={0,3}) then
// (?:[\x60'"\s;]|\\[nr]|$) at p.
func valueAt(seg string, p int) (int, int, int, bool) {
	n := 0
	for p+n < len(seg) && n < 150 && (genericClass[seg[p+n]]&(gcWord|gcDotDash) != 0 || seg[p+n] == '=') {
		n++
	}
	for k := n; k >= 10; k-- {
		if end, ok := terminatorAt(seg, p+k); ok {
			return p, p + k, end, true
		}
	}
	if p < len(seg) && genericClass[seg[p]]&gcAlnum != 0 {
		r := 0
		for q := p + 1; q < len(seg) && (genericClass[seg[q]]&gcAlnum != 0 || seg[q] == '+' || seg[q] == '/'); q++ {
			r++
		}
		for k := r; k >= 11; k-- {
			e := p + 1 + k
			eq := 0
			for eq < 3 && e+eq < len(seg) && seg[e+eq] == '=' {
				eq++
			}
			for j := eq; j >= 0; j-- {
				if end, ok := terminatorAt(seg, e+j); ok {
					return p, e + j, end, true
				}
			}
		}
	}
	return 0, 0, 0, false
}

// terminatorAt matches (?:[\x60'"\s;]|\\[nr]|$) at p ((?i): n, N, r, R).
func terminatorAt(seg string, p int) (int, bool) {
	if p < len(seg) {
		c := seg[p]
		if genericClass[c]&(gcSpace|gcQuote|gcTick) != 0 || c == ';' {
			return p + 1, true
		}
		if c == '\\' && p+1 < len(seg) {
			if d := lower(seg[p+1]); d == 'n' || d == 'r' {
				return p + 2, true
			}
		}
		return 0, false
	}
	return p, true // $
}
