package gateway

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aigis-dev/aigis/internal/audit"
	"github.com/aigis-dev/aigis/internal/config"
	"github.com/aigis-dev/aigis/internal/mockllm"
	"github.com/aigis-dev/aigis/internal/upstream"
)

// fakeGuard is the in-test stand-in for the guard package: it
// pseudonymizes "alice@example.com", blocks "BLOCKME", labels "CONF" as
// confidential (rank 2), blocks output containing "FORBIDDEN" and treats
// "INJECT" in a document-mode text (tool results) as a prompt attack.
type fakeGuard struct{}

func (fakeGuard) NewSession() GuardSession { return &fakeSession{} }

type fakeSession struct{ used bool }

func (s *fakeSession) Inspect(_ context.Context, text string, output bool, kind TextKind) GuardResult {
	document := kind == TextDocument
	r := GuardResult{Verdict: "allow", Redacted: text, MaxLabelRank: -1}
	if document && strings.Contains(text, "INJECT") { // only document mode sees it
		return GuardResult{Verdict: "block", Injection: true, InjectionScore: 0.97, Signals: []string{"override"}, MaxLabelRank: -1}
	}
	if strings.Contains(text, "BLOCKME") || (output && strings.Contains(text, "FORBIDDEN")) {
		return GuardResult{Verdict: "block", Types: []string{"DENY"}, Reasons: []string{"blocked: DENY"}, MaxLabelRank: -1}
	}
	if strings.Contains(text, "CONF") {
		r.MaxLabelRank, r.Labels, r.Types = 2, []string{"confidential"}, []string{"CONF"}
	}
	if !output && strings.Contains(text, "alice@example.com") {
		s.used = true
		r.Verdict, r.Redacted, r.Types = "redact", strings.ReplaceAll(text, "alice@example.com", "<EMAIL_1>"), append(r.Types, "EMAIL_ADDRESS")
	}
	return r
}

func (s *fakeSession) Restore(text string) string {
	return strings.ReplaceAll(text, "<EMAIL_1>", "alice@example.com")
}

// NewStream holds back up to 16 bytes so a placeholder split across
// chunks is restored whole.
func (s *fakeSession) NewStream() GuardStream { return &fakeStream{s: s} }

type fakeStream struct {
	s       *fakeSession
	pending string
}

func (f *fakeStream) Write(chunk string) (string, GuardResult) {
	f.pending += chunk
	if strings.Contains(f.pending, "FORBIDDEN") {
		return "", GuardResult{Verdict: "block", Types: []string{"DENY"}, MaxLabelRank: -1}
	}
	if len(f.pending) <= 16 {
		return "", GuardResult{Verdict: "allow", MaxLabelRank: -1}
	}
	cut := len(f.pending) - 16
	if i := strings.LastIndexByte(f.pending[:cut], '<'); i >= 0 && !strings.Contains(f.pending[i:cut], ">") {
		cut = i // never release half a placeholder
	}
	out := f.pending[:cut]
	f.pending = f.pending[cut:]
	return f.s.Restore(out), GuardResult{Verdict: "allow", MaxLabelRank: -1}
}

func (f *fakeStream) Close() (string, GuardResult) {
	out := f.s.Restore(f.pending)
	f.pending = ""
	return out, GuardResult{Verdict: "allow", MaxLabelRank: -1}
}

func fakeFactory([]byte) (Guard, error) { return fakeGuard{}, nil }

func TestGuardRedactsRequestAndRestoresResponse(t *testing.T) {
	h := newHarness(t, harnessOpts{echo: true, guard: "version: 1\n", newGuard: fakeFactory})
	for _, stream := range []bool{false, true} {
		body := `{"model":"gpt-4o","stream":` + map[bool]string{false: "false", true: "true"}[stream] +
			`,"messages":[{"role":"user","content":"mail alice@example.com please"}]}`
		st, hdr, out := h.do("POST", "/v1/chat/completions", h.keyAll, "application/json", []byte(body))
		if st != 200 {
			t.Fatalf("stream=%v: %d %s", stream, st, out)
		}
		up := string(<-h.seen)
		if strings.Contains(up, "alice@example.com") || !strings.Contains(up, "<EMAIL_1>") {
			t.Fatalf("stream=%v: upstream saw %s", stream, up)
		}
		text := string(out)
		if stream {
			text = joinDeltas(t, text)
		}
		if !strings.Contains(text, "alice@example.com") || strings.Contains(text, "<EMAIL_1>") {
			t.Fatalf("stream=%v: client got %s (pseudonym not restored)", stream, out)
		}
		ev := h.event(hdr.Get(headerRequestID))
		if ev.Guard == nil || ev.Guard.Findings["EMAIL_ADDRESS"] != 1 || ev.Guard.Verdict != "redact" {
			t.Errorf("audit guard %+v", ev.Guard)
		}
	}
}

