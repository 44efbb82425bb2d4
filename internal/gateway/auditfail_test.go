package gateway

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
)

// TestAuditFailureRefusesResponse: when the audit append fails, the
// client never gets the model's answer: a plain request gets 503
// audit_unavailable, a stream ends with an error event and no [DONE].
func TestAuditFailureRefusesResponse(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	var calls atomic.Int64
	h.rt.Gateway.o.Auditor = AuditFunc(func(context.Context, *Record) error {
		calls.Add(1)
		return errors.New("disk full")
	})
	st, _, out := h.do("POST", "/v1/chat/completions", h.keyAll, "application/json",
		[]byte(`{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}`))
	if st != 503 || !strings.Contains(string(out), "audit_unavailable") || strings.Contains(string(out), `"choices"`) {
		t.Fatalf("plain: %d %s", st, out)
	}
	st, _, out = h.do("POST", "/v1/chat/completions", h.keyAll, "application/json",
		[]byte(`{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"hi"}]}`))
	if st != 200 || !strings.Contains(string(out), "audit_unavailable") || strings.Contains(string(out), "[DONE]") {
		t.Fatalf("stream: %d %s", st, out)
	}
	if calls.Load() < 2 {
		t.Fatalf("auditor called %d times", calls.Load())
	}
}
