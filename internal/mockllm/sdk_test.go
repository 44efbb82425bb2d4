package mockllm_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go"
	aoption "github.com/anthropics/anthropic-sdk-go/option"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/responses"
	"github.com/openai/openai-go/v3/shared"

	"github.com/aigis-dev/aigis/internal/mockllm"
)

func newMock(t *testing.T, opt mockllm.Options) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(mockllm.New(opt))
	t.Cleanup(srv.Close)
	return srv
}

func openaiClient(srv *httptest.Server, opts ...option.RequestOption) openai.Client {
	return openai.NewClient(append([]option.RequestOption{option.WithBaseURL(srv.URL + "/v1/"), option.WithAPIKey("sk-test"), option.WithMaxRetries(0)}, opts...)...)
}

func anthropicClient(srv *httptest.Server) anthropic.Client {
	return anthropic.NewClient(aoption.WithBaseURL(srv.URL+"/"), aoption.WithAPIKey("sk-ant-test"), aoption.WithMaxRetries(0))
}

var weatherTool = openai.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{
	Name:        "get_weather",
	Description: openai.String("weather for a city"),
	Parameters:  shared.FunctionParameters{"type": "object", "properties": map[string]any{"input": map[string]any{"type": "string"}}},
})

func TestOpenAIChat(t *testing.T) {
	srv := newMock(t, mockllm.Options{})
	c := openaiClient(srv)
	ctx := context.Background()
	resp, err := c.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
		Model:    "gpt-4o-mini",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.SystemMessage("be nice"), openai.UserMessage("hello there")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.Choices[0].Message.Content; got != mockllm.DefaultReply {
		t.Fatalf("content = %q", got)
	}
	if resp.Model != "gpt-4o-mini" || resp.Choices[0].FinishReason != "stop" || resp.Object != "chat.completion" {
		t.Fatalf("response = %+v", resp)
	}
	// ~len/4 tokens: "be nice"+"hello there" = 18 bytes -> 5 tokens.
	if resp.Usage.PromptTokens != 5 || resp.Usage.CompletionTokens != int64((len(mockllm.DefaultReply)+3)/4) || resp.Usage.TotalTokens != resp.Usage.PromptTokens+resp.Usage.CompletionTokens {
		t.Fatalf("usage = %+v", resp.Usage)
	}
}