// joinDeltas concatenates the content deltas of an OpenAI chat stream.
func joinDeltas(t *testing.T, sse string) string {
	t.Helper()
	var b strings.Builder
	for _, line := range strings.Split(sse, "\n") {
		if i := strings.Index(line, `"content":"`); i >= 0 {
			rest := line[i+len(`"content":"`):]
			if j := strings.Index(rest, `"`); j >= 0 {
				b.WriteString(rest[:j])
			}
		}
	}
	return b.String()
}

func TestGuardBlocksAndBoundaries(t *testing.T) {
	h := newHarness(t, harnessOpts{echo: true, guard: "version: 1\n", newGuard: fakeFactory})
	st, hdr, out := h.do("POST", "/v1/chat/completions", h.keyAll, "application/json",
		[]byte(`{"model":"gpt-4o","messages":[{"role":"user","content":"BLOCKME now"}]}`))
	if st != 400 || !strings.Contains(string(out), CodeRequestBlocked) || strings.Contains(string(out), "BLOCKME now") {
		t.Fatalf("block: %d %s", st, out)
	}
	if ev := h.event(hdr.Get(headerRequestID)); ev.Guard == nil || ev.Guard.BlockedAt != "request" {
		t.Errorf("audit %+v", ev.Guard)
	}
	select {
	case b := <-h.seen:
		t.Fatalf("a blocked request reached the upstream: %s", b)
	default:
	}
	// Confidential data may not go to a model cleared for public data only.
	st, _, out = h.do("POST", "/v1/chat/completions", h.keyAll, "application/json",
		[]byte(`{"model":"public-model","messages":[{"role":"user","content":"CONF plan"}]}`))
	if st != 403 || !strings.Contains(string(out), CodeDataBoundary) {
		t.Fatalf("boundary: %d %s", st, out)
	}
	// A streamed response that turns forbidden ends with an error event, no [DONE].
	st, hdr, out = h.do("POST", "/v1/chat/completions", h.keyAll, "application/json",
		[]byte(`{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"say FORBIDDEN words"}]}`))
	if st != 200 || strings.Contains(string(out), "[DONE]") || !strings.Contains(string(out), CodeResponseBlocked) || strings.Contains(string(out), "FORBIDDEN") {
		t.Fatalf("stream block: %d %s", st, out)
	}
	if ev := h.event(hdr.Get(headerRequestID)); ev.ErrorCode != CodeResponseBlocked {
		t.Errorf("audit code %q", ev.ErrorCode)
	}
}

// observedMock is a mock upstream that reports, for each request it
// served, whether the request's context was cancelled (the gateway hung
// up) before the handler returned.
func observedMock(t *testing.T, o mockllm.Options) (*httptest.Server, chan bool) {
	t.Helper()
	cancelled := make(chan bool, 16)
	inner := mockllm.New(o)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inner.ServeHTTP(w, r)
		cancelled <- r.Context().Err() != nil
	}))
	t.Cleanup(srv.Close)
	return srv, cancelled
}

// withSlowUpstream adds the model "slow" on up and makes the upstream
// timeout an hour, so that only a client disconnect can end the call early.
func withSlowUpstream(up *httptest.Server) func(*config.Config) {
	return func(c *config.Config) {
		c.Upstreams = append(c.Upstreams, upstream.Config{Name: "slow", Kind: "openai", BaseURL: up.URL + "/v1"})
		c.Models = append(c.Models, config.Model{Name: "slow", Upstream: "slow", Model: "gpt-4o", MaxLabel: "restricted"})
		c.Limits.UpstreamTimeout = config.Duration(time.Hour)
	}
}

