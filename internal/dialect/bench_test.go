package dialect

import (
	"strings"
	"testing"

	"github.com/aigis-dev/aigis/internal/exchange"
	"github.com/aigis-dev/aigis/internal/sse"
)

// chatRequest4K is a realistic ~4 KB chat request: system prompt, a few turns,
// one tool.
func chatRequest4K() []byte {
	para := strings.Repeat("The quarterly report covers revenue, churn and the roadmap for the next two releases. ", 6)
	var b strings.Builder
	b.WriteString(`{"model":"gpt-4o-mini","temperature":0.3,"max_tokens":512,"stream":false,"messages":[`)
	b.WriteString(`{"role":"system","content":"You are a helpful assistant for ACME Corp. Answer briefly and cite sources."},`)
	for i := range 3 {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`{"role":"user","content":"` + para + ` Contact jo@example.com."},{"role":"assistant","content":"` + para + `"}`)
	}
	b.WriteString(`,{"role":"user","content":"Summarise the above for the board."}]`)
	b.WriteString(`,"tools":[{"type":"function","function":{"name":"search_docs","description":"Search internal documents","parameters":{"type":"object","properties":{"q":{"type":"string"}}}}}]}`)
	return []byte(b.String())
}

func BenchmarkChatDecodeReencode4K(b *testing.B) {
	body := chatRequest4K()
	c := OpenAI(Limits{})
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		req, err := c.DecodeRequest(exchange.OpChat, body)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := req.UpstreamBody("gpt-4o-mini-2024-07-18"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkChatDecodeRedactReencode4K(b *testing.B) {
	body := chatRequest4K()
	c := OpenAI(Limits{})
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		req, err := c.DecodeRequest(exchange.OpChat, body)
		if err != nil {
			b.Fatal(err)
		}
		for i := range req.Exchange.Input {
			if p := &req.Exchange.Input[i]; strings.Contains(p.Text, "jo@example.com") {
				p.Text = strings.ReplaceAll(p.Text, "jo@example.com", "[EMAIL]")
			}
		}
		if _, err := req.UpstreamBody("gpt-4o-mini"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkStreamParseEncode(b *testing.B) {
	cases := []struct {
		name  string
		codec Codec
		op    exchange.Operation
		body  string
		ev    sse.Event
	}{
		{"openai-chat", OpenAI(Limits{}), exchange.OpChat, `{"model":"m","stream":true,"messages":[]}`,
			sse.Event{Data: `{"id":"chatcmpl-123","object":"chat.completion.chunk","created":1700000000,"model":"gpt-4o-mini","system_fingerprint":"fp_1","choices":[{"index":0,"delta":{"content":" hello world"},"logprobs":null,"finish_reason":null}]}`}},
		{"openai-responses", OpenAI(Limits{}), exchange.OpResponses, `{"model":"m","stream":true,"input":"x"}`,
			sse.Event{Event: "response.output_text.delta", Data: `{"type":"response.output_text.delta","item_id":"msg_1","output_index":0,"content_index":0,"delta":" hello world","logprobs":[],"sequence_number":5}`}},
		{"anthropic", Anthropic(Limits{}), exchange.OpMessages, `{"model":"m","max_tokens":5,"stream":true,"messages":[]}`,
			sse.Event{Event: "content_block_delta", Data: `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":" hello world"}}`}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			req, err := c.codec.DecodeRequest(c.op, []byte(c.body))
			if err != nil {
				b.Fatal(err)
			}
			st := c.codec.NewStream(req)
			b.ReportAllocs()
			for b.Loop() {
				se, err := st.Parse(c.ev)
				if err != nil || !se.HasText {
					b.Fatal(err)
				}
				_ = st.Encode(se, " hello [X]")
			}
		})
	}
}
