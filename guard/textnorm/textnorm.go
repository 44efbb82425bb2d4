// Package textnorm folds text into a canonical form for detection: Unicode
// NFKC, confusable (homoglyph) folding inside mixed-script words, removal of
// invisible and bidirectional control characters, and decoding of Unicode tag
// characters (U+E0000 block), which attackers use to smuggle ASCII past human
// reviewers. Everything that was removed or rewritten is counted in a Report so
// that callers can explain a verdict.
//
// Plain printable ASCII takes a fast path that returns the input unchanged and
// allocates nothing.
package textnorm

import (
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// MaxTagBytes bounds how many decoded tag characters a Report keeps.
const MaxTagBytes = 4096

// Script classes counted in a Report.
const (
	ScriptLatin = iota
	ScriptCyrillic
	ScriptGreek
	ScriptArabic
	ScriptHebrew
	ScriptDevanagari
	ScriptHan
	ScriptKana
	ScriptHangul
	ScriptThai
	ScriptOther
	NumScripts
)

// Report says what normalization changed.
type Report struct {
	Invisible   int    // zero-width and other invisible format characters removed
	Bidi        int    // bidirectional controls removed
	TagChars    int    // Unicode tag characters removed (outside emoji flag sequences)
	Tags        string // the ASCII the tag characters spelled (bounded by MaxTagBytes)
	Confusables int    // homoglyphs folded to ASCII inside mixed-script words
	MixedWords  int    // words mixing Latin with another script's letters
	NFKC        bool   // NFKC changed the text (fullwidth, math alphanumerics, ligatures...)
	Letters     [NumScripts]int
}

// Suspicious reports whether the text carried hidden or disguised content.
func (r *Report) Suspicious() bool {
	return r.Invisible > 0 || r.Bidi > 0 || r.TagChars > 0 || r.Confusables > 0
}

// IsPlainASCII reports whether s holds only printable ASCII, tab, CR and LF.
func IsPlainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x7f || (c < 0x20 && c != '\n' && c != '\r' && c != '\t') {
			return false
		}
	}
	return true
}

// Normalize returns the canonical form of s and what changed. Invalid UTF-8
// bytes become U+FFFD. Letter counts per script are only filled for non-ASCII
// input (plain ASCII is all Latin by definition; see CountASCIILetters).
func Normalize(s string) (string, Report) {
	var r Report
	if IsPlainASCII(s) {
		return s, r
	}
	b := AppendNormalized(make([]byte, 0, len(s)), s, &r)
	return string(b), r
}

