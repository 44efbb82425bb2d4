package pii

import (
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// TestWordScanSkipsLoseNothing: skipping the word recognizers whose trigger
// (a capitalised word, a month or weekday, a first name, an NRP word) no
// kept word has changes no finding. Texts mix lexicon words of every flag,
// in lower, title and upper case, with house numbers and punctuation; half
// are all lower case (where the skips apply).
func TestWordScanSkipsLoseNothing(t *testing.T) {
	fast := New(Options{})
	slow := New(Options{})
	slow.allWordScans = true
	lex := make([]string, 0, len(fast.lex))
	for w := range fast.lex {
		lex = append(lex, w)
	}
	sort.Strings(lex)
	rng := rand.New(rand.NewPCG(21, 22))
	other := []string{"the", "and", "of", "at", "on", "12", "541", "5th", "mr", "dr", ",", ".", "-", "'s", "\n"}
	total, lowerTexts, skipped := 0, 0, 0
	for iter := 0; iter < 4000; iter++ {
		lower := iter%2 == 0
		var b strings.Builder
		for k := 2 + rng.IntN(14); k > 0; k-- {
			w := other[rng.IntN(len(other))]
			if rng.IntN(3) > 0 {
				w = lex[rng.IntN(len(lex))]
			}
			if !lower {
				switch rng.IntN(3) {
				case 1:
					r, n := utf8.DecodeRuneInString(w)
					w = string(unicode.ToUpper(r)) + w[n:]
				case 2:
					w = strings.ToUpper(w)
				}
			}
			b.WriteString(w)
			if rng.IntN(4) > 0 {
				b.WriteByte(' ')
			}
		}
		text := b.String()
		if lower {
			lowerTexts++
			if _, sum := fast.splitWordsSummary(text, nil); !sum.anyCap && sum.flags&(fWeekday|fMonth|fFirst|fNRP) == 0 {
				skipped++
			}
		}
		got, want := fast.Find(text, nil), slow.Find(text, nil)
		total += len(want)
		if !slices.Equal(got, want) {
			t.Fatalf("%q:\nwith skips    %v\nwithout skips %v", text, got, want)
		}
	}
	if total < 2000 || skipped < 100 {
		t.Fatalf("only %d findings compared, %d of %d lower-case texts skip scans", total, skipped, lowerTexts)
	}
	t.Logf("%d findings compared; %d of %d lower-case texts skip scans", total, skipped, lowerTexts)
}

// FuzzWordScanSkips: on any text, Find with the word-scan skips equals Find
// without them.
func FuzzWordScanSkips(f *testing.F) {
	f.Add("maria lopez lives at 12 baker street in june")
	f.Add("the quick brown fox jumps over the lazy dog in the valley light")
	fast := New(Options{})
	slow := New(Options{})
	slow.allWordScans = true
	f.Fuzz(func(t *testing.T, text string) {
		if got, want := fast.Find(text, nil), slow.Find(text, nil); !slices.Equal(got, want) {
			t.Fatalf("%q: with skips %v, without %v", text, got, want)
		}
	})
}

// TestLowerFlagsMatchesMap: the open-addressing table answers as the
// bitsets, the lexicon map and keptLower did, for every lexicon word, its
// one-letter edits and random lower-case words.
func TestLowerFlagsMatchesMap(t *testing.T) {
	r := New(Options{})
	ref := func(w string) uint32 {
		if !r.maybeWord(w) || !keptLower(r.lex[w]) {
			return 0
		}
		return r.lex[w]
	}
	rng := rand.New(rand.NewPCG(31, 32))
	kept, n := 0, 0
	check := func(w string) {
		if w == "" {
			return
		}
		n++
		if got, want := r.lowerFlags(w), ref(w); got != want {
			t.Fatalf("%q: lowerFlags %x, map %x", w, got, want)
		} else if want != 0 {
			kept++
		}
	}
	for w := range r.lex {
		check(w)
		check(w[:len(w)-1])
		check(w + "s")
		b := []byte(w)
		b[rng.IntN(len(b))] = byte('a' + rng.IntN(26))
		check(string(b))
	}
	for range 50000 {
		b := make([]byte, 1+rng.IntN(12))
		for i := range b {
			b[i] = byte('a' + rng.IntN(26))
		}
		check(string(b))
	}
	if kept < 1000 {
		t.Fatalf("only %d kept words among %d checked", kept, n)
	}
}
