package pii

import (
	"net/netip"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/aigis-dev/aigis/guard/match"
)

// maxCandidates bounds the candidates examined per scan pass.
const maxCandidates = 20000

// Byte classes of the token scanners.
const (
	tcDelim    = 1 << iota // token delimiter
	tcPlain                // a byte of a plain token: letters, '-', '_', '!', '?'
	tcDigit                // 0-9
	tcUpper                // A-Z
	tcNumStart             // may start a numeric region: digit, '+', '('
	tcSpecial              // neither a delimiter nor a plain-token byte: makes a token worth classifying
)

var tokClass = func() (t [256]uint8) {
	for _, c := range []byte(" \t\n\r\f\v,;\"'()<>[]{}|`\\") {
		t[c] |= tcDelim
	}
	for c := 0; c < 256; c++ {
		switch {
		case c >= 'a' && c <= 'z':
			t[c] |= tcPlain
		case c >= 'A' && c <= 'Z':
			t[c] |= tcPlain | tcUpper
		case c >= '0' && c <= '9':
			t[c] |= tcDigit | tcNumStart
		case c == '-' || c == '_' || c == '!' || c == '?':
			t[c] |= tcPlain
		case c == '+' || c == '(':
			t[c] |= tcNumStart
		}
		if t[c]&(tcDelim|tcPlain) == 0 {
			t[c] |= tcSpecial
		}
	}
	return
}()

// byteFeatures ORs the token classes of every byte of text: one cheap pass
// that tells which scanners can find anything at all.
func byteFeatures(text string) uint8 {
	var a, b, c, d uint8
	i := 0
	for ; i+4 <= len(text); i += 4 {
		a |= tokClass[text[i]]
		b |= tokClass[text[i+1]]
		c |= tokClass[text[i+2]]
		d |= tokClass[text[i+3]]
	}
	for ; i < len(text); i++ {
		a |= tokClass[text[i]]
	}
	return a | b | c | d
}

func isTokenDelim(c byte) bool { return tokClass[c]&tcDelim != 0 }

// scanTokens classifies whitespace/punctuation-delimited tokens.
func (r *Recognizer) scanTokens(text string, dst []match.Match) []match.Match {
	n := len(text)
	count := 0
	for i := 0; i < n; {
		for i < n && tokClass[text[i]]&tcDelim != 0 {
			i++
		}
		s := i
		// Plain tokens (only letters, '-', '_', '!', '?') have nothing to classify.
		for i < n && tokClass[text[i]]&tcPlain != 0 {
			i++
		}
		if i == n || tokClass[text[i]]&tcDelim != 0 {
			continue
		}
		for i < n && tokClass[text[i]]&tcDelim == 0 {
			i++
		}
		e := i
		if e-s < 4 {
			continue
		}
		count++
		if count > maxCandidates {
			return dst
		}
		dst = r.classifyToken(text, s, e, dst)
	}
	return dst
}

func trimTokenEnd(text string, s, e int) int {
	for e > s {
		switch text[e-1] {
		case '.', ':', '!', '?', '*', '_':
			e--
			continue
		}
		break
	}
	return e
}

