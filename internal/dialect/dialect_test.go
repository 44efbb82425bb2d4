package dialect

import (
	"encoding/json"
	"errors"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/aigis-dev/aigis/internal/exchange"
	"github.com/aigis-dev/aigis/internal/sse"
)

func mustJSON(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("not valid JSON: %v\n%s", err, b)
	}
	return m
}

type partWant struct {
	role exchange.Role
	text string
	name string
}

func checkParts(t *testing.T, got []exchange.Part, want []partWant) {
	t.Helper()
	if len(got) != len(want) {
		for _, p := range got {
			t.Logf("got part %s %q %q", p.Role, p.Text, p.Name)
		}
		t.Fatalf("got %d parts, want %d", len(got), len(want))
	}
	for i, w := range want {
		g := got[i]
		if g.Role != w.role || g.Text != w.text || g.Name != w.name || g.Index != i {
			t.Errorf("part %d = {%s %q %q %d}, want {%s %q %q %d}", i, g.Role, g.Text, g.Name, g.Index, w.role, w.text, w.name, i)
		}
	}
}

const chatBody = `{
  "model": "gpt-4o",
  "temperature": 0.2,
  "x_vendor": {"keep": [1, 2, {"deep": "\u00e9"}]},
  "max_tokens": 100,
  "max_completion_tokens": 50,
  "messages": [
    {"role": "developer", "content": "Be terse."},
    {"role": "user", "content": [{"type": "text", "text": "My mail is jo@example.com"}, {"type": "image_url", "image_url": {"url": "data:x"}}]},
    {"role": "assistant", "content": null, "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "lookup", "arguments": "{\"q\":\"jo\"}"}}]},
    {"role": "tool", "tool_call_id": "c1", "content": "result \"quoted\" \n line"},
    {"role": "user", "name": "bob", "content": "thanks"}
  ],
  "tools": [{"type": "function", "function": {"name": "lookup", "description": "find things", "parameters": {}}}]
}`

func TestOpenAIChatDecodeAndRewrite(t *testing.T) {
	req, err := OpenAI(Limits{}).DecodeRequest(exchange.OpChat, []byte(chatBody))
	if err != nil {
		t.Fatal(err)
	}
	x := req.Exchange
	if x.Model != "gpt-4o" || x.Dialect != "openai" || x.Operation != exchange.OpChat || x.Stream || x.MaxTokens != 100 { // the larger of max_tokens and max_completion_tokens
		t.Fatalf("exchange = %+v", x)
	}
	if !reflect.DeepEqual(x.Tools, []exchange.Tool{{Name: "lookup", Description: "find things"}}) {
		t.Fatalf("tools = %+v", x.Tools)
	}
	checkParts(t, x.Input, []partWant{
		{exchange.RoleSystem, "Be terse.", ""},
		{exchange.RoleUser, "My mail is jo@example.com", ""},
		{exchange.RoleToolCall, `{"q":"jo"}`, "lookup"},
		{exchange.RoleTool, "result \"quoted\" \n line", ""},
		{exchange.RoleUser, "thanks", "bob"},
	})

	// Unchanged: only the model differs, byte for byte elsewhere.
	out, err := req.UpstreamBody("gpt-4o-2024")
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.Replace(chatBody, `"gpt-4o"`, `"gpt-4o-2024"`, 1); string(out) != want {
		t.Fatalf("unchanged body differs:\n%s", out)
	}

	// Redact two parts; everything else must survive.
	x.Input[1].Text = "My mail is [EMAIL] <&> \u2028"
	x.Input[2].Text = `{"q":"[NAME]"}`
	out, err = req.UpstreamBody("m2")
	if err != nil {
		t.Fatal(err)
	}
	got := mustJSON(t, out)
	want := mustJSON(t, []byte(chatBody))
	want["model"] = "m2"
	msgs := want["messages"].([]any)
	msgs[1].(map[string]any)["content"].([]any)[0].(map[string]any)["text"] = "My mail is [EMAIL] <&> \u2028"
	msgs[2].(map[string]any)["tool_calls"].([]any)[0].(map[string]any)["function"].(map[string]any)["arguments"] = `{"q":"[NAME]"}`
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("rewritten body:\n%s", out)
	}
	// The re-encoded body decodes to the edited texts.
	req2, err := OpenAI(Limits{}).DecodeRequest(exchange.OpChat, out)
	if err != nil {
		t.Fatal(err)
	}
	if req2.Exchange.Input[1].Text != x.Input[1].Text || req2.Exchange.Model != "m2" {
		t.Fatalf("re-decoded = %+v", req2.Exchange.Input[1])
	}

	// Reordering parts is refused rather than silently misplacing text.
	x.Input[0].Index = 99
	if _, err := req.UpstreamBody("m"); err == nil {
		t.Fatal("UpstreamBody accepted an out-of-range part index")
	}
}

