package policy

import (
	"slices"
	"strings"
	"testing"

	"github.com/aigis-dev/aigis/internal/exchange"
	"github.com/aigis-dev/aigis/internal/identity"
	"github.com/aigis-dev/aigis/internal/quota"
)

var testRoles = Roles{
	{Name: "dev", Models: []string{"gpt-4o*", "claude-3-5-*"}, Endpoints: []string{"chat", "messages", "models"}, MaxTokens: 1000,
		Limits: quota.Limits{RPM: 60, TPM: 10000}},
	{Name: "embed", Models: []string{"text-embedding-3-small"}, Endpoints: []string{"embeddings"}},
	{Name: "big", Models: []string{"gpt-4o"}, Endpoints: []string{"chat"}, MaxTokens: 8000},
	{Name: "admin", Models: []string{"*"}, Endpoints: []string{"*"}},
	{Name: "hf", Models: []string{"meta-llama/*-Instruct", "mistral-?b"}, Endpoints: []string{"responses"}},
	{Name: "tools", Endpoints: []string{"mcp"}},
}

func mustPolicy(t testing.TB) *Policy {
	t.Helper()
	p, err := New(testRoles)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestAuthorize(t *testing.T) {
	pol := mustPolicy(t)
	cases := []struct {
		name   string
		roles  []string
		op     exchange.Operation
		model  string
		max    int64
		code   string // "" = allow
		capMax int64
	}{
		{"glob prefix", []string{"dev"}, exchange.OpChat, "gpt-4o-mini", 100, "", 1000},
		{"glob exact base", []string{"dev"}, exchange.OpChat, "gpt-4o", 0, "", 1000},
		{"anthropic glob", []string{"dev"}, exchange.OpMessages, "claude-3-5-sonnet-latest", 1000, "", 1000},
		{"model not granted", []string{"dev"}, exchange.OpChat, "gpt-4.1", 10, CodeModelNotAllowed, 0},
		{"prefix is not a match", []string{"dev"}, exchange.OpChat, "xgpt-4o", 10, CodeModelNotAllowed, 0},
		{"endpoint not granted", []string{"dev"}, exchange.OpEmbeddings, "gpt-4o", 0, CodeEndpointNotAllowed, 0},
		{"max tokens over cap", []string{"dev"}, exchange.OpChat, "gpt-4o", 1001, CodeMaxTokensExceeded, 0},
		{"union lifts the cap", []string{"dev", "big"}, exchange.OpChat, "gpt-4o", 5000, "", 8000},
		{"union: cap of the role that allows", []string{"dev", "big"}, exchange.OpChat, "gpt-4o-mini", 5000, CodeMaxTokensExceeded, 0},
		{"uncapped role wins", []string{"dev", "admin"}, exchange.OpChat, "gpt-4o", 50000, "", 0},
		{"embeddings", []string{"embed"}, exchange.OpEmbeddings, "text-embedding-3-small", 0, "", 0},
		{"embeddings other model", []string{"embed"}, exchange.OpEmbeddings, "text-embedding-3-large", 0, CodeModelNotAllowed, 0},
		{"star crosses slash", []string{"hf"}, exchange.OpResponses, "meta-llama/Llama-3.1-8B-Instruct", 0, "", 0},
		{"suffix required", []string{"hf"}, exchange.OpResponses, "meta-llama/Llama-3.1-8B", 0, CodeModelNotAllowed, 0},
		{"question mark", []string{"hf"}, exchange.OpResponses, "mistral-7b", 0, "", 0},
		{"question mark is one char", []string{"hf"}, exchange.OpResponses, "mistral-70b", 0, CodeModelNotAllowed, 0},
		{"model listing needs no model", []string{"dev"}, exchange.OpModels, "", 0, "", 1000},
		{"mcp needs no model", []string{"tools"}, exchange.OpMCP, "", 0, "", 0},
		{"mcp not granted", []string{"dev"}, exchange.OpMCP, "", 0, CodeEndpointNotAllowed, 0},
		{"empty model denied", []string{"dev"}, exchange.OpChat, "", 0, CodeModelNotAllowed, 0},
		{"no roles", nil, exchange.OpChat, "gpt-4o", 0, CodeNoRole, 0},
		{"unknown role only", []string{"ghost"}, exchange.OpChat, "gpt-4o", 0, CodeNoRole, 0},
		{"unknown op", []string{"dev"}, exchange.Operation("files"), "gpt-4o", 0, CodeEndpointNotAllowed, 0},
		{"admin any unknown op", []string{"admin"}, exchange.Operation("files"), "x", 0, "", 0},
		{"case sensitive", []string{"dev"}, exchange.OpChat, "GPT-4o", 0, CodeModelNotAllowed, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := pol.Authorize(&identity.Principal{ID: "k", Roles: c.roles}, &exchange.Exchange{Operation: c.op, Model: c.model, MaxTokens: c.max})
			if d.Allow != (c.code == "") || d.Code != c.code {
				t.Fatalf("decision = %+v, want code %q", d, c.code)
			}
			if d.Allow && d.MaxTokens != c.capMax {
				t.Fatalf("MaxTokens = %d, want %d", d.MaxTokens, c.capMax)
			}
			if !d.Allow && d.Reason == "" {
				t.Fatal("denial without a reason")
			}
		})
	}
	if d := pol.Authorize(nil, &exchange.Exchange{}); d.Allow || d.Code != CodeNoRole {
		t.Fatalf("nil principal: %+v", d)
	}
}