// AppendNormalized appends the canonical form of s to dst and fills r. It is
// the allocation-free core of Normalize when dst has room.
func AppendNormalized(dst []byte, s string, r *Report) []byte {
	if IsPlainASCII(s) {
		return append(dst, s...)
	}
	if !norm.NFKC.IsNormalString(s) {
		n := norm.NFKC.String(s)
		if n != s {
			r.NFKC = true
		}
		s = n
	}
	var (
		word       [64]rune // current word, for mixed-script folding
		wn         int
		wordLatin  bool
		wordOther  bool // letters of a confusable script in this word
		wordConfus int
		prevFlag   bool // inside an emoji tag sequence (U+1F3F4 ...)
		tags       []byte
	)
	flush := func() {
		fold := wordLatin && wordOther && wordConfus > 0
		if wordLatin && wordOther {
			r.MixedWords++
		}
		for i := 0; i < wn; i++ {
			c := word[i]
			if fold {
				if a, ok := confusable(c); ok {
					dst = append(dst, a)
					r.Confusables++
					continue
				}
			}
			dst = utf8.AppendRune(dst, c)
		}
		wn, wordLatin, wordOther, wordConfus = 0, false, false, 0
	}
	// joinerHeld: a ZWNJ/ZWJ just followed an Arabic-script or Indic
	// letter; it is ordinary spelling only if such a letter follows too, so
	// it is counted or forgiven when the next character arrives.
	joinerHeld := false
	for _, c := range s {
		if joinerHeld && c != 0x200C && c != 0x200D {
			joinerHeld = false
			if !joinerScript(c) {
				r.Invisible++
			}
		}
		switch {
		case c >= 0xE0000 && c <= 0xE007F: // tag characters
			if prevFlag { // emoji subdivision flags: black flag + tags + cancel tag
				if c == 0xE007F {
					prevFlag = false
				}
				continue
			}
			r.TagChars++
			if c >= 0xE0020 && c <= 0xE007E && len(tags) < MaxTagBytes {
				tags = append(tags, byte(c-0xE0000))
			}
			continue
		case isBidi(c):
			r.Bidi++
			continue
		case isInvisible(c):
			switch {
			case c == 0x200D && emojiNeighbour(dst, wn): // ZWJ inside emoji sequences is legitimate
			case joinerHeld:
				// a second joiner in a row is never spelling: count both
				joinerHeld = false
				r.Invisible += 2
			case (c == 0x200C || c == 0x200D) && joinerScript(lastRune(dst, word[:wn])):
				// one ZWNJ/ZWJ between two Arabic-script or Indic letters
				// is ordinary spelling (Persian "می‌خواهم", Hindi, Bengali)
				joinerHeld = true
			default:
				r.Invisible++
			}
			continue
		case c >= 0xFE00 && c <= 0xFE0F: // variation selectors (emoji presentation)
			continue
		case c >= 0xE0100 && c <= 0xE01EF: // supplementary variation selectors: no text use, a smuggling channel
			r.Invisible++
			continue
		}
		prevFlag = c == 0x1F3F4
		if unicode.IsLetter(c) || unicode.IsMark(c) || unicode.IsDigit(c) {
			sc := scriptOf(c)
			if unicode.IsLetter(c) {
				r.Letters[sc]++
			}
			switch {
			case sc == ScriptLatin:
				wordLatin = true
			case sc == ScriptCyrillic || sc == ScriptGreek || c == 'օ' || c == 'ս' || c == 'ց' || c == 'հ':
				wordOther = true
			}
			if _, ok := confusable(c); ok {
				wordConfus++
			}
			if wn == len(word) { // very long word: flush without folding decisions lost
				flush()
			}
			word[wn] = c
			wn++
			continue
		}
		if wn > 0 {
			flush()
		}
		dst = utf8.AppendRune(dst, c)
	}
	if joinerHeld { // a joiner at the end of the text joins nothing
		r.Invisible++
	}
	if wn > 0 {
		flush()
	}
	if len(tags) > 0 {
		r.Tags = string(tags)
	}
	return dst
}

func emojiNeighbour(dst []byte, wn int) bool {
	if wn > 0 || len(dst) == 0 {
		return false
	}
	c, _ := utf8.DecodeLastRune(dst)
	return c >= 0x1F000 || (c >= 0x2600 && c <= 0x27BF)
}

func isBidi(c rune) bool {
	return (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069) || c == 0x200E || c == 0x200F || c == 0x061C
}

// lastRune is the rune before the current position: the last of the word
// being collected, or else the last one written.
func lastRune(dst []byte, word []rune) rune {
	if len(word) > 0 {
		return word[len(word)-1]
	}
	c, _ := utf8.DecodeLastRune(dst)
	return c
}

// joinerScript reports whether c is a letter or mark of a script whose
// ordinary spelling uses zero-width (non-)joiners: Arabic script (Persian,
// Urdu, Kurdish…) and the Indic scripts.
func joinerScript(c rune) bool {
	switch {
	case c >= 0x0600 && c <= 0x06FF, c >= 0x0750 && c <= 0x077F, c >= 0x08A0 && c <= 0x08FF,
		c >= 0xFB50 && c <= 0xFDFF, c >= 0xFE70 && c <= 0xFEFC:
		return unicode.IsLetter(c) || unicode.IsMark(c)
	case c >= 0x0900 && c <= 0x0DFF: // Devanagari … Sinhala
		return unicode.IsLetter(c) || unicode.IsMark(c)
	}
	return false
}

func isInvisible(c rune) bool {
	switch c {
	case 0x200B, 0x200C, 0x200D, 0x2060, 0x2061, 0x2062, 0x2063, 0x2064, 0xFEFF, 0x180E, 0x00AD,
		0x034F, 0x115F, 0x1160, 0x3164, 0xFFA0, 0x17B4, 0x17B5:
		return true
	}
	return false
}

