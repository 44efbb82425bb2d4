package mockllm_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aigis-dev/aigis/internal/mockllm"
)

// BenchmarkHandler measures the mock's own cost per request (no network), so
// benchmarks that use it as an upstream know how much of a round trip is the mock.
func BenchmarkHandler(b *testing.B) {
	h := mockllm.New(mockllm.Options{})
	for _, c := range []struct{ name, path, body string }{
		{"chat", "/v1/chat/completions", `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hello, how are you today?"}]}`},
		{"chat-stream", "/v1/chat/completions", `{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"Hello, how are you today?"}]}`},
		{"messages-stream", "/v1/messages", `{"model":"claude","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"Hello"}]}`},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				rec := httptest.NewRecorder()
				req, _ := http.NewRequest("POST", c.path, strings.NewReader(c.body))
				h.ServeHTTP(rec, req)
				if rec.Code != 200 {
					b.Fatal(rec.Code)
				}
				_, _ = io.Copy(io.Discard, rec.Body)
			}
		})
	}
}
