package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/anthropics/anthropic-sdk-go"
	aoption "github.com/anthropics/anthropic-sdk-go/option"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/shared"
)

func (h *harness) openai(key string) openai.Client {
	return openai.NewClient(option.WithBaseURL(h.srv.URL+"/v1/"), option.WithAPIKey(key), option.WithMaxRetries(0))
}

func (h *harness) anthropic(key string) anthropic.Client {
	return anthropic.NewClient(aoption.WithBaseURL(h.srv.URL), aoption.WithAPIKey(key), aoption.WithMaxRetries(0))
}

func TestOpenAIChatPlain(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	var resp *http.Response
	c := h.openai(h.keyAll)
	out, err := c.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{
		Model:    "gpt-4o-mini",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Hello there")},
	}, option.WithResponseInto(&resp))
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Choices) != 1 || out.Choices[0].Message.Content == "" {
		t.Fatalf("no reply: %+v", out)
	}
	if out.Usage.TotalTokens == 0 {
		t.Errorf("no usage in %+v", out.Usage)
	}
	ev := h.event(resp.Header.Get(headerRequestID))
	if ev.Status != 200 || ev.Model != "gpt-4o-mini" || ev.Upstream.Name != "mock" || ev.Usage.TotalTokens != out.Usage.TotalTokens {
		t.Errorf("audit event %+v", ev)
	}
	if ev.Principal.Kind != "api_key" || ev.Principal.ID == "" || len(ev.Roles) != 1 {
		t.Errorf("audit principal %+v roles %v", ev.Principal, ev.Roles)
	}
	h.verifyAudit()
}

func TestOpenAIChatStreaming(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	c := h.openai(h.keyAll)
	var resp *http.Response
	stream := c.Chat.Completions.NewStreaming(context.Background(), openai.ChatCompletionNewParams{
		Model:    "gpt-4o",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("stream please")},
	}, option.WithResponseInto(&resp))
	acc := openai.ChatCompletionAccumulator{}
	chunks := 0
	for stream.Next() {
		acc.AddChunk(stream.Current())
		chunks++
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if chunks < 2 || !strings.Contains(acc.Choices[0].Message.Content, "mock") {
		t.Fatalf("chunks=%d content=%q", chunks, acc.Choices[0].Message.Content)
	}
	ev := h.event(resp.Header.Get(headerRequestID))
	if !ev.Stream || ev.Status != 200 || ev.ErrorCode != "" || ev.Usage.TotalTokens == 0 {
		t.Errorf("audit event %+v (usage must be recorded from the stream even when the client did not ask)", ev)
	}
	if ev.TTFBMS <= 0 {
		t.Errorf("no TTFB recorded")
	}
}

func TestOpenAIToolCalls(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	c := h.openai(h.keyAll)
	params := openai.ChatCompletionNewParams{
		Model:    "gpt-4o-mini",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("please call get_weather for Paris")},
		Tools: []openai.ChatCompletionToolUnionParam{openai.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{
			Name: "get_weather", Parameters: shared.FunctionParameters{"type": "object"},
		})},
	}
	out, err := c.Chat.Completions.New(context.Background(), params)
	if err != nil {
		t.Fatal(err)
	}
	tc := out.Choices[0].Message.ToolCalls
	if len(tc) != 1 || tc[0].Function.Name != "get_weather" || !strings.Contains(tc[0].Function.Arguments, "Paris") {
		t.Fatalf("tool calls %+v", tc)
	}
	// Streaming tool call.
	stream := c.Chat.Completions.NewStreaming(context.Background(), params)
	acc := openai.ChatCompletionAccumulator{}
	for stream.Next() {
		acc.AddChunk(stream.Current())
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if len(acc.Choices) == 0 || len(acc.Choices[0].Message.ToolCalls) != 1 || !strings.Contains(acc.Choices[0].Message.ToolCalls[0].Function.Arguments, "Paris") {
		t.Fatalf("streamed tool calls %+v", acc.Choices)
	}
}

