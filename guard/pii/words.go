package pii

import (
	"sort"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/aigis-dev/aigis/guard/match"
)

// maxWords bounds the words examined by the lexicon recognizers per text.
const maxWords = 200000

type word struct {
	s, e  int    // bytes
	lower string // lower case
	f     uint32 // lexicon flags
	cap   bool   // first letter upper case
	upper bool   // all letters upper case
}

func isWordLetter(r rune) bool { return unicode.IsLetter(r) || r == '\'' || r == '’' }

// Byte classes of the word splitter.
const (
	wcOther = iota // ASCII, not a letter
	wcLower        // a-z
	wcUpper        // A-Z
	wcHigh         // a byte of a multi-byte rune
)

var wordClass = func() (t [256]uint8) {
	for c := 0; c < 256; c++ {
		switch {
		case c >= 'a' && c <= 'z':
			t[c] = wcLower
		case c >= 'A' && c <= 'Z':
			t[c] = wcUpper
		case c >= utf8.RuneSelf:
			t[c] = wcHigh
		}
	}
	return
}()

var wordPool = sync.Pool{New: func() any { s := make([]word, 0, 256); return &s }}

// wordSummary is what the kept words of a text have at all: whether any is
// capitalised or all upper case, and the OR of their lexicon flags. A word
// recognizer whose trigger none of the words has finds nothing and is
// skipped (lower-case prose: only the address pass runs).
type wordSummary struct {
	anyCap bool
	flags  uint32
}

// splitWordsSummary appends to ws the letter words (with inner
// apostrophes/hyphens) and their lexicon flags, and returns their summary.
// ASCII lower-case words are not copied.
func (r *Recognizer) splitWordsSummary(text string, ws []word) ([]word, wordSummary) {
	var sum wordSummary
	var buf []byte
	i := 0
	for i < len(text) && len(ws) < maxWords {
		// Skip ASCII non-letters.
		for i < len(text) && wordClass[text[i]] == wcOther {
			i++
		}
		if i >= len(text) {
			break
		}
		c := text[i]
		if c >= 'a' && c <= 'z' {
			// Fast path: a plain lower-case ASCII word (most of prose).
			s := i
			i++
			for i < len(text) && text[i]-'a' < 26 {
				i++
			}
			if i == len(text) || wordClass[text[i]] == wcOther && text[i] != '\'' && text[i] != '-' {
				lw := text[s:i]
				f := r.lowerFlags(lw)
				if f == 0 {
					continue // plain lower-case words matter to no recognizer
				}
				ws = append(ws, word{s: s, e: i, lower: lw, f: f})
				sum.flags |= f
				continue
			}
			i = s // not plain: the general path below
		}
		r0, n := utf8.DecodeRuneInString(text[i:])
		if !unicode.IsLetter(r0) {
			i += n
			continue
		}
		s := i
		i += n
		ascii := r0 < utf8.RuneSelf
		hasUpper := unicode.IsUpper(r0)
		allUpper := hasUpper
		for i < len(text) {
			c := text[i]
			if c >= 'a' && c <= 'z' {
				allUpper = false
				i++
				continue
			}
			if c >= 'A' && c <= 'Z' {
				hasUpper = true
				i++
				continue
			}
			if c < utf8.RuneSelf {
				if (c == '\'' || c == '-') && i+1 < len(text) && (match.IsAlnum(text[i+1]) && !match.IsDigit(text[i+1]) || text[i+1] >= utf8.RuneSelf) {
					i++
					continue
				}
				break
			}
			r2, n2 := utf8.DecodeRuneInString(text[i:])
			if unicode.IsLetter(r2) || unicode.IsMark(r2) {
				ascii = false
				if unicode.IsUpper(r2) {
					hasUpper = true
				} else if unicode.IsLower(r2) {
					allUpper = false
				}
				i += n2
				continue
			}
			if r2 == '’' && i+n2 < len(text) {
				r3, _ := utf8.DecodeRuneInString(text[i+n2:])
				if unicode.IsLetter(r3) {
					ascii = false
					i += n2
					continue
				}
			}
			break
		}
		w := word{s: s, e: i, cap: unicode.IsUpper(r0), upper: allUpper}
		switch {
		case !hasUpper && ascii:
			w.lower = text[s:i]
			w.f = r.lowerFlags(w.lower)
			if w.f == 0 {
				continue // plain lower-case words matter to no recognizer
			}
		case ascii:
			buf = buf[:0]
			for k := s; k < i; k++ {
				buf = append(buf, match.Lower(text[k]))
			}
			w.f = r.lex[string(buf)]
			w.lower = string(buf)
		default:
			w.lower = strings.ToLower(text[s:i])
			w.f = r.lex[w.lower]
		}
		ws = append(ws, w)
		sum.flags |= w.f
		sum.anyCap = sum.anyCap || w.cap || w.upper
	}
	return ws, sum
}

