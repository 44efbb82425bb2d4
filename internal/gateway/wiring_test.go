package gateway

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aigis-dev/aigis/internal/config"
	"github.com/aigis-dev/aigis/internal/policy"
)

// sseEvent is one event of a client-side SSE body.
type sseEvent struct{ name, data string }

func parseSSE(t *testing.T, body string) []sseEvent {
	t.Helper()
	var evs []sseEvent
	for _, block := range strings.Split(body, "\n\n") {
		var ev sseEvent
		for _, line := range strings.Split(block, "\n") {
			switch {
			case strings.HasPrefix(line, "event: "):
				ev.name = line[len("event: "):]
			case strings.HasPrefix(line, "data: "):
				ev.data += line[len("data: "):]
			}
		}
		if ev.data != "" {
			evs = append(evs, ev)
		}
	}
	return evs
}

// chunked makes the mock upstream split streamed replies into n chunks.
func chunked(n string) func(*config.Config) {
	return func(c *config.Config) {
		c.Upstreams[0].Headers = map[string]string{"X-Mock-Chunks": n}
		c.Upstreams[1].Headers = map[string]string{"X-Mock-Chunks": n}
	}
}

// TestResponsesStreamFlushesHeldBackText: the guard holds text back; at
// the Responses "done" events the held-back text must already have been
// sent as deltas, so the done events and response.completed repeat
// exactly what the client received (the restored original), in order.
func TestResponsesStreamFlushesHeldBackText(t *testing.T) {
	h := newHarness(t, harnessOpts{echo: true, guard: "version: 1\n", newGuard: fakeFactory, mutate: chunked("9")})
	st, hdr, out := h.do("POST", "/v1/responses", h.keyAll, "application/json",
		[]byte(`{"model":"gpt-4o","stream":true,"input":"please write to alice@example.com today about the plan"}`))
	if st != 200 {
		t.Fatalf("%d %s", st, out)
	}
	if up := string(<-h.seen); strings.Contains(up, "alice@example.com") {
		t.Fatalf("upstream saw the address: %s", up)
	}
	var deltas strings.Builder
	var doneText, completedText string
	sawDone := false
	for _, ev := range parseSSE(t, string(out)) {
		var m map[string]any
		if err := json.Unmarshal([]byte(ev.data), &m); err != nil {
			t.Fatalf("bad event %q: %v", ev.data, err)
		}
		switch m["type"] {
		case "response.output_text.delta":
			if sawDone {
				t.Fatalf("a delta after output_text.done: %s", ev.data)
			}
			deltas.WriteString(m["delta"].(string))
		case "response.output_text.done":
			sawDone = true
			doneText = m["text"].(string)
		case "response.completed":
			resp := m["response"].(map[string]any)
			item := resp["output"].([]any)[0].(map[string]any)
			completedText = item["content"].([]any)[0].(map[string]any)["text"].(string)
		}
	}
	want := "please write to alice@example.com today about the plan"
	if deltas.String() != want || doneText != want || completedText != want {
		t.Fatalf("deltas %q\ndone %q\ncompleted %q\nwant %q", deltas.String(), doneText, completedText, want)
	}
	if ev := h.event(hdr.Get(headerRequestID)); ev.Status != 200 || ev.ErrorCode != "" {
		t.Errorf("audit %d %q", ev.Status, ev.ErrorCode)
	}
}

