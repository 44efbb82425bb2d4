package gateway

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aigis-dev/aigis/internal/config"
	"github.com/aigis-dev/aigis/internal/mockllm"
	"github.com/aigis-dev/aigis/internal/policy"
	"github.com/aigis-dev/aigis/internal/store"
	"github.com/aigis-dev/aigis/internal/upstream"
)

// TestShutdownDrainsOpenStreams cancels the server while a slow stream is
// in flight: the stream still completes with [DONE], then Run returns.
func TestShutdownDrainsOpenStreams(t *testing.T) {
	mock := httptest.NewServer(mockllm.New(mockllm.Options{Chunks: 5, ChunkDelay: 80 * time.Millisecond}))
	defer mock.Close()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	d, err := StartDemo(ctx, st, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	cfg := d.Config
	cfg.Upstreams = []upstream.Config{{Name: "slow", Kind: "openai", BaseURL: mock.URL + "/v1"}}
	cfg.Models = []config.Model{{Name: "gpt-4o", Upstream: "slow", Model: "gpt-4o", MaxLabel: "restricted"}}
	cfg.Roles = policy.Roles{{Name: DemoRole, Models: []string{"*"}, Endpoints: []string{"*"}}}
	cfg.Guard = config.Guard{} // the demo guard needs guardengine, which imports this package (tested there)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- Run(runCtx, cfg, st, RunOptions{Listener: ln}) }()
	waitHealthy(t, "http://"+ln.Addr().String())

	req, _ := http.NewRequest("POST", "http://"+ln.Addr().String()+"/v1/chat/completions",
		strings.NewReader(`{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"slow"}]}`))
	req.Header.Set("Authorization", "Bearer "+d.Key) // the demo key works
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	sc := bufio.NewScanner(resp.Body)
	sawDone, cancelled := false, false
	for sc.Scan() {
		if !cancelled && strings.HasPrefix(sc.Text(), "data: ") {
			cancel() // shut down while the stream is open
			cancelled = true
		}
		if sc.Text() == "data: [DONE]" {
			sawDone = true
		}
	}
	if !sawDone {
		t.Fatal("the open stream was cut by shutdown instead of drained")
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after the drain")
	}
	if _, err := http.Get("http://" + ln.Addr().String() + "/healthz"); err == nil {
		t.Fatal("still accepting connections after shutdown")
	}
}
