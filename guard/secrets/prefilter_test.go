package secrets

import (
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
	"testing"
	"unicode"
)

// allRegexes returns every regex the scanner runs with a prefilter or a
// split alternation: rule regexes (and anchored forms) and allowlist regexes.
type checkedRegex struct {
	re    *regexp.Regexp
	pre   *prefilter
	split *altMatcher
	shape func(string) bool
}

func allChecked(t testing.TB) []checkedRegex {
	s, err := New()
	if err != nil {
		t.Fatal(err)
	}
	var out []checkedRegex
	add := func(lists []allowlist) {
		for _, a := range lists {
			for i, x := range a.regexes {
				out = append(out, checkedRegex{re: x, pre: a.pre[i], split: a.split[i]})
			}
		}
	}
	add(s.global)
	for _, r := range s.rules {
		out = append(out, checkedRegex{re: r.re, pre: r.rePre, shape: r.shape})
		if r.anchored != nil {
			out = append(out, checkedRegex{re: r.anchored, pre: r.rePre})
		}
		add(r.allow)
	}
	return out
}

// gen returns a random string matched (mostly) by t.
func gen(t *syntax.Regexp, rnd *rand.Rand, b *strings.Builder) {
	reps := func(lo, hi int) int {
		if hi < 0 || hi > lo+3 {
			hi = lo + 3
		}
		return lo + rnd.IntN(hi-lo+1)
	}
	switch t.Op {
	case syntax.OpLiteral:
		for _, r := range t.Rune {
			if t.Flags&syntax.FoldCase != 0 && rnd.IntN(2) == 0 {
				if u := unicode.SimpleFold(r); u < 128 {
					r = u
				}
			}
			b.WriteRune(r)
		}
	case syntax.OpCharClass:
		if len(t.Rune) == 0 {
			return
		}
		i := 2 * rnd.IntN(len(t.Rune)/2)
		lo, hi := t.Rune[i], t.Rune[i+1]
		if lo < 128 && hi > 127 {
			hi = 127
		}
		if hi-lo > 1000 {
			hi = lo + 1000
		}
		b.WriteRune(lo + rune(rnd.IntN(int(hi-lo)+1)))
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		b.WriteByte(byte(' ' + rnd.IntN(95)))
	case syntax.OpCapture:
		gen(t.Sub[0], rnd, b)
	case syntax.OpStar, syntax.OpPlus, syntax.OpQuest, syntax.OpRepeat:
		lo, hi := 0, 3
		switch t.Op {
		case syntax.OpPlus:
			lo = 1
		case syntax.OpQuest:
			hi = 1
		case syntax.OpRepeat:
			lo, hi = t.Min, t.Max
		}
		for n := reps(lo, hi); n > 0; n-- {
			gen(t.Sub[0], rnd, b)
		}
	case syntax.OpConcat:
		for _, s := range t.Sub {
			gen(s, rnd, b)
		}
	case syntax.OpAlternate:
		gen(t.Sub[rnd.IntN(len(t.Sub))], rnd, b)
	}
}

const noise = "aZ09_-.=: \t\n\"'/+kKsS"

func randomText(rnd *rand.Rand, n int) string {
	var b strings.Builder
	for range n {
		b.WriteByte(noise[rnd.IntN(len(noise))])
	}
	return b.String()
}

func checkOne(t *testing.T, c checkedRegex, s string) {
	t.Helper()
	want := c.re.MatchString(s)
	if want && !c.pre.mayMatch(s) {
		t.Fatalf("prefilter rejects a match of %s on %q", c.re, s)
	}
	if want && c.shape != nil && !c.shape(s) {
		t.Fatalf("shape check rejects a match of %s on %q", c.re, s)
	}
	if c.split != nil {
		if got := c.split.MatchString(s); got != want {
			t.Fatalf("split %s on %q: %v, regex says %v", c.re, s, got, want)
		}
	}
}

