package secrets

import (
	"math/rand/v2"
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
	"testing"
)

func genericRuleForTest(t testing.TB) *rule {
	s, err := New()
	if err != nil {
		t.Fatal(err)
	}
	for i := range s.rules {
		if s.rules[i].id == "generic-api-key" {
			if !s.rules[i].handMatcher {
				t.Fatal("generic-api-key does not use the hand-written matcher (gitleaks pattern changed?)")
			}
			return &s.rules[i]
		}
	}
	t.Fatal("no generic-api-key rule")
	return nil
}

func compareGeneric(t *testing.T, re *regexp.Regexp, seg string) bool {
	t.Helper()
	got, ok, handled := matchGenericAPIKey(seg)
	if !handled {
		return false
	}
	want := re.FindStringSubmatchIndex(seg)
	if want == nil {
		if ok {
			t.Fatalf("%q: matcher %v, regex no match", seg, got)
		}
		return false
	}
	if !ok || !slices.Equal(got[:], want[2:6]) {
		t.Fatalf("%q: matcher %v (ok %v), regex %v", seg, got, ok, want[2:6])
	}
	return true
}

// TestGenericAPIKeyMatcherAgrees compares the hand-written matcher with the
// anchored regex (group spans included) on strings generated from the
// regex, mutated ones, and random texts over the bytes the regex cares about.
func TestGenericAPIKeyMatcherAgrees(t *testing.T) {
	r := genericRuleForTest(t)
	tree, err := syntax.Parse(r.anchored.String(), syntax.Perl)
	if err != nil {
		t.Fatal(err)
	}
	rnd := rand.New(rand.NewPCG(21, 22))
	parts := []string{"key", "KEY", "api", "Api", "API", "aPi", "token", "passwd", "password", "PassWord", "creds", "credential", "auth", "access", "secret",
		"_", ".", "-", " ", "\t", "\n", "'", "\"", "`", "=", ">", ":", "::", ":::=", "||", "?=", ",", ";", "\\n", "\\R", "+", "/", "==",
		"Zx9kQ2pL7wR4mN8vB3", "abc", "0123456789", "aB3dE5gH7jK9mN1pQ2rS4", "$", "{", "x", "A"}
	matches, n := 0, 0
	for range 60000 {
		var b strings.Builder
		switch rnd.IntN(4) {
		case 3: // identifier, keyword, spacing, operator, value, terminator
			pick := func(xs ...string) string { return xs[rnd.IntN(len(xs))] }
			b.WriteString(pick("", " ", "!", "my_", "x.", "AWS_", strings.Repeat("a", rnd.IntN(60))))
			b.WriteString(pick("key", "Api", "API", "aPi", "token", "passwd", "password", "creds", "credential", "auth", "access", "secret"))
			b.WriteString(pick("", "_id", "-x", " ", strings.Repeat(" ", rnd.IntN(25)), ".v1", "\t"))
			b.WriteString(pick("", "'", "\"", " ", "  '", "\n"))
			b.WriteString(pick("=", ">", ":", "::=", ":::=", "::::=", "||", "?=", ",", "=>", ":=", "|"))
			b.WriteString(pick("", " ", "\"", "'", "`", "==", "  = ", "      "))
			b.WriteString(pick("Zx9kQ2pL7wR4mN8vB3", "0123456789", "abc", "a+b/c+d/e+f/g+h", "a+b/c+d/e+f/g+h===", strings.Repeat("z", 10+rnd.IntN(160)), "x.y-z=w_123", "$VAR"))
			b.WriteString(pick("", " ", ";", "\\n", "\\R", "\"", "`", "x", "+", "\\"))
		case 0:
			gen(tree, rnd, &b)
		case 1:
			gen(tree, rnd, &b)
			s := []byte(b.String())
			for k := rnd.IntN(3); k >= 0 && len(s) > 0; k-- {
				s[rnd.IntN(len(s))] = parts[rnd.IntN(len(parts))][0]
			}
			b.Reset()
			b.Write(s)
		default:
			for k := 1 + rnd.IntN(12); k > 0; k-- {
				b.WriteString(parts[rnd.IntN(len(parts))])
			}
		}
		seg := b.String()
		if !isASCII(seg) || len(seg) > maxGenericSeg {
			continue
		}
		n++
		if compareGeneric(t, r.anchored, seg) {
			matches++
		}
	}
	for _, seg := range []string{
		"AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLF", "api_key: ${PAYMENTS_API_KEY}", "  token = 'aB3dE5gH7jK9mN1pQ2rS4'",
		"passwd=====abcdefghijkl", "key:::=0123456789ab", "key::=0123456789ab;", "key=>Zx9kQ2pL7wR4mN8vB3\\n", strings.Repeat("a", 60) + "key=0123456789abc",
		"key" + strings.Repeat(" ", 30) + "=0123456789abc", "!!!!!!!!!key=0123456789abc", "key=" + strings.Repeat("a", 200),
		"key = a+b/c+d/e+f/g+h===", "key=" + strings.Repeat("=", 20), "",
	} {
		compareGeneric(t, r.anchored, seg)
	}
	if matches < 5000 {
		t.Fatalf("only %d of %d segments match: the test exercises too little", matches, n)
	}
	t.Logf("%d segments compared, %d matches", n, matches)
}

func FuzzGenericAPIKeyMatcher(f *testing.F) {
	for _, s := range []string{"AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLF", "key:::=0123456789ab", "api = \"a+b/c+d/e+f/g+h==\""} {
		f.Add(s)
	}
	r := genericRuleForTest(f)
	f.Fuzz(func(t *testing.T, seg string) {
		compareGeneric(t, r.anchored, seg)
	})
}