func TestOpenAIEmbeddingsAndModels(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	c := h.openai(h.keyAll)
	emb, err := c.Embeddings.New(context.Background(), openai.EmbeddingNewParams{
		Model: "text-embedding-3-small",
		Input: openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: []string{"one", "two"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(emb.Data) != 2 || len(emb.Data[0].Embedding) == 0 {
		t.Fatalf("embeddings %+v", emb.Data)
	}
	all, err := c.Models.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(all.Data) != 10 {
		t.Errorf("role all sees %d models, want 10", len(all.Data))
	}
	cm := h.openai(h.keyMini)
	mini, err := cm.Models.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(mini.Data) != 1 || mini.Data[0].ID != "gpt-4o-mini" {
		t.Errorf("role mini sees %+v, want only gpt-4o-mini", mini.Data)
	}
}

func TestOpenAIResponses(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	st, hdr, body := h.do("POST", "/v1/responses", h.keyAll, "application/json", []byte(`{"model":"gpt-4o-mini","input":"hi"}`))
	if st != 200 || !strings.Contains(string(body), "output_text") {
		t.Fatalf("status %d body %s", st, body)
	}
	if ev := h.event(hdr.Get(headerRequestID)); ev.Operation != "responses" || ev.Usage.TotalTokens == 0 {
		t.Errorf("audit %+v", ev)
	}
}

func TestAnthropicMessages(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	c := h.anthropic(h.keyAll)
	params := anthropic.MessageNewParams{
		Model:     "claude-sonnet-4-5",
		MaxTokens: 256,
		Messages:  []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("Hello Claude"))},
	}
	msg, err := c.Messages.New(context.Background(), params)
	if err != nil {
		t.Fatal(err)
	}
	if len(msg.Content) == 0 || msg.Content[0].Text == "" || msg.Usage.OutputTokens == 0 {
		t.Fatalf("message %+v", msg)
	}
	stream := c.Messages.NewStreaming(context.Background(), params)
	acc := anthropic.Message{}
	for stream.Next() {
		if err := acc.Accumulate(stream.Current()); err != nil {
			t.Fatal(err)
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if len(acc.Content) == 0 || !strings.Contains(acc.Content[0].Text, "mock") || acc.Usage.OutputTokens == 0 {
		t.Fatalf("streamed message %+v", acc)
	}
	// Errors come back in Anthropic's shape.
	bad := h.anthropic("aig_notarealkey")
	_, err = bad.Messages.New(context.Background(), params)
	var ae *anthropic.Error
	if !errors.As(err, &ae) || ae.StatusCode != 401 {
		t.Fatalf("want anthropic 401, got %v", err)
	}
	if !strings.Contains(ae.RawJSON(), `"type":"error"`) {
		t.Errorf("401 body not in Anthropic shape: %s", ae.RawJSON())
	}
	// An OpenAI-kind model is not served on /v1/messages.
	params.Model = "gpt-4o"
	_, err = c.Messages.New(context.Background(), params)
	if !errors.As(err, &ae) || ae.StatusCode != 400 {
		t.Fatalf("want 400 for a model of another API, got %v", err)
	}
}

func TestAzurePaths(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	body := []byte(`{"messages":[{"role":"user","content":"hi azure"}]}`)
	st, hdr, out := h.do("POST", "/openai/deployments/azure-gpt/chat/completions?api-version=2024-10-21", "", "application/json", body, "api-key", h.keyAll)
	if st != 200 || !strings.Contains(string(out), `"choices"`) {
		t.Fatalf("azure chat: %d %s", st, out)
	}
	if ev := h.event(hdr.Get(headerRequestID)); ev.Dialect != "azure" || ev.Model != "azure-gpt" || ev.Upstream.Name != "mock-azure" {
		t.Errorf("audit %+v", ev)
	}
	st, _, out = h.do("POST", "/openai/deployments/azure-gpt/chat/completions", "", "application/json", body, "api-key", h.keyAll)
	if st != 400 || !strings.Contains(string(out), CodeAPIVersion) {
		t.Fatalf("missing api-version: %d %s", st, out)
	}
	st, _, out = h.do("POST", "/openai/deployments/azure-gpt/embeddings?api-version=2024-10-21", "", "application/json", []byte(`{"input":"x"}`), "api-key", h.keyAll)
	if st != 200 || !strings.Contains(string(out), `"embedding"`) {
		t.Fatalf("azure embeddings: %d %s", st, out)
	}
}

// openAIError decodes an OpenAI-shaped error body.
func openAIError(t *testing.T, body []byte) (code, typ, msg string) {
	t.Helper()
	var e struct {
		Error struct {
			Message string  `json:"message"`
			Type    string  `json:"type"`
			Code    *string `json:"code"`
		} `json:"error"`
	}
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("error body is not OpenAI-shaped JSON: %s", body)
	}
	if e.Error.Code != nil {
		code = *e.Error.Code
	}
	return code, e.Error.Type, e.Error.Message
}

func TestBadInput(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	chat := "/v1/chat/completions"
	cases := []struct {
		name, method, path, ctype string
		body                      []byte
		status                    int
		code                      string
	}{
		{"malformed json", "POST", chat, "application/json", []byte(`{"model":`), 400, "invalid_request"},
		{"wrong content type", "POST", chat, "text/plain", []byte(`{}`), 415, CodeUnsupportedMedia},
		{"huge body", "POST", chat, "application/json", []byte(`{"model":"gpt-4o","messages":[{"role":"user","content":"` + strings.Repeat("a", 70<<10) + `"}]}`), 413, CodeBodyTooLarge},
		{"invalid utf-8", "POST", chat, "application/json", []byte("{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"\xff\xfe\"}]}"), 400, "invalid_request"},
		{"unknown model", "POST", chat, "application/json", []byte(`{"model":"gpt-9","messages":[{"role":"user","content":"x"}]}`), 404, CodeModelNotFound},
		{"unknown route", "POST", "/v1/fine_tuning/jobs", "application/json", []byte(`{}`), 404, CodeNotFound},
		{"wrong method", "GET", chat, "", nil, 405, CodeMethodNotAllowed},
		{"upstream 500", "POST", chat, "application/json", []byte(`{"model":"fault-500","messages":[{"role":"user","content":"x"}]}`), 502, CodeUpstreamError},
		{"upstream hang", "POST", chat, "application/json", []byte(`{"model":"fault-hang","messages":[{"role":"user","content":"x"}]}`), 504, CodeUpstreamTimeout},
		{"upstream reset", "POST", chat, "application/json", []byte(`{"model":"fault-reset","messages":[{"role":"user","content":"x"}]}`), 502, CodeUpstreamError},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st, hdr, body := h.do(tc.method, tc.path, h.keyAll, tc.ctype, tc.body)
			if st != tc.status {
				t.Fatalf("status %d, want %d: %s", st, tc.status, body)
			}
			code, _, _ := openAIError(t, body)
			if code != tc.code {
				t.Errorf("code %q, want %q (%s)", code, tc.code, body)
			}
			ev := h.event(hdr.Get(headerRequestID))
			if ev.Status != tc.status || ev.ErrorCode != tc.code {
				t.Errorf("audit status %d code %q", ev.Status, ev.ErrorCode)
			}
		})
	}
	// The gateway keeps serving after all of that.
	if st, _, body := h.do("POST", chat, h.keyAll, "application/json", []byte(`{"model":"gpt-4o","messages":[{"role":"user","content":"still there?"}]}`)); st != 200 {
		t.Fatalf("after bad input: %d %s", st, body)
	}
	h.verifyAudit()
}