// TestStreamBlockUsesTheStreamErrorShape: a block mid-stream ends a
// Responses stream with a Responses "error" event and an Anthropic stream
// with an Anthropic error event, never the chat shape, and no final event.
func TestStreamBlockUsesTheStreamErrorShape(t *testing.T) {
	h := newHarness(t, harnessOpts{echo: true, guard: "version: 1\n", newGuard: fakeFactory, mutate: chunked("6")})
	st, hdr, out := h.do("POST", "/v1/responses", h.keyAll, "application/json",
		[]byte(`{"model":"gpt-4o","stream":true,"input":"now say FORBIDDEN words please"}`))
	if st != 200 {
		t.Fatalf("%d %s", st, out)
	}
	evs := parseSSE(t, string(out))
	last := evs[len(evs)-1]
	var e struct {
		Type, Code string
		Error      struct{ Code string }
	}
	if err := json.Unmarshal([]byte(last.data), &e); err != nil || e.Type != "error" || e.Code != CodeResponseBlocked || e.Error.Code != CodeResponseBlocked {
		t.Fatalf("last event %q is not a Responses error event: %v", last.data, err)
	}
	if strings.Contains(string(out), "response.completed") || strings.Contains(string(out), "FORBIDDEN") {
		t.Fatalf("blocked stream leaked or completed: %s", out)
	}
	if ev := h.event(hdr.Get(headerRequestID)); ev.ErrorCode != CodeResponseBlocked {
		t.Errorf("audit code %q", ev.ErrorCode)
	}

	st, _, out = h.do("POST", "/v1/messages", h.keyAll, "application/json",
		[]byte(`{"model":"claude-sonnet-4-5","max_tokens":100,"stream":true,"messages":[{"role":"user","content":"now say FORBIDDEN words please"}]}`))
	if st != 200 {
		t.Fatalf("%d %s", st, out)
	}
	evs = parseSSE(t, string(out))
	last = evs[len(evs)-1]
	if last.name != "error" || !strings.Contains(last.data, `"type":"error"`) || !strings.Contains(last.data, CodeResponseBlocked) ||
		strings.Contains(string(out), "message_stop") {
		t.Fatalf("anthropic blocked stream: %s", out)
	}
}