// gapIs reports whether text[a:b] is only spaces (at most max bytes), optionally
// with one '.' first (for initials and abbreviations).
func gapSpaces(text string, a, b int) bool {
	if b-a < 1 || b-a > 3 {
		return false
	}
	for k := a; k < b; k++ {
		if text[k] != ' ' && !(k == a && text[k] == '.') {
			return false
		}
	}
	return text[b-1] == ' '
}

func hasSuffix(w string, suf []string, minStem int) bool {
	for _, s := range suf {
		if len(w) > len(s)+minStem-1 && strings.HasSuffix(w, s) {
			return true
		}
	}
	return false
}

func (r *Recognizer) scanWords(text string, dst []match.Match) []match.Match {
	p := wordPool.Get().(*[]word)
	ws, sum := r.splitWordsSummary(text, (*p)[:0])
	if r.allWordScans {
		sum = wordSummary{anyCap: true, flags: ^uint32(0)}
	}
	// Each skip below is exact: the scan acts only on words with the
	// named property (see the first test in its loop).
	if sum.flags&(fWeekday|fMonth) != 0 {
		dst = scanDates(text, ws, dst)
	}
	a0 := len(dst)
	dst = scanAddresses(text, ws, dst)
	a1 := len(dst)
	if sum.anyCap {
		dst = scanOrgs(text, ws, dst) // capWord: cap or upper
	}
	a2 := len(dst)
	if sum.anyCap || sum.flags&fFirst != 0 {
		dst = scanPersons(text, ws, dst) // a cap/upper word, or lower-case "first surname"
	}
	if sum.anyCap {
		dst = scanLocations(text, ws, dst)
	}
	if sum.flags&fNRP != 0 {
		dst = scanNRP(text, ws, dst)
	}
	if a2 > a1 {
		orgs := append([]match.Match(nil), dst[a1:a2]...)
		dst = dropInside(dst, a2, orgs)
	}
	dst = dropInside(dst, a1, dst[a0:a1])
	if cap(ws) <= 1<<16 { // larger slices (huge texts) are left to the GC
		clear(ws) // drop references into text before pooling
		*p = ws[:0]
		wordPool.Put(p)
	}
	return dst
}

// dropInside removes the matches of dst[from:] that lie inside one of the
// containers (non-overlapping, by start, not in dst[from:]): "541 Avenida
// Pedro Ulisses 888" is one address, not a person inside one, and the
// address must not lose to it in overlap resolution.
func dropInside(dst []match.Match, from int, addrs []match.Match) []match.Match {
	if len(addrs) == 0 {
		return dst
	}
	sorted := true
	for i := 1; i < len(addrs); i++ {
		if addrs[i].Start < addrs[i-1].End {
			sorted = false // overlapping containers: check each (rare)
			break
		}
	}
	out := dst[:from]
	for _, m := range dst[from:] {
		inside := false
		if sorted {
			// Last container starting at or before m.
			k := sort.Search(len(addrs), func(i int) bool { return addrs[i].Start > m.Start }) - 1
			inside = k >= 0 && m.End <= addrs[k].End
		} else {
			for _, a := range addrs {
				if a.Start <= m.Start && m.End <= a.End {
					inside = true
					break
				}
			}
		}
		if !inside {
			out = append(out, m)
		}
	}
	return out
}

