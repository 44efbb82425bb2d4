package gateway

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/responses"

	"github.com/aigis-dev/aigis/internal/config"
	"github.com/aigis-dev/aigis/internal/policy"
	"github.com/aigis-dev/aigis/internal/quota"
)

// withQuotaRoles adds a role whose daily token quota one request exhausts
// and one with a token-per-minute budget for settle checks.
func withQuotaRoles(c *config.Config) {
	c.Roles = append(c.Roles,
		policy.Role{Name: "tpd-small", Models: []string{"*"}, Endpoints: []string{"*"}, Limits: quota.Limits{TPD: 300}},
		policy.Role{Name: "tpm-budget", Models: []string{"*"}, Endpoints: []string{"*"}, Limits: quota.Limits{TPM: 100000}},
	)
}

// TestSDKDenials drives 403 and 429 through the official clients: each
// sees its own typed error with the status, the stable code and, for
// rates, Retry-After.
func TestSDKDenials(t *testing.T) {
	h := newHarness(t, harnessOpts{mutate: withQuotaRoles})
	ctx := context.Background()
	chat := openai.ChatCompletionNewParams{
		Model: "gpt-4o", MaxTokens: openai.Int(200),
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("x")},
	}
	var oe *openai.Error

	// OpenAI SDK, 429: the rpm1 role allows one request a minute.
	rpm := h.openai(h.keyRPM)
	if _, err := rpm.Chat.Completions.New(ctx, chat); err != nil {
		t.Fatal(err)
	}
	_, err := rpm.Chat.Completions.New(ctx, chat)
	if !errors.As(err, &oe) || oe.StatusCode != http.StatusTooManyRequests || oe.Code != quota.CodeRequestRate {
		t.Fatalf("openai sdk: want 429 %s, got %v", quota.CodeRequestRate, err)
	}
	if ra, _ := strconv.Atoi(oe.Response.Header.Get("Retry-After")); ra < 1 || ra > 60 {
		t.Errorf("Retry-After %q", oe.Response.Header.Get("Retry-After"))
	}

	// OpenAI SDK, 403 for an exhausted daily token quota: the first request
	// reserves about 200 of 300 tokens and settles its real usage; the
	// second (another 200 reserved) no longer fits.
	tpd := h.openai(h.newKey("tpd-small"))
	if _, err := tpd.Chat.Completions.New(ctx, chat); err != nil {
		t.Fatal(err)
	}
	h.waitCounted(`aigis_requests_total{route="/v1/chat/completions",status="200"} 2`) // settled
	if _, err := tpd.Chat.Completions.New(ctx, chat); err != nil {
		t.Fatalf("second request (first settled to its real usage, about 16 tokens): %v", err)
	}
	chat.MaxTokens = openai.Int(290)
	_, err = tpd.Chat.Completions.New(ctx, chat)
	if !errors.As(err, &oe) || oe.StatusCode != http.StatusForbidden || oe.Code != quota.CodeQuotaExceeded {
		t.Fatalf("openai sdk: want 403 %s, got %v", quota.CodeQuotaExceeded, err)
	}

	// OpenAI SDK, 403 from policy on another endpoint: mini may not embed.
	mini := h.openai(h.keyMini)
	_, err = mini.Embeddings.New(ctx, openai.EmbeddingNewParams{
		Model: "text-embedding-3-small", Input: openai.EmbeddingNewParamsInputUnion{OfString: openai.String("x")}})
	if !errors.As(err, &oe) || oe.StatusCode != http.StatusForbidden || oe.Code != policy.CodeEndpointNotAllowed {
		t.Fatalf("openai sdk embeddings: want 403 %s, got %v", policy.CodeEndpointNotAllowed, err)
	}

	// Anthropic SDK: 403 and 429 in Anthropic's error shape.
	msg := anthropic.MessageNewParams{
		Model: "claude-sonnet-4-5", MaxTokens: 64,
		Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("x"))},
	}
	var ae *anthropic.Error
	amini := h.anthropic(h.keyMini)
	_, err = amini.Messages.New(ctx, msg)
	if !errors.As(err, &ae) || ae.StatusCode != http.StatusForbidden {
		t.Fatalf("anthropic sdk: want 403, got %v", err)
	}
	if raw := ae.RawJSON(); !strings.Contains(raw, `"type":"permission_error"`) || !strings.Contains(raw, policy.CodeEndpointNotAllowed) {
		t.Errorf("anthropic 403 body: %s", raw)
	}
	// The rpm1 role's one request of this minute went to the OpenAI client
	// above; the limit is the role's, shared by every key holding it.
	arpm := h.anthropic(h.newKey("rpm1"))
	_, err = arpm.Messages.New(ctx, msg)
	if !errors.As(err, &ae) || ae.StatusCode != http.StatusTooManyRequests || ae.Response.Header.Get("Retry-After") == "" {
		t.Fatalf("anthropic sdk: want 429 with Retry-After, got %v", err)
	}
	if raw := ae.RawJSON(); !strings.Contains(raw, `"type":"rate_limit_error"`) {
		t.Errorf("anthropic 429 body: %s", raw)
	}
	h.verifyAudit()
}

