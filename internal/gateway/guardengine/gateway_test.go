package guardengine

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aigis-dev/aigis/internal/apikey"
	"github.com/aigis-dev/aigis/internal/config"
	"github.com/aigis-dev/aigis/internal/gateway"
	"github.com/aigis-dev/aigis/internal/mockllm"
	"github.com/aigis-dev/aigis/internal/policy"
	"github.com/aigis-dev/aigis/internal/store"
	"github.com/aigis-dev/aigis/internal/upstream"
)

// TestRealGuardInGateway runs the real guard inside a real gateway: the
// upstream (echo mock) sees a pseudonym, the client gets the original
// back, streamed or not, and a deny-listed term is refused.
func TestRealGuardInGateway(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	mock := httptest.NewServer(mockllm.New(mockllm.Options{Echo: true, Observe: func(_ *http.Request, body []byte) {
		mu.Lock()
		seen = append(seen, string(body))
		mu.Unlock()
	}}))
	defer mock.Close()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "g.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	secret, key, err := apikey.Generate("g", []string{"all"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.CreateKey(ctx, key); err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.Upstreams = []upstream.Config{{Name: "mock", Kind: "openai", BaseURL: mock.URL + "/v1"}}
	cfg.Models = []config.Model{{Name: "gpt-4o", Upstream: "mock", Model: "gpt-4o", MaxLabel: "restricted"}}
	cfg.Roles = policy.Roles{{Name: "all", Models: []string{"*"}, Endpoints: []string{"*"}}}
	cfg.Guard.Policies = map[string]config.RawPolicy{"p": {YAML: []byte(testPolicy)}}
	cfg.Guard.Default = "p"
	rt, err := gateway.Build(ctx, cfg, gateway.BuildDeps{Store: st, NewGuard: NewFactory()})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	srv := httptest.NewServer(rt.Gateway)
	defer srv.Close()
	post := func(body string) (int, string) {
		req, _ := http.NewRequest("POST", srv.URL+"/v1/chat/completions", bytes.NewReader([]byte(body)))
		req.Header.Set("Authorization", "Bearer "+secret)
		req.Header.Set("Content-Type", "application/json")
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for _, stream := range []string{"false", "true"} {
		code, out := post(`{"model":"gpt-4o","stream":` + stream + `,"messages":[{"role":"user","content":"email bob@example.org about it"}]}`)
		if code != 200 {
			t.Fatalf("stream=%s: %d %s", stream, code, out)
		}
		mu.Lock()
		last := seen[len(seen)-1]
		mu.Unlock()
		if strings.Contains(last, "bob@example.org") {
			t.Fatalf("stream=%s: the upstream saw the address: %s", stream, last)
		}
		if stream == "false" && !strings.Contains(out, "bob@example.org") {
			t.Fatalf("the client did not get the address back: %s", out)
		}
		if stream == "true" && !strings.Contains(strings.ReplaceAll(out, "\"}", ""), "bob@") {
			t.Fatalf("stream: no restored address in %s", out)
		}
	}
	code, out := post(`{"model":"gpt-4o","messages":[{"role":"user","content":"news on bluebird?"}]}`)
	if code != 400 || !strings.Contains(out, gateway.CodeRequestBlocked) || strings.Contains(out, "bluebird?") {
		t.Fatalf("deny list: %d %s", code, out)
	}
}
