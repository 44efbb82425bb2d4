package dialect_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/anthropics/anthropic-sdk-go"
	aoption "github.com/anthropics/anthropic-sdk-go/option"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/responses"

	"github.com/aigis-dev/aigis/internal/dialect"
	"github.com/aigis-dev/aigis/internal/exchange"
	"github.com/aigis-dev/aigis/internal/mockllm"
	"github.com/aigis-dev/aigis/internal/sse"
)

// miniProxy is the smallest gateway the dialect API allows: it redacts
// "SECRET" in requests, replaces "canned" in replies (holding back streamed
// text so a word split across chunks is still caught) and blocks a stream
// whose text contains "BLOCKME". It proves the API composes and that what
// the codecs write is accepted by the official SDKs.
func miniProxy(t *testing.T, upstream string) *httptest.Server {
	router := dialect.NewRouter(dialect.Limits{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rt, ok := router.Resolve(r.Method, r.URL.Path, r.URL.Query())
		if !ok {
			http.NotFound(w, r)
			return
		}
		body, _ := io.ReadAll(r.Body)
		req, err := rt.Codec.DecodeRequest(rt.Op, body)
		if err != nil {
			var de *dialect.Error
			errors.As(err, &de)
			rt.Codec.WriteError(w, de.Status, de.Code, de.Message)
			return
		}
		for i := range req.Exchange.Input {
			req.Exchange.Input[i].Text = strings.ReplaceAll(req.Exchange.Input[i].Text, "SECRET", "[R]")
		}
		if req.Exchange.Stream {
			req.ForceStreamUsage()
		}
		up, err := req.UpstreamBody("upstream-" + req.Exchange.Model)
		if err != nil {
			t.Error(err)
			return
		}
		path := r.URL.Path
		if rt.Deployment != "" {
			path = "/v1/chat/completions"
		}
		ureq, _ := http.NewRequestWithContext(r.Context(), "POST", upstream+path, bytes.NewReader(up))
		ureq.Header.Set("X-Mock-Echo", r.Header.Get("X-Mock-Echo"))
		resp, err := http.DefaultClient.Do(ureq)
		if err != nil {
			rt.Codec.WriteError(w, 502, "upstream_unavailable", "upstream failed")
			return
		}
		defer resp.Body.Close()
		if !req.Exchange.Stream {
			b, _ := io.ReadAll(resp.Body)
			dr, err := rt.Codec.DecodeResponse(req, b)
			if err != nil {
				rt.Codec.WriteError(w, 502, "upstream_error", err.Error())
				return
			}
			for i := range dr.Exchange.Output {
				if dr.Exchange.Output[i].Role == exchange.RoleAssistant {
					dr.Exchange.Output[i].Text = strings.ReplaceAll(dr.Exchange.Output[i].Text, "canned", "[X]")
				}
			}
			out, _ := dr.Body()
			w.Header().Set("Content-Type", "application/json")
			w.Write(out)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		st := rt.Codec.NewStream(req)
		rd := sse.NewReader(resp.Body, 0)
		held := map[int]string{}
		flush := func() {
			for part, text := range held {
				if text != "" {
					w.Write(st.Delta(part, strings.ReplaceAll(text, "canned", "[X]")))
				}
				delete(held, part)
			}
		}
		for {
			ev, err := rd.Next()
			if err != nil {
				return
			}
			se, err := st.Parse(ev)
			if err != nil {
				t.Errorf("parse: %v", err)
				return
			}
			if se.Drop {
				continue
			}
			if se.Flush {
				flush()
			}
			if !se.HasText {
				w.Write(st.Encode(se, se.Text))
				w.(http.Flusher).Flush()
				continue
			}
			text := held[se.PartIndex] + se.Text
			if strings.Contains(text, "BLOCKME") {
				w.Write(st.Error("content_blocked", "the response was blocked by policy"))
				return
			}
			text = strings.ReplaceAll(text, "canned", "[X]")
			keep := min(len(text), 5) // hold back up to 5 bytes (len("canned")-1)
			for keep > 0 && keep < len(text) && (text[len(text)-keep]&0xC0) == 0x80 {
				keep++
			}
			emit := text[:len(text)-keep]
			held[se.PartIndex] = text[len(text)-keep:]
			w.Write(st.Encode(se, emit))
			w.(http.Flusher).Flush()
		}
	})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func setup(t *testing.T, opt mockllm.Options) (*httptest.Server, *[]string) {
	var seen []string
	opt.Observe = func(r *http.Request, body []byte) { seen = append(seen, string(body)) }
	mock := httptest.NewServer(mockllm.New(opt))
	t.Cleanup(mock.Close)
	return miniProxy(t, mock.URL), &seen
}

func TestSDKsThroughCodecs(t *testing.T) {
	proxy, seen := setup(t, mockllm.Options{Chunks: 7})
	ctx := context.Background()
	oc := openai.NewClient(option.WithBaseURL(proxy.URL+"/v1/"), option.WithAPIKey("k"), option.WithMaxRetries(0))
	want := strings.ReplaceAll(mockllm.DefaultReply, "canned", "[X]")

	resp, err := oc.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "gpt", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("my SECRET")}})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Choices[0].Message.Content != want {
		t.Fatalf("chat = %q", resp.Choices[0].Message.Content)
	}
	if last := (*seen)[len(*seen)-1]; strings.Contains(last, "SECRET") || !strings.Contains(last, `"model":"upstream-gpt"`) {
		t.Fatalf("upstream saw %s", last)
	}

	// Chat stream: the client did not ask for usage, so the forced usage chunk is dropped.
	stream := oc.Chat.Completions.NewStreaming(ctx, openai.ChatCompletionNewParams{Model: "gpt", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("x")}})
	acc := openai.ChatCompletionAccumulator{}
	for stream.Next() {
		ch := stream.Current()
		if ch.Usage.TotalTokens != 0 {
			t.Fatal("usage chunk forwarded to a client that did not ask")
		}
		acc.AddChunk(ch)
	}
	if err := stream.Err(); err != nil || acc.Choices[0].Message.Content != want {
		t.Fatalf("chat stream = %q %v", acc.Choices[0].Message.Content, err)
	}
	if !strings.Contains((*seen)[len(*seen)-1], `"include_usage":true`) {
		t.Fatal("usage not forced upstream")
	}

	// Responses stream, done events rewritten.
	rs := oc.Responses.NewStreaming(ctx, responses.ResponseNewParams{Model: "gpt", Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("x")}})
	var deltas strings.Builder
	var done, completed string
	for rs.Next() {
		ev := rs.Current()
		switch ev.Type {
		case "response.output_text.delta":
			deltas.WriteString(ev.Delta)
		case "response.output_text.done":
			done = ev.Text
		case "response.completed":
			completed = ev.AsResponseCompleted().Response.OutputText()
		}
	}
	if err := rs.Err(); err != nil || deltas.String() != want || done != want || completed != want {
		t.Fatalf("responses stream: deltas=%q done=%q completed=%q err=%v", deltas.String(), done, completed, err)
	}

	// Anthropic stream.
	ac := anthropic.NewClient(aoption.WithBaseURL(proxy.URL+"/"), aoption.WithAPIKey("k"), aoption.WithMaxRetries(0))
	as := ac.Messages.NewStreaming(ctx, anthropic.MessageNewParams{Model: "claude", MaxTokens: 50, Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("SECRET x"))}})
	msg := anthropic.Message{}
	for as.Next() {
		if err := msg.Accumulate(as.Current()); err != nil {
			t.Fatal(err)
		}
	}
	if err := as.Err(); err != nil || msg.Content[0].Text != want || msg.Usage.OutputTokens == 0 {
		t.Fatalf("anthropic stream = %+v %v", msg, err)
	}
}

