package pii

import (
	"unicode"
	"unicode/utf8"

	"github.com/aigis-dev/aigis/guard/checksum"
	"github.com/aigis-dev/aigis/guard/match"
	"github.com/nyaruka/phonenumbers"
)

// maxRegionGroups bounds the sub-region search of one numeric region.
const maxRegionGroups = 10

// numericRegion is a run of digits joined by separators.
type numericRegion struct {
	start, end int // bytes
}

func isNumSep(c byte) bool {
	switch c {
	case ' ', '-', '.', '/', '(', ')', ':':
		return true
	}
	return false
}

// scanNumeric finds digit regions and classifies them.
func (r *Recognizer) scanNumeric(text string, dst []match.Match) []match.Match {
	n := len(text)
	count := 0
	for i := 0; i < n; {
		for i < n && tokClass[text[i]]&tcNumStart == 0 {
			i++
		}
		if i == n {
			break
		}
		c := text[i]
		startOK := match.IsDigit(c) || (c == '+' || c == '(') && i+1 < n && match.IsDigit(text[i+1])
		if !startOK {
			i++
			continue
		}
		// A digit glued to a preceding letter belongs to a token (IDs, hex, words).
		if i > 0 && (match.IsAlnum(text[i-1]) || text[i-1] == '_') {
			i++
			for i < n && (match.IsAlnum(text[i]) || text[i] == '_') {
				i++
			}
			continue
		}
		start := i
		i++
		end := i
		for i < n {
			c := text[i]
			if match.IsDigit(c) {
				i++
				end = i
				continue
			}
			// Up to two separator bytes followed by a digit (or "(" digit).
			j := i
			for j < n && j-i < 2 && isNumSep(text[j]) {
				j++
			}
			if j > i && j < n && (match.IsDigit(text[j]) || text[j] == '(' && j+1 < n && match.IsDigit(text[j+1])) {
				i = j
				continue
			}
			// Phone extension: x123 / ext. 123
			if (c == 'x' || c == 'X') && i+1 < n && match.IsDigit(text[i+1]) {
				i++
				continue
			}
			break
		}
		if end < n && match.IsAlnum(text[end]) && !match.IsDigit(text[end]) {
			// Digits glued to letters (e.g. "12ab"): a token, not a number.
			for i < n && match.IsAlnum(text[i]) {
				i++
			}
			continue
		}
		if text[start] == '(' {
			// keep
		}
		// Include a trailing ")" when the region opened one.
		if end < n && text[end] == ')' && hasByte(text[start:end], '(') && !hasByte(text[start:end], ')') {
			end++
		}
		count++
		if count > maxCandidates {
			return dst
		}
		dst = r.classifyRegion(text, start, end, dst)
		if i < end {
			i = end
		}
	}
	return dst
}

func hasByte(s string, b byte) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == b {
			return true
		}
	}
	return false
}

// classifyRegion tries the whole region, then runs of its space-separated groups.
func (r *Recognizer) classifyRegion(text string, start, end int, dst []match.Match) []match.Match {
	if m, ok := r.classifyNumber(text, start, end); ok {
		return append(dst, m)
	}
	// Split at spaces.
	var groups [][2]int
	gs := start
	for k := start; k < end; k++ {
		if text[k] == ' ' {
			if k > gs {
				groups = append(groups, [2]int{gs, k})
			}
			gs = k + 1
		}
	}
	if gs < end {
		groups = append(groups, [2]int{gs, end})
	}
	if len(groups) < 2 || len(groups) > maxRegionGroups {
		return dst
	}
	for a := 0; a < len(groups); {
		found := false
		for b := len(groups) - 1; b >= a; b-- {
			if a == 0 && b == len(groups)-1 {
				continue
			}
			s, e := trimSep(text, groups[a][0], groups[b][1])
			if e <= s {
				continue
			}
			if m, ok := r.classifyNumber(text, s, e); ok {
				dst = append(dst, m)
				a = b + 1
				found = true
				break
			}
		}
		if !found {
			a++
		}
	}
	return dst
}

func trimSep(text string, s, e int) (int, int) {
	for s < e && isNumSep(text[s]) && text[s] != '(' {
		s++
	}
	for e > s && isNumSep(text[e-1]) && text[e-1] != ')' {
		e--
	}
	return s, e
}