func scanDates(text string, ws []word, dst []match.Match) []match.Match {
	for _, w := range ws {
		if w.f&fWeekday != 0 {
			dst = append(dst, match.Match{Type: "DATE_TIME", Detector: "pii", Start: w.s, End: w.e, Score: 0.6})
			continue
		}
		if w.f&fMonth != 0 { // months[w.lower], from the lexicon flags
			s, e := w.s, w.e
			// "5 June", "5th of June"
			k := s
			for k > 0 && text[k-1] == ' ' {
				k--
			}
			if strings.HasSuffix(text[:k], " of") {
				k -= 3
			}
			j := k
			for j > 0 && match.IsAlnum(text[j-1]) {
				j--
			}
			if j < k && isDayToken(text[j:k]) {
				s = j
			}
			// "June 5", "June 5, 2020", "June 2020"
			p := e
			if p < len(text) && text[p] == '.' {
				p++
			}
			q := p
			for q < len(text) && text[q] == ' ' {
				q++
			}
			t := q
			for t < len(text) && match.IsAlnum(text[t]) {
				t++
			}
			if q > p && t > q && (isDayToken(text[q:t]) || isYear(text[q:t])) {
				e = t
				if isDayToken(text[q:t]) {
					u := t
					if u < len(text) && text[u] == ',' {
						u++
					}
					v := u
					for v < len(text) && text[v] == ' ' {
						v++
					}
					x := v
					for x < len(text) && match.IsDigit(text[x]) {
						x++
					}
					if v > u && isYear(text[v:x]) {
						e = x
					}
				}
			}
			if s == w.s && e == w.e {
				continue // a month name alone ("May") is too ambiguous
			}
			dst = append(dst, match.Match{Type: "DATE_TIME", Detector: "pii", Start: s, End: e, Score: 0.85})
		}
	}
	return dst
}

func isDayToken(s string) bool {
	s = strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(s, "st"), "nd"), "rd"), "th")
	if len(s) == 0 || len(s) > 2 || !allDigits(s) {
		return false
	}
	d := atoi(s)
	return d >= 1 && d <= 31
}

func isYear(s string) bool {
	return len(s) == 4 && allDigits(s) && (s[:2] == "19" || s[:2] == "20")
}

// houseNumberBefore returns the start of a house number (digits, optional
// letter) right before byte p on the same line, or -1.
func houseNumberBefore(text string, p int) int {
	k := p
	for k > 0 && text[k-1] == ' ' {
		k--
	}
	if k == p {
		return -1
	}
	j := k
	if j > 0 && isUpper(text[j-1]) || j > 0 && text[j-1] >= 'a' && text[j-1] <= 'z' {
		j--
	}
	e := j
	for j > 0 && match.IsDigit(text[j-1]) {
		j--
	}
	if j == e || e-j > 6 {
		return -1
	}
	if j > 0 && (match.IsAlnum(text[j-1])) {
		return -1
	}
	return j
}

// numberAfter returns the end of a house number right after byte p, or -1.
func numberAfter(text string, p int) int {
	q := p
	if q < len(text) && text[q] == '.' {
		q++
	}
	k := q
	for k < len(text) && text[k] == ' ' {
		k++
	}
	if k == q {
		return -1
	}
	j := k
	for j < len(text) && match.IsDigit(text[j]) {
		j++
	}
	if j == k || j-k > 5 {
		return -1
	}
	if j < len(text) && (isUpper(text[j]) || text[j] >= 'a' && text[j] <= 'z') && (j+1 >= len(text) || !match.IsAlnum(text[j+1])) {
		j++
	}
	if j < len(text) && match.IsAlnum(text[j]) {
		return -1
	}
	return j
}

const unitWordsList = `suite apt apartment unit flat floor fl ste room box`