func TestBrokenUpstreamStream(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	st, hdr, body := h.do("POST", "/v1/chat/completions", h.keyAll, "application/json",
		[]byte(`{"model":"fault-broken","stream":true,"messages":[{"role":"user","content":"x"}]}`))
	if st != 200 {
		t.Fatalf("status %d", st)
	}
	s := string(body)
	if strings.Contains(s, "[DONE]") {
		t.Fatalf("a broken stream must not end with [DONE]: %s", s)
	}
	if !strings.Contains(s, CodeUpstreamBroken) {
		t.Fatalf("no error event at the end: %s", s)
	}
	ev := h.event(hdr.Get(headerRequestID))
	if ev.ErrorCode != CodeUpstreamBroken {
		t.Errorf("audit error code %q", ev.ErrorCode)
	}
}

func TestAuthErrors(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	unknown := h.openai("aig_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
	_, err := unknown.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{
		Model: "gpt-4o", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("x")}})
	var oe *openai.Error
	if !errors.As(err, &oe) || oe.StatusCode != 401 {
		t.Fatalf("unknown key: want 401, got %v", err)
	}
	st, hdr, body := h.do("POST", "/v1/chat/completions", "", "application/json", []byte(`{"model":"gpt-4o","messages":[]}`))
	if st != 401 || hdr.Get("WWW-Authenticate") == "" {
		t.Fatalf("no key: %d %v", st, hdr)
	}
	if code, _, _ := openAIError(t, body); code != "missing_credentials" {
		t.Errorf("code %q", code)
	}
	// 403: the mini role may not use gpt-4o.
	mini := h.openai(h.keyMini)
	_, err = mini.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{
		Model: "gpt-4o", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("x")}})
	if !errors.As(err, &oe) || oe.StatusCode != 403 || oe.Code != "model_not_allowed" {
		t.Fatalf("want 403 model_not_allowed, got %v", err)
	}
	// 429: one request per minute.
	req := []byte(`{"model":"gpt-4o","messages":[{"role":"user","content":"x"}]}`)
	if st, _, b := h.do("POST", "/v1/chat/completions", h.keyRPM, "application/json", req); st != 200 {
		t.Fatalf("first: %d %s", st, b)
	}
	st, hdr, body = h.do("POST", "/v1/chat/completions", h.keyRPM, "application/json", req)
	if st != 429 || hdr.Get("Retry-After") == "" {
		t.Fatalf("second: %d %v %s", st, hdr, body)
	}
	if code, _, _ := openAIError(t, body); code != "rate_limit_requests" {
		t.Errorf("code %q", code)
	}
	if ev := h.event(hdr.Get(headerRequestID)); ev.Status != 429 || ev.Quota == nil || !ev.Quota.Exceeded {
		t.Errorf("audit %+v", ev)
	}
}