func TestSDKsSeeBlockedStreamAsError(t *testing.T) {
	proxy, _ := setup(t, mockllm.Options{Echo: true, Chunks: 3})
	ctx := context.Background()
	oc := openai.NewClient(option.WithBaseURL(proxy.URL+"/v1/"), option.WithAPIKey("k"), option.WithMaxRetries(0), option.WithHeader("X-Mock-Echo", "1"))
	stream := oc.Chat.Completions.NewStreaming(ctx, openai.ChatCompletionNewParams{Model: "gpt", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("please BLOCKME now")}})
	for stream.Next() {
	}
	if err := stream.Err(); err == nil || !strings.Contains(err.Error(), "content_blocked") {
		t.Fatalf("chat stream error = %v", err)
	}
	rs := oc.Responses.NewStreaming(ctx, responses.ResponseNewParams{Model: "gpt", Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("please BLOCKME now")}})
	for rs.Next() {
	}
	if err := rs.Err(); err == nil || !strings.Contains(err.Error(), "content_blocked") {
		t.Fatalf("responses stream error = %v", err)
	}
	ac := anthropic.NewClient(aoption.WithBaseURL(proxy.URL+"/"), aoption.WithAPIKey("k"), aoption.WithMaxRetries(0))
	as := ac.Messages.NewStreaming(ctx, anthropic.MessageNewParams{Model: "claude", MaxTokens: 50, Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("please BLOCKME now"))}})
	for as.Next() {
	}
	if err := as.Err(); err == nil {
		t.Fatal("anthropic blocked stream ended without error")
	}
	// A malformed request gets the dialect's 400 shape.
	_, err := oc.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "", Messages: nil})
	var oerr *openai.Error
	if !errors.As(err, &oerr) || oerr.StatusCode != 400 || oerr.Code != dialect.CodeInvalidRequest {
		t.Fatalf("bad request: %v", err)
	}
}

