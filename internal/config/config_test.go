package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) Getenv {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

const minimal = `
listen:
  addr: 127.0.0.1:9090
upstreams:
  - name: mock
    kind: openai
    base_url: http://127.0.0.1:9999/v1
models:
  - name: gpt-4o-mini
    upstream: mock
`

func TestParseMinimalAppliesDefaults(t *testing.T) {
	c, err := Parse("a.yaml", []byte(minimal), Options{Getenv: env(nil)})
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen.Addr != "127.0.0.1:9090" {
		t.Errorf("addr = %q", c.Listen.Addr)
	}
	if c.Limits.MaxBodyBytes != 4<<20 || c.Limits.ShutdownTimeout.Std() != 30*time.Second {
		t.Errorf("defaults not applied: %+v", c.Limits)
	}
	if c.Runtime.GCPercent != DefaultGCPercent || c.Runtime.MemoryLimit != 0 {
		t.Errorf("runtime defaults: %+v", c.Runtime)
	}
	if c.Models[0].Model != "gpt-4o-mini" || c.Models[0].MaxLabel != "restricted" {
		t.Errorf("model defaults: %+v", c.Models[0])
	}
}

// errLines parses an error into "line key" strings for comparison.
func asErrors(t *testing.T, err error) Errors {
	t.Helper()
	var es Errors
	if !errors.As(err, &es) {
		t.Fatalf("error %v (%T) is not config.Errors", err, err)
	}
	return es
}

func TestUnknownKeyNamesFileLineAndKey(t *testing.T) {
	src := "listen:\n  addr: 127.0.0.1:1\n  adress: x\nlimits:\n  max_body_bytes: 1MiB\n"
	_, err := Parse("cfg.yaml", []byte(src), Options{Getenv: env(nil)})
	es := asErrors(t, err)
	if len(es) != 1 || es[0].Line != 3 || es[0].Key != "listen.adress" {
		t.Fatalf("got %v", err)
	}
	if !strings.HasPrefix(err.Error(), "cfg.yaml:3: listen.adress: unknown key") {
		t.Fatalf("message %q", err.Error())
	}
}

func TestBadValuesNameLines(t *testing.T) {
	cases := []struct {
		name, src string
		line      int
		want      string
	}{
		{"duration", "limits:\n  read_timeout: 30 seconds\n", 2, "invalid duration"},
		{"size", "limits:\n\n  max_body_bytes: lots\n", 3, "invalid size"},
		{"int type", "redis:\n  addr: 127.0.0.1:6379\n  db: two\n", 3, "redis.db: \"two\" is not a valid integer"},
		{"list for map", "listen: [a, b]\n", 1, "expected a mapping"},
		{"duplicate", "store: a.db\nstore: b.db\n", 2, ""},
		{"log level", "logging:\n  level: loud\n", 2, "must be debug"},
		{"unknown upstream", "upstreams:\n  - name: a\n    kind: openai\n    base_url: http://x\nmodels:\n  - name: m\n    upstream: b\n", 7, "unknown upstream"},
		{"bad kind", "upstreams:\n  - name: a\n    kind: cohere\n    base_url: http://x\n", 3, "is not one of openai"},
		{"bad audit key", "audit:\n  keys:\n    - id: k1\n      key: short\n", 4, "32 bytes"},
		{"bodies without key", "audit:\n  bodies: true\n", 0, "required when bodies"},
		{"gc percent", "runtime:\n  gc_percent: 5\n", 2, "runtime.gc_percent: must be between 25 and 10000"},
		{"memory limit", "runtime:\n  memory_limit: 1MiB\n", 2, "runtime.memory_limit: must be 0 (none) or at least 64MiB"},
		{"hs alg", "identity:\n  oidc:\n    - issuer: https://idp\n      audiences: [aigis]\n      algorithms: [HS256]\n", 0, "HS256"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("c.yaml", []byte(tc.src), Options{Getenv: env(nil)})
			if err == nil {
				t.Fatal("no error")
			}
			es := asErrors(t, err)
			if tc.line != 0 && es[0].Line != tc.line {
				t.Errorf("line = %d, want %d (%v)", es[0].Line, tc.line, err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
			if !strings.HasPrefix(err.Error(), "c.yaml") {
				t.Errorf("error %q does not name the file", err)
			}
		})
	}
}

func TestEnvInterpolation(t *testing.T) {
	src := `
listen:
  addr: "127.0.0.1:${PORT}"
admin:
  token: ${ADMIN_TOKEN}
redis:
  addr: 127.0.0.1:6379
  db: ${REDIS_DB}
  password: "literal $${NOT_A_VAR} and ${PW}"
`
	c, err := Parse("c.yaml", []byte(src), Options{Getenv: env(map[string]string{
		"PORT": "8443", "ADMIN_TOKEN": "0123456789abcdef0123", "REDIS_DB": "3", "PW": "x: [y]\nz",
	})})
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen.Addr != "127.0.0.1:8443" || c.Admin.Token != "0123456789abcdef0123" || c.Redis.DB != 3 {
		t.Fatalf("got %+v %+v %+v", c.Listen, c.Admin, c.Redis)
	}
	if c.Redis.Password != "literal ${NOT_A_VAR} and x: [y]\nz" {
		t.Fatalf("password = %q (env values must stay one scalar; $${ must escape)", c.Redis.Password)
	}
}

func TestMissingEnvIsAnError(t *testing.T) {
	src := "store: a.db\nadmin:\n  token: ${AIGIS_TEST_SURELY_UNSET}\n"
	_, err := Parse("c.yaml", []byte(src), Options{Getenv: env(nil)})
	es := asErrors(t, err)
	if es[0].Line != 3 || !strings.Contains(es[0].Msg, "AIGIS_TEST_SURELY_UNSET is not set") || es[0].Key != "admin.token" {
		t.Fatalf("got %v", err)
	}
	_, err = Parse("c.yaml", []byte("store: ${UNTERMINATED\n"), Options{Getenv: env(nil)})
	if err == nil || !strings.Contains(err.Error(), "unterminated") {
		t.Fatalf("got %v", err)
	}
}

func TestPolicyCheckerRuns(t *testing.T) {
	src := "guard:\n  policies:\n    strict:\n      version: 1\n      bogus: 2\n  default: strict\n"
	var got string
	_, err := Parse("c.yaml", []byte(src), Options{Getenv: env(nil), CheckPolicy: func(b []byte) error {
		got = string(b)
		return errors.New("unknown field bogus")
	}})
	if err == nil || !strings.Contains(err.Error(), "c.yaml:3: guard.policies.strict: unknown field bogus") {
		t.Fatalf("got %v", err)
	}
	if !strings.Contains(got, "bogus: 2") {
		t.Fatalf("checker saw %q", got)
	}
}

func TestExampleConfigLoads(t *testing.T) {
	path := filepath.Join("..", "..", "examples", "aigis.yaml")
	if _, err := os.Stat(path); err != nil {
		t.Skip("examples/aigis.yaml not present")
	}
	// Every variable the example references resolves to a plausible value.
	getenv := func(name string) (string, bool) {
		switch {
		case strings.HasPrefix(name, "AIGIS_AUDIT_KEY"):
			return "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=", true
		case name == "AIGIS_STORE_DSN":
			return "postgres://aigis@db:5432/aigis", true
		}
		return "value-of-" + name, true
	}
	if _, err := LoadWith(path, Options{Getenv: getenv}); err != nil {
		t.Fatalf("example config: %v", err)
	}
}

func TestLoadRefusesHugeAndMissingFiles(t *testing.T) {
	dir := t.TempDir()
	if _, err := Load(filepath.Join(dir, "nope.yaml")); err == nil {
		t.Fatal("missing file accepted")
	}
	big := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(big, make([]byte, maxFileBytes+1), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(big); err == nil || !strings.Contains(err.Error(), "limit") {
		t.Fatalf("got %v", err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(minimal))
	f.Add([]byte("listen: {addr: ${X}}\n"))
	f.Add([]byte("a: &x [*x]\n"))
	f.Add([]byte("limits:\n  max_body_bytes: 10MiB\n  read_timeout: 1s\n"))
	f.Add([]byte("roles:\n  - name: r\n    models: ['[']\n"))
	f.Add([]byte("guard:\n  policies:\n    p: {version: 1}\n  default: p\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("f.yaml", data, Options{Getenv: env(map[string]string{"X": "1:2"})})
		if err == nil && c == nil {
			t.Fatal("nil config without error")
		}
		if err != nil && err.Error() == "" {
			t.Fatal("empty error message")
		}
	})
}

func TestBoundaryFallbackAndOutputChecks(t *testing.T) {
	good := minimal + `  - name: private
    upstream: mock
    max_label: confidential
  - name: open
    upstream: mock
    max_label: public
    boundary_fallback: private
guard:
  output:
    enabled: true
    canary: true
    action: flag
    allowed_domains: [docs.example.com]
`
	c, err := Parse("a.yaml", []byte(good), Options{Getenv: env(nil)})
	if err != nil {
		t.Fatal(err)
	}
	if c.Models[2].BoundaryFallback != "private" || !c.Guard.Output.Canary || c.Guard.Output.Action != "flag" {
		t.Fatalf("decoded %+v %+v", c.Models[2], c.Guard.Output)
	}
	bad := minimal + `  - name: open
    upstream: mock
    max_label: internal
    boundary_fallback: nowhere
  - name: low
    upstream: mock
    max_label: public
    boundary_fallback: gpt-4o-mini
  - name: same
    upstream: mock
    max_label: restricted
    boundary_fallback: open
guard:
  output:
    action: maybe
    allowed_domains: ["https://x.example/"]
`
	_, err = Parse("b.yaml", []byte(bad), Options{Getenv: env(nil)})
	es := asErrors(t, err)
	want := []string{"models[1].boundary_fallback", "models[3].boundary_fallback", "guard.output.action", "guard.output.allowed_domains[0]"}
	for _, k := range want {
		found := false
		for _, e := range es {
			found = found || e.Key == k
		}
		if !found {
			t.Errorf("no error for %s in %v", k, err)
		}
	}
	if len(es) != len(want) {
		t.Errorf("got %d errors, want %d: %v", len(es), len(want), err)
	}
}

// TestRoleErrorsNameTheExactKey: every problem of a role is reported, each
// at the key and line it is about (not at the first key of the role whose
// name happens to appear in the message).
func TestRoleErrorsNameTheExactKey(t *testing.T) {
	src := minimal + `roles:
  - name: r
    models: ["gpt-*"]
    endpoints: [chat, bogus]
    max_tokens: -5
    limits:
      tpm: -1
`
	src = strings.Replace(src, "addr: 127.0.0.1:9090", "addr: 127.0.0.1:99999", 1)
	_, err := Parse("r.yaml", []byte(src), Options{Getenv: env(nil)})
	es := asErrors(t, err)
	want := map[string]int{
		"listen.addr":           3,
		"roles[0].endpoints[1]": 14,
		"roles[0].max_tokens":   15,
		"roles[0].limits.tpm":   17,
	}
	got := map[string]int{}
	for _, e := range es {
		got[e.Key] = e.Line
		if e.File != "r.yaml" {
			t.Errorf("file %q in %v", e.File, e)
		}
	}
	for k, line := range want {
		if got[k] != line {
			t.Errorf("key %s: line %d, want %d (all: %v)", k, got[k], line, err)
		}
	}
	if len(es) != len(want) {
		t.Errorf("%d errors, want %d: %v", len(es), len(want), err)
	}
}