func scanAddresses(text string, ws []word, dst []match.Match) []match.Match {
	covered := -1
	for i, w := range ws {
		if w.s < covered {
			continue
		}
		start, end := -1, -1
		score := 0.8
		switch {
		case w.f&fStreetSuffix != 0 && (w.cap || w.upper || i > 0 && !ws[i-1].cap) && i > 0:
			// Walk back over up to 4 name words on the same line to a house number.
			k := i - 1
			for n := 0; n < 4 && k >= 0; n++ {
				if hn := houseNumberBefore(text, ws[k].s); hn >= 0 && !strings.Contains(text[hn:w.s], "\n") {
					start = hn
					break
				}
				if k > 0 && !gapSpaces(text, ws[k-1].e, ws[k].s) {
					break
				}
				k--
			}
			if start < 0 {
				if ne := numberAfter(text, w.e); ne > 0 && i > 0 && ws[i-1].cap && gapSpaces(text, ws[i-1].e, w.s) {
					start, end = ws[i-1].s, ne
					if i > 1 && ws[i-2].cap && gapSpaces(text, ws[i-2].e, ws[i-1].s) && ws[i-2].f&fNotName == 0 {
						start = ws[i-2].s
					}
					score = 0.75
				}
			} else {
				end = w.e
				if end < len(text) && text[end] == '.' && (w.lower == "st" || w.lower == "rd" || w.lower == "ave" || w.lower == "dr" || w.lower == "str") {
					end++
				}
			}
		case w.f&fStreetPrefix != 0 && i+1 < len(ws):
			// "rue de la Gare 12", "ul. Cicha 86", "Via Roma 1"
			k := i + 1
			last := -1
			for n := 0; n < 4 && k < len(ws); n++ {
				if ne := numberAfter(text, ws[k].e); ne > 0 {
					last = ne
					break
				}
				k++
			}
			hn := houseNumberBefore(text, w.s)
			if last > 0 || hn >= 0 && k > i+1 {
				start = w.s
				if hn >= 0 {
					start = hn
				}
				end = last
				if end < 0 {
					end = ws[min(k, len(ws)-1)].e
				}
				score = 0.75
			}
		case (w.cap || w.upper) && (numberAfter(text, w.e) > 0 || houseNumberBefore(text, w.s) >= 0) && hasSuffix(w.lower, streetWordSuffixes, 3):
			if ne := numberAfter(text, w.e); ne > 0 {
				start, end = w.s, ne
			} else if hn := houseNumberBefore(text, w.s); hn >= 0 {
				start, end = hn, w.e
			}
			if start >= 0 {
				if hn := houseNumberBefore(text, start); hn >= 0 {
					start = hn
				}
				score = 0.75
			}
		case houseNumberBefore(text, w.s) >= 0 && w.f&fNotName == 0 && (w.cap || w.upper || hasSuffix(w.lower, streetWordSuffixes, 3)):
			// "20789 Allika 46", "3482 Via Franscini 71": number, up to three words, number.
			hn := houseNumberBefore(text, w.s)
			if hn > 0 && match.IsDigit(text[hn-1]) {
				break
			}
			k := i
			for n := 0; n < 3 && k < len(ws); n++ {
				if ne := numberAfter(text, ws[k].e); ne > 0 && !strings.Contains(text[hn:ne], "\n") {
					start, end = hn, ne
					score = 0.65
					if hasSuffix(ws[k].lower, streetWordSuffixes, 3) || w.f&fStreetPrefix != 0 {
						score = 0.8
					}
					break
				}
				if k+1 >= len(ws) || !gapSpaces(text, ws[k].e, ws[k+1].s) {
					break
				}
				k++
			}
		case w.f&fUnit != 0 && w.cap:
			if ne := numberAfter(text, w.e); ne > 0 {
				start, end = w.s, ne
				score = 0.6
				if w.lower == "box" {
					start = militaryUnitBefore(text, w.s)
					if start == w.s {
						start = poBoxBefore(text, w.s)
					}
				}
			}
		case (w.lower == "fpo" || w.lower == "apo" || w.lower == "dpo") && w.upper && i+1 < len(ws) && len(ws[i+1].lower) == 2 && ws[i+1].upper:
			if ne := numberAfter(text, ws[i+1].e-1+1); ne > 0 {
				start, end = w.s, ne
				// Include the previous line ("USS Mahler", "PSC 1234, Box 5678").
				if ls := strings.LastIndexByte(text[:w.s], '\n'); ls > 0 {
					pl := strings.LastIndexByte(text[:ls], '\n') + 1
					if ls-pl <= 40 {
						start = pl
					}
				}
				score = 0.8
			}
		}
		if start < 0 || end <= start {
			continue
		}
		start = numberPrefix(text, start)
		end = extendAddress(text, end)
		dst = append(dst, match.Match{Type: "STREET_ADDRESS", Detector: "pii", Start: start, End: end, Score: score})
		covered = end
	}
	return dst
}

