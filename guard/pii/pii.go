// Package pii recognizes personal data in text without a model: patterns,
// checksums, context words and compact lexicons. Entity names follow
// Microsoft Presidio's (EMAIL_ADDRESS, CREDIT_CARD, PERSON, ...).
//
// Scores are 0..1: a validated checksum scores high; weak shapes (nine plain
// digits, a bare year) score low and need a context word nearby (+0.35) to
// pass a 0.5 threshold.
package pii

import "github.com/aigis-dev/aigis/guard/match"

// Options configure a Recognizer.
type Options struct {
	// Regions are phone-number region hints (ISO 3166 alpha-2); default
	// US, GB, DE, FR, ES, IT, NL, BE, CH, AT, SE, DK, NO, FI, PL, CZ, HU, IE,
	// PT, AU, NZ, CA, IN, BR, UY, EE, IS.
	Regions []string
	// NoNames disables the lexicon-based PERSON, STREET_ADDRESS and LOCATION recognizers.
	NoNames bool
}

// Recognizer is safe for concurrent use.
type Recognizer struct {
	regions []string
	names   bool
	lex     map[string]uint32 // lower-case word -> lexicon flags
	shapes  []uint64          // bitset of (length, first, last byte) of ASCII lexicon words
	shapes2 []uint64          // bitset of (length, second, second-to-last byte)
	words3  []uint64          // bitset of a 16-bit hash of the whole word (wordHash)
}

func shapeKey(n int, first, last byte) int {
	return (n&31)<<10 | int(first&31)<<5 | int(last&31)
}

func shapeKey2(w string) int {
	if len(w) < 2 {
		return shapeKey(len(w), w[0], w[0])
	}
	return shapeKey(len(w), w[1], w[len(w)-2])
}

// maybeWord reports whether a lower-case ASCII word could be in the lexicon
// (two shape bitsets and a hash bitset, checked before the map lookup).
func (r *Recognizer) maybeWord(w string) bool {
	k := shapeKey(len(w), w[0], w[len(w)-1])
	if r.shapes[k>>6]&(1<<(k&63)) == 0 {
		return false
	}
	k = shapeKey2(w)
	if r.shapes2[k>>6]&(1<<(k&63)) == 0 {
		return false
	}
	k = wordHash(w)
	return r.words3[k>>6]&(1<<(k&63)) != 0
}

// wordHash is a 16-bit FNV-1a hash of w, for the third maybeWord bitset
// (which rejects most prose words that pass the two shape sets, before
// the map lookup).
func wordHash(w string) int {
	h := uint32(2166136261)
	for i := 0; i < len(w); i++ {
		h ^= uint32(w[i])
		h *= 16777619
	}
	return int((h >> 16) ^ (h & 0xffff))
}

// DefaultRegions are the phone region hints used when Options.Regions is empty.
var defaultRegions = []string{"US", "GB", "DE", "FR", "ES", "IT", "NL", "BE", "CH", "AT", "SE", "DK", "NO", "FI", "PL", "CZ", "HU", "IE", "PT", "AU", "NZ", "CA", "IN", "BR", "UY", "EE", "IS"}

// New builds a Recognizer.
func New(o Options) *Recognizer {
	r := &Recognizer{regions: o.Regions, names: !o.NoNames, lex: buildLexicon(), shapes: make([]uint64, (32<<10)/64), shapes2: make([]uint64, (32<<10)/64), words3: make([]uint64, (64<<10)/64)}
	for w, f := range r.lex {
		if f&^(fNotName|fOrg|fTitle|fCountry|fCity|fPhraseStart) == 0 {
			continue // never kept in lower case
		}
		k := shapeKey(len(w), w[0], w[len(w)-1])
		r.shapes[k>>6] |= 1 << (k & 63)
		k = shapeKey2(w)
		r.shapes2[k>>6] |= 1 << (k & 63)
		k = wordHash(w)
		r.words3[k>>6] |= 1 << (k & 63)
	}
	if len(r.regions) == 0 {
		r.regions = defaultRegions
	}
	return r
}

// Find appends the matches in text to dst. Matches may overlap; the caller
// resolves overlaps.
func (r *Recognizer) Find(text string, dst []match.Match) []match.Match {
	// Each scanner below starts only at bytes of one class: skip the
	// scanners whose trigger bytes do not occur (candidate-free prose).
	f := byteFeatures(text)
	if f&tcNumStart != 0 {
		dst = r.scanNumeric(text, dst)
	}
	if f&tcSpecial != 0 {
		dst = r.scanTokens(text, dst)
	}
	if f&tcUpper != 0 {
		dst = r.scanGrouped(text, dst)
	}
	if r.names {
		dst = r.scanWords(text, dst)
	}
	return dst
}