// TestPrefilterNeverRejectsAMatch: on strings generated from each regex
// (most of them matches, with case flips, noise around them and single-byte
// mutations) and on random text, a regex match is never rejected by its
// prefilter, and a split alternation agrees with the whole regex.
func TestPrefilterNeverRejectsAMatch(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	matches, n := 0, 0
	for _, c := range allChecked(t) {
		tree, err := syntax.Parse(c.re.String(), syntax.Perl)
		if err != nil {
			t.Fatal(err)
		}
		iters := 60
		if c.split != nil || c.shape != nil {
			iters = 3000
		}
		for range iters {
			var b strings.Builder
			if rnd.IntN(2) == 0 {
				b.WriteString(randomText(rnd, rnd.IntN(6)))
			}
			gen(tree, rnd, &b)
			if rnd.IntN(2) == 0 {
				b.WriteString(randomText(rnd, rnd.IntN(6)))
			}
			s := b.String()
			if len(s) > 0 && rnd.IntN(3) == 0 { // mutate one byte
				i := rnd.IntN(len(s))
				s = s[:i] + string(noise[rnd.IntN(len(noise))]) + s[i+1:]
			}
			if c.re.MatchString(s) {
				matches++
			}
			n++
			checkOne(t, c, s)
			checkOne(t, c, randomText(rnd, rnd.IntN(40)))
		}
	}
	// The generator must mostly produce matches, or the test checks nothing.
	if matches < n/2 {
		t.Fatalf("only %d of %d generated strings match their regex", matches, n)
	}
	t.Logf("%d generated strings, %d matches", n, matches)
}

func TestPrefilterRejects(t *testing.T) {
	re := regexp.MustCompile(`(?i)(?:password|secret)\s*[=:]\s*(\w{8,})`)
	p := newPrefilter(re)
	if p == nil {
		t.Fatal("no prefilter")
	}
	for s, want := range map[string]bool{
		"PASSWORD = hunter2hunter2": true,
		"the secret of the garden":  false, // no '=' or ':'
		"password: x":               true,  // may match: the condition is only necessary
		"passphrase = abcdefghij":   false,
		"ſecret = abcdefghijkl":     true, // non-ASCII: always runs the regex
	} {
		if got := p.mayMatch(s); got != want {
			t.Errorf("mayMatch(%q) = %v, want %v", s, got, want)
		}
	}
	if re.MatchString("ſecret = abcdefghijkl") != true {
		t.Fatal("(?i)s should match U+017F")
	}
}

func FuzzPrefilter(f *testing.F) {
	for _, s := range []string{"AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLF", "api_key: ${PAYMENTS_API_KEY}", "key_id", "$VAR", "ſecret=K"} {
		f.Add(s)
	}
	checked := allChecked(f)
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) > 256 {
			return
		}
		for _, c := range checked {
			checkOne(t, c, s)
		}
	})
}

// withoutPrefilters returns a scanner whose rule and allowlist prefilters,
// split alternations, in-word keyword skips and hand-written matcher are
// all off (every regex runs whole, around every keyword hit).
func withoutPrefilters(t testing.TB) *Scanner {
	s, err := New()
	if err != nil {
		t.Fatal(err)
	}
	off := func(lists []allowlist) {
		for i := range lists {
			for k := range lists[i].pre {
				lists[i].pre[k], lists[i].split[k] = nil, nil
			}
		}
	}
	off(s.global)
	for i := range s.rules {
		s.rules[i].rePre = nil
		s.rules[i].shape = nil
		s.rules[i].handMatcher = false
		s.rules[i].wbKeywords = nil
		off(s.rules[i].allow)
	}
	clear(s.kwInWordSkip)
	return s
}