// extendAddress extends an address core over unit designators and short
// city/region/postcode/country segments separated by commas or newlines.
func extendAddress(text string, end int) int {
	for seg := 0; seg < 6; seg++ {
		p := end
		newlines := 0
		for p < len(text) && (text[p] == ' ' || text[p] == ',' || text[p] == '\n' || text[p] == '\r' || text[p] == '\t' || text[p] == '>') {
			if text[p] == '\n' {
				newlines++
			}
			p++
		}
		if p >= len(text) || newlines > 2 {
			return end
		}
		q := p
		for q < len(text) && text[q] != ',' && text[q] != '\n' && q-p <= 48 {
			q++
		}
		segment := strings.TrimRight(text[p:q], " .?!")
		if len(segment) == 0 || q-p > 48 {
			return end
		}
		r, _ := utf8.DecodeRuneInString(segment)
		if !(unicode.IsUpper(r) || unicode.IsDigit(r)) {
			return end
		}
		// A contact line after the address ("Mobile: 03.93.92.16.85",
		// "416 60 039 office") is not part of it.
		if contactSegment(segment) {
			return end
		}
		// A segment with several lower-case words is prose, not an address part.
		lowerWords := 0
		for _, f := range strings.Fields(segment) {
			fr, _ := utf8.DecodeRuneInString(f)
			if unicode.IsLower(fr) && len(f) > 3 {
				lowerWords++
			}
		}
		if lowerWords > 1 {
			return end
		}
		// Stop at sentence ends inside the segment ("Apt. 864" is not one).
		if k := sentenceEnd(segment); k >= 0 {
			segment = segment[:k]
			return p + len(segment)
		}
		end = p + len(segment)
	}
	return end
}

// addrAbbrevs are abbreviations that end with a period inside an address
// ("Apt. 864", "Ste. 2", "No. 5").
var addrAbbrevs = map[string]bool{
	"apt": true, "ste": true, "fl": true, "no": true, "nr": true, "rm": true, "bldg": true, "dept": true,
	"st": true, "rd": true, "ave": true, "dr": true, "blvd": true, "ln": true, "ct": true, "u": true, "ul": true,
}

// sentenceEnd returns the offset of the first ". " in segment that ends a
// sentence, skipping periods of address abbreviations; -1 if none.
func sentenceEnd(segment string) int {
	off := 0
	for {
		k := strings.Index(segment[off:], ". ")
		if k < 0 {
			return -1
		}
		k += off
		w := k
		for w > 0 && isASCIILetter(segment[w-1]) {
			w--
		}
		if !addrAbbrevs[strings.ToLower(segment[w:k])] || w > 0 && segment[w-1] == '.' {
			return k
		}
		off = k + 2
	}
}