func TestAllowedModels(t *testing.T) {
	pol := mustPolicy(t)
	all := []string{"gpt-4o", "gpt-4o-mini", "gpt-4.1", "claude-3-5-haiku", "text-embedding-3-small", "meta-llama/x-Instruct"}
	got := pol.AllowedModels(&identity.Principal{Roles: []string{"dev", "embed"}}, all)
	want := []string{"gpt-4o", "gpt-4o-mini", "claude-3-5-haiku", "text-embedding-3-small"}
	if !slices.Equal(got, want) {
		t.Fatalf("AllowedModels = %v, want %v", got, want)
	}
	if got := pol.AllowedModels(&identity.Principal{Roles: []string{"ghost"}}, all); len(got) != 0 {
		t.Fatalf("unknown role sees %v", got)
	}
	if got := pol.AllowedModels(&identity.Principal{Roles: []string{"admin"}}, all); !slices.Equal(got, all) {
		t.Fatalf("admin sees %v", got)
	}
}

func TestSubjects(t *testing.T) {
	pol := mustPolicy(t)
	p := &identity.Principal{ID: "key_1", Roles: []string{"dev", "embed", "dev", "ghost"}}
	got := pol.Subjects(nil, p, quota.Limits{RPM: 5})
	want := []quota.Subject{{Key: "key:key_1", Limits: quota.Limits{RPM: 5}}, {Key: "role:dev", Limits: quota.Limits{RPM: 60, TPM: 10000}}}
	if !slices.Equal(got, want) {
		t.Fatalf("Subjects = %+v, want %+v", got, want)
	}
	if got := pol.Subjects(nil, p, quota.Limits{}); len(got) != 1 || got[0].Key != "role:dev" {
		t.Fatalf("no key limits: %+v", got)
	}
}

func TestRolesValidate(t *testing.T) {
	bad := []Roles{
		{{Name: ""}},
		{{Name: "has space"}},
		{{Name: "a", Endpoints: []string{"files"}}},
		{{Name: "a", Models: []string{""}}},
		{{Name: "a", Models: []string{strings.Repeat("x", 300)}}},
		{{Name: "a", MaxTokens: -1}},
		{{Name: "a", Limits: quota.Limits{TPM: -1}}},
		{{Name: "a"}, {Name: "a"}},
	}
	for i, rs := range bad {
		if err := rs.Validate(); err == nil {
			t.Errorf("roles %d accepted: %+v", i, rs)
		}
		if _, err := New(rs); err == nil {
			t.Errorf("New accepted roles %d", i)
		}
	}
	if err := testRoles.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestAuthorizeAllowPathDoesNotAllocate(t *testing.T) {
	pol := mustPolicy(t)
	p := &identity.Principal{Roles: []string{"embed", "dev"}}
	ex := &exchange.Exchange{Operation: exchange.OpChat, Model: "gpt-4o-mini", MaxTokens: 10}
	if n := testing.AllocsPerRun(100, func() {
		if !pol.Authorize(p, ex).Allow {
			t.Fatal("denied")
		}
	}); n != 0 {
		t.Fatalf("%v allocations on the allow path", n)
	}
}

// refMatch is the reference semantics by dynamic programming over bytes:
// '*' matches any run, '?' exactly one byte.
func refMatch(p, s string) bool {
	// m[j] reports whether p[:i] matches s[:j] for the current i.
	m := make([]bool, len(s)+1)
	m[0] = true
	for i := 0; i < len(p); i++ {
		next := make([]bool, len(s)+1)
		switch p[i] {
		case '*':
			seen := false
			for j := 0; j <= len(s); j++ {
				seen = seen || m[j]
				next[j] = seen
			}
		default:
			for j := 1; j <= len(s); j++ {
				next[j] = m[j-1] && (p[i] == '?' || p[i] == s[j-1])
			}
		}
		m = next
	}
	return m[len(s)]
}

// FuzzGlob checks the compiled matcher against a regular-expression
// reference on arbitrary patterns and names.
func FuzzGlob(f *testing.F) {
	for _, s := range [][2]string{
		{"gpt-4o*", "gpt-4o-mini"}, {"*", ""}, {"a*b*c", "abbc"}, {"a*b*c", "acb"}, {"?", "é"}, {"??", "é"},
		{"*-Instruct", "x-Instruct-Instruct"}, {"a**b", "ab"}, {"m?st*?", "mist"}, {"*a*", "bab"}, {"ab*ba", "aba"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pattern, name string) {
		g, err := compileGlob(pattern)
		if err != nil {
			return
		}
		if want := refMatch(pattern, name); g.match(name) != want {
			t.Fatalf("glob %q on %q = %v, reference says %v", pattern, name, !want, want)
		}
	})
}

func BenchmarkAuthorize(b *testing.B) {
	pol := mustPolicy(b)
	p := &identity.Principal{Roles: []string{"embed", "dev"}}
	ex := &exchange.Exchange{Operation: exchange.OpChat, Model: "gpt-4o-mini", MaxTokens: 10}
	b.ReportAllocs()
	for b.Loop() {
		if !pol.Authorize(p, ex).Allow {
			b.Fatal("denied")
		}
	}
}