func (r *Recognizer) classifyToken(text string, s, e int, dst []match.Match) []match.Match {
	e = trimTokenEnd(text, s, e)
	for s < e && (text[s] == '*' || text[s] == '_') {
		s++
	}
	if e-s < 4 {
		return dst
	}
	tok := text[s:e]
	var hasAt, hasColon, hasDot, hasDash, hasDigit, hasUpper, hasLower, hasOther bool
	for i := 0; i < len(tok); i++ {
		c := tok[i]
		switch {
		case c == '@':
			hasAt = true
		case c == ':':
			hasColon = true
		case c == '.':
			hasDot = true
		case c == '-':
			hasDash = true
		case c >= '0' && c <= '9':
			hasDigit = true
		case c >= 'A' && c <= 'Z':
			hasUpper = true
		case c >= 'a' && c <= 'z':
			hasLower = true
		default:
			hasOther = true
		}
	}
	// URLs first (they may contain '@' and ':').
	if l := urlPrefixLen(tok); l > 0 {
		if m, ok := urlMatch(text, s, e); ok {
			return append(dst, m)
		}
	}
	if hasAt {
		return emailMatches(text, s, e, dst)
	}
	if hasColon || hasDash && hasDigit {
		if m, ok := macMatch(text, s, e); ok {
			return append(dst, m)
		}
	}
	if hasColon {
		if m, ok := ipv6Match(text, s, e); ok {
			return append(dst, m)
		}
		return dst
	}
	if hasDot && !hasDigit && !hasOther && (hasLower || hasUpper) {
		if m, ok := bareDomain(text, s, e); ok {
			return append(dst, m)
		}
		return dst
	}
	if hasDot && hasDigit && len(tok) == 14 && tok[4] == '.' && tok[9] == '.' {
		if m, ok := macMatch(text, s, e); ok {
			return append(dst, m)
		}
	}
	if hasOther || hasDot {
		return dst
	}
	// Alphanumeric identifiers.
	if !hasDigit {
		return dst
	}
	best := cand{}
	consider := func(typ string, score float64) {
		if score > best.score {
			best = cand{typ, score}
		}
	}
	ctx := func(base float64, kws []string) float64 { return boost(base, text, s, e, kws) }
	L := len(tok)
	if !hasDash {
		if strings.HasPrefix(tok, "0x") && L == 42 && isHex(tok[2:]) {
			if checked, valid := eip55Valid(tok); valid {
				if checked {
					consider("CRYPTO", 1)
				} else {
					consider("CRYPTO", ctx(0.6, kwCrypto))
				}
			}
		}
		if (tok[0] == '1' || tok[0] == '3') && L >= 26 && L <= 35 && base58CheckValid(tok) {
			consider("CRYPTO", 1)
		}
		if (strings.HasPrefix(tok, "bc1") || strings.HasPrefix(tok, "BC1")) && bech32Valid(tok) {
			consider("CRYPTO", 1)
		}
		if !hasUpper && hasLower && L >= 15 && L <= 34 {
			if up := strings.ToUpper(tok); isDig(up[2]) && isDig(up[3]) && ibanValid(up) {
				consider("IBAN_CODE", 0.9)
			}
		}
		if hasUpper && !hasLower {
			if L >= 15 && isUpper(tok[0]) && isUpper(tok[1]) && isDig(tok[2]) && isDig(tok[3]) && ibanValid(tok) {
				consider("IBAN_CODE", 1)
			}
			switch L {
			case 9:
				if ninoValid(tok) {
					consider("UK_NINO", ctx(0.6, kwNINO))
				}
				if nifValid(tok) {
					consider("ES_NIF", ctx(0.6, kwNIF))
				}
				if nieValid(tok) {
					consider("ES_NIE", ctx(0.7, kwNIE))
				}
				if nricValid(tok) {
					consider("SG_NRIC_FIN", ctx(0.6, kwNRIC))
				}
				if deaValid(tok) {
					consider("MEDICAL_LICENSE", ctx(0.4, kwMedical))
				}
				if isUpper(tok[0]) && allDigits(tok[1:]) {
					consider("US_PASSPORT", ctx(0.2, kwPassport))
				}
				if letters(tok, 0, 2) && allDigits(tok[2:]) {
					// AA1234567: Italian passport, or paper identity card.
					consider("IT_PASSPORT", ctx(0.15, kwITPassport))
					consider("IT_IDENTITY_CARD", ctx(0.15, kwITID))
				}
				if allDigits(tok[:7]) && letters(tok, 7, 9) || letters(tok, 0, 2) && allDigits(tok[2:7]) && letters(tok, 7, 9) {
					consider("IT_IDENTITY_CARD", ctx(0.15, kwITID)) // electronic card (CIE)
				}
			case 10:
				if panValid(tok) {
					consider("IN_PAN", ctx(0.5, kwPAN))
				}
				if letters(tok, 0, 2) && allDigits(tok[2:9]) && isUpper(tok[9]) {
					consider("IT_DRIVER_LICENSE", ctx(0.2, kwITDL)) // AA1234567B
				}
				if letters(tok, 0, 3) && allDigits(tok[3:]) {
					consider("IN_VOTER", ctx(0.2, kwINVoter)) // ABC1234567 (EPIC)
				}
			case 15:
				if gstinValid(tok) {
					consider("IN_GSTIN", 0.95)
				}
			case 16:
				if itFiscalValid(tok) {
					consider("IT_FISCAL_CODE", 0.95)
				}
			}
			if (L == 9 || L == 10) && allDigits(tok[:L-1]) && isUpper(tok[L-1]) {
				// Singapore UEN: 8 digits + check letter (businesses) or a
				// year and 5 digits + check letter (local companies).
				if L == 9 || tok[:2] == "19" || tok[:2] == "20" {
					consider("SG_UEN", ctx(0.3, kwSGUEN))
				}
			}
			if L == 10 && (tok[0] == 'T' || tok[0] == 'S' || tok[0] == 'R') && allDigits(tok[1:3]) && letters(tok, 3, 5) && allDigits(tok[5:9]) && isUpper(tok[9]) {
				consider("SG_UEN", ctx(0.3, kwSGUEN)) // T09LL0001B: other entities
			}
			if L == 8 && isUpper(tok[0]) && tok[1] != '0' && allDigits(tok[1:]) && tok[7] != '0' {
				consider("IN_PASSPORT", ctx(0.15, kwINPassport)) // A1234567
			}
			if L >= 8 && L <= 10 && inVehicleValid(tok) {
				consider("IN_VEHICLE_REGISTRATION", ctx(0.4, kwINVehicle)) // MH12AB1234
			}
			// Driver's licences: a letter or two then digits.
			if L >= 7 && L <= 16 && isUpper(tok[0]) && (allDigits(tok[1:]) || isUpper(tok[1]) && allDigits(tok[2:])) {
				consider("US_DRIVER_LICENSE", ctx(0.2, kwDL))
			}
		}
	} else if L == 11 && (tok[6] == '-' || tok[6] == '+') || L == 11 && isUpper(tok[6]) {
		if fiHetuValid(tok) {
			consider("FI_PERSONAL_IDENTITY_CODE", 0.9)
		}
	}
	if hasDash && !hasLower && L <= 16 && strings.Count(tok, "-") <= 3 && hasUpper {
		// e.g. licence numbers with dashes are left to org rules.
	}
	if best.score > 0 {
		dst = append(dst, match.Match{Type: best.typ, Detector: "pii", Start: s, End: e, Score: best.score})
	}
	return dst
}