func TestForceStreamUsage(t *testing.T) {
	cases := []struct {
		name, body string
		wantsUsage bool
		want       string
	}{
		{"absent", `{"model":"m","stream":true,"messages":[]}`, false, `{"stream_options":{"include_usage":true},"model":"u","stream":true,"messages":[]}`},
		{"empty", `{"model":"m","stream":true,"stream_options":{},"messages":[]}`, false, `{"model":"u","stream":true,"stream_options":{"include_usage":true},"messages":[]}`},
		{"other", `{"model":"m","stream":true,"stream_options":{"x":1},"messages":[]}`, false, `{"model":"u","stream":true,"stream_options":{"include_usage":true,"x":1},"messages":[]}`},
		{"false", `{"model":"m","stream":true,"stream_options":{"include_usage":false},"messages":[]}`, false, `{"model":"u","stream":true,"stream_options":{"include_usage":true},"messages":[]}`},
		{"null", `{"model":"m","stream":true,"stream_options":null,"messages":[]}`, false, `{"model":"u","stream":true,"stream_options":{"include_usage":true},"messages":[]}`},
		{"asked", `{"model":"m","stream":true,"stream_options":{"include_usage":true},"messages":[]}`, true, `{"model":"u","stream":true,"stream_options":{"include_usage":true},"messages":[]}`},
		{"not streaming", `{"model":"m","messages":[]}`, false, `{"model":"u","messages":[]}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, err := OpenAI(Limits{}).DecodeRequest(exchange.OpChat, []byte(c.body))
			if err != nil {
				t.Fatal(err)
			}
			if req.ClientWantsUsage != c.wantsUsage {
				t.Fatalf("ClientWantsUsage = %v", req.ClientWantsUsage)
			}
			req.ForceStreamUsage()
			out, err := req.UpstreamBody("u")
			if err != nil {
				t.Fatal(err)
			}
			if string(out) != c.want {
				t.Fatalf("got  %s\nwant %s", out, c.want)
			}
		})
	}
}

func TestAzureDeploymentIsModel(t *testing.T) {
	rt, ok := NewRouter(Limits{}).Resolve("POST", "/openai/deployments/my-gpt4/chat/completions", url.Values{"api-version": {"2024-10-21"}})
	if !ok || rt.Deployment != "my-gpt4" || rt.APIVersion != "2024-10-21" || rt.Op != exchange.OpChat || rt.Codec.Name() != "azure" {
		t.Fatalf("route = %+v ok=%v", rt, ok)
	}
	req, err := rt.Codec.DecodeRequest(rt.Op, []byte(`{"messages":[{"role":"user","content":"hi"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if req.Exchange.Model != "my-gpt4" || req.Exchange.Dialect != "azure" {
		t.Fatalf("exchange = %+v", req.Exchange)
	}
	out, err := req.UpstreamBody("gpt-4o")
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != `{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}` {
		t.Fatalf("body = %s", out)
	}
	if _, err := rt.Codec.DecodeRequest(exchange.OpResponses, []byte(`{}`)); err == nil {
		t.Fatal("azure codec accepted responses op")
	}
}

func TestResolve(t *testing.T) {
	r := NewRouter(Limits{})
	cases := []struct {
		method, path string
		ok           bool
		dialect      string
		op           exchange.Operation
	}{
		{"POST", "/v1/chat/completions", true, "openai", exchange.OpChat},
		{"POST", "/v1/responses", true, "openai", exchange.OpResponses},
		{"POST", "/v1/embeddings", true, "openai", exchange.OpEmbeddings},
		{"GET", "/v1/models", true, "openai", exchange.OpModels},
		{"POST", "/v1/messages", true, "anthropic", exchange.OpMessages},
		{"POST", "/openai/deployments/d/embeddings", true, "azure", exchange.OpEmbeddings},
		{"GET", "/v1/chat/completions", false, "", ""},
		{"POST", "/v1/completions", false, "", ""},
		{"POST", "/v1/chat/completions/", false, "", ""},
		{"POST", "/openai/deployments/../chat/completions", false, "", ""},
		{"POST", "/openai/deployments/a%2Fb/chat/completions", false, "", ""},
		{"POST", "/openai/deployments//chat/completions", false, "", ""},
		{"POST", "/openai/deployments/d/images/generations", false, "", ""},
		{"DELETE", "/v1/models", false, "", ""},
		{"POST", "/openai/responses", true, "azure", exchange.OpResponses},
		{"GET", "/openai/responses", false, "", ""},
		{"POST", "/openai/v1/chat/completions", true, "openai", exchange.OpChat},
		{"POST", "/openai/v1/responses", true, "openai", exchange.OpResponses},
		{"POST", "/openai/v1/embeddings", true, "openai", exchange.OpEmbeddings},
		{"GET", "/openai/v1/models", true, "openai", exchange.OpModels},
		{"POST", "/openai/v1/messages", false, "", ""},
		{"POST", "/openai/v1/completions", false, "", ""},
		{"POST", "/openai/v1/chat/completions/x", false, "", ""},
	}
	for _, c := range cases {
		rt, ok := r.Resolve(c.method, c.path, nil)
		if ok != c.ok {
			t.Errorf("%s %s: ok = %v", c.method, c.path, ok)
			continue
		}
		if ok && (rt.Codec.Name() != c.dialect || rt.Op != c.op) {
			t.Errorf("%s %s: got %s %s", c.method, c.path, rt.Codec.Name(), rt.Op)
		}
	}
}

func TestResponsesDecode(t *testing.T) {
	c := OpenAI(Limits{})
	req, err := c.DecodeRequest(exchange.OpResponses, []byte(`{"model":"gpt-4o","input":"hello","instructions":"sys","max_output_tokens":77,"stream":true,"tools":[{"type":"function","name":"f","description":"d"},{"type":"web_search"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	x := req.Exchange
	checkParts(t, x.Input, []partWant{{exchange.RoleSystem, "sys", ""}, {exchange.RoleUser, "hello", ""}})
	if x.MaxTokens != 77 || !x.Stream || !req.ClientWantsUsage || len(x.Tools) != 2 || x.Tools[1].Name != "web_search" {
		t.Fatalf("exchange = %+v tools=%+v", x, x.Tools)
	}
	body := `{"model":"gpt-4o","input":[
	  {"role":"user","content":"q1"},
	  {"type":"message","role":"user","content":[{"type":"input_text","text":"q2"},{"type":"input_image","image_url":"x"}]},
	  {"type":"message","role":"assistant","content":[{"type":"output_text","text":"a1"}]},
	  {"type":"function_call","call_id":"c","name":"f","arguments":"{}"},
	  {"type":"function_call_output","call_id":"c","output":"out"},
	  {"type":"reasoning","id":"r","summary":[]}
	]}`
	req, err = c.DecodeRequest(exchange.OpResponses, []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	checkParts(t, req.Exchange.Input, []partWant{
		{exchange.RoleUser, "q1", ""}, {exchange.RoleUser, "q2", ""}, {exchange.RoleAssistant, "a1", ""},
		{exchange.RoleToolCall, "{}", "f"}, {exchange.RoleTool, "out", ""},
	})
	req.Exchange.Input[4].Text = "OUT"
	out, _ := req.UpstreamBody("gpt-4o")
	if !strings.Contains(string(out), `"output":"OUT"`) || !strings.Contains(string(out), `{"type":"reasoning","id":"r","summary":[]}`) {
		t.Fatalf("body = %s", out)
	}
}

func TestEmbeddingsDecode(t *testing.T) {
	c := OpenAI(Limits{})
	for _, tc := range []struct {
		body  string
		parts []partWant
	}{
		{`{"model":"e","input":"one"}`, []partWant{{exchange.RoleEmbedInput, "one", ""}}},
		{`{"model":"e","input":["a","b"]}`, []partWant{{exchange.RoleEmbedInput, "a", ""}, {exchange.RoleEmbedInput, "b", ""}}},
		{`{"model":"e","input":[1,2,3]}`, nil},
		{`{"model":"e","input":[[1,2],[3]]}`, nil},
	} {
		req, err := c.DecodeRequest(exchange.OpEmbeddings, []byte(tc.body))
		if err != nil {
			t.Fatalf("%s: %v", tc.body, err)
		}
		checkParts(t, req.Exchange.Input, tc.parts)
	}
	for _, bad := range []string{`{"model":"e"}`, `{"model":"e","input":5}`, `{"model":"e","input":[{}]}`} {
		if _, err := c.DecodeRequest(exchange.OpEmbeddings, []byte(bad)); err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
}

const anthropicBody = `{"model":"claude-sonnet-4-5","max_tokens":256,"stream":true,"metadata":{"user_id":"u"},
 "system":[{"type":"text","text":"You are helpful.","cache_control":{"type":"ephemeral"}}],
 "messages":[
  {"role":"user","content":"What is jo@example.com's plan?"},
  {"role":"assistant","content":[{"type":"text","text":"Let me look."},{"type":"tool_use","id":"t1","name":"crm","input":{"email":"jo@example.com"}}]},
  {"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":[{"type":"text","text":"plan: gold"}]},{"type":"tool_result","tool_use_id":"t2","content":"plain"},
    {"type":"document","title":"doc","source":{"type":"text","media_type":"text/plain","data":"doc body"}},{"type":"image","source":{"type":"base64","data":"AAAA"}}]}
 ],
 "tools":[{"name":"crm","description":"CRM lookup","input_schema":{"type":"object"}}]}`

func TestAnthropicDecodeAndRewrite(t *testing.T) {
	req, err := Anthropic(Limits{}).DecodeRequest(exchange.OpMessages, []byte(anthropicBody))
	if err != nil {
		t.Fatal(err)
	}
	x := req.Exchange
	if x.Model != "claude-sonnet-4-5" || !x.Stream || x.MaxTokens != 256 || x.Dialect != "anthropic" || len(x.Tools) != 1 || x.Tools[0].Name != "crm" {
		t.Fatalf("exchange = %+v", x)
	}
	checkParts(t, x.Input, []partWant{
		{exchange.RoleSystem, "You are helpful.", ""},
		{exchange.RoleUser, "What is jo@example.com's plan?", ""},
		{exchange.RoleAssistant, "Let me look.", ""},
		{exchange.RoleToolCall, `{"email":"jo@example.com"}`, "crm"},
		{exchange.RoleTool, "plan: gold", ""},
		{exchange.RoleTool, "plain", ""},
		{exchange.RoleDocument, "doc body", "doc"},
	})
	x.Input[1].Text = "What is [EMAIL]'s plan?"
	x.Input[3].Text = `{"email":"[EMAIL]"}`
	out, err := req.UpstreamBody("claude-x")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), "jo@example.com") || !strings.Contains(string(out), `"input":{"email":"[EMAIL]"}`) || !strings.Contains(string(out), `"model":"claude-x"`) {
		t.Fatalf("body = %s", out)
	}
	mustJSON(t, out)
	x.Input[3].Text = `{"email": broken`
	if _, err := req.UpstreamBody("m"); err == nil {
		t.Fatal("accepted a tool input edit that is not JSON")
	}
}

func TestBadRequests(t *testing.T) {
	deep := strings.Repeat(`{"a":`, 100) + "1" + strings.Repeat("}", 100)
	cases := []struct {
		name   string
		codec  Codec
		op     exchange.Operation
		body   string
		status int
	}{
		{"not json", OpenAI(Limits{}), exchange.OpChat, `{"model":`, 400},
		{"trailing", OpenAI(Limits{}), exchange.OpChat, `{"model":"m","messages":[]} x`, 400},
		{"bad utf8", OpenAI(Limits{}), exchange.OpChat, "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"\xff\"}]}", 400},
		{"array root", OpenAI(Limits{}), exchange.OpChat, `[]`, 400},
		{"deep", OpenAI(Limits{}), exchange.OpChat, deep, 400},
		{"no model", OpenAI(Limits{}), exchange.OpChat, `{"messages":[]}`, 400},
		{"model number", OpenAI(Limits{}), exchange.OpChat, `{"model":5,"messages":[]}`, 400},
		{"no messages", OpenAI(Limits{}), exchange.OpChat, `{"model":"m"}`, 400},
		{"bad role", OpenAI(Limits{}), exchange.OpChat, `{"model":"m","messages":[{"role":"wizard","content":"x"}]}`, 400},
		{"bad content", OpenAI(Limits{}), exchange.OpChat, `{"model":"m","messages":[{"role":"user","content":5}]}`, 400},
		{"stream string", OpenAI(Limits{}), exchange.OpChat, `{"model":"m","stream":"yes","messages":[]}`, 400},
		{"negative max", OpenAI(Limits{}), exchange.OpChat, `{"model":"m","max_tokens":-1,"messages":[]}`, 400},
		{"fraction max", OpenAI(Limits{}), exchange.OpChat, `{"model":"m","max_tokens":1.5,"messages":[]}`, 400},
		{"too many parts", OpenAI(Limits{MaxParts: 2}), exchange.OpChat, `{"model":"m","messages":[{"role":"user","content":"a"},{"role":"user","content":"b"},{"role":"user","content":"c"}]}`, 413},
		{"too much text", OpenAI(Limits{MaxTextBytes: 4}), exchange.OpChat, `{"model":"m","messages":[{"role":"user","content":"abcde"}]}`, 413},
		{"too many nodes", OpenAI(Limits{MaxNodes: 10}), exchange.OpChat, `{"model":"m","messages":[],"x":[1,2,3,4,5,6,7,8,9,10]}`, 413},
		{"anthropic role", Anthropic(Limits{}), exchange.OpMessages, `{"model":"m","max_tokens":1,"messages":[{"role":"system","content":"x"}]}`, 400},
		{"anthropic system", Anthropic(Limits{}), exchange.OpMessages, `{"model":"m","max_tokens":1,"system":5,"messages":[]}`, 400},
		{"anthropic text block", Anthropic(Limits{}), exchange.OpMessages, `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"text","text":1}]}]}`, 400},
		{"anthropic op", Anthropic(Limits{}), exchange.OpChat, `{}`, 400},
		{"responses input", OpenAI(Limits{}), exchange.OpResponses, `{"model":"m","input":5}`, 400},
		{"duplicate messages", OpenAI(Limits{}), exchange.OpChat, `{"model":"m","messages":[],"messages":[{"role":"user","content":"hidden"}]}`, 400},
		{"duplicate escaped key", OpenAI(Limits{}), exchange.OpChat, `{"model":"m","messages":[{"role":"user","content":"a","cont\u0065nt":"b"}]}`, 400},
	}
	for _, c := range cases {
		_, err := c.codec.DecodeRequest(c.op, []byte(c.body))
		var de *Error
		if !errors.As(err, &de) {
			t.Errorf("%s: error %v is not *Error", c.name, err)
			continue
		}
		if de.Status != c.status {
			t.Errorf("%s: status %d, want %d (%v)", c.name, de.Status, c.status, de)
		}
		if strings.Contains(de.Message, "\xff") {
			t.Errorf("%s: message echoes input", c.name)
		}
	}
}

func TestDecodeResponses(t *testing.T) {
	oa := OpenAI(Limits{})
	req, _ := oa.DecodeRequest(exchange.OpChat, []byte(`{"model":"m","messages":[]}`))
	body := `{"id":"x","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"call 555-0100","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{\"a\":1}"}}]},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7},"extra":{"keep":true}}`
	resp, err := oa.DecodeResponse(req, []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	checkParts(t, resp.Exchange.Output, []partWant{{exchange.RoleAssistant, "call 555-0100", ""}, {exchange.RoleToolCall, `{"a":1}`, "f"}})
	if req.Exchange.Usage != (exchange.Usage{PromptTokens: 3, CompletionTokens: 4, TotalTokens: 7}) {
		t.Fatalf("usage = %+v", req.Exchange.Usage)
	}
	if b, _ := resp.Body(); string(b) != body {
		t.Fatalf("unchanged body differs: %s", b)
	}
	resp.Exchange.Output[0].Text = "call [PHONE]"
	b, _ := resp.Body()
	if string(b) != strings.Replace(body, "555-0100", "[PHONE]", 1) {
		t.Fatalf("body = %s", b)
	}

	req, _ = oa.DecodeRequest(exchange.OpResponses, []byte(`{"model":"m","input":"x"}`))
	resp, err = oa.DecodeResponse(req, []byte(`{"id":"r","object":"response","output":[{"type":"reasoning","summary":[]},{"type":"message","role":"assistant","content":[{"type":"output_text","text":"hi","annotations":[]}]},{"type":"function_call","name":"g","arguments":"{}","call_id":"c"}],"usage":{"input_tokens":5,"output_tokens":6,"total_tokens":11}}`))
	if err != nil {
		t.Fatal(err)
	}
	checkParts(t, resp.Exchange.Output, []partWant{{exchange.RoleAssistant, "hi", ""}, {exchange.RoleToolCall, "{}", "g"}})
	if req.Exchange.Usage.TotalTokens != 11 || req.Exchange.Usage.PromptTokens != 5 {
		t.Fatalf("usage = %+v", req.Exchange.Usage)
	}

	req, _ = oa.DecodeRequest(exchange.OpEmbeddings, []byte(`{"model":"m","input":"x"}`))
	if _, err := oa.DecodeResponse(req, []byte(`{"object":"list","data":[],"usage":{"prompt_tokens":2,"total_tokens":2}}`)); err != nil || req.Exchange.Usage.TotalTokens != 2 {
		t.Fatalf("embeddings: %v %+v", err, req.Exchange.Usage)
	}

	an := Anthropic(Limits{})
	req, _ = an.DecodeRequest(exchange.OpMessages, []byte(`{"model":"m","max_tokens":5,"messages":[]}`))
	resp, err = an.DecodeResponse(req, []byte(`{"id":"m","type":"message","content":[{"type":"text","text":"yo"},{"type":"tool_use","id":"t","name":"f","input":{"k":"v"}}],"usage":{"input_tokens":10,"cache_read_input_tokens":5,"output_tokens":2}}`))
	if err != nil {
		t.Fatal(err)
	}
	checkParts(t, resp.Exchange.Output, []partWant{{exchange.RoleAssistant, "yo", ""}, {exchange.RoleToolCall, `{"k":"v"}`, "f"}})
	if req.Exchange.Usage != (exchange.Usage{PromptTokens: 15, CompletionTokens: 2, TotalTokens: 17}) {
		t.Fatalf("usage = %+v", req.Exchange.Usage)
	}

	for _, bad := range []string{`nope`, `[]`, `{"error":{"message":"boom"}}`, `{"object":"chat.completion"}`} {
		req, _ := oa.DecodeRequest(exchange.OpChat, []byte(`{"model":"m","messages":[]}`))
		_, err := oa.DecodeResponse(req, []byte(bad))
		var de *Error
		if !errors.As(err, &de) || de.Status != 502 {
			t.Errorf("%s: err = %v", bad, err)
		}
	}
}

func parseAll(t *testing.T, st Stream, wire string) []StreamEvent {
	t.Helper()
	r := sse.NewReader(strings.NewReader(wire), 0)
	var out []StreamEvent
	for {
		ev, err := r.Next()
		if err != nil {
			break
		}
		se, err := st.Parse(ev)
		if err != nil {
			t.Fatalf("parse %q: %v", ev.Data, err)
		}
		out = append(out, se)
	}
	return out
}

func TestChatStream(t *testing.T) {
	oa := OpenAI(Limits{})
	req, _ := oa.DecodeRequest(exchange.OpChat, []byte(`{"model":"m","stream":true,"messages":[]}`))
	req.ForceStreamUsage()
	st := oa.NewStream(req)
	wire := "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":7,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}],\"usage\":null}\n\n" +
		"data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":7,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"my ssn 123\"}}],\"usage\":null}\n\n" +
		"data: {\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":1,\"function\":{\"arguments\":\"{\\\"a\\\"\"}}]}}]}\n\n" +
		"data: {\"id\":\"c1\",\"choices\":[],\"usage\":{\"prompt_tokens\":2,\"completion_tokens\":3,\"total_tokens\":5}}\n\n" +
		"data: [DONE]\n\n"
	evs := parseAll(t, st, wire)
	if len(evs) != 5 {
		t.Fatalf("%d events", len(evs))
	}
	if evs[0].HasText || !evs[1].HasText || evs[1].Text != "my ssn 123" || evs[1].PartIndex != 0 || evs[1].Role != exchange.RoleAssistant {
		t.Fatalf("text events: %+v %+v", evs[0], evs[1])
	}
	if !evs[2].HasText || evs[2].Role != exchange.RoleToolCall || evs[2].Text != `{"a"` || evs[2].PartIndex != 2 {
		t.Fatalf("tool event: %+v", evs[2])
	}
	if evs[3].Usage == nil || evs[3].Usage.TotalTokens != 5 || !evs[3].Drop || req.Exchange.Usage.TotalTokens != 5 {
		t.Fatalf("usage event: %+v", evs[3])
	}
	if !evs[4].Final || !evs[4].Flush || evs[1].Flush {
		t.Fatal("[DONE] not final/flush, or a text chunk marked flush")
	}
	enc := st.Encode(evs[1], "my ssn [SSN]")
	if !strings.HasPrefix(string(enc), "data: {") || !strings.Contains(string(enc), `"content":"my ssn [SSN]"`) || strings.Contains(string(enc), "123") {
		t.Fatalf("encoded = %s", enc)
	}
	if got := st.Encode(evs[1], evs[1].Text); !strings.Contains(string(got), "my ssn 123") {
		t.Fatalf("unchanged encode = %s", got)
	}
	d := st.Delta(0, "tail\n")
	var chunk struct {
		ID      string `json:"id"`
		Created int64  `json:"created"`
		Choices []struct {
			Delta struct {
				Content string `json:"content"`
			} `json:"delta"`
		} `json:"choices"`
	}
	ev, err := sse.NewReader(strings.NewReader(string(d)), 0).Next()
	if err != nil || json.Unmarshal([]byte(ev.Data), &chunk) != nil || chunk.ID != "c1" || chunk.Created != 7 || chunk.Choices[0].Delta.Content != "tail\n" {
		t.Fatalf("delta = %s (%v)", d, err)
	}
	if d := st.Delta(2, "x"); !strings.Contains(string(d), `"tool_calls":[{"index":1,"function":{"arguments":"x"}}]`) {
		t.Fatalf("tool delta = %s", d)
	}
	errEv := st.Error("blocked", "the response was blocked")
	se, err := st.Parse(mustEvent(t, errEv))
	if err != nil || !se.Error {
		t.Fatalf("own error event not recognised: %s", errEv)
	}
	if _, err := st.Parse(sse.Event{Data: "{broken"}); err == nil {
		t.Fatal("broken chunk accepted")
	}
}

func mustEvent(t *testing.T, b []byte) sse.Event {
	t.Helper()
	ev, err := sse.NewReader(strings.NewReader(string(b)), 0).Next()
	if err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	return ev
}

func TestResponsesStreamRewritesDoneEvents(t *testing.T) {
	oa := OpenAI(Limits{})
	req, _ := oa.DecodeRequest(exchange.OpResponses, []byte(`{"model":"m","input":"x","stream":true}`))
	st := oa.NewStream(req)
	wire := "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"item_id\":\"msg1\",\"output_index\":0,\"content_index\":0,\"delta\":\"key sk-123\",\"sequence_number\":3}\n\n" +
		"event: response.output_text.done\ndata: {\"type\":\"response.output_text.done\",\"item_id\":\"msg1\",\"output_index\":0,\"content_index\":0,\"text\":\"key sk-123 end\",\"sequence_number\":4}\n\n" +
		"event: response.completed\ndata: {\"type\":\"response.completed\",\"response\":{\"output\":[{\"type\":\"message\",\"content\":[{\"type\":\"output_text\",\"text\":\"key sk-123 end\"}]}],\"usage\":{\"input_tokens\":1,\"output_tokens\":2,\"total_tokens\":3}},\"sequence_number\":5}\n\n"
	evs := parseAll(t, st, wire)
	if !evs[0].HasText || evs[0].Text != "key sk-123" || evs[1].HasText || !evs[1].Flush || evs[0].Flush || !evs[2].Final || evs[2].Usage.TotalTokens != 3 {
		t.Fatalf("events = %+v", evs)
	}
	a := st.Encode(evs[0], "key [KEY]")
	b := st.Delta(evs[0].PartIndex, " end")
	c := st.Encode(evs[1], "")
	d := st.Encode(evs[2], "")
	all := string(a) + string(b) + string(c) + string(d)
	if strings.Contains(all, "sk-123") {
		t.Fatalf("secret leaked through done events:\n%s", all)
	}
	if !strings.Contains(string(c), `"text":"key [KEY] end"`) || !strings.Contains(string(d), `"text":"key [KEY] end"`) || !strings.Contains(string(b), `"item_id":"msg1"`) {
		t.Fatalf("events:\n%s", all)
	}
	if e := st.Error("blocked", "no"); !strings.HasPrefix(string(e), "event: error\n") || !strings.Contains(string(e), `"error":{"code":"blocked"`) {
		t.Fatalf("error event = %s", e)
	}
}

func TestAnthropicStream(t *testing.T) {
	an := Anthropic(Limits{})
	req, _ := an.DecodeRequest(exchange.OpMessages, []byte(`{"model":"m","max_tokens":9,"stream":true,"messages":[]}`))
	st := an.NewStream(req)
	wire := "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":10,\"output_tokens\":1}}}\n\n" +
		"event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n" +
		"event: ping\ndata: {\"type\": \"ping\"}\n\n" +
		"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hi \\u00e9\"}}\n\n" +
		"event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"tool_use\",\"id\":\"t\",\"name\":\"f\",\"input\":{}}}\n\n" +
		"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"a\\\":\"}}\n\n" +
		"event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":7}}\n\n" +
		"event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"
	evs := parseAll(t, st, wire)
	if len(evs) != 8 {
		t.Fatalf("%d events", len(evs))
	}
	if evs[0].Usage == nil || evs[0].Usage.PromptTokens != 10 {
		t.Fatalf("message_start usage = %+v", evs[0].Usage)
	}
	if !evs[3].HasText || evs[3].Text != "Hi é" || evs[3].PartIndex != 0 {
		t.Fatalf("text = %+v", evs[3])
	}
	if !evs[5].HasText || evs[5].Role != exchange.RoleToolCall || evs[5].PartIndex != 1 {
		t.Fatalf("tool = %+v", evs[5])
	}
	if u := evs[6].Usage; u == nil || *u != (exchange.Usage{PromptTokens: 10, CompletionTokens: 7, TotalTokens: 17}) || req.Exchange.Usage.TotalTokens != 17 {
		t.Fatalf("message_delta usage = %+v", u)
	}
	if !evs[7].Final || !evs[6].Flush || evs[3].Flush {
		t.Fatal("message_stop not final, or flush marks wrong")
	}
	enc := st.Encode(evs[3], "Hi [NAME]")
	if !strings.HasPrefix(string(enc), "event: content_block_delta\ndata: ") || !strings.Contains(string(enc), `"text":"Hi [NAME]"`) {
		t.Fatalf("encode = %s", enc)
	}
	if d := st.Delta(1, `"x"}`); !strings.Contains(string(d), `"partial_json":"\"x\"}"`) {
		t.Fatalf("tool delta = %s", d)
	}
	if d := st.Delta(0, "t"); !strings.Contains(string(d), `"type":"text_delta","text":"t"`) {
		t.Fatalf("text delta = %s", d)
	}
	se, err := st.Parse(mustEvent(t, st.Error("blocked", "no")))
	if err != nil || !se.Error {
		t.Fatal("own error event not recognised")
	}
}

func TestWriteError(t *testing.T) {
	rec := httptest.NewRecorder()
	OpenAI(Limits{}).WriteError(rec, 403, "model_not_allowed", "model gpt-5 is not granted")
	var oe struct {
		Error struct{ Message, Type, Code string } `json:"error"`
	}
	if rec.Code != 403 || rec.Header().Get("Content-Type") != "application/json" || json.Unmarshal(rec.Body.Bytes(), &oe) != nil ||
		oe.Error.Code != "model_not_allowed" || oe.Error.Type != "permission_error" || oe.Error.Message != "model gpt-5 is not granted" {
		t.Fatalf("openai error: %d %s", rec.Code, rec.Body)
	}
	rec = httptest.NewRecorder()
	Anthropic(Limits{}).WriteError(rec, 429, "rate_limited", "slow down")
	var ae struct {
		Type  string                               `json:"type"`
		Error struct{ Type, Message, Code string } `json:"error"`
	}
	if rec.Code != 429 || json.Unmarshal(rec.Body.Bytes(), &ae) != nil || ae.Type != "error" || ae.Error.Type != "rate_limit_error" || ae.Error.Code != "rate_limited" {
		t.Fatalf("anthropic error: %d %s", rec.Code, rec.Body)
	}
	ev := mustEvent(t, Anthropic(Limits{}).StreamError("blocked", "x"))
	if ev.Event != "error" || !strings.Contains(ev.Data, `"type":"error"`) {
		t.Fatalf("anthropic stream error = %+v", ev)
	}
}

func TestJSONStringEncoding(t *testing.T) {
	for _, s := range []string{"", "plain", "q\"b\\s", "\x00\x1f\n\r\t", "é😀", "\u2028\u2029", "<>&", "bad\xffutf8"} {
		enc := appendJSONString(nil, s)
		var back string
		if err := json.Unmarshal(enc, &back); err != nil {
			t.Fatalf("%q -> %s: %v", s, enc, err)
		}
		want := strings.ToValidUTF8(s, "\uFFFD")
		if back != want {
			t.Errorf("%q -> %s -> %q", s, enc, back)
		}
		tr, err := parseTree(enc, 4, 4)
		if err != nil || tr.str(0) != want {
			t.Errorf("tree of %s: %v %q", enc, err, tr.str(0))
		}
	}
	tr, err := parseTree([]byte(`"\ud83d\ude00 \ud800 \u00e9 \/"`), 4, 4)
	if err != nil || tr.str(0) != "😀 \uFFFD é /" {
		t.Fatalf("unescape surrogates: %v %q", err, tr.str(0))
	}
}

func TestSetMaxTokens(t *testing.T) {
	cases := []struct {
		name  string
		codec Codec
		op    exchange.Operation
		body  string
		want  string
	}{
		{"chat absent", OpenAI(Limits{}), exchange.OpChat, `{"model":"m","messages":[]}`, `{"max_completion_tokens":64,"model":"u","messages":[]}`},
		{"chat legacy key", OpenAI(Limits{}), exchange.OpChat, `{"model":"m","max_tokens":0,"messages":[]}`, `{"model":"u","max_tokens":64,"messages":[]}`},
		{"chat null", OpenAI(Limits{}), exchange.OpChat, `{"model":"m","max_completion_tokens":null,"messages":[]}`, `{"model":"u","max_completion_tokens":64,"messages":[]}`},
		{"responses", OpenAI(Limits{}), exchange.OpResponses, `{"model":"m","input":"hi"}`, `{"max_output_tokens":64,"model":"u","input":"hi"}`},
		{"anthropic", Anthropic(Limits{}), exchange.OpMessages, `{"model":"m","max_tokens":9000,"messages":[]}`, `{"model":"u","max_tokens":64,"messages":[]}`},
		{"embeddings unchanged", OpenAI(Limits{}), exchange.OpEmbeddings, `{"model":"m","input":"hi"}`, `{"model":"u","input":"hi"}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, err := c.codec.DecodeRequest(c.op, []byte(c.body))
			if err != nil {
				t.Fatal(err)
			}
			req.SetMaxTokens(64)
			out, err := req.UpstreamBody("u")
			if err != nil {
				t.Fatal(err)
			}
			if string(out) != c.want {
				t.Fatalf("got  %s\nwant %s", out, c.want)
			}
		})
	}
	// Both chat keys: the larger is what a cap must compare against.
	req, err := OpenAI(Limits{}).DecodeRequest(exchange.OpChat, []byte(`{"model":"m","max_completion_tokens":10,"max_tokens":5000,"messages":[]}`))
	if err != nil {
		t.Fatal(err)
	}
	if req.Exchange.MaxTokens != 5000 {
		t.Fatalf("MaxTokens = %d, want the larger key", req.Exchange.MaxTokens)
	}
}
