package textnorm

import (
	"encoding/base64"
	"encoding/hex"
	"unicode/utf8"
)

// Payload kinds reported by DecodePayloads.
const (
	KindBase64 = "base64"
	KindHex    = "hex"
	KindURL    = "url"
)

// Payload is an embedded encoded run and its decoded text.
type Payload struct {
	Kind string
	Text string
}

// Limits bound payload decoding.
type Limits struct {
	MaxPayloads int // most payloads returned (default 8)
	MaxBytes    int // most decoded bytes in total (default 16 KiB)
	MinRun      int // shortest encoded run considered (default 16)
}

func (l Limits) withDefaults() Limits {
	if l.MaxPayloads <= 0 {
		l.MaxPayloads = 8
	}
	if l.MaxBytes <= 0 {
		l.MaxBytes = 16 << 10
	}
	if l.MinRun <= 0 {
		l.MinRun = 16
	}
	return l
}

// DecodePayloads finds base64, hex and percent-encoded runs in s and returns
// the decoded text of those that decode to readable text. Runs that decode to
// binary (hashes, images, keys) are ignored. Work is linear in len(s) and the
// output is bounded by lim.
func DecodePayloads(s string, lim Limits) []Payload {
	lim = lim.withDefaults()
	var out []Payload
	budget := lim.MaxBytes
	add := func(kind string, b []byte) bool {
		if len(b) > budget {
			b = b[:budget]
		}
		if !Readable(b) {
			return true
		}
		budget -= len(b)
		out = append(out, Payload{Kind: kind, Text: string(b)})
		return len(out) < lim.MaxPayloads && budget > 0
	}
	// base64 and hex runs.
	for i := 0; i < len(s); {
		if !isB64(s[i]) {
			i++
			continue
		}
		j := i
		for j < len(s) && isB64(s[j]) {
			j++
		}
		run := s[i:j]
		i = j
		if len(run) < lim.MinRun {
			continue
		}
		if allHex(run) {
			if len(run)%2 == 1 {
				run = run[:len(run)-1]
			}
			b, err := hex.DecodeString(run)
			if err == nil && !add(KindHex, b) {
				return out
			}
			continue
		}
		if b, ok := decodeB64(run); ok && !add(KindBase64, b) {
			return out
		}
	}
	// \xNN escaped hex.
	if b := unescapeHexEscapes(s, lim.MaxBytes); len(b) >= lim.MinRun/2 {
		if !add(KindHex, b) {
			return out
		}
	}
	// percent encoding.
	if b, n := percentDecode(s, lim.MaxBytes); n >= 3 {
		add(KindURL, b)
	}
	return out
}

func isB64(c byte) bool {
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '=' || c == '-' || c == '_'
}

func allHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) {
			return false
		}
	}
	return true
}

func decodeB64(run string) ([]byte, bool) {
	// Trim padding and pick the alphabet.
	for len(run) > 0 && run[len(run)-1] == '=' {
		run = run[:len(run)-1]
	}
	urlSafe := false
	hasUpper, hasLower := false, false
	for i := 0; i < len(run); i++ {
		switch c := run[i]; {
		case c == '-' || c == '_':
			urlSafe = true
		case c == '=':
			return nil, false // padding in the middle: not one payload
		case c >= 'A' && c <= 'Z':
			hasUpper = true
		case c >= 'a' && c <= 'z':
			hasLower = true
		}
	}
	if !hasUpper || !hasLower { // identifiers, paths and numbers are not base64 text
		return nil, false
	}
	if len(run)%4 == 1 {
		run = run[:len(run)-1]
	}
	enc := base64.RawStdEncoding
	if urlSafe {
		enc = base64.RawURLEncoding
	}
	b, err := enc.DecodeString(run)
	if err != nil {
		return nil, false
	}
	return b, true
}

func unescapeHexEscapes(s string, max int) []byte {
	var out []byte
	for i := 0; i+3 < len(s) && len(out) < max; i++ {
		if s[i] == '\\' && (s[i+1] == 'x' || s[i+1] == 'X') && isHexDigit(s[i+2]) && isHexDigit(s[i+3]) {
			out = append(out, unhex(s[i+2])<<4|unhex(s[i+3]))
			i += 3
		}
	}
	return out
}