// letters reports whether s[i:j] is upper-case ASCII letters.
func letters(s string, i, j int) bool { return j <= len(s) && allUpper(s[i:j]) }

// inStates are the Indian state and union-territory codes of vehicle
// registration marks.
var inStates = map[string]bool{
	"AN": true, "AP": true, "AR": true, "AS": true, "BR": true, "CG": true, "CH": true, "DD": true, "DL": true, "DN": true,
	"GA": true, "GJ": true, "HP": true, "HR": true, "JH": true, "JK": true, "KA": true, "KL": true, "LA": true, "LD": true,
	"MH": true, "ML": true, "MN": true, "MP": true, "MZ": true, "NL": true, "OD": true, "OR": true, "PB": true, "PY": true,
	"RJ": true, "SK": true, "TN": true, "TR": true, "TS": true, "UK": true, "UP": true, "WB": true,
}

// inVehicleValid checks an Indian registration mark: state code, 1-2 digit
// district, 1-3 letter series, 4-digit number (MH12AB1234, DL3CAF0001).
func inVehicleValid(t string) bool {
	if len(t) < 8 || !inStates[t[:2]] {
		return false
	}
	i := 2
	for i < len(t) && i < 4 && isDig(t[i]) {
		i++
	}
	if i == 2 {
		return false
	}
	j := i
	for j < len(t) && j-i < 3 && isUpper(t[j]) {
		j++
	}
	return j > i && len(t)-j == 4 && allDigits(t[j:]) && t[j:] != "0000"
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return len(s) > 0
}

var urlPrefixes = [...]string{"https://", "http://", "ftp://", "www."}

func urlPrefixLen(tok string) int {
	c := match.Lower(tok[0])
	if c != 'h' && c != 'f' && c != 'w' {
		return 0
	}
	for _, p := range urlPrefixes {
		if len(tok) >= len(p) && strings.EqualFold(tok[:len(p)], p) {
			return len(p)
		}
	}
	return 0
}

