package orgpatterns

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/aigis-dev/aigis/guard/match"
)

// nextWordRef is the rune-by-rune definition nextWord's byte-class loop must match.
func nextWordRef(text string, i int) (int, int) {
	start := -1
	for i < len(text) {
		r, n := utf8.DecodeRuneInString(text[i:])
		c := text[i]
		isW := c < utf8.RuneSelf && (match.IsAlnum(c) || c == '_' || c == '-') || c >= utf8.RuneSelf && isWordRune(r)
		if isW && start < 0 {
			start = i
		} else if !isW && start >= 0 {
			return start, i
		}
		i += n
	}
	if start >= 0 {
		return start, len(text)
	}
	return -1, -1
}

func TestNextWordMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	parts := []string{"a", "Z", "9", "_", "-", " ", ".", "é", "’", "\xff", "日本", "\u0301", ",", "\n"}
	for iter := 0; iter < 2000; iter++ {
		var b strings.Builder
		for k := rng.IntN(30); k > 0; k-- {
			b.WriteString(parts[rng.IntN(len(parts))])
		}
		text := b.String()
		for e := 0; ; {
			s1, e1 := nextWord(text, e)
			s2, e2 := nextWordRef(text, e)
			if s1 != s2 || e1 != e2 {
				t.Fatalf("%q from %d: got (%d,%d), want (%d,%d)", text, e, s1, e1, s2, e2)
			}
			if s1 < 0 {
				break
			}
			e = e1
		}
	}
}

// TestDictionaryMatchesReference checks findTerms' inline word loop against a
// word-by-word reference built on nextWordRef.
func TestDictionaryMatchesReference(t *testing.T) {
	terms := []string{"Blue Falcon", "nightjar", "Ünïcode Term", "x-9"}
	m, err := New(Config{Dictionaries: []Dictionary{{Type: "P", Terms: terms}}})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(7, 8))
	parts := []string{"blue", "BLUE", "Falcon", "falcon", " ", "  ", "nightjar", "Nightjar", "ünïcode", "term", "x-9", "é", ".", ",", "\n", "日本", "a"}
	found := 0
	for iter := 0; iter < 3000; iter++ {
		var b strings.Builder
		for k := rng.IntN(16); k > 0; k-- {
			b.WriteString(parts[rng.IntN(len(parts))])
		}
		text := b.String()
		var want [][2]int
		for s, e := nextWordRef(text, 0); s >= 0; s, e = nextWordRef(text, e) {
			for _, term := range terms {
				ws := strings.Fields(term)
				if !strings.EqualFold(text[s:e], ws[0]) {
					continue
				}
				end, ok := e, true
				for _, w := range ws[1:] {
					ns, ne := nextWordRef(text, end)
					if ns < 0 || strings.Trim(text[end:ns], " \t\n\r") != "" || !strings.EqualFold(text[ns:ne], w) {
						ok = false
						break
					}
					end = ne
				}
				if ok {
					want = append(want, [2]int{s, end})
				}
			}
		}
		var got [][2]int
		for _, x := range m.Find(text, nil) {
			got = append(got, [2]int{x.Start, x.End})
		}
		if len(got) != len(want) {
			t.Fatalf("%q: got %v, want %v", text, got, want)
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("%q: got %v, want %v", text, got, want)
			}
		}
		found += len(got)
	}
	if found == 0 {
		t.Fatal("no dictionary hits generated")
	}
}