func scanPersons(text string, ws []word, dst []match.Match) []match.Match {
	isNameWord := func(w word) bool {
		return w.cap && !w.upper && w.f&(fNotName|fStreetSuffix|fCountry) == 0 && len(w.lower) >= 2
	}
	// extend grows a name over following capitalized words and initials.
	extend := func(i int) int {
		j := i
		for n := 0; n < 3 && j+1 < len(ws); n++ {
			nx := ws[j+1]
			gap := text[ws[j].e:nx.s]
			initial := len(nx.lower) == 1 && nx.cap && nx.e < len(text) && text[nx.e] == '.'
			if !(gap == " " || gap == ". " && len(ws[j].lower) == 1) {
				break
			}
			if !(isNameWord(nx) || initial || len([]rune(nx.lower)) == 1 && nx.cap) {
				break
			}
			j++
		}
		return j
	}
	for i := 0; i < len(ws); i++ {
		w := ws[i]
		if w.f&fTitle != 0 && (w.cap || w.upper) && i+1 < len(ws) {
			gap := text[w.e:ws[i+1].s]
			if (gap == ". " || gap == " ") && (isNameWord(ws[i+1]) || ws[i+1].cap && len(ws[i+1].lower) >= 2) {
				j := extend(i + 1)
				dst = append(dst, match.Match{Type: "PERSON", Detector: "pii", Start: ws[i+1].s, End: ws[j].e, Score: 0.85})
				i = j
				continue
			}
		}
		// "Faina D. Yefremova": capitalised word, initial, capitalised word.
		if w.cap && !w.upper && w.f&(fNotName|fStreetSuffix|fCountry|fCity|fOrg) == 0 && i+2 < len(ws) &&
			len(ws[i+1].lower) == 1 && ws[i+1].cap && text[w.e:ws[i+1].s] == " " && ws[i+1].e+2 <= ws[i+2].s &&
			text[ws[i+1].e:ws[i+2].s] == ". " && ws[i+2].cap && ws[i+2].f&(fNotName|fStreetSuffix|fOrg) == 0 {
			dst = append(dst, match.Match{Type: "PERSON", Detector: "pii", Start: w.s, End: ws[i+2].e, Score: 0.8})
			i += 2
			continue
		}
		// A capitalised word right after a naming phrase ("my name is", "called", "Dear").
		if w.cap && !w.upper && w.f&(fNotName|fStreetSuffix|fCountry|fCity|fOrg|fWeekday|fMonth) == 0 && namingContext(text, w.s) {
			j := extend(i)
			dst = append(dst, match.Match{Type: "PERSON", Detector: "pii", Start: w.s, End: ws[j].e, Score: 0.7})
			i = j
			continue
		}
		if !isNameWord(w) {
			// lower-case "first last" with both in the lexicons
			if !w.cap && w.f&fFirst != 0 && i+1 < len(ws) && text[w.e:ws[i+1].s] == " " && ws[i+1].f&fSurname != 0 && w.f&fNotName == 0 {
				dst = append(dst, match.Match{Type: "PERSON", Detector: "pii", Start: w.s, End: ws[i+1].e, Score: 0.6})
				i++
			}
			continue
		}
		first := w.f&fFirst != 0
		sur := w.f&fSurname != 0 || hasSuffix(w.lower, surnameSuffixes, 3)
		if !first && !sur {
			continue
		}
		j := extend(i)
		if j == i && w.f&fNRP != 0 {
			continue // a lone "French" / "English" is a nationality or a language
		}
		score := 0.55
		if j > i {
			score = 0.8
		} else if first {
			score = 0.6
		}
		// The word after the name must not make it a street or an organisation.
		if j+1 < len(ws) && (ws[j+1].f&fStreetSuffix != 0 || ws[j+1].f&fOrg != 0) && text[ws[j].e:ws[j+1].s] == " " {
			i = j + 1
			continue
		}
		dst = append(dst, match.Match{Type: "PERSON", Detector: "pii", Start: w.s, End: ws[j].e, Score: score})
		i = j
	}
	return dst
}

// namingPhrases precede a person's name (lower case, followed by one space).
var namingPhrases = []string{"name is", "called", "named", "dear", "hi", "hello", "i am", "i'm", "this is",
	"directed by", "written by", "assistant to", "speak to", "talk to", "ask", "meet", "contact", "under", "regards,", "thanks,"}

// namingContext reports whether a naming phrase ends right before s.
func namingContext(text string, s int) bool {
	if s < 3 || text[s-1] != ' ' {
		return false
	}
	before := text[max(0, s-16) : s-1]
	for _, p := range namingPhrases {
		if len(before) >= len(p) && strings.EqualFold(before[len(before)-len(p):], p) {
			k := len(before) - len(p)
			if k == 0 || !match.IsAlnum(before[k-1]) {
				return true
			}
		}
	}
	return false
}

const orgWordsList = `inc llc ltd corp corporation company co group bank university college school hospital
foundation institute associates partners holdings gmbh ag sa plc bv oy ab as`

