package orgpatterns

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// TestClassPrefixLosesNothing: rule matches with the fixed-width head check
// equal those without it, on random texts built from digits, letters,
// separators and non-ASCII runes, for patterns with literal, class,
// repeated and case-folded heads.
func TestClassPrefixLosesNothing(t *testing.T) {
	patterns := []string{
		`\b\d{4}-\d{4}-\d{4}\b`, `\b[A-Z]{2}\d{6}\b`, `(?i)\b[a-c]x-\d{3}`, `\d{3}[ .-]?\d{2}`, `(?i)ks\d{2}`,
		`(?i)\bab[0-9]{2}\b`, `[0-9a-f]{8}`, `\bE\d{6}\b`, `\b(?:\d{2}/){2}\d{4}\b`, `é\d{2}`,
	}
	rnd := rand.New(rand.NewPCG(8, 9))
	parts := []string{"1", "23", "4567", "-", " ", ".", "/", "A", "Bx", "ab", "AB", "K", "ks", "é", "x", "\n", "E", "c", "f0"}
	n, checked := 0, 0
	for _, p := range patterns {
		m, err := New(Config{Rules: []Rule{{Type: "T", Pattern: p}}})
		if err != nil {
			t.Fatal(err)
		}
		r := &m.rules[0]
		if r.first == nil {
			continue // literal-prefix or unanchored path: no head check
		}
		if len(r.classes) >= 2 {
			checked++
		}
		plain := *r
		plain.classes = nil
		n += compareOnRandomTexts(t, rnd, parts, 3000, 20, r, &plain, "head check")
	}
	if n < 500 || checked < 6 {
		t.Fatalf("only %d matches compared over %d patterns", n, checked)
	}
	t.Logf("%d patterns with a head of 2+ classes, %d matches compared", checked, n)
	if got := len(classPrefix(`\b\d{4}-\d{4}`)); got != 9 {
		t.Fatalf("classPrefix(\\d{4}-\\d{4}) has %d classes, want 9", got)
	}
	if got := len(classPrefix(`(?i)ks\d`)); got != 0 {
		t.Fatalf("case-folded k must stop the head, got %d classes", got)
	}
}

// TestFirstByteSkipLosesNothing: rule matches with the eight-byte block skip
// over bytes that cannot start a match equal those of the byte-by-byte loop,
// on texts with long runs of other bytes and first bytes at every offset.
func TestFirstByteSkipLosesNothing(t *testing.T) {
	patterns := []string{
		`\b\d{4}-\d{4}-\d{4}\b`, `\b[A-Z]{2}\d{6}\b`, `(?i)\b[a-c]x-\d{3}`, `\d{3}[ .-]?\d{2}`, `[0-9a-f]{8}`,
	}
	rnd := rand.New(rand.NewPCG(10, 11))
	parts := []string{"1", "23", "4567", "1234-5678-9012", "-", " ", ".", "A", "Bx", "ab", "AB", "E123456", "é", "x", "\n",
		"the quick brown fox ", "zzzzzzzzzzzzzzzzz", "qqqqqqq", "bx-123", "f0"}
	n, skipped := 0, 0
	for _, p := range patterns {
		m, err := New(Config{Rules: []Rule{{Type: "T", Pattern: p}}})
		if err != nil {
			t.Fatal(err)
		}
		r := &m.rules[0]
		if r.firstSkip == nil {
			t.Fatalf("%s: no first-byte prefilter", p)
		}
		skipped++
		plain := *r
		plain.firstSkip = nil
		n += compareOnRandomTexts(t, rnd, parts, 2000, 30, r, &plain, "block skip")
	}
	if n < 1000 {
		t.Fatalf("only %d matches compared over %d patterns", n, skipped)
	}
}

// TestFoldedFirstByteKeepsNonASCIIFolds: under (?i) a leading k or s also
// matches K (U+212A) or ſ (U+017F), so such a pattern gets no first-byte
// prefilter and still matches there, as the regex does (without a leading
// \b, which is an ASCII word boundary and never holds before K or ſ).
func TestFoldedFirstByteKeepsNonASCIIFolds(t *testing.T) {
	for _, tc := range []struct{ pattern, text, want string }{
		{`(?i)key-\d{3}\b`, "id \u212aey-123 here", "\u212aey-123"},
		{`(?i)sku\d{4}\b`, "item \u017fku1234.", "\u017fku1234"},
		{`(?i)\bkey-\d{3}\b`, "id KEY-123 here", "KEY-123"},
	} {
		m, err := New(Config{Rules: []Rule{{Type: "T", Pattern: tc.pattern}}})
		if err != nil {
			t.Fatal(err)
		}
		ms := m.Find(tc.text, nil)
		if len(ms) != 1 || tc.text[ms[0].Start:ms[0].End] != tc.want {
			t.Fatalf("%s on %q: %v, want %q", tc.pattern, tc.text, ms, tc.want)
		}
	}
}

// FuzzFirstByteSkip: on any text, a first-byte rule finds the same matches
// with the block skip as with the byte-by-byte loop.
func FuzzFirstByteSkip(f *testing.F) {
	f.Add("the quick brown fox 1234-5678-9012 jumps", uint8(0))
	f.Add("zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz AB123456 zz", uint8(1))
	patterns := []string{`\b\d{4}-\d{4}-\d{4}\b`, `\b[A-Z]{2}\d{6}\b`, `(?i)\b[a-c]x-\d{3}`, `\d{3}[ .-]?\d{2}`}
	var rules []*rule
	for _, p := range patterns {
		m, err := New(Config{Rules: []Rule{{Type: "T", Pattern: p}}})
		if err != nil {
			f.Fatal(err)
		}
		if m.rules[0].firstSkip == nil {
			f.Fatalf("%s: no first-byte prefilter", p)
		}
		rules = append(rules, &m.rules[0])
	}
	f.Fuzz(func(t *testing.T, text string, which uint8) {
		r := rules[int(which)%len(rules)]
		plain := *r
		plain.firstSkip = nil
		if got, want := r.find(text), plain.find(text); !slices.EqualFunc(got, want, slices.Equal) {
			t.Fatalf("%q: with block skip %v, without %v", text, got, want)
		}
	})
}

// compareOnRandomTexts runs rule r (with a shortcut) and plain (without it)
// on rounds texts of 1..maxParts random parts, fails on the first
// difference, and returns how many matches were compared.
func compareOnRandomTexts(t *testing.T, rnd *rand.Rand, parts []string, rounds, maxParts int, r, plain *rule, what string) int {
	t.Helper()
	n := 0
	for range rounds {
		var b strings.Builder
		for k := 1 + rnd.IntN(maxParts); k > 0; k-- {
			b.WriteString(parts[rnd.IntN(len(parts))])
		}
		text := b.String()
		got, want := r.find(text), plain.find(text)
		n += len(want)
		if !slices.EqualFunc(got, want, slices.Equal) {
			t.Fatalf("%s on %q: with %s %v, without %v", r.re, text, what, got, want)
		}
	}
	return n
}
