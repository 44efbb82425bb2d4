package pii

import (
	"math/rand"
	"strings"
	"testing"
)

// hasContextRef is the plain definition hasContext must agree with: a
// case-insensitive search of each keyword in the window, accepted at a word
// boundary of text.
func hasContextRef(text string, start, end int, kws []string) bool {
	lo := max(start-ctxBefore, 0)
	hi := min(end+ctxAfter, len(text))
	for _, k := range kws {
		if findWordFold(text, lo, start, k) || findWordFold(text, end, hi, k) {
			return true
		}
	}
	return false
}

func TestHasContextMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	pieces := []string{"phone", "Phone", "PHONE", "tel", "xtel", "Call", "social security", "SOCIAL  security", " ", " ", ", ",
		"-", "1", "42", "a", "é", "주민등록번호", "carta d'identità", "acct", "iban", "IBAN", "cell", "cellar", "(", "\n"}
	lists := [][]string{kwPhone, kwSSN, kwNotPhone, kwKRRRN, kwITID, kwBank}
	for n := 0; n < 20000; n++ {
		var b strings.Builder
		for k := rng.Intn(40); k > 0; k-- {
			b.WriteString(pieces[rng.Intn(len(pieces))])
		}
		text := b.String()
		if len(text) == 0 {
			continue
		}
		start := rng.Intn(len(text))
		end := start + rng.Intn(len(text)-start+1)
		kws := lists[rng.Intn(len(lists))]
		if got, want := hasContext(text, start, end, kws), hasContextRef(text, start, end, kws); got != want {
			t.Fatalf("hasContext(%q, %d, %d) = %v, reference %v", text, start, end, got, want)
		}
	}
}