// scanOrgs reports organisation names of two shapes: capitalised words
// before an organisation word ("Acme Holdings", "Smith Ltd", "Deutsche
// Bank") and "Barnett & Sons" / "Barnett and Co". Lists of bare surnames
// ("Jones, Smith and Davis") stay PERSON: they name people as often as firms.
func scanOrgs(text string, ws []word, dst []match.Match) []match.Match {
	capWord := func(w word) bool {
		return (w.cap || w.upper) && w.f&(fNotName|fStreetSuffix|fCountry|fWeekday|fMonth|fUnit) == 0 && len(w.lower) >= 2
	}
	covered := -1
	for i := 0; i < len(ws); i++ {
		w := ws[i]
		if w.s < covered || !capWord(w) {
			continue
		}
		// "A and Sons" / "A & Co"
		if i+1 < len(ws) && (ws[i+1].lower == "sons" || ws[i+1].lower == "co") && ws[i+1].cap {
			if g := text[w.e:ws[i+1].s]; g == " and " || g == " & " {
				dst = append(dst, match.Match{Type: "ORGANIZATION", Detector: "pii", Start: w.s, End: ws[i+1].e, Score: 0.6})
				covered = ws[i+1].e
				i++
				continue
			}
		}
		// 1-3 capitalised words then an organisation word.
		j := i
		for j+1 < len(ws) && j-i < 3 && text[ws[j].e:ws[j+1].s] == " " && ws[j+1].f&fOrg == 0 && capWord(ws[j+1]) {
			j++
		}
		if j+1 < len(ws) && text[ws[j].e:ws[j+1].s] == " " && ws[j+1].f&fOrg != 0 && (ws[j+1].cap || ws[j+1].upper) {
			j++
			for j+1 < len(ws) && ws[j+1].f&fOrg != 0 && (ws[j+1].cap || ws[j+1].upper) && (text[ws[j].e:ws[j+1].s] == " " || text[ws[j].e:ws[j+1].s] == ", ") {
				j++ // "Acme Holdings Ltd", "Foo Group, Inc"
			}
			e := ws[j].e
			if e < len(text) && text[e] == '.' && len(ws[j].lower) <= 4 {
				e++ // "Ltd.", "Inc."
			}
			dst = append(dst, match.Match{Type: "ORGANIZATION", Detector: "pii", Start: w.s, End: e, Score: 0.6})
			covered = e
			i = j
		}
	}
	return dst
}

func scanLocations(text string, ws []word, dst []match.Match) []match.Match {
	for i := 0; i < len(ws); i++ {
		w := ws[i]
		if !(w.cap || w.upper) {
			continue
		}
		// Multi-word countries.
		found := false
		for _, ph := range countryPhrases {
			if w.f&fPhraseStart == 0 {
				break
			}
			if len(ph) > len(w.lower) && ph[len(w.lower)] == ' ' && strings.HasPrefix(ph, w.lower) && w.s+len(ph) <= len(text) && strings.EqualFold(text[w.s:w.s+len(ph)], ph) {
				e := w.s + len(ph)
				if e == len(text) || !match.IsAlnum(text[e]) {
					dst = append(dst, match.Match{Type: "LOCATION", Detector: "pii", Start: w.s, End: e, Score: 0.7})
					for i+1 < len(ws) && ws[i+1].s < e {
						i++
					}
					found = true
					break
				}
			}
		}
		if found {
			continue
		}
		if w.f&(fCountry|fCity) != 0 {
			dst = append(dst, match.Match{Type: "LOCATION", Detector: "pii", Start: w.s, End: w.e, Score: 0.65})
		}
	}
	return dst
}

// scanNRP reports nationality, religious and political group
// words ("Norwegian", "Buddhist", "Republicans"). A given name that is also
// one ("Christian Bale") loses to the longer PERSON match.
func scanNRP(text string, ws []word, dst []match.Match) []match.Match {
	for _, w := range ws {
		if w.f&fNRP != 0 && !languageUse(text, w) {
			sc := 0.6
			if !w.cap {
				sc = 0.55 // chat is often lower case: "i am cambodian"
			}
			dst = append(dst, match.Match{Type: "NRP", Detector: "pii", Start: w.s, End: w.e, Score: sc})
		}
	}
	return dst
}