func scriptOf(c rune) int {
	switch {
	case c >= 0x400 && c <= 0x52F:
		return ScriptCyrillic
	case c >= 0x370 && c <= 0x3FF:
		return ScriptGreek
	case c >= 0x4E00 && c <= 0x9FFF:
		return ScriptHan
	case c >= 0x3040 && c <= 0x30FF:
		return ScriptKana
	case c >= 0xAC00 && c <= 0xD7AF:
		return ScriptHangul
	case c >= 0x600 && c <= 0x6FF:
		return ScriptArabic
	case c >= 0x900 && c <= 0x97F:
		return ScriptDevanagari
	case c < 0x250:
		if c < 0x80 || unicode.Is(unicode.Latin, c) {
			return ScriptLatin
		}
	case unicode.Is(unicode.Cyrillic, c):
		return ScriptCyrillic
	case unicode.Is(unicode.Greek, c):
		return ScriptGreek
	case unicode.Is(unicode.Arabic, c):
		return ScriptArabic
	case unicode.Is(unicode.Hebrew, c):
		return ScriptHebrew
	case unicode.Is(unicode.Devanagari, c):
		return ScriptDevanagari
	case unicode.Is(unicode.Han, c):
		return ScriptHan
	case unicode.Is(unicode.Hiragana, c) || unicode.Is(unicode.Katakana, c):
		return ScriptKana
	case unicode.Is(unicode.Hangul, c):
		return ScriptHangul
	case unicode.Is(unicode.Thai, c):
		return ScriptThai
	case unicode.Is(unicode.Latin, c):
		return ScriptLatin
	}
	return ScriptOther
}

// confusable maps a letter that looks like an ASCII letter to that letter.
func confusable(c rune) (byte, bool) {
	if c < 0x370 {
		switch c {
		case 'ı':
			return 'i', true
		case 'ȷ':
			return 'j', true
		}
		return 0, false
	}
	lo, hi := 0, len(confusables)
	for lo < hi {
		m := (lo + hi) / 2
		switch {
		case confusables[m].r == c:
			return confusables[m].a, true
		case confusables[m].r < c:
			lo = m + 1
		default:
			hi = m
		}
	}
	return 0, false
}

// confusables is a compact homoglyph table, sorted by rune: Cyrillic, Greek,
// Armenian and letterlike symbols that render like ASCII letters. Fullwidth
// forms and mathematical alphanumerics are handled by NFKC before it applies.
var confusables = [...]struct {
	r rune
	a byte
}{
	{0x0391, 'A'}, {0x0392, 'B'}, {0x0395, 'E'}, {0x0396, 'Z'}, {0x0397, 'H'}, {0x0399, 'I'},
	{0x039A, 'K'}, {0x039C, 'M'}, {0x039D, 'N'}, {0x039F, 'O'}, {0x03A1, 'P'}, {0x03A4, 'T'},
	{0x03A5, 'Y'}, {0x03A7, 'X'}, {0x03B1, 'a'}, {0x03B2, 'B'}, {0x03B3, 'y'}, {0x03B5, 'e'},
	{0x03B9, 'i'}, {0x03BA, 'k'}, {0x03BD, 'v'}, {0x03BF, 'o'}, {0x03C1, 'p'}, {0x03C4, 't'},
	{0x03C5, 'u'}, {0x03C7, 'x'}, {0x03F2, 'c'}, {0x03F3, 'j'}, {0x0405, 'S'}, {0x0406, 'I'},
	{0x0408, 'J'}, {0x0410, 'A'}, {0x0412, 'B'}, {0x0415, 'E'}, {0x041A, 'K'}, {0x041C, 'M'},
	{0x041D, 'H'}, {0x041E, 'O'}, {0x0420, 'P'}, {0x0421, 'C'}, {0x0422, 'T'}, {0x0423, 'Y'},
	{0x0425, 'X'}, {0x0430, 'a'}, {0x0432, 'b'}, {0x0435, 'e'}, {0x043A, 'k'}, {0x043C, 'm'},
	{0x043D, 'h'}, {0x043E, 'o'}, {0x0440, 'p'}, {0x0441, 'c'}, {0x0442, 't'}, {0x0443, 'y'},
	{0x0445, 'x'}, {0x0455, 's'}, {0x0456, 'i'}, {0x0458, 'j'}, {0x0475, 'v'}, {0x0491, 'r'},
	{0x04AE, 'Y'}, {0x04BB, 'h'}, {0x04C0, 'I'}, {0x04CF, 'l'}, {0x0501, 'd'}, {0x050C, 'G'},
	{0x050D, 'g'}, {0x051A, 'Q'}, {0x051B, 'q'}, {0x051C, 'W'}, {0x051D, 'w'}, {0x0566, 'q'},
	{0x0570, 'h'}, {0x0578, 'n'}, {0x057D, 'u'}, {0x0581, 'g'}, {0x0585, 'o'}, {0x210A, 'g'},
	{0x2113, 'l'}, {0x212F, 'e'}, {0x2134, 'o'},
}