func TestCredentialsNeverForwarded(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	// Observe what reached the upstream by using a dedicated mock.
	var got http.Header
	h.mock.Config.Handler = wrapObserve(h.mock.Config.Handler, func(r *http.Request) { got = r.Header.Clone() })
	st, hdr, body := h.do("POST", "/v1/messages", "", "application/json",
		[]byte(`{"model":"claude-sonnet-4-5","max_tokens":10,"messages":[{"role":"user","content":"x"}]}`), "x-api-key", h.keyAll)
	if st != 200 {
		t.Fatalf("%d %s", st, body)
	}
	if got.Get("X-Api-Key") != "provider-secret-anthropic" {
		t.Errorf("upstream saw x-api-key %q, want the provider's", got.Get("X-Api-Key"))
	}
	for k, v := range got {
		if strings.Contains(strings.Join(v, ","), h.keyAll) {
			t.Errorf("caller's key forwarded in %s", k)
		}
	}
	for k, v := range hdr {
		if strings.Contains(strings.Join(v, ","), "provider-secret") {
			t.Errorf("provider credential returned in %s", k)
		}
	}
	if strings.Contains(string(body), "provider-secret") {
		t.Error("provider credential in the body")
	}
}

func wrapObserve(next http.Handler, f func(*http.Request)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f(r)
		next.ServeHTTP(w, r)
	})
}