// Tool-call arguments stream through hold-back and Delta intact.
func TestSDKToolCallStreamsThroughCodecs(t *testing.T) {
	proxy, _ := setup(t, mockllm.Options{Chunks: 6})
	ctx := context.Background()
	oc := openai.NewClient(option.WithBaseURL(proxy.URL+"/v1/"), option.WithAPIKey("k"), option.WithMaxRetries(0))
	prompt := "please run lookup_account for ACME"
	wantArgs := `{"input":"` + prompt + `"}`
	stream := oc.Chat.Completions.NewStreaming(ctx, openai.ChatCompletionNewParams{
		Model:    "gpt",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage(prompt)},
		Tools:    []openai.ChatCompletionToolUnionParam{openai.ChatCompletionFunctionTool(openai.FunctionDefinitionParam{Name: "lookup_account"})},
	})
	acc := openai.ChatCompletionAccumulator{}
	for stream.Next() {
		acc.AddChunk(stream.Current())
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if tc := acc.Choices[0].Message.ToolCalls; len(tc) != 1 || tc[0].Function.Arguments != wantArgs || tc[0].Function.Name != "lookup_account" {
		t.Fatalf("chat tool calls = %+v", acc.Choices[0].Message.ToolCalls)
	}
	rs := oc.Responses.NewStreaming(ctx, responses.ResponseNewParams{
		Model: "gpt", Input: responses.ResponseNewParamsInputUnion{OfString: openai.String(prompt)},
		Tools: []responses.ToolUnionParam{{OfFunction: &responses.FunctionToolParam{Name: "lookup_account", Parameters: map[string]any{"type": "object"}}}},
	})
	var args strings.Builder
	for rs.Next() {
		if ev := rs.Current(); ev.Type == "response.function_call_arguments.delta" {
			args.WriteString(ev.Delta)
		}
	}
	if err := rs.Err(); err != nil || args.String() != wantArgs {
		t.Fatalf("responses tool args = %q %v", args.String(), err)
	}
	ac := anthropic.NewClient(aoption.WithBaseURL(proxy.URL+"/"), aoption.WithAPIKey("k"), aoption.WithMaxRetries(0))
	as := ac.Messages.NewStreaming(ctx, anthropic.MessageNewParams{Model: "claude", MaxTokens: 50,
		Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock(prompt))},
		Tools:    []anthropic.ToolUnionParam{{OfTool: &anthropic.ToolParam{Name: "lookup_account", InputSchema: anthropic.ToolInputSchemaParam{}}}}})
	msg := anthropic.Message{}
	for as.Next() {
		if err := msg.Accumulate(as.Current()); err != nil {
			t.Fatal(err)
		}
	}
	if err := as.Err(); err != nil || len(msg.Content) != 1 || string(msg.Content[0].AsToolUse().Input) != wantArgs {
		t.Fatalf("anthropic tool use = %+v %v", msg.Content, err)
	}
}