// urlMatch matches a URL token (scheme:// or www.), trimming trailing punctuation.
func urlMatch(text string, s, e int) (match.Match, bool) {
	tok := text[s:e]
	host := tok[urlPrefixLen(tok):]
	if strings.HasPrefix(strings.ToLower(tok), "www.") {
		host = tok[4:]
	} else if strings.HasPrefix(strings.ToLower(host), "www.") {
		host = host[4:]
	}
	// Host must have a dot and a letter TLD, or be an IP.
	h := host
	if k := strings.IndexAny(h, "/?#"); k >= 0 {
		h = h[:k]
	}
	if k := strings.LastIndexByte(h, '@'); k >= 0 {
		h = h[k+1:]
	}
	if k := strings.IndexByte(h, ':'); k >= 0 {
		h = h[:k]
	}
	if !strings.Contains(h, ".") && h != "localhost" {
		return match.Match{}, false
	}
	return match.Match{Type: "URL", Detector: "pii", Start: s, End: e, Score: 0.85}, true
}

var commonTLDs = map[string]bool{
	"com": true, "org": true, "net": true, "io": true, "ai": true, "dev": true, "gov": true, "edu": true,
	"info": true, "biz": true, "app": true, "cloud": true, "co": true, "us": true, "uk": true, "de": true,
	"fr": true, "it": true, "es": true, "nl": true, "be": true, "ch": true, "se": true, "dk": true,
	"no": true, "fi": true, "pl": true, "cz": true, "at": true, "eu": true, "ca": true, "au": true,
	"jp": true, "cn": true, "in": true, "br": true, "ru": true, "me": true, "tv": true, "xyz": true,
	"online": true, "site": true, "tech": true, "store": true, "pt": true, "ie": true, "nz": true,
}

// bareDomain matches host names like example.com (lower score than URLs).
func bareDomain(text string, s, e int) (match.Match, bool) {
	tok := text[s:e]
	labels := strings.Split(tok, ".")
	if len(labels) < 2 {
		return match.Match{}, false
	}
	tld := strings.ToLower(labels[len(labels)-1])
	if !commonTLDs[tld] {
		return match.Match{}, false
	}
	for _, l := range labels {
		if len(l) == 0 || len(l) > 63 {
			return match.Match{}, false
		}
	}
	if len(labels[len(labels)-2]) < 2 {
		return match.Match{}, false
	}
	return match.Match{Type: "URL", Detector: "pii", Start: s, End: e, Score: 0.5}, true
}

func isEmailLocal(c byte) bool {
	return match.IsAlnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-'
}

func isDomainByte(c byte) bool { return match.IsAlnum(c) || c == '.' || c == '-' }

// emailMatches finds local@domain.tld within a token.
func emailMatches(text string, s, e int, dst []match.Match) []match.Match {
	for i := s; i < e; i++ {
		if text[i] != '@' {
			continue
		}
		// Local part and domain may hold non-ASCII letters (RFC 6531, IDN):
		// "jörg@müller.de" is one address, never half of one.
		a := i
		for a > s {
			if isEmailLocal(text[a-1]) {
				a--
			} else if n := letterRuneBefore(text, s, a); n > 0 {
				a -= n
			} else {
				break
			}
		}
		for a < i && (text[a] == '.' || text[a] == '-') {
			a++
		}
		b := i + 1
		for b < e {
			if isDomainByte(text[b]) {
				b++
			} else if n := letterRuneAt(text[b:e]); n > 0 {
				b += n
			} else {
				break
			}
		}
		for b > i+1 && (text[b-1] == '.' || text[b-1] == '-') {
			b--
		}
		if a == i || b <= i+1 {
			continue
		}
		dom := text[i+1 : b]
		dot := strings.LastIndexByte(dom, '.')
		if dot <= 0 || len(dom)-dot-1 < 2 || !tldLetters(dom[dot+1:]) || strings.Contains(dom, "..") {
			continue
		}
		dst = append(dst, match.Match{Type: "EMAIL_ADDRESS", Detector: "pii", Start: a, End: b, Score: 1})
		i = b
	}
	return dst
}

// letterRuneAt returns the byte length of the non-ASCII letter, digit or
// mark starting s, 0 if there is none.
func letterRuneAt(s string) int {
	if len(s) == 0 || s[0] < utf8.RuneSelf {
		return 0
	}
	r, n := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError || !(unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)) {
		return 0
	}
	return n
}

