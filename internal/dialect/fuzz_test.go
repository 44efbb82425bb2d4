package dialect

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/aigis-dev/aigis/internal/exchange"
	"github.com/aigis-dev/aigis/internal/sse"
)

// FuzzParseTree: the tree parser accepts exactly what encoding/json accepts
// (within the depth limit, and refusing invalid UTF-8, which encoding/json
// tolerates) and reads strings the same way.
func FuzzParseTree(f *testing.F) {
	for _, s := range []string{`{}`, `[]`, `"a\u00e9\ud83d\ude00"`, `{"a":[1,-2.5e3,true,false,null,{"b":"c"}]}`, `01`, `1.`, `"\x01"`, "\"\xff\"", `{"a" 1}`, `[1,]`, ` {"k":"v"} `, `"\ud800"`, chatBody, anthropicBody} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		tr, err := parseTree(b, 10000, 1<<20)
		if errors.Is(err, errDupKey) {
			return // stricter than encoding/json on purpose
		}
		valid := json.Valid(b) && utf8.Valid(b) // we also refuse invalid UTF-8
		if (err == nil) != valid {
			t.Fatalf("parseTree err=%v, json.Valid=%v for %q", err, valid, b)
		}
		if err != nil {
			return
		}
		if tr.kindOf(0) == kString {
			var s string
			if err := json.Unmarshal(b, &s); err != nil {
				t.Fatal(err)
			}
			if got := tr.str(0); got != s {
				t.Fatalf("str = %q, encoding/json = %q", got, s)
			}
		}
	})
}

var fuzzOps = []struct {
	codec Codec
	op    exchange.Operation
}{
	{OpenAI(Limits{}), exchange.OpChat},
	{OpenAI(Limits{}), exchange.OpResponses},
	{OpenAI(Limits{}), exchange.OpEmbeddings},
	{Anthropic(Limits{}), exchange.OpMessages},
	{Azure(Limits{}, "dep"), exchange.OpChat},
}

// FuzzDecodeRequest: decoders never panic; a decoded request re-encodes to
// valid JSON, also after every part's text changed, and decodes back to the
// changed texts.
func FuzzDecodeRequest(f *testing.F) {
	for _, s := range []string{chatBody, anthropicBody,
		`{"model":"m","input":[{"role":"user","content":"x"},{"type":"function_call_output","output":[{"type":"input_text","text":"y"}]}],"instructions":"i"}`,
		`{"model":"m","input":["a","b"]}`, `{"messages":[{"role":"user","content":"hi"}],"stream":true,"stream_options":null}`,
		`{"model":"m","max_tokens":1,"system":"s","messages":[{"role":"user","content":[{"type":"tool_use","name":"n","input":{"a":"b"}}]}]}`} {
		for i := range fuzzOps {
			f.Add(uint8(i), []byte(s))
			f.Add(uint8(i)|0x80, []byte(s)) // with a max_tokens cap applied
		}
	}
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		fo := fuzzOps[int(which)%len(fuzzOps)]
		req, err := fo.codec.DecodeRequest(fo.op, body)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error %T is not *Error", err)
			}
			return
		}
		req.ForceStreamUsage()
		capped := which&0x80 != 0 && req.Exchange.MaxTokens == 0 &&
			(fo.op == exchange.OpChat || fo.op == exchange.OpResponses || fo.op == exchange.OpMessages)
		if capped {
			req.SetMaxTokens(77) // what the gateway does for a role cap
		}
		out, err := req.UpstreamBody("up\"model")
		if err != nil {
			t.Fatalf("UpstreamBody: %v", err)
		}
		if !json.Valid(out) {
			t.Fatalf("UpstreamBody is not JSON: %s", out)
		}
		n := len(req.Exchange.Input)
		for i := range req.Exchange.Input {
			p := &req.Exchange.Input[i]
			if strings.HasPrefix(p.Text, "{") || strings.HasPrefix(p.Text, "[") {
				continue // raw JSON parts (Anthropic tool input) must stay JSON
			}
			p.Text = "[R\"" + string(rune('a'+i%26)) + "]"
		}
		out, err = req.UpstreamBody("m2")
		if err != nil {
			t.Fatalf("UpstreamBody after edit: %v", err)
		}
		req2, err := fo.codec.DecodeRequest(fo.op, out)
		if err != nil {
			t.Fatalf("re-decode: %v\n%s", err, out)
		}
		if capped && req2.Exchange.MaxTokens != 77 {
			t.Fatalf("the cap did not reach the upstream body: %d\n%s", req2.Exchange.MaxTokens, out)
		}
		if len(req2.Exchange.Input) != n {
			t.Fatalf("re-decoded %d parts, want %d", len(req2.Exchange.Input), n)
		}
		for i := range req2.Exchange.Input {
			if req2.Exchange.Input[i].Text != req.Exchange.Input[i].Text {
				t.Fatalf("part %d = %q, want %q", i, req2.Exchange.Input[i].Text, req.Exchange.Input[i].Text)
			}
		}
	})
}