// Words around a nationality word that make it a language ("answer in
// English", "translate into French", "Spanish translation"): a language
// is not a group of people, and masking it would break ordinary prompts.
var (
	langBefore = map[string]bool{"in": true, "into": true, "to": true, "from": true, "speak": true, "speaks": true,
		"speaking": true, "spoke": true, "study": true, "studying": true, "studied": true, "learn": true, "learning": true,
		"translate": true, "translated": true, "translating": true, "write": true, "written": true, "know": true,
		"knows": true, "fluent": true, "plain": true, "native": true, "read": true, "reads": true, "teach": true, "teaches": true}
	langAfter = map[string]bool{"translation": true, "translations": true, "language": true, "languages": true,
		"speaker": true, "speakers": true, "speaking": true, "version": true, "text": true, "word": true, "words": true,
		"subtitles": true, "grammar": true, "lessons": true, "course": true, "teacher": true, "dictionary": true}
)

func languageUse(text string, w word) bool {
	if langBefore[prevWord(text, w.s)] {
		return true
	}
	i := w.e
	for i < len(text) && text[i] == ' ' {
		i++
	}
	j := i
	for j < len(text) && j-i <= 16 && isASCIILetter(text[j]) {
		j++
	}
	return j > i && j-i <= 16 && langAfter[strings.ToLower(text[i:j])]
}

func isASCIILetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

// numberPrefix extends an address that starts with a house number over a
// second number right before it on the same line ("1987 74 Diakou Street":
// building and house number), so no digits of it are left unredacted.
func numberPrefix(text string, start int) int {
	if !match.IsDigit(text[start]) || start < 2 || text[start-1] != ' ' {
		return start
	}
	j := start - 1
	for j > 0 && match.IsDigit(text[j-1]) {
		j--
	}
	if j == start-1 || start-1-j > 6 || j > 0 && (match.IsAlnum(text[j-1]) || text[j-1] == '.' || text[j-1] == ',' || text[j-1] == '-' || text[j-1] == ':') {
		return start
	}
	// Not the last group of a number before it ("555 2671 221 Baker St").
	if j >= 2 && text[j-1] == ' ' && (match.IsDigit(text[j-2]) || text[j-2] == ')' || text[j-2] == '-') {
		return start
	}
	return j
}

// militaryUnitBefore extends the start of a "Box 1234" address back over a
// US military "PSC 1234, " / "CMR 123, " / "Unit 1234 " prefix on the same line.
func militaryUnitBefore(text string, p int) int {
	k := p
	for k > 0 && (text[k-1] == ' ' || text[k-1] == ',') {
		k--
	}
	j := k
	for j > 0 && match.IsDigit(text[j-1]) {
		j--
	}
	if j == k || k-j > 6 || j == 0 || text[j-1] != ' ' {
		return p
	}
	w := j - 1
	for w > 0 && isASCIILetter(text[w-1]) {
		w--
	}
	if w > 0 && match.IsAlnum(text[w-1]) {
		return p
	}
	switch strings.ToLower(text[w : j-1]) {
	case "psc", "cmr", "unit":
		return w
	}
	return p
}

// poBoxBefore extends the start of a "Box 287" address back over "P.O. " /
// "PO " and a house number before it ("0912 P.O. Box 287").
func poBoxBefore(text string, p int) int {
	k := p
	for k > 0 && text[k-1] == ' ' {
		k--
	}
	for _, pre := range []string{"P.O.", "p.o.", "PO", "P. O."} {
		if k >= len(pre) && text[k-len(pre):k] == pre && (k == len(pre) || !match.IsAlnum(text[k-len(pre)-1])) {
			s := k - len(pre)
			if hn := houseNumberBefore(text, s); hn >= 0 {
				s = hn
			}
			return s
		}
	}
	return p
}

// contactSegment reports whether an address continuation segment is a
// contact line instead: a "Label:" prefix, an e-mail, or a phone-like run of
// digits (9+ digits, or 7+ in three or more groups; postcodes are shorter).
func contactSegment(seg string) bool {
	if strings.ContainsAny(seg, ":@") || seg[0] == '+' || seg[0] == '(' {
		return true
	}
	digits, groups, in := 0, 0, false
	for i := 0; i < len(seg); i++ {
		if match.IsDigit(seg[i]) {
			digits++
			if !in {
				groups++
			}
			in = true
		} else {
			in = false
		}
	}
	return digits >= 9 || digits >= 7 && groups >= 3
}