func TestOpenAIChatStreamEcho(t *testing.T) {
	srv := newMock(t, mockllm.Options{Echo: true, Chunks: 5})
	c := openaiClient(srv)
	text := "Echo me back, ünïcode included: 日本語 and \"quotes\"\nnewline"
	stream := c.Chat.Completions.NewStreaming(context.Background(), openai.ChatCompletionNewParams{
		Model:         "gpt-4o",
		Messages:      []openai.ChatCompletionMessageParamUnion{openai.UserMessage(text)},
		StreamOptions: openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)},
	})
	acc := openai.ChatCompletionAccumulator{}
	chunks := 0
	for stream.Next() {
		ch := stream.Current()
		acc.AddChunk(ch)
		if len(ch.Choices) > 0 && ch.Choices[0].Delta.Content != "" {
			chunks++
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if got := acc.Choices[0].Message.Content; got != text {
		t.Fatalf("accumulated = %q", got)
	}
	if chunks != 5 {
		t.Fatalf("%d content chunks, want 5", chunks)
	}
	if acc.Usage.TotalTokens == 0 || acc.Usage.CompletionTokens != int64((len(text)+3)/4) {
		t.Fatalf("usage = %+v", acc.Usage)
	}
}

func TestOpenAIChatToolCalls(t *testing.T) {
	srv := newMock(t, mockllm.Options{})
	c := openaiClient(srv)
	ctx := context.Background()
	params := openai.ChatCompletionNewParams{
		Model:    "gpt-4o",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Please call get_weather for Paris")},
		Tools:    []openai.ChatCompletionToolUnionParam{weatherTool},
	}
	resp, err := c.Chat.Completions.New(ctx, params)
	if err != nil {
		t.Fatal(err)
	}
	calls := resp.Choices[0].Message.ToolCalls
	if len(calls) != 1 || calls[0].Function.Name != "get_weather" || resp.Choices[0].FinishReason != "tool_calls" {
		t.Fatalf("tool calls = %+v", resp.Choices[0])
	}
	var args struct{ Input string }
	if err := json.Unmarshal([]byte(calls[0].Function.Arguments), &args); err != nil || args.Input != "Please call get_weather for Paris" {
		t.Fatalf("arguments %q: %v", calls[0].Function.Arguments, err)
	}

	// Streaming tool call, accumulated by the SDK.
	stream := c.Chat.Completions.NewStreaming(ctx, params)
	acc := openai.ChatCompletionAccumulator{}
	var finished []openai.FinishedChatCompletionToolCall
	for stream.Next() {
		acc.AddChunk(stream.Current())
		if tc, ok := acc.JustFinishedToolCall(); ok {
			finished = append(finished, tc)
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if len(finished) != 1 || finished[0].Name != "get_weather" || finished[0].Arguments != calls[0].Function.Arguments {
		t.Fatalf("streamed tool calls = %+v", finished)
	}

	// The tool result turn gets a text answer, not another call.
	params.Messages = append(params.Messages, resp.Choices[0].Message.ToParam(), openai.ToolMessage("sunny", calls[0].ID))
	resp, err = c.Chat.Completions.New(ctx, params)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Choices[0].Message.ToolCalls) != 0 || resp.Choices[0].Message.Content == "" {
		t.Fatalf("after tool result: %+v", resp.Choices[0].Message)
	}
}

func TestOpenAIResponses(t *testing.T) {
	srv := newMock(t, mockllm.Options{Chunks: 3})
	c := openaiClient(srv)
	ctx := context.Background()
	resp, err := c.Responses.New(ctx, responses.ResponseNewParams{
		Model: "gpt-4o",
		Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("Write a haiku")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if resp.OutputText() != mockllm.DefaultReply || resp.Status != "completed" || resp.Usage.TotalTokens != resp.Usage.InputTokens+resp.Usage.OutputTokens || resp.Usage.InputTokens != 4 {
		t.Fatalf("response = %q %s %+v", resp.OutputText(), resp.Status, resp.Usage)
	}

	stream := c.Responses.NewStreaming(ctx, responses.ResponseNewParams{
		Model: "gpt-4o",
		Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("Write a haiku")},
	})
	var deltas strings.Builder
	var completed *responses.Response
	n := 0
	for stream.Next() {
		ev := stream.Current()
		switch ev.Type {
		case "response.output_text.delta":
			deltas.WriteString(ev.Delta)
			n++
		case "response.completed":
			r := ev.AsResponseCompleted().Response
			completed = &r
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if deltas.String() != mockllm.DefaultReply || n != 3 || completed == nil || completed.OutputText() != mockllm.DefaultReply || completed.Usage.OutputTokens == 0 {
		t.Fatalf("stream deltas=%q n=%d completed=%v", deltas.String(), n, completed)
	}

	// Tool call via Responses.
	resp, err = c.Responses.New(ctx, responses.ResponseNewParams{
		Model: "gpt-4o",
		Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("use get_weather now")},
		Tools: []responses.ToolUnionParam{{OfFunction: &responses.FunctionToolParam{Name: "get_weather", Parameters: map[string]any{"type": "object"}}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Output) != 1 || resp.Output[0].Type != "function_call" || resp.Output[0].AsFunctionCall().Name != "get_weather" {
		t.Fatalf("output = %+v", resp.Output)
	}
}

func TestOpenAIEmbeddingsAndModels(t *testing.T) {
	srv := newMock(t, mockllm.Options{EmbeddingDims: 16})
	c := openaiClient(srv)
	ctx := context.Background()
	emb, err := c.Embeddings.New(ctx, openai.EmbeddingNewParams{
		Model: "text-embedding-3-small",
		Input: openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: []string{"alpha", "beta gamma"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(emb.Data) != 2 || len(emb.Data[0].Embedding) != 16 || emb.Data[1].Index != 1 || emb.Usage.PromptTokens != 4 {
		t.Fatalf("embeddings = %+v", emb)
	}
	// base64 encoding decodes to the same vector.
	emb64, err := c.Embeddings.New(ctx, openai.EmbeddingNewParams{
		Model:          "text-embedding-3-small",
		Input:          openai.EmbeddingNewParamsInputUnion{OfString: openai.String("alpha")},
		EncodingFormat: openai.EmbeddingNewParamsEncodingFormatBase64,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(emb64.Data) != 1 || len(emb64.Data[0].Embedding) != 16 {
		t.Fatalf("base64 embeddings = %+v", emb64.Data)
	}
	for i, v := range emb64.Data[0].Embedding {
		if d := v - emb.Data[0].Embedding[i]; d > 1e-5 || d < -1e-5 {
			t.Fatalf("base64 vector differs at %d: %v vs %v", i, v, emb.Data[0].Embedding[i])
		}
	}
	models, err := c.Models.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(models.Data) != len(mockllm.DefaultModels) || models.Data[0].ID != mockllm.DefaultModels[0] {
		t.Fatalf("models = %+v", models.Data)
	}
}

func TestAzureDeploymentPaths(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	srv := newMock(t, mockllm.Options{Observe: func(r *http.Request, _ []byte) {
		mu.Lock()
		seen = append(seen, r.URL.Path)
		mu.Unlock()
	}})
	c := openai.NewClient(option.WithBaseURL(srv.URL+"/openai/deployments/my-gpt/"), option.WithQuery("api-version", "2024-10-21"),
		option.WithHeader("api-key", "azure-key"), option.WithMaxRetries(0))
	resp, err := c.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{
		Model:    "ignored-by-azure",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Model != "my-gpt" || resp.Choices[0].Message.Content != mockllm.DefaultReply {
		t.Fatalf("azure response = %+v", resp)
	}
	if _, err := c.Embeddings.New(context.Background(), openai.EmbeddingNewParams{Model: "x", Input: openai.EmbeddingNewParamsInputUnion{OfString: openai.String("a")}}); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 2 || seen[0] != "/openai/deployments/my-gpt/chat/completions" || seen[1] != "/openai/deployments/my-gpt/embeddings" {
		t.Fatalf("paths = %v", seen)
	}
}

func TestAnthropicMessages(t *testing.T) {
	srv := newMock(t, mockllm.Options{Chunks: 3})
	c := anthropicClient(srv)
	ctx := context.Background()
	msg, err := c.Messages.New(ctx, anthropic.MessageNewParams{
		Model:     "claude-sonnet-4-5",
		MaxTokens: 100,
		System:    []anthropic.TextBlockParam{{Text: "be brief"}},
		Messages:  []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("hello"))},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(msg.Content) != 1 || msg.Content[0].Text != mockllm.DefaultReply || msg.StopReason != "end_turn" || msg.Usage.InputTokens != 4 || msg.Model != "claude-sonnet-4-5" {
		t.Fatalf("message = %+v", msg)
	}

	stream := c.Messages.NewStreaming(ctx, anthropic.MessageNewParams{
		Model:     "claude-sonnet-4-5",
		MaxTokens: 100,
		Messages:  []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("hello"))},
	})
	acc := anthropic.Message{}
	deltas := 0
	for stream.Next() {
		ev := stream.Current()
		if err := acc.Accumulate(ev); err != nil {
			t.Fatal(err)
		}
		if ev.Type == "content_block_delta" {
			deltas++
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if len(acc.Content) != 1 || acc.Content[0].Text != mockllm.DefaultReply || deltas != 3 || acc.Usage.OutputTokens != int64((len(mockllm.DefaultReply)+3)/4) || acc.StopReason != "end_turn" {
		t.Fatalf("accumulated = %+v deltas=%d", acc, deltas)
	}
}

func TestAnthropicToolUse(t *testing.T) {
	srv := newMock(t, mockllm.Options{})
	c := anthropicClient(srv)
	ctx := context.Background()
	params := anthropic.MessageNewParams{
		Model:     "claude-sonnet-4-5",
		MaxTokens: 100,
		Messages:  []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("look this up with crm_lookup"))},
		Tools: []anthropic.ToolUnionParam{{OfTool: &anthropic.ToolParam{Name: "crm_lookup", Description: anthropic.String("CRM"),
			InputSchema: anthropic.ToolInputSchemaParam{Properties: map[string]any{"input": map[string]any{"type": "string"}}}}}},
	}
	for _, streaming := range []bool{false, true} {
		var msg anthropic.Message
		if streaming {
			stream := c.Messages.NewStreaming(ctx, params)
			for stream.Next() {
				if err := msg.Accumulate(stream.Current()); err != nil {
					t.Fatal(err)
				}
			}
			if err := stream.Err(); err != nil {
				t.Fatal(err)
			}
		} else {
			m, err := c.Messages.New(ctx, params)
			if err != nil {
				t.Fatal(err)
			}
			msg = *m
		}
		if len(msg.Content) != 1 || msg.Content[0].Type != "tool_use" || msg.StopReason != "tool_use" {
			t.Fatalf("streaming=%v content = %+v", streaming, msg.Content)
		}
		tu := msg.Content[0].AsToolUse()
		var in struct{ Input string }
		if tu.Name != "crm_lookup" || json.Unmarshal(tu.Input, &in) != nil || in.Input != "look this up with crm_lookup" {
			t.Fatalf("streaming=%v tool_use = %+v (%s)", streaming, tu, tu.Input)
		}
	}
}

func TestFaults(t *testing.T) {
	srv := newMock(t, mockllm.Options{})
	ctx := context.Background()
	oc := openaiClient(srv, option.WithHeader("X-Mock-Fault", "429"))
	_, err := oc.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "m", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("x")}})
	var oerr *openai.Error
	if !errors.As(err, &oerr) || oerr.StatusCode != 429 || oerr.Code != "mock_fault" {
		t.Fatalf("openai 429: %v", err)
	}
	ac := anthropic.NewClient(aoption.WithBaseURL(srv.URL+"/"), aoption.WithAPIKey("k"), aoption.WithMaxRetries(0), aoption.WithHeader("X-Mock-Fault", "500"))
	_, err = ac.Messages.New(ctx, anthropic.MessageNewParams{Model: "m", MaxTokens: 5, Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("x"))}})
	var aerr *anthropic.Error
	if !errors.As(err, &aerr) || aerr.StatusCode != 500 {
		t.Fatalf("anthropic 500: %v", err)
	}

	post := func(fault string, timeout time.Duration) (*http.Response, error) {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, "POST", srv.URL+"/v1/chat/completions", strings.NewReader(`{"model":"m","stream":true,"messages":[{"role":"user","content":"x"}]}`))
		req.Header.Set("X-Mock-Fault", fault)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			_, err = io.ReadAll(resp.Body)
			resp.Body.Close()
		}
		return resp, err
	}
	if _, err := post("reset", 5*time.Second); err == nil {
		t.Fatal("reset: no error")
	}
	if _, err := post("hang", 200*time.Millisecond); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("hang: %v", err)
	}
	resp, err := post("broken-sse", 5*time.Second)
	if err == nil || resp == nil || resp.StatusCode != 200 {
		t.Fatalf("broken-sse: %v", err)
	}
	// An unknown route is a 404, not a pass-through.
	r, err := http.Post(srv.URL+"/v1/completions", "application/json", strings.NewReader(`{}`))
	if err != nil || r.StatusCode != 404 {
		t.Fatalf("unknown route: %v %v", r, err)
	}
	r.Body.Close()
}

func TestOptionsLatencyAndReply(t *testing.T) {
	srv := newMock(t, mockllm.Options{Reply: "custom", Latency: 50 * time.Millisecond})
	start := time.Now()
	c := openaiClient(srv)
	resp, err := c.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{Model: "m", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("x")}})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Choices[0].Message.Content != "custom" {
		t.Fatalf("reply = %q", resp.Choices[0].Message.Content)
	}
	if time.Since(start) < 50*time.Millisecond {
		t.Fatal("latency option not applied")
	}
	// Per-request echo header.
	ce := openaiClient(srv, option.WithHeader("X-Mock-Echo", "1"))
	resp, err = ce.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{Model: "m", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("repeat [REDACTED]")}})
	if err != nil || resp.Choices[0].Message.Content != "repeat [REDACTED]" {
		t.Fatalf("echo header: %v %+v", err, resp)
	}
}

