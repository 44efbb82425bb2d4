package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/aigis-dev/aigis/internal/apikey"
	"github.com/aigis-dev/aigis/internal/audit"
	"github.com/aigis-dev/aigis/internal/config"
	"github.com/aigis-dev/aigis/internal/mockllm"
	"github.com/aigis-dev/aigis/internal/policy"
	"github.com/aigis-dev/aigis/internal/quota"
	"github.com/aigis-dev/aigis/internal/store"
	"github.com/aigis-dev/aigis/internal/upstream"
)

// harness is a real gateway over real HTTP in front of the mock upstream,
// with a SQLite store in a temp dir.
type harness struct {
	t       testing.TB
	dsn     string
	st      store.Store
	rt      *Runtime
	srv     *httptest.Server
	mock    *httptest.Server
	seen    chan []byte // bodies that reached the upstream (echo tests)
	keyAll  string      // role "all"
	keyMini string      // role "mini": gpt-4o-mini only
	keyRPM  string      // role "rpm1": one request per minute
}

type harnessOpts struct {
	storeDSN  string
	redisAddr string
	guard     string // guard policy YAML for the default policy ("" = none)
	newGuard  GuardFactory
	mutate    func(*config.Config)
	echo      bool
}

func newHarness(t testing.TB, o harnessOpts) *harness {
	t.Helper()
	h := &harness{t: t, seen: make(chan []byte, 64)}
	h.mock = httptest.NewServer(mockllm.New(mockllm.Options{Echo: o.echo, Observe: func(r *http.Request, body []byte) {
		select {
		case h.seen <- bytes.Clone(body):
		default:
		}
	}}))
	t.Cleanup(h.mock.Close)
	ctx := context.Background()
	dsn := o.storeDSN
	if dsn == "" {
		dsn = filepath.Join(t.TempDir(), "aigis.db")
	}
	st, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	h.st, h.dsn = st, dsn

	cfg := config.Default()
	base := h.mock.URL
	fault := func(name, f string) upstream.Config {
		return upstream.Config{Name: name, Kind: "openai", BaseURL: base + "/v1", Headers: map[string]string{"X-Mock-Fault": f}}
	}
	cfg.Upstreams = []upstream.Config{
		{Name: "mock", Kind: "openai", BaseURL: base + "/v1"},
		{Name: "mock-anthropic", Kind: "anthropic", BaseURL: base, APIKey: "provider-secret-anthropic"},
		{Name: "mock-azure", Kind: "azure", BaseURL: base, APIKey: "provider-secret-azure", APIVersion: "2024-10-21"},
		fault("fault-500", "500"), fault("fault-hang", "hang"), fault("fault-reset", "reset"), fault("fault-broken", "broken-sse"),
	}
	cfg.Models = []config.Model{
		{Name: "gpt-4o-mini", Upstream: "mock", Model: "gpt-4o-mini", MaxLabel: "restricted"},
		{Name: "gpt-4o", Upstream: "mock", Model: "gpt-4o", MaxLabel: "restricted"},
		{Name: "public-model", Upstream: "mock", Model: "gpt-4o", MaxLabel: "public"},
		{Name: "text-embedding-3-small", Upstream: "mock", Model: "text-embedding-3-small", MaxLabel: "restricted"},
		{Name: "claude-sonnet-4-5", Upstream: "mock-anthropic", Model: "claude-sonnet-4-5", MaxLabel: "restricted"},
		{Name: "azure-gpt", Upstream: "mock-azure", Model: "gpt-4o", MaxLabel: "restricted"},
		{Name: "fault-500", Upstream: "fault-500", Model: "gpt-4o", MaxLabel: "restricted"},
		{Name: "fault-hang", Upstream: "fault-hang", Model: "gpt-4o", MaxLabel: "restricted"},
		{Name: "fault-reset", Upstream: "fault-reset", Model: "gpt-4o", MaxLabel: "restricted"},
		{Name: "fault-broken", Upstream: "fault-broken", Model: "gpt-4o", MaxLabel: "restricted"},
	}
	cfg.Roles = policy.Roles{
		{Name: "all", Models: []string{"*"}, Endpoints: []string{"*"}},
		{Name: "mini", Models: []string{"gpt-4o-mini"}, Endpoints: []string{"chat", "models"}},
		{Name: "rpm1", Models: []string{"*"}, Endpoints: []string{"*"}, Limits: quota.Limits{RPM: 1}},
	}
	cfg.Limits.UpstreamTimeout = config.Duration(700 * time.Millisecond)
	cfg.Limits.MaxBodyBytes = 64 << 10
	if o.redisAddr != "" {
		cfg.Redis = &config.Redis{Addr: o.redisAddr}
		cfg.Quota.KeyPrefix = "aigis-test:" + t.Name() + ":" + time.Now().Format("150405.000000") + ":" // o.mutate may share one
	}
	if o.guard != "" {
		cfg.Guard.Policies = map[string]config.RawPolicy{"default": {YAML: []byte(o.guard)}}
		cfg.Guard.Default = "default"
	}
	if o.mutate != nil {
		o.mutate(cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	rt, err := Build(ctx, cfg, BuildDeps{Store: st, NewGuard: o.newGuard})
	if err != nil {
		t.Fatal(err)
	}
	h.rt = rt
	t.Cleanup(func() { rt.Close() })
	h.srv = httptest.NewServer(rt.Gateway)
	t.Cleanup(h.srv.Close)
	h.keyAll = h.newKey("all")
	h.keyMini = h.newKey("mini")
	h.keyRPM = h.newKey("rpm1")
	return h
}

func (h *harness) newKey(role string) string {
	h.t.Helper()
	secret, k, err := apikey.Generate("test-"+role, []string{role}, 0)
	if err != nil {
		h.t.Fatal(err)
	}
	if err := h.st.CreateKey(context.Background(), k); err != nil {
		h.t.Fatal(err)
	}
	return secret
}

// do sends a raw request and returns status, headers and body.
func (h *harness) do(method, path, key, ctype string, body []byte, hdr ...string) (int, http.Header, []byte) {
	h.t.Helper()
	req, err := http.NewRequest(method, h.srv.URL+path, bytes.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := h.srv.Client().Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

// events returns every audit event so far.
func (h *harness) events() []audit.Event {
	h.t.Helper()
	evs, err := audit.List(context.Background(), h.st, 0, 100000)
	if err != nil {
		h.t.Fatal(err)
	}
	return evs
}

// event returns the audit event of a request id.
func (h *harness) event(id string) *audit.Event {
	h.t.Helper()
	if id == "" {
		h.t.Fatal("response has no request id header")
	}
	for _, ev := range h.events() {
		if ev.ID == id {
			return &ev
		}
	}
	h.t.Fatalf("no audit event for request %s", id)
	return nil
}

func (h *harness) verifyAudit() {
	h.t.Helper()
	rep, err := audit.Verify(context.Background(), h.st)
	if err != nil {
		h.t.Fatal(err)
	}
	if !rep.OK() {
		h.t.Fatalf("audit chain broken: %+v", rep)
	}
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