// TestFindSameWithoutPrefilters: Find gives identical findings with the
// prefilters and split alternations off, on gitleaks' own examples (when
// the shared data set is present) and on generated assignment lines built
// from allowlisted identifiers, operators and secret-like values.
func TestFindSameWithoutPrefilters(t *testing.T) {
	fast, err := New()
	if err != nil {
		t.Fatal(err)
	}
	slow := withoutPrefilters(t)
	var texts []string
	if b, err := os.ReadFile(filepath.Join("..", "..", "..", "shared", "datasets", "secrets", "gitleaks_static_examples.json")); err == nil {
		var rows []exampleRow
		if err := json.Unmarshal(b, &rows); err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			texts = append(texts, r.Text)
		}
	}
	rnd := rand.New(rand.NewPCG(3, 4))
	ids := []string{"api_key", "AWS_ACCESS_KEY_ID", "secret", "token", "key_id", "password", "client_secret", "auth", "credential",
		"X-MS-Exchange-Organization-Auth", "keyVaultToStoreSecrets", "public_token", "csrf_token", "monkey", "turkey", "api_version",
		"LICENSE", "SRC_URI", "--mount=type=secret,id", "import { key } from 'x'", "/Users/me/", "ſecret", "KEY",
		"actions.", "hvs.", "xhvs.", "xs.", "s.", "SG.", "xSG.", "xv1.0-", "they", "xey", "vault",
		"private-key", "privatekey", "client-secret", "pwd", "passphrase", "\"password\"", "'Passwd'", "db_password ", "PRIVATE_KEY\t"}
	ops := []string{"=", ": ", " = ", "=>", ":=", "\": \"", "||", " ?= ", ",", "='", " \"", ":::=", "   =   ", "    :", "= '", ":=\"", ": =", "=\n"}
	vals := []string{"AKIAIOSFODNN7EXAMPLF", "ghp_aB3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0eF3hJ6", "xoxb-123456789012-123456789012-aBcDeFgHiJkLmNoPqRsTuVwX",
		"Zx9kQ2pL7wR4mN8vB3", "${VAR}", "$VAR", "hunter2hunter2", "true", "aaaaaaaaaaaaaaaa", "3f8a9c2b7d1e4f6a8b0c2d4e6f8a0b2c",
		"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U", "{{ secrets.X }}",
		"s.Ab3dE6gH9jK2mN5pQ8sT1vW4", "hvs.CAESIJ" + strings.Repeat("aB3dE6gH9j", 9) + "x", "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",
		"v1.0-" + strings.Repeat("a1b2c3", 4) + "-" + strings.Repeat("0123456789abcdef", 9) + "01",
		"=Zx9kQ2pL7wR4mN8", ">Zx9kQ2pL7wR4mN8", "Zx9kQ2p", "Zx9k;Q2pL7wR4mN8vB3", "<Zx9kQ2pL7wR4mN8>", "Zx9kQ2pL7w"}
	for range 4000 {
		var b strings.Builder
		for k := 1 + rnd.IntN(4); k > 0; k-- {
			b.WriteString(ids[rnd.IntN(len(ids))])
			b.WriteString(ops[rnd.IntN(len(ops))])
			b.WriteString(vals[rnd.IntN(len(vals))])
			b.WriteString([]string{"\n", " ", "; ", "\" ", "`"}[rnd.IntN(5)])
		}
		texts = append(texts, b.String())
	}
	n := 0
	rules := map[string]bool{}
	for _, text := range texts {
		got, want := fast.Find(text, nil), slow.Find(text, nil)
		n += len(want)
		for _, m := range want {
			rules[m.Detector] = true
		}
		if !slices.Equal(got, want) {
			t.Fatalf("%q:\nwith prefilters    %v\nwithout prefilters %v", text, got, want)
		}
	}
	if n < 1000 {
		t.Fatalf("only %d findings compared: the test exercises too little", n)
	}
	for _, d := range []string{"gitleaks:vault-service-token", "gitleaks:sendgrid-api-token", "gitleaks:generic-api-key", "gitleaks:jwt", "secrets:generic-credential"} {
		if !rules[d] {
			t.Errorf("no %s finding among the compared texts", d)
		}
	}
	t.Logf("%d texts, %d findings compared, %d detectors", len(texts), n, len(rules))
}