func percentDecode(s string, max int) ([]byte, int) {
	n := 0
	for i := 0; i+2 < len(s); i++ {
		if s[i] == '%' && isHexDigit(s[i+1]) && isHexDigit(s[i+2]) {
			n++
		}
	}
	if n < 3 {
		return nil, n
	}
	out := make([]byte, 0, min(len(s), max))
	for i := 0; i < len(s) && len(out) < max; i++ {
		switch {
		case s[i] == '%' && i+2 < len(s) && isHexDigit(s[i+1]) && isHexDigit(s[i+2]):
			out = append(out, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
		case s[i] == '+':
			out = append(out, ' ')
		default:
			out = append(out, s[i])
		}
	}
	return out, n
}

func isHexDigit(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

// Readable reports whether b is valid UTF-8 text made mostly of letters,
// digits, spaces and punctuation, with at least one space-separated word pair.
func Readable(b []byte) bool {
	if len(b) < 4 || !utf8.Valid(b) {
		return false
	}
	var good, bad, spaces, letters int
	for _, c := range string(b) {
		switch {
		case c == ' ' || c == '\n' || c == '\t' || c == '\r':
			spaces++
			good++
		case c < 0x20 || c == 0x7f || c == utf8.RuneError:
			bad++
		case (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80:
			letters++
			good++
		default:
			good++
		}
	}
	total := good + bad
	return bad*20 <= total && letters*2 >= total && (spaces > 0 || total < 24)
}

// ROT13 returns s with ASCII letters rotated by 13.
func ROT13(s string) string {
	b := []byte(s)
	for i, c := range b {
		switch {
		case c >= 'a' && c <= 'z':
			b[i] = 'a' + (c-'a'+13)%26
		case c >= 'A' && c <= 'Z':
			b[i] = 'A' + (c-'A'+13)%26
		}
	}
	return string(b)
}

// Deleet maps common leetspeak digits and symbols inside words back to
// letters ("1gn0r3 4ll" -> "ignore all"). Tokens made only of digits are kept.
func Deleet(s string) string {
	b := []byte(s)
	for i := 0; i < len(b); i++ {
		c := b[i]
		r, ok := leet(c)
		if !ok {
			continue
		}
		// Replace only when a neighbour is a letter, so numbers stay numbers.
		prevLetter := i > 0 && isASCIILetter(b[i-1])
		nextLetter := i+1 < len(b) && (isASCIILetter(b[i+1]) || isLeetNext(b, i+1))
		if prevLetter || nextLetter {
			b[i] = r
		}
	}
	return string(b)
}

func isLeetNext(b []byte, i int) bool {
	// a leet symbol followed by a letter within two bytes ("1gn0r3").
	for k := i; k < len(b) && k < i+2; k++ {
		if isASCIILetter(b[k]) {
			return true
		}
		if _, ok := leet(b[k]); !ok {
			return false
		}
	}
	return false
}

func isASCIILetter(c byte) bool { return (c|0x20) >= 'a' && (c|0x20) <= 'z' }

func leet(c byte) (byte, bool) {
	switch c {
	case '0':
		return 'o', true
	case '1', '!', '|':
		return 'i', true
	case '3':
		return 'e', true
	case '4', '@':
		return 'a', true
	case '5', '$':
		return 's', true
	case '7':
		return 't', true
	case '8':
		return 'b', true
	case '9':
		return 'g', true
	}
	return 0, false
}

// HasLeet reports whether s has digits or symbols wedged between letters,
// the shape of leetspeak.
func HasLeet(s string) bool {
	n := 0
	for i := 1; i+1 < len(s); i++ {
		if _, ok := leet(s[i]); ok && s[i] != '!' && s[i] != '|' && isASCIILetter(s[i-1]) && isASCIILetter(s[i+1]) {
			n++
			if n >= 2 {
				return true
			}
		}
	}
	return false
}
