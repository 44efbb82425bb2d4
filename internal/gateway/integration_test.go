package gateway

import (
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aigis-dev/aigis/internal/config"
	"github.com/aigis-dev/aigis/internal/quota"
)

// TestTwoGatewaysShareRedisTokenQuota runs two gateway instances on one
// Redis and drives concurrent load through both: together they never
// admit more than the token quota allows.
func TestTwoGatewaysShareRedisTokenQuota(t *testing.T) {
	addr := os.Getenv("AIGIS_TEST_REDIS")
	if addr == "" {
		t.Skip("set AIGIS_TEST_REDIS=127.0.0.1:6379 to run the Redis quota test")
	}
	const tpm = 1000
	prefix := fmt.Sprintf("aigis-gwtest:%d:%d:", os.Getpid(), time.Now().UnixNano()) // fresh quota state per run (-count=N included)
	mutate := func(c *config.Config) {
		c.Quota.KeyPrefix = prefix // both instances share the quota state
		for i := range c.Roles {
			if c.Roles[i].Name == "all" {
				c.Roles[i].Limits = quota.Limits{TPM: tpm}
			}
		}
	}
	a := newHarness(t, harnessOpts{redisAddr: addr, mutate: mutate})
	// The second instance shares the first one's store (same keys) and Redis.
	b := newHarness(t, harnessOpts{redisAddr: addr, mutate: mutate, storeDSN: dsnOf(t, a)})
	b.keyAll = a.keyAll

	// Each request reserves its estimate: prompt estimate + max_tokens 100.
	body := []byte(`{"model":"gpt-4o","max_tokens":100,"messages":[{"role":"user","content":"hello quota"}]}`)
	minute := time.Now().Truncate(time.Minute)
	var ok, denied atomic.Int64
	var charged atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			h := a
			if w%2 == 1 {
				h = b
			}
			for i := 0; i < 10; i++ {
				st, _, out := h.do("POST", "/v1/chat/completions", a.keyAll, "application/json", body)
				switch st {
				case 200:
					ok.Add(1)
					var u struct {
						Usage struct {
							TotalTokens int64 `json:"total_tokens"`
						} `json:"usage"`
					}
					_ = jsonUnmarshal(out, &u)
					charged.Add(u.Usage.TotalTokens)
				case 429:
					denied.Add(1)
				default:
					t.Errorf("status %d: %s", st, out)
				}
			}
		}(w)
	}
	wg.Wait()
	if time.Now().Truncate(time.Minute) != minute {
		t.Skip("the minute window rolled over during the test; rerun")
	}
	// Every admitted request was charged its real usage after a reservation
	// of its estimate: the total charged in the window stays within the quota.
	if charged.Load() > tpm {
		t.Fatalf("%d requests admitted, charged %d tokens: over the %d TPM quota", ok.Load(), charged.Load(), tpm)
	}
	if ok.Load() == 0 || denied.Load() == 0 {
		t.Fatalf("ok=%d denied=%d: the test must both admit and deny", ok.Load(), denied.Load())
	}
	t.Logf("admitted %d, denied %d, charged %d tokens (limit %d)", ok.Load(), denied.Load(), charged.Load(), tpm)
}

// dsnOf returns the DSN of a harness's SQLite store: the second gateway
// of a test shares it.
func dsnOf(t *testing.T, h *harness) string {
	t.Helper()
	return h.dsn
}

// TestPostgresBackedGateway is a smoke test of the gateway on PostgreSQL.
func TestPostgresBackedGateway(t *testing.T) {
	dsn := os.Getenv("AIGIS_TEST_POSTGRES")
	if dsn == "" {
		t.Skip("set AIGIS_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/test?sslmode=disable to run the PostgreSQL smoke test")
	}
	h := newHarness(t, harnessOpts{storeDSN: dsn})
	st, hdr, out := h.do("POST", "/v1/chat/completions", h.keyAll, "application/json", []byte(`{"model":"gpt-4o","messages":[{"role":"user","content":"pg"}]}`))
	if st != 200 {
		t.Fatalf("%d %s", st, out)
	}
	if ev := h.event(hdr.Get(headerRequestID)); ev.Status != 200 {
		t.Fatalf("audit %+v", ev)
	}
	h.verifyAudit()
}