// TestToolResultsUseDocumentMode: tool results reach the guard in document
// mode in every dialect (the fake guard flags INJECT only there), and a
// detected attack is refused with prompt_attack_detected in the dialect's
// shape, with the score and signals in the audit event.
func TestToolResultsUseDocumentMode(t *testing.T) {
	h := newHarness(t, harnessOpts{echo: true, guard: "version: 1\n", newGuard: fakeFactory})
	cases := []struct{ name, path, body string }{
		{"chat tool message", "/v1/chat/completions", `{"model":"gpt-4o","messages":[{"role":"user","content":"weather?"},` +
			`{"role":"assistant","tool_calls":[{"id":"c1","type":"function","function":{"name":"w","arguments":"{}"}}]},` +
			`{"role":"tool","tool_call_id":"c1","content":"sunny. INJECT"}]}`},
		{"responses function_call_output", "/v1/responses", `{"model":"gpt-4o","input":[{"role":"user","content":"weather?"},` +
			`{"type":"function_call","call_id":"c1","name":"w","arguments":"{}"},` +
			`{"type":"function_call_output","call_id":"c1","output":"sunny. INJECT"}]}`},
		{"anthropic tool_result", "/v1/messages", `{"model":"claude-sonnet-4-5","max_tokens":100,"messages":[{"role":"user","content":"weather?"},` +
			`{"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"w","input":{}}]},` +
			`{"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":[{"type":"text","text":"sunny. INJECT"}]}]}]}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st, hdr, out := h.do("POST", tc.path, h.keyAll, "application/json", []byte(tc.body))
			if st != 400 || !strings.Contains(string(out), CodePromptAttack) {
				t.Fatalf("%d %s", st, out)
			}
			if tc.path == "/v1/messages" && !strings.Contains(string(out), `"type":"error"`) {
				t.Fatalf("not Anthropic-shaped: %s", out)
			}
			ev := h.event(hdr.Get(headerRequestID))
			if ev.ErrorCode != CodePromptAttack || ev.Guard == nil || ev.Guard.InjectionScore != 0.97 ||
				len(ev.Guard.InjectionSignals) != 1 || ev.Guard.BlockedAt != "request" {
				t.Fatalf("audit %+v guard %+v", ev, ev.Guard)
			}
		})
	}
	// The same text as a user message is not a document: allowed.
	st, _, out := h.do("POST", "/v1/chat/completions", h.keyAll, "application/json",
		[]byte(`{"model":"gpt-4o","messages":[{"role":"user","content":"sunny. INJECT"}]}`))
	if st != 200 {
		t.Fatalf("user text treated as a document: %d %s", st, out)
	}
}

// TestRoleMaxTokensCap: a role's max_tokens is applied to what the
// upstream receives when the request sets no limit, in every dialect, and
// a larger requested limit is refused.
func TestRoleMaxTokensCap(t *testing.T) {
	h := newHarness(t, harnessOpts{mutate: func(c *config.Config) {
		c.Roles = append(c.Roles, policy.Role{Name: "capped", Models: []string{"*"}, Endpoints: []string{"*"}, MaxTokens: 50})
	}})
	key := h.newKey("capped")
	cases := []struct{ name, path, body, key string }{
		{"chat", "/v1/chat/completions", `{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}`, "max_completion_tokens"},
		{"chat stream", "/v1/chat/completions", `{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"hi"}]}`, "max_completion_tokens"},
		{"responses", "/v1/responses", `{"model":"gpt-4o","input":"hi"}`, "max_output_tokens"},
		{"anthropic", "/v1/messages", `{"model":"claude-sonnet-4-5","messages":[{"role":"user","content":"hi"}]}`, "max_tokens"},
		{"azure", "/openai/deployments/azure-gpt/chat/completions?api-version=2024-10-21", `{"messages":[{"role":"user","content":"hi"}]}`, "max_completion_tokens"},
		{"within cap kept", "/v1/chat/completions", `{"model":"gpt-4o","max_tokens":20,"messages":[{"role":"user","content":"hi"}]}`, "max_tokens"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st, _, out := h.do("POST", tc.path, key, "application/json", []byte(tc.body))
			if st != 200 {
				t.Fatalf("%d %s", st, out)
			}
			var up map[string]any
			if err := json.Unmarshal(<-h.seen, &up); err != nil {
				t.Fatal(err)
			}
			want := 50.0
			if tc.name == "within cap kept" {
				want = 20
			}
			if up[tc.key] != want {
				t.Fatalf("upstream got %s=%v, want %v (%v)", tc.key, up[tc.key], want, up)
			}
		})
	}
	st, _, out := h.do("POST", "/v1/messages", key, "application/json",
		[]byte(`{"model":"claude-sonnet-4-5","max_tokens":51,"messages":[{"role":"user","content":"hi"}]}`))
	if st != 403 || !strings.Contains(string(out), policy.CodeMaxTokensExceeded) || !strings.Contains(string(out), `"type":"error"`) {
		t.Fatalf("over the cap: %d %s", st, out)
	}
	select {
	case b := <-h.seen:
		t.Fatalf("a refused request reached the upstream: %s", b)
	default:
	}
}

// TestBoundaryReroute: data above a model's max_label goes to its
// boundary_fallback model instead of being blocked, and the audit says so.
func TestBoundaryReroute(t *testing.T) {
	h := newHarness(t, harnessOpts{echo: true, guard: "version: 1\n", newGuard: fakeFactory, mutate: func(c *config.Config) {
		c.Models = append(c.Models, config.Model{Name: "in-boundary", Upstream: "mock", Model: "private-llm", MaxLabel: "confidential"})
		for i := range c.Models {
			if c.Models[i].Name == "public-model" {
				c.Models[i].BoundaryFallback = "in-boundary"
			}
		}
	}})
	st, hdr, out := h.do("POST", "/v1/chat/completions", h.keyAll, "application/json",
		[]byte(`{"model":"public-model","messages":[{"role":"user","content":"CONF plan"}]}`))
	if st != 200 {
		t.Fatalf("%d %s", st, out)
	}
	var up struct{ Model string }
	if err := json.Unmarshal(<-h.seen, &up); err != nil || up.Model != "private-llm" {
		t.Fatalf("upstream model %q (%v)", up.Model, err)
	}
	ev := h.event(hdr.Get(headerRequestID))
	if ev.Guard == nil || !strings.HasPrefix(ev.Guard.Boundary, "rerouted:") || !strings.Contains(ev.Guard.Boundary, "in-boundary") ||
		ev.Upstream.Model != "private-llm" || ev.Model != "public-model" {
		t.Fatalf("audit %+v guard %+v", ev, ev.Guard)
	}
	// Public data stays on the model asked for.
	st, _, out = h.do("POST", "/v1/chat/completions", h.keyAll, "application/json",
		[]byte(`{"model":"public-model","messages":[{"role":"user","content":"plain plan"}]}`))
	if st != 200 {
		t.Fatalf("%d %s", st, out)
	}
	if err := json.Unmarshal(<-h.seen, &up); err != nil || up.Model != "gpt-4o" {
		t.Fatalf("upstream model %q (%v)", up.Model, err)
	}
}

// TestHeaderTooLargeIsDialectShaped: headers over limits.max_header_bytes
// get 431 in the route's error shape, with an audit event.
func TestHeaderTooLargeIsDialectShaped(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	big := strings.Repeat("x", 70<<10)
	st, hdr, out := h.do("POST", "/v1/chat/completions", h.keyAll, "application/json", []byte(`{}`), "X-Big", big)
	if st != 431 {
		t.Fatalf("%d %s", st, out)
	}
	if code, _, _ := openAIError(t, out); code != CodeHeaderTooLarge {
		t.Fatalf("code %q", code)
	}
	if ev := h.event(hdr.Get(headerRequestID)); ev.Status != 431 || ev.ErrorCode != CodeHeaderTooLarge {
		t.Fatalf("audit %d %q", ev.Status, ev.ErrorCode)
	}
	st, _, out = h.do("POST", "/v1/messages", h.keyAll, "application/json", []byte(`{}`), "X-Big", big)
	if st != 431 || !strings.Contains(string(out), `"type":"error"`) || !strings.Contains(string(out), CodeHeaderTooLarge) {
		t.Fatalf("anthropic: %d %s", st, out)
	}
}

// TestBadInputAnthropicShape: early errors on /v1/messages are
// Anthropic-shaped ({"type":"error","error":{...}}) and audited.
func TestBadInputAnthropicShape(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	const path = "/v1/messages"
	cases := []struct {
		name, ctype string
		body        []byte
		status      int
		code        string
	}{
		{"malformed json", "application/json", []byte(`{"model":`), 400, "invalid_request"},
		{"wrong content type", "text/plain", []byte(`{}`), 415, CodeUnsupportedMedia},
		{"huge body", "application/json", []byte(`{"model":"claude-sonnet-4-5","messages":[{"role":"user","content":"` + strings.Repeat("a", 70<<10) + `"}]}`), 413, CodeBodyTooLarge},
		{"invalid utf-8", "application/json", []byte("{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"\xff\"}]}"), 400, "invalid_request"},
		{"unknown model", "application/json", []byte(`{"model":"claude-9","max_tokens":5,"messages":[{"role":"user","content":"x"}]}`), 404, CodeModelNotFound},
		{"openai model on anthropic route", "application/json", []byte(`{"model":"gpt-4o","max_tokens":5,"messages":[{"role":"user","content":"x"}]}`), 400, CodeModelWrongAPI},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st, hdr, out := h.do("POST", path, h.keyAll, tc.ctype, tc.body)
			var e struct {
				Type  string
				Error struct{ Type, Code, Message string }
			}
			if err := json.Unmarshal(out, &e); err != nil || st != tc.status || e.Type != "error" || e.Error.Code != tc.code || e.Error.Type == "" {
				t.Fatalf("%d %s (%v)", st, out, err)
			}
			if ev := h.event(hdr.Get(headerRequestID)); ev.Status != tc.status || ev.ErrorCode != tc.code || ev.Dialect != "anthropic" {
				t.Fatalf("audit %d %q %q", ev.Status, ev.ErrorCode, ev.Dialect)
			}
		})
	}
}