// TestStreamUsageSettlesQuota: a streamed call reserves its estimate and
// settles to the usage the upstream reported at the end of the stream, so
// the next request sees the budget minus the real usage.
func TestStreamUsageSettlesQuota(t *testing.T) {
	h := newHarness(t, harnessOpts{mutate: withQuotaRoles})
	key := h.newKey("tpm-budget")
	c := h.openai(key)
	const budget = 100000
	body := []byte(`{"model":"gpt-4o","max_tokens":500,"messages":[{"role":"user","content":"count me"}]}`)
	estimate := quota.EstimateTokens("count me") + 500

	stream := c.Chat.Completions.NewStreaming(context.Background(), openai.ChatCompletionNewParams{
		Model: "gpt-4o", MaxTokens: openai.Int(500),
		Messages:      []openai.ChatCompletionMessageParamUnion{openai.UserMessage("count me")},
		StreamOptions: openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)},
	})
	var used int64
	for stream.Next() {
		if u := stream.Current().Usage; u.TotalTokens > 0 {
			used = u.TotalTokens
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if used == 0 || used >= estimate {
		t.Fatalf("stream usage %d (estimate %d): the test needs usage below the estimate", used, estimate)
	}
	// The settle runs after the response, before the request's metrics:
	// wait for the request to be counted, then the next reservation's
	// header shows the budget minus the stream's real usage minus its own
	// estimate.
	h.waitCounted(`aigis_requests_total{route="/v1/chat/completions",status="200"} 1`)
	st, hdr, out := h.do("POST", "/v1/chat/completions", key, "application/json", body)
	if st != 200 {
		t.Fatalf("%d %s", st, out)
	}
	want := budget - used - estimate
	if got, _ := strconv.ParseInt(hdr.Get("X-Ratelimit-Remaining-Tokens"), 10, 64); got != want {
		t.Fatalf("remaining tokens %d, want %d (budget %d - stream usage %d - estimate %d): the stream was not settled to its usage",
			got, want, budget, used, estimate)
	}
}

// azureClient is openai-go configured the way its azure option configures
// it (that package would add azcore to go.mod): the deployment in the path,
// api-version in the query, the key in the api-key header. base is the
// path under the endpoint: "openai/deployments/NAME/" for chat and
// embeddings, "openai/" for Responses.
func (h *harness) azureClient(key, base string) openai.Client {
	return openai.NewClient(
		option.WithBaseURL(h.srv.URL+"/"+base),
		option.WithQuery("api-version", "2024-10-21"),
		option.WithHeader("api-key", key),
		option.WithAPIKey(""),
		option.WithMaxRetries(0),
	)
}

// TestAzureWithOfficialSDK drives the Azure routes with openai-go: chat,
// stream and the Azure Responses route all decode into the Exchange and
// are audited as the azure dialect; 401 and 403 come back typed.
func TestAzureWithOfficialSDK(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	c := h.azureClient(h.keyAll, "openai/deployments/azure-gpt/")
	rc := h.azureClient(h.keyAll, "openai/")
	ctx := context.Background()
	var resp *http.Response
	out, err := c.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
		Model:    "azure-gpt",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hello azure")},
	}, option.WithResponseInto(&resp))
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Choices) == 0 || out.Choices[0].Message.Content == "" {
		t.Fatalf("chat %+v", out)
	}
	if ev := h.event(resp.Header.Get(headerRequestID)); ev.Dialect != "azure" || ev.Route != "/openai/deployments/{name}/chat/completions" || ev.Upstream.Name != "mock-azure" {
		t.Errorf("chat audit %+v", ev)
	}

	stream := c.Chat.Completions.NewStreaming(ctx, openai.ChatCompletionNewParams{
		Model:    "azure-gpt",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("stream azure")},
	})
	acc := openai.ChatCompletionAccumulator{}
	for stream.Next() {
		acc.AddChunk(stream.Current())
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if len(acc.Choices) == 0 || !strings.Contains(acc.Choices[0].Message.Content, "mock") {
		t.Fatalf("stream %+v", acc.Choices)
	}

	r, err := rc.Responses.New(ctx, responses.ResponseNewParams{
		Model: "azure-gpt",
		Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("hello responses")},
	}, option.WithResponseInto(&resp))
	if err != nil {
		t.Fatal(err)
	}
	if r.OutputText() == "" || r.Usage.TotalTokens == 0 {
		t.Fatalf("responses %+v", r)
	}
	if ev := h.event(resp.Header.Get(headerRequestID)); ev.Dialect != "azure" || ev.Operation != "responses" || ev.Route != "/openai/responses" || ev.Model != "azure-gpt" {
		t.Errorf("responses audit %+v", ev)
	}

	// Unauthenticated and unauthorized through the same client.
	var oe *openai.Error
	bad := h.azureClient("aig_nope", "openai/")
	if _, err := bad.Responses.New(ctx, responses.ResponseNewParams{Model: "azure-gpt",
		Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("x")}}); !errors.As(err, &oe) || oe.StatusCode != 401 {
		t.Fatalf("want 401, got %v", err)
	}
	mini := h.azureClient(h.keyMini, "openai/deployments/azure-gpt/")
	if _, err := mini.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "azure-gpt",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("x")}}); !errors.As(err, &oe) || oe.StatusCode != 403 || oe.Code != policy.CodeModelNotAllowed {
		t.Fatalf("want 403 %s, got %v", policy.CodeModelNotAllowed, err)
	}
	// The Azure Responses route needs api-version like the deployment routes.
	st, _, body := h.do("POST", "/openai/responses", "", "application/json", []byte(`{"model":"azure-gpt","input":"x"}`), "api-key", h.keyAll)
	if st != 400 || !strings.Contains(string(body), CodeAPIVersion) {
		t.Fatalf("no api-version: %d %s", st, body)
	}
	h.verifyAudit()
}

// waitCounted polls /metrics until it shows line: the request it counts
// has finished (quota settled, audit written). A synchronisation, not a
// timing assertion.
func (h *harness) waitCounted(line string) {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, _, out := h.do("GET", "/metrics", "", "", nil)
		if strings.Contains(string(out), line+"\n") {
			return
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("metrics never showed %s", line)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
