package secrets

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// TestScanHitsMatchesScan checks the two-cursor scan against the plain one on
// random texts dense with keywords, across the split point.
func TestScanHitsMatchesScan(t *testing.T) {
	kws := []string{"ey", "key", "api_key", "password", "secret", "token", "akia", "a"}
	a := newAutomaton(kws)
	rng := rand.New(rand.NewPCG(1, 2))
	parts := []string{"key", "KEY", "y", "e", "api_", "passw", "ord", "secret", " ", "toke", "n", "AKIA", "x", "\n", "é"}
	for iter := 0; iter < 300; iter++ {
		var b strings.Builder
		n := rng.IntN(900)
		for b.Len() < n {
			b.WriteString(parts[rng.IntN(len(parts))])
		}
		text := b.String()
		var want []hit
		a.scan(text, func(kw, end int) bool {
			want = append(want, hit{int32(kw), int32(end)})
			return true
		})
		got := a.scanHits(text, nil, 1<<20)
		// Same multiset; scanHits orders by end offset like scan.
		if !slices.Equal(got, want) {
			t.Fatalf("len %d: scanHits %d hits, scan %d hits\n%v\n%v", len(text), len(got), len(want), got, want)
		}
		if lim := len(want) / 2; lim > 0 {
			if got := a.scanHits(text, nil, lim); len(got) != lim {
				t.Fatalf("limit %d: got %d hits", lim, len(got))
			}
		}
	}
}

// TestScanHits4MatchesScan checks the four-cursor scan of long texts against
// the plain one: keywords straddling every quarter boundary, and the limit
// (the first limit hits of the plain scan).
func TestScanHits4MatchesScan(t *testing.T) {
	kws := []string{"ey", "key", "api_key", "password", "secret", "token", "akia", "a", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}
	a := newAutomaton(kws)
	rng := rand.New(rand.NewPCG(3, 4))
	parts := []string{"key", "KEY", "y", "e", "api_", "passw", "ord", "secret", " ", "toke", "n", "AKIA", "x", "xxxxxxxxxxxx", "\n", "é", "zzzzzzzzzzzzzzzzzzzz"}
	for iter := 0; iter < 200; iter++ {
		var b strings.Builder
		n := 4096 + rng.IntN(9000)
		for b.Len() < n {
			b.WriteString(parts[rng.IntN(len(parts))])
		}
		text := b.String()
		var want []hit
		a.scan(text, func(kw, end int) bool {
			want = append(want, hit{int32(kw), int32(end)})
			return true
		})
		prefix := []hit{{99, 99}}
		got := a.scanHits(text, slices.Clone(prefix), 1<<20)
		if !slices.Equal(got[:1], prefix) || !slices.Equal(got[1:], want) {
			t.Fatalf("len %d: scanHits %d hits, scan %d hits", len(text), len(got)-1, len(want))
		}
		for _, lim := range []int{1, len(want) / 3, len(want) - 1} {
			if lim <= 0 {
				continue
			}
			if got := a.scanHits(text, nil, lim); !slices.Equal(got, want[:lim]) {
				t.Fatalf("len %d limit %d: got %d hits, not the scan's first ones", len(text), lim, len(got))
			}
		}
	}
}

// TestOperatorPrefilterLosesNothing compares Find with and without the
// generic-api-key operator prefilter on texts mixing identifiers, operators,
// quotes and secret-like values.
func TestOperatorPrefilterLosesNothing(t *testing.T) {
	fast, err := New()
	if err != nil {
		t.Fatal(err)
	}
	slow, _ := New()
	found := false
	for i := range slow.rules {
		if slow.rules[i].id == "generic-api-key" {
			found = found || slow.rules[i].needsOperator
			slow.rules[i].needsOperator = false
		}
	}
	if !found {
		t.Fatal("generic-api-key rule has no operator prefilter (gitleaks pattern changed?)")
	}
	rng := rand.New(rand.NewPCG(5, 6))
	parts := []string{"api_key", "API", "Token", "auth", "my.access", "-key", "passwd", "secret", "creds", " ", "  ", "\t", "=", ":", "::=", " => ", "||", "?=", ",", ">", "\"", "'", "`", ";", "\n",
		"Zx9Qw7Lm2Np4Rt6Vb8", "aB3dE5gH7jK9mN1pQ", "the", "value", "/", "+", "==", "@", "(", "x", "${", "}", "$", "ſ", "K"}
	n := 0
	for iter := 0; iter < 4000; iter++ {
		var b strings.Builder
		for k := 3 + rng.IntN(14); k > 0; k-- {
			b.WriteString(parts[rng.IntN(len(parts))])
		}
		text := b.String()
		got, want := fast.Find(text, nil), slow.Find(text, nil)
		n += len(want)
		if !slices.Equal(got, want) {
			t.Fatalf("%q:\nwith prefilter    %v\nwithout prefilter %v", text, got, want)
		}
	}
	if n == 0 {
		t.Fatal("generated texts produced no findings: the test exercises nothing")
	}
	t.Logf("%d findings compared", n)
}

// TestKeywordFloodDoesNotHideLaterSecret: 300,000 hits of one keyword before
// a secret of another rule.
func TestKeywordFloodDoesNotHideLaterSecret(t *testing.T) {
	s, err := New()
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Repeat("key ", 300000) + "\naws AKIAIOSFODNN7EXAMPLF\n"
	ms := s.Find(text, nil)
	for _, m := range ms {
		if m.Detector == "gitleaks:aws-access-token" && text[m.Start:m.End] == "AKIAIOSFODNN7EXAMPLF" {
			return
		}
	}
	t.Fatalf("AWS key after a keyword flood not found: %v", ms)
}

// FuzzScanHits: on any text (repeated to reach the four-cursor length), the
// interleaved keyword scan reports exactly the plain scan's hits.
func FuzzScanHits(f *testing.F) {
	f.Add("api_key=AKIA secret token", uint16(300))
	f.Add("ey", uint16(4100))
	a := newAutomaton([]string{"ey", "key", "api_key", "password", "secret", "token", "akia", "a", "xxxxxxxxxxxxxxxx"})
	f.Fuzz(func(t *testing.T, s string, n uint16) {
		if s == "" {
			return
		}
		m := int(n) % 9000
		text := strings.Repeat(s, m/len(s)+1)[:m]
		var want []hit
		a.scan(text, func(kw, end int) bool {
			want = append(want, hit{int32(kw), int32(end)})
			return true
		})
		if got := a.scanHits(text, nil, 1<<20); !slices.Equal(got, want) {
			t.Fatalf("len %d: scanHits %d hits, scan %d", len(text), len(got), len(want))
		}
	})
}