// FuzzDecodeResponse: response decoders never panic and Body stays JSON.
func FuzzDecodeResponse(f *testing.F) {
	for _, s := range []string{`{"choices":[{"message":{"content":"a","tool_calls":[{"function":{"name":"f","arguments":"{}"}}]}}],"usage":{"prompt_tokens":1}}`,
		`{"output":[{"type":"message","content":[{"type":"output_text","text":"x"}]}],"usage":{"input_tokens":2}}`,
		`{"data":[],"usage":{"prompt_tokens":1,"total_tokens":1}}`,
		`{"content":[{"type":"text","text":"t"},{"type":"tool_use","input":{}}],"usage":{"input_tokens":1,"output_tokens":2}}`} {
		for i := range fuzzOps {
			f.Add(uint8(i), []byte(s))
		}
	}
	reqBodies := []string{`{"model":"m","messages":[]}`, `{"model":"m","input":"x"}`, `{"model":"m","input":"x"}`, `{"model":"m","max_tokens":1,"messages":[]}`, `{"messages":[]}`}
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		i := int(which) % len(fuzzOps)
		fo := fuzzOps[i]
		req, err := fo.codec.DecodeRequest(fo.op, []byte(reqBodies[i]))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := fo.codec.DecodeResponse(req, body)
		if err != nil {
			return
		}
		for j := range resp.Exchange.Output {
			if p := &resp.Exchange.Output[j]; p.Role != exchange.RoleToolCall || fo.op != exchange.OpMessages {
				p.Text = "x\n\"y"
			}
		}
		out, err := resp.Body()
		if err != nil || !json.Valid(out) {
			t.Fatalf("Body: %v %s", err, out)
		}
	})
}

// FuzzStreamParse: stream parsers never panic; encoding an event with a
// replaced text yields a parseable event carrying that text.
func FuzzStreamParse(f *testing.F) {
	for _, s := range []string{`{"choices":[{"index":0,"delta":{"content":"hi"}}]}`, `[DONE]`, `{"choices":[],"usage":{"total_tokens":3}}`,
		`{"type":"response.output_text.delta","delta":"x","output_index":1,"content_index":0}`, `{"type":"response.completed","response":{"output":[{"type":"message","content":[{"text":"a"}]}]}}`,
		`{"type":"content_block_delta","index":2,"delta":{"type":"text_delta","text":"x"}}`, `{"type":"message_start","message":{"usage":{"input_tokens":1}}}`} {
		for i := range fuzzOps {
			f.Add(uint8(i), "", s)
		}
	}
	reqBodies := []string{`{"model":"m","stream":true,"messages":[]}`, `{"model":"m","input":"x","stream":true}`, `{"model":"m","input":"x"}`, `{"model":"m","max_tokens":1,"stream":true,"messages":[]}`, `{"messages":[],"stream":true}`}
	f.Fuzz(func(t *testing.T, which uint8, event, data string) {
		i := int(which) % len(fuzzOps)
		fo := fuzzOps[i]
		req, err := fo.codec.DecodeRequest(fo.op, []byte(reqBodies[i]))
		if err != nil {
			t.Fatal(err)
		}
		st := fo.codec.NewStream(req)
		ev, err := st.Parse(sse.Event{Event: event, Data: data})
		if err != nil {
			return
		}
		wire := st.Encode(ev, "new \"text\"\n")
		back, err := sse.NewReader(strings.NewReader(string(wire)), 0).Next()
		if err != nil {
			t.Fatalf("re-read encoded event: %v\n%q", err, wire)
		}
		ev2, err := st.Parse(back)
		if err != nil {
			t.Fatalf("re-parse encoded event: %v\n%q", err, wire)
		}
		if ev.HasText && (!ev2.HasText || ev2.Text != "new \"text\"\n") {
			t.Fatalf("re-parsed text = %q (has %v)", ev2.Text, ev2.HasText)
		}
		_ = st.Delta(ev.PartIndex, "d")
	})
}
