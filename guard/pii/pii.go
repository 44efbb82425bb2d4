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
	// lowTab is an open-addressing table (linear probing, indexed by the
	// FNV-1a hash of wordHash) of the lexicon words that matter in lower
	// case, the words the three bitsets are built from: lowerFlags answers
	// from it instead of the map (the map lookup, with its own hash, was a
	// tenth of the word pass on prose).
	lowTab  []lexSlot
	lowMask uint32
	// allWordScans runs every word recognizer even where the words' summary
	// shows it can find nothing (for the differential test of that skip).
	allWordScans bool
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
// (two shape bitsets and a hash bitset, checked before the map lookup): the
// filter lowerFlags applies, kept as its reference in TestLowerFlagsMatchesMap.
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
	return foldHash(fnv32(w))
}

func fnv32(w string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(w); i++ {
		h ^= uint32(w[i])
		h *= 16777619
	}
	return h
}

func foldHash(h uint32) int { return int((h >> 16) ^ (h & 0xffff)) }

type lexSlot struct {
	w string
	f uint32
}

// keptLower reports whether a word with lexicon flags f matters to a
// recognizer when written in lower case.
func keptLower(f uint32) bool {
	return f&^(fNotName|fOrg|fTitle|fCountry|fCity|fPhraseStart) != 0
}

// lowerFlags returns the lexicon flags of a lower-case ASCII word when they
// matter in lower case (keptLower), else 0: the same answer as checking
// maybeWord, then the map, then keptLower.
func (r *Recognizer) lowerFlags(w string) uint32 {
	k := shapeKey(len(w), w[0], w[len(w)-1])
	if r.shapes[k>>6]&(1<<(k&63)) == 0 {
		return 0
	}
	k = shapeKey2(w)
	if r.shapes2[k>>6]&(1<<(k&63)) == 0 {
		return 0
	}
	h := fnv32(w)
	k = foldHash(h)
	if r.words3[k>>6]&(1<<(k&63)) == 0 {
		return 0
	}
	for i := h & r.lowMask; ; i = (i + 1) & r.lowMask {
		sl := &r.lowTab[i]
		if sl.w == w {
			return sl.f
		}
		if sl.w == "" {
			return 0
		}
	}
}

// DefaultRegions are the phone region hints used when Options.Regions is empty.
var defaultRegions = []string{"US", "GB", "DE", "FR", "ES", "IT", "NL", "BE", "CH", "AT", "SE", "DK", "NO", "FI", "PL", "CZ", "HU", "IE", "PT", "AU", "NZ", "CA", "IN", "BR", "UY", "EE", "IS"}

// New builds a Recognizer.
func New(o Options) *Recognizer {
	r := &Recognizer{regions: o.Regions, names: !o.NoNames, lex: buildLexicon(), shapes: make([]uint64, (32<<10)/64), shapes2: make([]uint64, (32<<10)/64), words3: make([]uint64, (64<<10)/64)}
	n := 0
	for _, f := range r.lex {
		if keptLower(f) {
			n++
		}
	}
	size := 16
	for size < 2*n {
		size *= 2
	}
	r.lowTab, r.lowMask = make([]lexSlot, size), uint32(size-1)
	for w, f := range r.lex {
		if !keptLower(f) || w == "" {
			continue // never kept in lower case
		}
		i := fnv32(w) & r.lowMask
		for r.lowTab[i].w != "" {
			i = (i + 1) & r.lowMask
		}
		r.lowTab[i] = lexSlot{w, f}
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
