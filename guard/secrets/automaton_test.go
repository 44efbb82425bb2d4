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
