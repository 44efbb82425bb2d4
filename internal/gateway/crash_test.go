package gateway

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aigis-dev/aigis/internal/apikey"
	"github.com/aigis-dev/aigis/internal/audit"
	"github.com/aigis-dev/aigis/internal/mockllm"
	"github.com/aigis-dev/aigis/internal/store"
)

// buildBinary compiles cmd/aigis into dir.
func buildBinary(t *testing.T, dir string) string {
	t.Helper()
	if b := os.Getenv("AIGIS_TEST_BINARY"); b != "" {
		return b // a prebuilt binary (CI builds it once)
	}
	bin := filepath.Join(dir, "aigis")
	cmd := exec.Command("go", "build", "-o", bin, "../../cmd/aigis")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// TestCrashKeepsEveryAnsweredRequestAudited SIGKILLs a gateway process
// under load, then checks that every response a client fully received has
// its audit event and that the chain verifies.
func TestCrashKeepsEveryAnsweredRequestAudited(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary; skipped with -short")
	}
	dir := t.TempDir()
	bin := buildBinary(t, dir)
	mock := httptest.NewServer(mockllm.New(mockllm.Options{Chunks: 4}))
	defer mock.Close()

	dsn := filepath.Join(dir, "crash.db")
	ctx := context.Background()
	st, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	secret, key, err := apikey.Generate("crash", []string{"all"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.CreateKey(ctx, key); err != nil {
		t.Fatal(err)
	}
	st.Close()

	addr := freeAddr(t)
	cfg := fmt.Sprintf(`listen: {addr: "%s"}
store: "%s"
logging: {level: warn}
upstreams:
  - {name: mock, kind: openai, base_url: "%s/v1"}
models:
  - {name: gpt-4o, upstream: mock}
roles:
  - {name: all, models: ["*"], endpoints: ["*"]}
`, addr, dsn, mock.URL)
	cfgPath := filepath.Join(dir, "aigis.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	proc := exec.Command(bin, "serve", "--config", cfgPath)
	proc.Stderr = os.Stderr
	if err := proc.Start(); err != nil {
		t.Fatal(err)
	}
	defer proc.Process.Kill()
	base := "http://" + addr
	waitHealthy(t, base)

	var (
		mu       sync.Mutex
		received []string
		wg       sync.WaitGroup
		stop     = make(chan struct{})
	)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				stream := (w+i)%2 == 0
				body := fmt.Sprintf(`{"model":"gpt-4o","stream":%v,"messages":[{"role":"user","content":"req %d-%d"}]}`, stream, w, i)
				req, _ := http.NewRequest("POST", base+"/v1/chat/completions", strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+secret)
				req.Header.Set("Content-Type", "application/json")
				resp, err := client.Do(req)
				if err != nil {
					continue // the process is gone
				}
				ok := receivedComplete(resp, stream)
				resp.Body.Close()
				if ok {
					mu.Lock()
					received = append(received, resp.Header.Get(headerRequestID))
					mu.Unlock()
				}
			}
		}(w)
	}
	time.Sleep(1500 * time.Millisecond)
	if err := proc.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_, _ = proc.Process.Wait()
	close(stop)
	wg.Wait()
	if len(received) < 20 {
		t.Fatalf("only %d responses before the kill; load too light to mean anything", len(received))
	}

	st, err = store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	// The store returns at most one page (10,000) per call: read them all.
	var evs []audit.Event
	for after := int64(0); ; {
		page, err := audit.List(ctx, st, after, 10000)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		evs = append(evs, page...)
		after = page[len(page)-1].Seq
	}
	have := make(map[string]int, len(evs))
	for _, ev := range evs {
		have[ev.ID] = ev.Status
	}
	missing := 0
	for _, id := range received {
		if st, ok := have[id]; !ok || st != 200 {
			missing++
			t.Errorf("response %s was received but its audit event is missing (status %d, found %v)", id, st, ok)
		}
	}
	t.Logf("%d responses received, %d audit events stored, %d missing", len(received), len(evs), missing)
	rep, err := audit.Verify(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() {
		t.Fatalf("audit verify after the crash: %+v", rep)
	}
	// And the CLI agrees.
	if out, err := exec.Command(bin, "audit", "verify", "--store", dsn).CombinedOutput(); err != nil {
		t.Fatalf("aigis audit verify: %v\n%s", err, out)
	}
}

// receivedComplete reads a response to its end and reports whether it was
// a complete success (a stream must end with [DONE]).
func receivedComplete(resp *http.Response, stream bool) bool {
	if resp.StatusCode != 200 {
		_, _ = io.Copy(io.Discard, resp.Body)
		return false
	}
	if !stream {
		_, err := io.ReadAll(resp.Body)
		return err == nil
	}
	sc := bufio.NewScanner(resp.Body)
	done := false
	for sc.Scan() {
		if sc.Text() == "data: [DONE]" {
			done = true
		}
	}
	return done && sc.Err() == nil
}

func waitHealthy(t *testing.T, base string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	client := &http.Client{Timeout: 2 * time.Second} // a listener nobody serves must not hang the test
	for time.Now().Before(deadline) {
		resp, err := client.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("gateway did not become healthy")
}