// shape summarises a numeric candidate.
type shape struct {
	digits []byte // digits only (extension excluded)
	groups []int  // digit counts of the groups
	seps   []byte // separators between groups (first byte of each run)
	plus   bool
	paren  bool
	ext    bool
	colon  bool
}

func shapeOf(s string) shape {
	var sh shape
	g := 0
	inExt := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case match.IsDigit(c):
			if !inExt {
				sh.digits = append(sh.digits, c)
				g++
			}
		case c == 'x' || c == 'X':
			inExt = true
			sh.ext = true
		default:
			if c == '+' {
				sh.plus = true
			}
			if c == '(' || c == ')' {
				sh.paren = true
			}
			if c == ':' {
				sh.colon = true
			}
			if g > 0 {
				sh.groups = append(sh.groups, g)
				sh.seps = append(sh.seps, c)
				g = 0
			}
		}
	}
	if g > 0 {
		sh.groups = append(sh.groups, g)
	}
	return sh
}

func (sh shape) sepsAll(allowed string) bool {
	for _, c := range sh.seps {
		ok := false
		for i := 0; i < len(allowed); i++ {
			if c == allowed[i] {
				ok = true
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

func groupsAre(sh shape, want ...int) bool {
	if len(sh.groups) != len(want) {
		return false
	}
	for i := range want {
		if sh.groups[i] != want[i] {
			return false
		}
	}
	return true
}

type cand struct {
	typ   string
	score float64
}

// classifyNumber returns the best-scoring interpretation of text[start:end].
func (r *Recognizer) classifyNumber(text string, start, end int) (match.Match, bool) {
	s := text[start:end]
	sh := shapeOf(s)
	d := string(sh.digits)
	nd := len(d)
	best := cand{}
	consider := func(typ string, score float64) {
		if score > best.score {
			best = cand{typ, score}
		}
	}
	ownCtx := false // a checksum-validated identifier had its own context word
	win := newCtxWin(text, start, end)
	ctx := func(base float64, kws []string) float64 { return win.boost(base, kws) }
	ctxValid := func(base float64, kws []string) float64 {
		sc := win.boost(base, kws)
		if sc > base {
			ownCtx = true
		}
		return sc
	}
	onlySpaceDash := sh.sepsAll(" -")
	plain := len(sh.seps) == 0

	// IPv4
	if len(sh.groups) == 4 && sh.sepsAll(".") && !sh.ext && validIPv4Groups(s) {
		consider("IP_ADDRESS", 0.95)
	}
	// Dates and times.
	if sc := dateScore(s, sh); sc > 0 {
		if win.has(kwDOB) {
			sc = 1
		}
		consider("DATE_TIME", sc)
	}
	// US SSN / ITIN.
	if nd == 9 && !sh.ext && (groupsAre(sh, 3, 2, 4) && onlySpaceDash && sameSeps(sh) || plain) {
		base := 0.85
		if plain {
			base = 0.3
		}
		if itinValid(d) {
			consider("US_ITIN", ctx(base, kwITIN))
		} else if ssnValid(d) {
			consider("US_SSN", ctx(base, kwSSN))
		}
	}
	// KR RRN: YYMMDD-GNNNNNN
	if nd == 13 && groupsAre(sh, 6, 7) && sh.sepsAll("-") && krRRNValid(d) {
		consider("KR_RRN", ctx(0.7, kwKRRRN))
	}
	// Credit cards (12-digit Maestro numbers only with card context).
	if nd == 12 && plain && checksum.Luhn(d) && win.has(kwCard) {
		consider("CREDIT_CARD", 0.85)
	}
	if nd >= 13 && nd <= 19 && !sh.ext && onlySpaceDash && sameSeps(sh) && cardGrouping(sh) && d[0] >= '1' && d[0] <= '6' && checksum.Luhn(d) {
		consider("CREDIT_CARD", ctx(0.9, kwCard))
	}
	if !sh.ext && (plain || onlySpaceDash) {
		switch nd {
		case 10:
			if (plain || groupsAre(sh, 3, 3, 4)) && checksum.Mod11(d) {
				consider("UK_NHS", ctxValid(0.4, kwNHS))
			}
			if (plain || groupsAre(sh, 4, 5, 1)) && medicareValid(d) {
				consider("AU_MEDICARE", ctxValid(0.3, kwMedicare))
			}
		case 11:
			if (plain || groupsAre(sh, 2, 3, 3, 3)) && abnValid(d) {
				consider("AU_ABN", ctxValid(0.4, kwABN))
			}
			if plain && peselValid(d) {
				consider("PL_PESEL", ctxValid(0.4, kwPESEL))
			}
			if plain && d != "00000000000" && checksum.Luhn(d) {
				consider("IT_VAT_CODE", ctxValid(0.2, kwITVAT)) // partita IVA: Luhn check digit
			}
		case 9:
			if (plain || groupsAre(sh, 3, 3, 3)) && acnValid(d) {
				consider("AU_ACN", ctxValid(0.3, kwACN))
			}
			if (plain || groupsAre(sh, 3, 3, 3)) && tfnValid(d) {
				consider("AU_TFN", ctxValid(0.3, kwTFN))
			}
			if plain {
				consider("US_PASSPORT", ctx(0.15, kwPassport))
			}
		case 12:
			if (plain || groupsAre(sh, 4, 4, 4)) && d[0] >= '2' && checksum.Verhoeff(d) {
				consider("IN_AADHAAR", ctxValid(0.4, kwAadhaar))
			}
		case 13:
			if (plain || groupsAre(sh, 1, 4, 5, 2, 1)) && tninValid(d) {
				consider("TH_TNIN", ctxValid(0.4, kwTNIN))
			}
		}
		if nd >= 8 && nd <= 17 && plain {
			consider("US_BANK_NUMBER", ctx(0.2, kwBank)) // reported with an account/bank word only
		}
		if nd >= 7 && nd <= 14 && plain {
			consider("US_DRIVER_LICENSE", ctx(0.2, kwDL))
		}
	}
	// Years: scored by the word right before them.
	if nd == 4 && plain && (d[:2] == "19" || d[:2] == "20") && !followedByDigits(text, end) {
		sc := 0.4
		if yearWords[prevWord(text, start)] {
			sc = 0.75
		}
		if prevCapitalized(text, start) {
			sc = 0.2 // "Rua Diadema 1903", "Windows 2000"
		}
		consider("DATE_TIME", sc)
	}
	// Dashed digit groups after a licence context.
	if nd >= 7 && nd <= 14 && !plain && sh.sepsAll("-") && win.has(kwDL) {
		consider("US_DRIVER_LICENSE", 0.75)
	}
	// Phone numbers, unless something strong already matched.
	if best.score < 0.85 && nd >= 7 && nd <= 15 && !sh.colon {
		if sc := r.phoneScore(s, sh); sc > 0 {
			sc = ctx(sc, kwPhone)
			// A word of another type ("account", "order", "zip") lowers the
			// score unless a phone word is nearer to the number.
			if win.has(kwNotPhone) {
				dn := contextDistance(text, start, end, kwNotPhone)
				if dp := contextDistance(text, start, end, kwPhone); dp < 0 || dn < dp {
					sc -= 0.4
				}
			}
			// A checksum-validated identifier next to its own context word
			// ("medicare 2123 45670 1") beats a phone shape without one.
			if ownCtx && !win.has(kwPhone) {
				sc -= 0.3
			}
			if !sh.plus && !sh.paren && nextWordCapitalized(text, end) {
				sc -= 0.3 // house numbers before a street name
			}
			consider("PHONE_NUMBER", sc)
		}
	}
	if best.score == 0 {
		return match.Match{}, false
	}
	return match.Match{Type: best.typ, Detector: "pii", Start: start, End: end, Score: best.score}, true
}

func sameSeps(sh shape) bool {
	for i := 1; i < len(sh.seps); i++ {
		if sh.seps[i] != sh.seps[0] {
			return false
		}
	}
	return true
}

func cardGrouping(sh shape) bool {
	if len(sh.groups) == 1 {
		return true
	}
	if groupsAre(sh, 4, 6, 5) || groupsAre(sh, 4, 6, 4) {
		return true
	}
	for i, g := range sh.groups {
		if i < len(sh.groups)-1 && g != 4 {
			return false
		}
		if i == len(sh.groups)-1 && (g < 1 || g > 4) {
			return false
		}
	}
	return true
}

// phoneScore scores a phone-shaped candidate: valid per libphonenumber for
// an international number or a hinted region, else by shape.
func (r *Recognizer) phoneScore(s string, sh shape) float64 {
	nd := len(sh.digits)
	if len(sh.groups) == 1 && !sh.plus && !sh.paren && nd != 10 {
		// A bare digit string that is not 10 digits long is rarely a phone number.
		return 0.05
	}
	if sh.plus {
		// International format with grouping is convincing on its own;
		// libphonenumber validation (tens of microseconds) is kept for
		// ungrouped "+15551234567" strings.
		if len(sh.groups) >= 2 && nd >= 8 {
			return 0.75
		}
		if num, err := phonenumbers.Parse(s, ""); err == nil {
			if phonenumbers.IsValidNumber(num) {
				return 0.85
			}
			if phonenumbers.IsPossibleNumber(num) {
				// E.164 shape with a known country code and a possible
				// length (ranges missing from the metadata, new blocks):
				// reported with a phone word nearby.
				return 0.45
			}
		}
	}
	for _, reg := range r.regions {
		num, err := phonenumbers.Parse(s, reg)
		if err == nil && phonenumbers.IsValidNumberForRegion(num, reg) {
			if nd < 8 && !sh.paren {
				// Local numbers ("555-2671", "43 73313") look like any other
				// short digit group: reported with a phone word nearby.
				return 0.45
			}
			return 0.7
		}
	}
	// Phone-like formatting without validation.
	if len(sh.groups) >= 2 && sh.sepsAll(" -.()") && nd >= 7 {
		if sh.paren || sh.plus || sh.ext {
			return 0.6
		}
		return 0.45
	}
	return 0.1
}

var yearWords = map[string]bool{
	"in": true, "since": true, "by": true, "from": true, "until": true, "till": true, "of": true, "a": true,
	"the": true, "year": true, "circa": true, "to": true, "after": true, "before": true, "during": true,
	"early": true, "late": true, "mid": true, "on": true, "born": true, "dob": true, "date": true, "and": true,
	"between": true, "summer": true, "winter": true, "spring": true, "autumn": true, "fall": true, "around": true,
}

// prevWord returns the lower-cased ASCII word before start (skipping spaces).
func prevWord(text string, start int) string {
	i := start
	for i > 0 && (text[i-1] == ' ' || text[i-1] == '\t') {
		i--
	}
	j := i
	for j > 0 && match.IsAlnum(text[j-1]) {
		j--
	}
	if j == i || i-j > 16 {
		return ""
	}
	b := []byte(text[j:i])
	for k := range b {
		b[k] = match.Lower(b[k])
	}
	return string(b)
}

// prevCapitalized reports whether the word right before start (same line)
// starts with an upper-case letter and is not sentence-initial.
func prevCapitalized(text string, start int) bool {
	i := start
	for i > 0 && text[i-1] == ' ' {
		i--
	}
	if i == start {
		return false
	}
	j := i
	for j > 0 && text[j-1] != ' ' && text[j-1] != '\n' {
		j--
	}
	if j == i {
		return false
	}
	r, _ := utf8.DecodeRuneInString(text[j:i])
	if !unicode.IsUpper(r) {
		return false
	}
	// Sentence-initial words are capitalized anyway.
	k := j
	for k > 0 && text[k-1] == ' ' {
		k--
	}
	return k > 0 && text[k-1] != '.' && text[k-1] != '\n'
}

func nextWordCapitalized(text string, end int) bool {
	i := end
	if i >= len(text) || text[i] != ' ' {
		return false
	}
	for i < len(text) && text[i] == ' ' {
		i++
	}
	if i >= len(text) {
		return false
	}
	r, _ := utf8.DecodeRuneInString(text[i:])
	return unicode.IsUpper(r)
}

func followedByDigits(text string, end int) bool {
	i := end
	for i < len(text) && (text[i] == ' ' || text[i] == '-') && i-end < 2 {
		i++
	}
	return i > end && i < len(text) && match.IsDigit(text[i])
}
