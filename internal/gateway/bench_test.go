package gateway

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"testing"
)

// BenchmarkPipeline measures one full request through the gateway over
// loopback HTTP (auth with a cached key, policy, quota reserve/settle,
// upstream call to the mock, encode, durable SQLite audit append) for a
// plain and a streamed chat completion. Compare with BenchmarkDirect.
func BenchmarkPipeline(b *testing.B) {
	h := newHarness(b, harnessOpts{})
	for _, bc := range []struct {
		name string
		body []byte
	}{
		{"chat", []byte(`{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Write one sentence about the sea."}],"max_tokens":64}`)},
		{"stream", []byte(`{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"Write one sentence about the sea."}],"max_tokens":64}`)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			benchPost(b, h.srv.Client(), h.srv.URL+"/v1/chat/completions", h.keyAll, bc.body)
		})
	}
}

// BenchmarkDirect is the same request straight to the mock upstream.
func BenchmarkDirect(b *testing.B) {
	h := newHarness(b, harnessOpts{})
	benchPost(b, h.mock.Client(), h.mock.URL+"/v1/chat/completions", "mock",
		[]byte(`{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Write one sentence about the sea."}],"max_tokens":64}`))
}

func benchPost(b *testing.B, c *http.Client, url, key string, body []byte) {
	b.ReportAllocs()
	for b.Loop() {
		req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
		resp, err := c.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatalf("status %d", resp.StatusCode)
		}
	}
}

// BenchmarkPipelineNoAudit is BenchmarkPipeline/chat with a no-op auditor:
// the difference is the cost of the durable audit append.
func BenchmarkPipelineNoAudit(b *testing.B) {
	h := newHarness(b, harnessOpts{})
	h.rt.Gateway.o.Auditor = AuditFunc(func(context.Context, *Record) error { return nil })
	benchPost(b, h.srv.Client(), h.srv.URL+"/v1/chat/completions", h.keyAll,
		[]byte(`{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Write one sentence about the sea."}],"max_tokens":64}`))
}
