package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aigis-dev/aigis/internal/apikey"
	"github.com/aigis-dev/aigis/internal/audit"
	"github.com/aigis-dev/aigis/internal/mockllm"
	"github.com/aigis-dev/aigis/internal/store"
)

// TestTwoGatewayProcessesShareRedisQuotas starts two `aigis serve`
// processes on one Redis and one store, drives concurrent load through
// both, and checks that together they never admit more than a role's
// requests-per-minute limit nor charge more than its tokens-per-minute
// quota (each request reserves its estimate before the call and settles
// from the upstream's usage, streams included).
func TestTwoGatewayProcessesShareRedisQuotas(t *testing.T) {
	redisAddr := os.Getenv("AIGIS_TEST_REDIS")
	if redisAddr == "" {
		t.Skip("set AIGIS_TEST_REDIS=127.0.0.1:6379 to run the two-process Redis quota test")
	}
	if testing.Short() {
		t.Skip("builds the binary; skipped with -short")
	}
	dir := t.TempDir()
	bin := buildBinary(t, dir)
	mock := httptest.NewServer(mockllm.New(mockllm.Options{Chunks: 4}))
	defer mock.Close()

	const rpm, tpm = 25, 1000
	ctx := context.Background()
	dsn := filepath.Join(dir, "shared.db")
	st, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	newKey := func(name, role string) string {
		secret, key, err := apikey.Generate(name, []string{role}, 0)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.CreateKey(ctx, key); err != nil {
			t.Fatal(err)
		}
		return secret
	}
	keyRPM, keyTPM := newKey("rpm-user", "rpm"), newKey("tpm-user", "tpm")
	st.Close()

	prefix := fmt.Sprintf("aigis-proctest:%d:%d:", os.Getpid(), time.Now().UnixNano())
	start := func(i int) (string, *exec.Cmd) {
		addr := freeAddr(t)
		cfg := fmt.Sprintf(`listen: {addr: "%s"}
store: "%s"
redis: {addr: "%s"}
quota: {key_prefix: "%s"}
logging: {level: warn}
upstreams:
  - {name: mock, kind: openai, base_url: "%s/v1"}
models:
  - {name: gpt-4o, upstream: mock}
roles:
  - {name: rpm, models: ["*"], endpoints: ["*"], limits: {rpm: %d}}
  - {name: tpm, models: ["*"], endpoints: ["*"], limits: {tpm: %d}}
`, addr, dsn, redisAddr, prefix, mock.URL, rpm, tpm)
		path := filepath.Join(dir, fmt.Sprintf("gw%d.yaml", i))
		if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
		proc := exec.Command(bin, "serve", "--config", path)
		proc.Stderr = os.Stderr
		if err := proc.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = proc.Process.Kill(); _, _ = proc.Process.Wait() })
		base := "http://" + addr
		waitHealthy(t, base)
		return base, proc
	}
	baseA, _ := start(0)
	baseB, _ := start(1)

	// Keep the whole load inside one minute window: both limits are per
	// minute, and a window boundary would legitimately admit more.
	if rem := time.Until(time.Now().Truncate(time.Minute).Add(time.Minute)); rem < 10*time.Second {
		time.Sleep(rem + 100*time.Millisecond)
	}
	minute := time.Now().Truncate(time.Minute)

	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 32}}
	type tally struct{ ok, denied, charged atomic.Int64 }
	var rpmT, tpmT tally
	var perProc [2]atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			base, proc := baseA, 0
			if w%2 == 1 {
				base, proc = baseB, 1
			}
			key, tl := keyRPM, &rpmT
			if w%4 >= 2 {
				key, tl = keyTPM, &tpmT
			}
			for i := 0; i < 12; i++ {
				stream := i%2 == 1
				opts := ""
				if stream {
					opts = `"stream":true,"stream_options":{"include_usage":true},`
				}
				body := fmt.Sprintf(`{"model":"gpt-4o","max_tokens":100,%s"messages":[{"role":"user","content":"hello quota %d-%d"}]}`, opts, w, i)
				req, _ := http.NewRequest("POST", base+"/v1/chat/completions", strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+key)
				req.Header.Set("Content-Type", "application/json")
				resp, err := client.Do(req)
				if err != nil {
					t.Errorf("request: %v", err)
					return
				}
				raw, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				switch resp.StatusCode {
				case 200:
					tl.ok.Add(1)
					perProc[proc].Add(1)
					tl.charged.Add(usageTotal(t, raw, stream))
				case 429:
					tl.denied.Add(1)
					if resp.Header.Get("Retry-After") == "" {
						t.Errorf("429 without Retry-After")
					}
				default:
					t.Errorf("status %d: %s", resp.StatusCode, raw)
				}
			}
		}(w)
	}
	wg.Wait()
	if time.Now().Truncate(time.Minute) != minute {
		t.Skip("the minute window rolled over during the load; rerun")
	}
	t.Logf("rpm role: admitted %d, denied %d (limit %d rpm)", rpmT.ok.Load(), rpmT.denied.Load(), rpm)
	t.Logf("tpm role: admitted %d, denied %d, charged %d tokens (limit %d tpm)", tpmT.ok.Load(), tpmT.denied.Load(), tpmT.charged.Load(), tpm)
	t.Logf("admitted per process: %d and %d", perProc[0].Load(), perProc[1].Load())
	if got := rpmT.ok.Load(); got != rpm {
		// 96 requests against a limit of 25 in one window: exactly the limit is admitted.
		t.Errorf("rpm role: the two processes admitted %d requests, want exactly %d", got, rpm)
	}
	if rpmT.denied.Load() == 0 || tpmT.denied.Load() == 0 {
		t.Errorf("the load must exceed both limits (rpm denied %d, tpm denied %d)", rpmT.denied.Load(), tpmT.denied.Load())
	}
	if c := tpmT.charged.Load(); c > tpm || tpmT.ok.Load() == 0 {
		t.Errorf("tpm role: %d requests admitted, charged %d tokens: over the %d TPM quota", tpmT.ok.Load(), c, tpm)
	}
	if perProc[0].Load() == 0 || perProc[1].Load() == 0 {
		t.Errorf("both processes must admit requests: %d, %d", perProc[0].Load(), perProc[1].Load())
	}

	// Both processes append to one hash chain in the shared store.
	st, err = store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rep, err := audit.Verify(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() || rep.Events != 16*12 {
		t.Fatalf("audit after the run: %d events (want %d), report %+v", rep.Events, 16*12, rep)
	}
}

// usageTotal reads total_tokens from a chat completion or from the usage
// chunk of a streamed one.
func usageTotal(t *testing.T, raw []byte, stream bool) int64 {
	t.Helper()
	type usage struct {
		Usage *struct {
			TotalTokens int64 `json:"total_tokens"`
		} `json:"usage"`
	}
	if !stream {
		var u usage
		if err := json.Unmarshal(raw, &u); err != nil || u.Usage == nil {
			t.Errorf("no usage in %s", raw)
			return 0
		}
		return u.Usage.TotalTokens
	}
	var total int64
	found := false
	for _, line := range strings.Split(string(raw), "\n") {
		data, ok := strings.CutPrefix(line, "data: ")
		if !ok || data == "[DONE]" {
			continue
		}
		var u usage
		if json.Unmarshal([]byte(data), &u) == nil && u.Usage != nil {
			total, found = u.Usage.TotalTokens, true
		}
	}
	if !found {
		t.Errorf("no usage chunk in the stream %s", raw)
	}
	return total
}
