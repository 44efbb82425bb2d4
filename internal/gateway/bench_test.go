package gateway

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"testing"
	"time"
)

// BenchmarkPipeline measures one full request through the gateway over
// loopback HTTP (auth with a cached key, policy, quota reserve/settle,
// upstream call to the mock, encode, durable SQLite audit append) for a
// plain and a streamed chat completion. Compare with BenchmarkDirect.
func BenchmarkPipeline(b *testing.B) {
	h := newHarness(b, harnessOpts{})
	// Time the durable audit append inside the request (audit-µs/op): the
	// part of ns/op the Auditor accounts for.
	var auditTime []time.Duration
	real := h.rt.Gateway.o.Auditor
	h.rt.Gateway.o.Auditor = AuditFunc(func(ctx context.Context, rec *Record) error {
		t0 := time.Now()
		err := real.Record(ctx, rec)
		auditTime = append(auditTime, time.Since(t0))
		return err
	})
	for _, bc := range []struct {
		name string
		body []byte
	}{
		{"chat", []byte(`{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Write one sentence about the sea."}],"max_tokens":64}`)},
		{"stream", []byte(`{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"Write one sentence about the sea."}],"max_tokens":64}`)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			auditTime = auditTime[:0]
			benchPost(b, h.srv.Client(), h.srv.URL+"/v1/chat/completions", h.keyAll, bc.body)
			if len(auditTime) > 0 {
				var sum time.Duration
				for _, d := range auditTime {
					sum += d
				}
				slices.Sort(auditTime)
				b.ReportMetric(float64(sum.Microseconds())/float64(len(auditTime)), "audit-µs/op")
				b.ReportMetric(float64(auditTime[len(auditTime)/2].Microseconds()), "audit-p50-µs")
			}
		})
	}
}

// BenchmarkDirect is the same request straight to the mock upstream.
func BenchmarkDirect(b *testing.B) {
	h := newHarness(b, harnessOpts{})
	benchPost(b, h.mock.Client(), h.mock.URL+"/v1/chat/completions", "mock",
		[]byte(`{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Write one sentence about the sea."}],"max_tokens":64}`))
}

// BenchmarkProxy is the same request through a bare httputil.ReverseProxy
// in front of the mock: the floor for a Go proxy hop, in the same process
// and on the same loopback as BenchmarkPipeline.
func BenchmarkProxy(b *testing.B) {
	h := newHarness(b, harnessOpts{})
	u, err := url.Parse(h.mock.URL)
	if err != nil {
		b.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.Transport = h.mock.Client().Transport
	rp.FlushInterval = -1
	srv := httptest.NewServer(rp)
	b.Cleanup(srv.Close)
	benchPost(b, srv.Client(), srv.URL+"/v1/chat/completions", "mock",
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
