package orgpatterns

import (
	"bufio"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"

	"github.com/aigis-dev/aigis/guard/match"
)

// EDM limits.
const (
	MaxEDMFileBytes = 256 << 20 // an index file
	MaxEDMValues    = 5_000_000 // values in one index
	maxEDMValueLen  = 512       // bytes of one normalized value
	edmHashBytes    = 16
)

// EDMIndex is a set of salted SHA-256 hashes of normalized sensitive values.
// It never holds plaintext. Matching hashes candidate n-grams of 1..MaxWords
// tokens of the inspected text.
type EDMIndex struct {
	salt     []byte
	maxWords int
	set      map[[edmHashBytes]byte]struct{}
}

// edmFile is the JSON form of an index.
type edmFile struct {
	Format   string   `json:"format"` // "aigis-edm/1"
	Salt     string   `json:"salt"`   // hex, random per file
	MaxWords int      `json:"max_words"`
	Count    int      `json:"count"`
	Hashes   []string `json:"hashes"` // hex of the first 16 bytes of SHA-256(salt || normalized value)
}

const edmFormat = "aigis-edm/1"

// NormalizeEDM normalizes a value for exact data match: Unicode lower case,
// tokens (runs of letters and digits, plus '@', '.', '_', '-', '+' inside a
// token) joined by single spaces.
func NormalizeEDM(v string) string {
	return strings.Join(edmTokens(v), " ")
}

func isEDMTokenRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || r == '@' || r == '_' || r == '-' || r == '+' || r == '.'
}

// edmTokens splits into tokens and trims leading/trailing '.', '-' (sentence
// punctuation) from each.
func edmTokens(v string) []string {
	var out []string
	for _, sp := range edmTokenSpans(v) {
		out = append(out, strings.ToLower(v[sp[0]:sp[1]]))
	}
	return out
}

func edmTokenSpans(v string) [][2]int {
	var out [][2]int
	start := -1
	flush := func(end int) {
		s, e := start, end
		for s < e && (v[s] == '.' || v[s] == '-') {
			s++
		}
		for e > s && (v[e-1] == '.' || v[e-1] == '-') {
			e--
		}
		if e > s {
			out = append(out, [2]int{s, e})
		}
		start = -1
	}
	for i, r := range v {
		if isEDMTokenRune(r) {
			if start < 0 {
				start = i
			}
		} else if start >= 0 {
			flush(i)
		}
	}
	if start >= 0 {
		flush(len(v))
	}
	return out
}

func (x *EDMIndex) hash(norm string) [edmHashBytes]byte {
	h := sha256.New()
	h.Write(x.salt)
	h.Write([]byte(norm))
	var out [edmHashBytes]byte
	copy(out[:], h.Sum(nil))
	return out
}

// BuildEDM reads one value per line from r and writes an index to w with a
// fresh random salt. Empty lines are skipped. It returns the number of
// distinct values indexed.
func BuildEDM(r io.Reader, w io.Writer) (int, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return 0, fmt.Errorf("edm: salt: %w", err)
	}
	x := &EDMIndex{salt: salt, set: map[[edmHashBytes]byte]struct{}{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		toks := edmTokens(sc.Text())
		if len(toks) == 0 {
			continue
		}
		norm := strings.Join(toks, " ")
		if len(norm) > maxEDMValueLen || len(toks) > maxTermWords {
			return 0, fmt.Errorf("edm: line %d: value longer than %d bytes or %d tokens", line, maxEDMValueLen, maxTermWords)
		}
		if len(x.set) >= MaxEDMValues {
			return 0, fmt.Errorf("edm: more than %d values; split the file", MaxEDMValues)
		}
		x.set[x.hash(norm)] = struct{}{}
		if len(toks) > x.maxWords {
			x.maxWords = len(toks)
		}
	}
	if err := sc.Err(); err != nil {
		return 0, fmt.Errorf("edm: read values (line %d): %w", line+1, err)
	}
	f := edmFile{Format: edmFormat, Salt: hex.EncodeToString(salt), MaxWords: x.maxWords, Count: len(x.set), Hashes: make([]string, 0, len(x.set))}
	for h := range x.set {
		f.Hashes = append(f.Hashes, hex.EncodeToString(h[:]))
	}
	enc := json.NewEncoder(w)
	if err := enc.Encode(f); err != nil {
		return 0, fmt.Errorf("edm: write index: %w", err)
	}
	return len(x.set), nil
}

// ParseEDM loads an index written by BuildEDM.
func ParseEDM(b []byte) (*EDMIndex, error) {
	if len(b) > MaxEDMFileBytes {
		return nil, fmt.Errorf("edm: index is %d bytes, over the %d byte limit", len(b), MaxEDMFileBytes)
	}
	var f edmFile
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("edm: decode index: %w", err)
	}
	if f.Format != edmFormat {
		return nil, fmt.Errorf("edm: format %q, want %q (rebuild with `aigis guard edm build`)", f.Format, edmFormat)
	}
	salt, err := hex.DecodeString(f.Salt)
	if err != nil || len(salt) < 8 {
		return nil, errors.New("edm: salt must be at least 8 hex-encoded bytes")
	}
	if f.MaxWords < 1 || f.MaxWords > maxTermWords {
		return nil, fmt.Errorf("edm: max_words %d: want 1..%d", f.MaxWords, maxTermWords)
	}
	if len(f.Hashes) > MaxEDMValues {
		return nil, fmt.Errorf("edm: %d hashes, over the %d limit", len(f.Hashes), MaxEDMValues)
	}
	x := &EDMIndex{salt: salt, maxWords: f.MaxWords, set: make(map[[edmHashBytes]byte]struct{}, len(f.Hashes))}
	for i, s := range f.Hashes {
		var h [edmHashBytes]byte
		if len(s) != 2*edmHashBytes {
			return nil, fmt.Errorf("edm: hash %d: want %d hex digits", i, 2*edmHashBytes)
		}
		if _, err := hex.Decode(h[:], []byte(s)); err != nil {
			return nil, fmt.Errorf("edm: hash %d: %w", i, err)
		}
		x.set[h] = struct{}{}
	}
	return x, nil
}

// Len returns the number of hashed values.
func (x *EDMIndex) Len() int { return len(x.set) }

// find hashes every n-gram of 1..maxWords tokens and reports the longest hit
// at each start.
func (x *EDMIndex) find(text, typ string, dst []match.Match) []match.Match {
	spans := edmTokenSpans(text)
	var buf []byte
	for i := 0; i < len(spans); i++ {
		best := -1
		buf = buf[:0]
		for k := 0; k < x.maxWords && i+k < len(spans); k++ {
			if k > 0 {
				buf = append(buf, ' ')
			}
			buf = append(buf, strings.ToLower(text[spans[i+k][0]:spans[i+k][1]])...)
			if len(buf) > maxEDMValueLen {
				break
			}
			if _, ok := x.set[x.hash(string(buf))]; ok {
				best = k
			}
		}
		if best >= 0 {
			dst = append(dst, match.Match{Type: typ, Detector: "edm", Start: spans[i][0], End: spans[i+best][1], Score: 1})
			i += best
		}
	}
	return dst
}