// letterRuneBefore is letterRuneAt for the rune ending at text[p] (not
// before text[lo]).
func letterRuneBefore(text string, lo, p int) int {
	if p <= lo || text[p-1] < utf8.RuneSelf {
		return 0
	}
	r, n := utf8.DecodeLastRuneInString(text[lo:p])
	if r == utf8.RuneError || !(unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)) {
		return 0
	}
	return n
}

// tldLetters reports whether a top-level domain is letters only (ASCII or
// an internationalized TLD such as "рф").
func tldLetters(s string) bool {
	if allLetters(s) {
		return true
	}
	for _, r := range s {
		if !unicode.IsLetter(r) {
			return false
		}
	}
	return true
}

func allLetters(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

func macMatch(text string, s, e int) (match.Match, bool) {
	tok := text[s:e]
	if len(tok) == 17 && (tok[2] == ':' || tok[2] == '-') {
		sep := tok[2]
		for i := 0; i < 17; i++ {
			if i%3 == 2 {
				if tok[i] != sep {
					return match.Match{}, false
				}
			} else if !isHex(tok[i : i+1]) {
				return match.Match{}, false
			}
		}
		return match.Match{Type: "MAC_ADDRESS", Detector: "pii", Start: s, End: e, Score: 0.9}, true
	}
	if len(tok) == 14 && tok[4] == '.' && tok[9] == '.' && isHex(tok[:4]) && isHex(tok[5:9]) && isHex(tok[10:]) {
		return match.Match{Type: "MAC_ADDRESS", Detector: "pii", Start: s, End: e, Score: 0.7}, true
	}
	return match.Match{}, false
}

func ipv6Match(text string, s, e int) (match.Match, bool) {
	tok := text[s:e]
	if strings.Count(tok, ":") < 2 || len(tok) > 45 {
		return match.Match{}, false
	}
	for i := 0; i < len(tok); i++ {
		c := tok[i]
		if !(isHex(tok[i:i+1]) || c == ':' || c == '.' || c == '%') {
			return match.Match{}, false
		}
	}
	a, err := netip.ParseAddr(tok)
	if err != nil || !a.Is6() || a.IsUnspecified() {
		return match.Match{}, false
	}
	return match.Match{Type: "IP_ADDRESS", Detector: "pii", Start: s, End: e, Score: 0.9}, true
}

// scanGrouped finds IBANs and UK NINOs written in space-separated groups.
func (r *Recognizer) scanGrouped(text string, dst []match.Match) []match.Match {
	n := len(text)
	var buf []byte
	for i := 0; i+4 <= n; i++ {
		// Group start: two upper-case letters at a token start.
		for i+4 <= n && tokClass[text[i]]&tcUpper == 0 {
			i++
		}
		if i+4 > n {
			break
		}
		if !isUpper(text[i+1]) || i > 0 && !isTokenDelim(text[i-1]) {
			continue
		}
		buf = buf[:0]
		j := i
		bestEnd := -1
		bestType := ""
		for groups := 0; groups < 9 && j < n; groups++ {
			k := j
			for k < n && k-j < 4 && (isUpper(text[k]) || isDig(text[k])) {
				k++
			}
			if k == j || k < n && match.IsAlnum(text[k]) {
				break
			}
			buf = append(buf, text[j:k]...)
			if len(buf) >= 15 && isDig(buf[2]) && isDig(buf[3]) && ibanValid(string(buf)) {
				bestEnd, bestType = k, "IBAN_CODE"
			}
			if len(buf) == 9 && ninoValid(string(buf)) {
				bestEnd, bestType = k, "UK_NINO"
			}
			if k+1 < n && text[k] == ' ' && (isUpper(text[k+1]) || isDig(text[k+1])) {
				j = k + 1
				continue
			}
			break
		}
		if bestEnd > 0 && strings.IndexByte(text[i:bestEnd], ' ') >= 0 {
			sc := 1.0
			if bestType == "UK_NINO" {
				sc = boost(0.6, text, i, bestEnd, kwNINO)
			}
			dst = append(dst, match.Match{Type: bestType, Detector: "pii", Start: i, End: bestEnd, Score: sc})
			i = bestEnd
		}
	}
	return dst
}