// TestEchoAllAndChunksHeaders: X-Mock-Echo: all echoes every input text
// (system prompt included); X-Mock-Chunks sets the stream's chunk count.
func TestEchoAllAndChunksHeaders(t *testing.T) {
	srv := newMock(t, mockllm.Options{})
	c := openaiClient(srv, option.WithHeader("X-Mock-Echo", "all"), option.WithHeader("X-Mock-Chunks", "7"))
	params := openai.ChatCompletionNewParams{Model: "gpt-4o", Messages: []openai.ChatCompletionMessageParamUnion{
		openai.SystemMessage("secret system words"), openai.UserMessage("hello there friend"),
	}}
	resp, err := c.Chat.Completions.New(context.Background(), params)
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.Choices[0].Message.Content; got != "secret system words\nhello there friend" {
		t.Fatalf("echo all: %q", got)
	}
	st := c.Chat.Completions.NewStreaming(context.Background(), params)
	deltas, text := 0, ""
	for st.Next() {
		for _, ch := range st.Current().Choices {
			if ch.Delta.Content != "" {
				deltas++
				text += ch.Delta.Content
			}
		}
	}
	if err := st.Err(); err != nil {
		t.Fatal(err)
	}
	if deltas != 7 || text != "secret system words\nhello there friend" {
		t.Fatalf("%d deltas, text %q", deltas, text)
	}
}
