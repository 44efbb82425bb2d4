// Package match holds the span type shared by the guard detectors
// (guard/pii, guard/secrets, guard/orgpatterns) and small helpers for them.
package match

// Match is one detection in a text. Offsets are BYTE offsets into the scanned
// string (half-open); package guard converts them to code points.
type Match struct {
	Type     string  // entity type, e.g. EMAIL_ADDRESS
	Detector string  // detector family, e.g. pii, secrets
	Start    int     // byte offset, inclusive
	End      int     // byte offset, exclusive
	Score    float64 // 0..1
}

// IsWordByte reports whether c is an ASCII letter, digit or underscore.
func IsWordByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// IsAlnum reports whether c is an ASCII letter or digit.
func IsAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// IsDigit reports whether c is an ASCII digit.
func IsDigit(c byte) bool { return c >= '0' && c <= '9' }

// Lower returns the ASCII lower case of c.
func Lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 32
	}
	return c
}

// ContainsFoldNear reports whether any keyword (lower-case ASCII) occurs,
// case-insensitively, in text[start-window : end+window].
func ContainsFoldNear(text string, start, end, window int, keywords []string) bool {
	lo, hi := start-window, end+window
	if lo < 0 {
		lo = 0
	}
	if hi > len(text) {
		hi = len(text)
	}
	seg := text[lo:hi]
	for _, k := range keywords {
		if IndexFold(seg, k) >= 0 {
			return true
		}
	}
	return false
}

// IndexFold returns the index of the lower-case ASCII needle in s, compared
// case-insensitively for ASCII letters, or -1.
func IndexFold(s, needle string) int {
	n := len(needle)
	if n == 0 {
		return 0
	}
	first := needle[0]
	for i := 0; i+n <= len(s); i++ {
		if Lower(s[i]) != first {
			continue
		}
		j := 1
		for j < n && Lower(s[i+j]) == needle[j] {
			j++
		}
		if j == n {
			return i
		}
	}
	return -1
}