// waitEvent polls the audit log for an event with the error code.
func (h *harness) waitEvent(code string) *audit.Event {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for _, ev := range h.events() {
			if ev.ErrorCode == code {
				return &ev
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	h.t.Fatalf("no audit event with %s", code)
	return nil
}

// TestClientDisconnectCancelsUpstream: a client that gives up while the
// upstream has not answered cancels the upstream call (the upstream
// timeout is an hour, so nothing else could end it), and the request is
// audited as client_disconnected.
func TestClientDisconnectCancelsUpstream(t *testing.T) {
	up, cancelled := observedMock(t, mockllm.Options{Latency: time.Hour})
	h := newHarness(t, harnessOpts{mutate: withSlowUpstream(up)})
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "POST", h.srv.URL+"/v1/chat/completions",
		strings.NewReader(`{"model":"slow","messages":[{"role":"user","content":"x"}]}`))
	req.Header.Set("Authorization", "Bearer "+h.keyAll)
	req.Header.Set("Content-Type", "application/json")
	go func() {
		time.Sleep(100 * time.Millisecond) // let the call reach the upstream
		cancel()
	}()
	if _, err := h.srv.Client().Do(req); err == nil {
		t.Fatal("expected the client to give up")
	}
	select {
	case c := <-cancelled:
		if !c {
			t.Fatal("the upstream call ended without being cancelled")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the upstream call was not cancelled after the client disconnected")
	}
	if ev := h.waitEvent(CodeClientDisconnect); ev.Status != 499 {
		t.Errorf("audit %+v", ev)
	}
}

// TestClientDisconnectMidStreamCancelsUpstream: a client that hangs up
// after the first streamed chunk cancels the upstream stream, and the
// event records a truncated stream.
func TestClientDisconnectMidStreamCancelsUpstream(t *testing.T) {
	up, cancelled := observedMock(t, mockllm.Options{Chunks: 400, ChunkDelay: 25 * time.Millisecond}) // 10 s of stream
	h := newHarness(t, harnessOpts{mutate: withSlowUpstream(up)})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", h.srv.URL+"/v1/chat/completions",
		strings.NewReader(`{"model":"slow","stream":true,"messages":[{"role":"user","content":"x"}]}`))
	req.Header.Set("Authorization", "Bearer "+h.keyAll)
	req.Header.Set("Content-Type", "application/json")
	resp, err := h.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() && !strings.HasPrefix(sc.Text(), "data: {") {
	}
	if !strings.HasPrefix(sc.Text(), "data: {") {
		t.Fatalf("no first chunk: %v", sc.Err())
	}
	cancel()
	resp.Body.Close()
	select {
	case c := <-cancelled:
		if !c {
			t.Fatal("the upstream stream ran to its end: not cancelled")
		}
	case <-time.After(8 * time.Second):
		t.Fatal("the upstream stream was not cancelled after the client disconnected")
	}
	ev := h.waitEvent(CodeClientDisconnect)
	if !ev.Stream || ev.Status != 200 {
		t.Errorf("audit %+v", ev)
	}
	h.verifyAudit()
}

func TestHealthReadyMetrics(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	for _, p := range []string{"/healthz", "/readyz"} {
		if st, _, b := h.do("GET", p, "", "", nil); st != 200 {
			t.Fatalf("%s: %d %s", p, st, b)
		}
	}
	h.do("POST", "/v1/chat/completions", h.keyAll, "application/json", []byte(`{"model":"gpt-4o","messages":[{"role":"user","content":"x"}]}`))
	h.do("POST", "/v1/chat/completions", "", "application/json", []byte(`{}`))
	_, _, b := h.do("GET", "/metrics", "", "", nil)
	m := string(b)
	for _, want := range []string{
		`aigis_requests_total{route="/v1/chat/completions",status="200"} 1`,
		`aigis_denials_total{reason="missing_credentials"} 1`,
		`aigis_request_duration_seconds_bucket`,
		`aigis_tokens_total{kind="prompt",model="gpt-4o"}`,
		"aigis_audit_write_duration_seconds_count 2", // both requests audited before they were answered
		"\naigis_audit_journal_bytes ",               // the SQLite store's journal backlog
	} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	_ = net.IPv4len
}
