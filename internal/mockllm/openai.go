package mockllm

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"math"
	"net/http"
	"strconv"

	"github.com/aigis-dev/aigis/internal/exchange"
)

func appendUsageChat(b []byte, c *call) []byte {
	b = append(b, `{"prompt_tokens":`...)
	b = strconv.AppendInt(b, c.prompt, 10)
	b = append(b, `,"completion_tokens":`...)
	b = strconv.AppendInt(b, c.complete, 10)
	b = append(b, `,"total_tokens":`...)
	b = strconv.AppendInt(b, c.prompt+c.complete, 10)
	return append(b, `,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}`...)
}

func appendChatHead(b []byte, c *call, object string) []byte {
	b = append(b, `{"id":"chatcmpl-mock-`...)
	b = strconv.AppendInt(b, c.id, 10)
	b = append(b, `","object":"`...)
	b = append(b, object...)
	b = append(b, `","created":`...)
	b = strconv.AppendInt(b, c.created, 10)
	b = append(b, `,"model":`...)
	b = append(b, c.model...)
	return append(b, `,"system_fingerprint":"fp_aigis_mock","service_tier":"default"`...)
}

func appendCallID(b []byte, c *call) []byte {
	b = append(b, `"call_mock_`...)
	b = strconv.AppendInt(b, c.id, 10)
	return append(b, '"')
}

func (s *server) chatBody(c *call) []byte {
	b := make([]byte, 0, 512+len(c.text)+len(c.toolArgs))
	b = appendChatHead(b, c, "chat.completion")
	b = append(b, `,"choices":[{"index":0,"message":{"role":"assistant",`...)
	if c.tool != "" {
		b = append(b, `"content":null,"refusal":null,"annotations":[],"tool_calls":[{"id":`...)
		b = appendCallID(b, c)
		b = append(b, `,"type":"function","function":{"name":`...)
		b = append(b, jsonString(c.tool)...)
		b = append(b, `,"arguments":`...)
		b = append(b, jsonString(c.toolArgs)...)
		b = append(b, `}}]},"logprobs":null,"finish_reason":"tool_calls"}]`...)
	} else {
		b = append(b, `"content":`...)
		b = append(b, c.text...)
		b = append(b, `,"refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"stop"}]`...)
	}
	b = append(b, `,"usage":`...)
	b = appendUsageChat(b, c)
	return append(b, '}')
}

func (s *server) streamChat(w http.ResponseWriter, r *http.Request, c *call) {
	sw := s.startSSE(w, r)
	chunk := func(delta string, finish string) []byte {
		b := make([]byte, 0, 256+len(delta))
		b = appendChatHead(b, c, "chat.completion.chunk")
		b = append(b, `,"choices":[{"index":0,"delta":`...)
		b = append(b, delta...)
		b = append(b, `,"logprobs":null,"finish_reason":`...)
		b = append(b, finish...)
		b = append(b, `}]`...)
		if c.usage {
			b = append(b, `,"usage":null`...)
		}
		return append(b, '}')
	}
	if c.tool != "" {
		head := `{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":` + string(appendCallID(nil, c)) +
			`,"type":"function","function":{"name":` + string(jsonString(c.tool)) + `,"arguments":""}}]}`
		if !sw.send("", chunk(head, "null")) {
			return
		}
		for _, part := range chunks(c.toolArgs, c.chunks) {
			if !sw.pause() || !sw.send("", chunk(`{"tool_calls":[{"index":0,"function":{"arguments":`+string(jsonString(part))+`}}]}`, "null")) {
				return
			}
		}
		if !sw.send("", chunk("{}", `"tool_calls"`)) {
			return
		}
	} else {
		if !sw.send("", chunk(`{"role":"assistant","content":"","refusal":null}`, "null")) {
			return
		}
		for _, part := range chunks(c.rawText, c.chunks) {
			if !sw.pause() || !sw.send("", chunk(`{"content":`+string(jsonString(part))+`}`, "null")) {
				return
			}
		}
		if !sw.send("", chunk("{}", `"stop"`)) {
			return
		}
	}
	if c.usage {
		b := appendChatHead(nil, c, "chat.completion.chunk")
		b = append(b, `,"choices":[],"usage":`...)
		b = appendUsageChat(b, c)
		b = append(b, '}')
		if !sw.send("", b) {
			return
		}
	}
	sw.send("", []byte("[DONE]"))
}

// --- Responses ---

func appendRespID(b []byte, prefix string, c *call) []byte {
	b = append(b, '"')
	b = append(b, prefix...)
	b = strconv.AppendInt(b, c.id, 10)
	return append(b, '"')
}

// appendOutputItem writes the finished output item (message or function_call).
func appendOutputItem(b []byte, c *call, status string) []byte {
	if c.tool != "" {
		b = append(b, `{"type":"function_call","id":`...)
		b = appendRespID(b, "fc_mock_", c)
		b = append(b, `,"call_id":`...)
		b = appendCallID(b, c)
		b = append(b, `,"name":`...)
		b = append(b, jsonString(c.tool)...)
		b = append(b, `,"arguments":`...)
		if status == "completed" {
			b = append(b, jsonString(c.toolArgs)...)
		} else {
			b = append(b, `""`...)
		}
		b = append(b, `,"status":"`...)
		b = append(b, status...)
		return append(b, `"}`...)
	}
	b = append(b, `{"type":"message","id":`...)
	b = appendRespID(b, "msg_mock_", c)
	b = append(b, `,"status":"`...)
	b = append(b, status...)
	b = append(b, `","role":"assistant","content":[`...)
	if status == "completed" {
		b = append(b, `{"type":"output_text","text":`...)
		b = append(b, c.text...)
		b = append(b, `,"annotations":[],"logprobs":[]}`...)
	}
	return append(b, "]}"...)
}

func (s *server) appendResponse(b []byte, c *call, status string) []byte {
	b = append(b, `{"id":`...)
	b = appendRespID(b, "resp_mock_", c)
	b = append(b, `,"object":"response","created_at":`...)
	b = strconv.AppendInt(b, c.created, 10)
	b = append(b, `,"status":"`...)
	b = append(b, status...)
	b = append(b, `","error":null,"incomplete_details":null,"instructions":null,"max_output_tokens":null,"model":`...)
	b = append(b, c.model...)
	b = append(b, `,"output":[`...)
	if status == "completed" {
		b = appendOutputItem(b, c, "completed")
	}
	b = append(b, `],"parallel_tool_calls":true,"previous_response_id":null,"reasoning":{"effort":null,"summary":null},"store":false,"temperature":1.0,"text":{"format":{"type":"text"}},"tool_choice":"auto","tools":[],"top_p":1.0,"truncation":"disabled","usage":`...)
	if status == "completed" {
		b = append(b, `{"input_tokens":`...)
		b = strconv.AppendInt(b, c.prompt, 10)
		b = append(b, `,"input_tokens_details":{"cached_tokens":0},"output_tokens":`...)
		b = strconv.AppendInt(b, c.complete, 10)
		b = append(b, `,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":`...)
		b = strconv.AppendInt(b, c.prompt+c.complete, 10)
		b = append(b, '}')
	} else {
		b = append(b, "null"...)
	}
	return append(b, `,"user":null,"metadata":{}}`...)
}

func (s *server) responsesBody(c *call) []byte {
	return s.appendResponse(make([]byte, 0, 1024+len(c.text)+len(c.toolArgs)), c, "completed")
}

func (s *server) streamResponses(w http.ResponseWriter, r *http.Request, c *call) {
	sw := s.startSSE(w, r)
	seq := int64(0)
	ev := func(typ string, fill func(b []byte) []byte) bool {
		b := make([]byte, 0, 512)
		b = append(b, `{"type":"`...)
		b = append(b, typ...)
		b = append(b, '"')
		b = fill(b)
		b = append(b, `,"sequence_number":`...)
		b = strconv.AppendInt(b, seq, 10)
		seq++
		return sw.send(typ, append(b, '}'))
	}
	itemRef := func(b []byte) []byte {
		b = append(b, `,"item_id":`...)
		if c.tool != "" {
			b = appendRespID(b, "fc_mock_", c)
		} else {
			b = appendRespID(b, "msg_mock_", c)
		}
		return append(b, `,"output_index":0`...)
	}
	if !ev("response.created", func(b []byte) []byte { return s.appendResponse(append(b, `,"response":`...), c, "in_progress") }) ||
		!ev("response.in_progress", func(b []byte) []byte { return s.appendResponse(append(b, `,"response":`...), c, "in_progress") }) ||
		!ev("response.output_item.added", func(b []byte) []byte {
			return appendOutputItem(append(b, `,"output_index":0,"item":`...), c, "in_progress")
		}) {
		return
	}
	if c.tool != "" {
		for _, part := range chunks(c.toolArgs, c.chunks) {
			if !sw.pause() || !ev("response.function_call_arguments.delta", func(b []byte) []byte {
				return append(append(itemRef(b), `,"delta":`...), jsonString(part)...)
			}) {
				return
			}
		}
		if !ev("response.function_call_arguments.done", func(b []byte) []byte {
			return append(append(itemRef(b), `,"arguments":`...), jsonString(c.toolArgs)...)
		}) {
			return
		}
	} else {
		textPart := func(b []byte, text []byte) []byte {
			b = append(b, `,"part":{"type":"output_text","text":`...)
			b = append(b, text...)
			return append(b, `,"annotations":[],"logprobs":[]}`...)
		}
		if !ev("response.content_part.added", func(b []byte) []byte {
			return textPart(append(itemRef(b), `,"content_index":0`...), []byte(`""`))
		}) {
			return
		}
		for _, part := range chunks(c.rawText, c.chunks) {
			if !sw.pause() || !ev("response.output_text.delta", func(b []byte) []byte {
				b = append(itemRef(b), `,"content_index":0,"delta":`...)
				return append(append(b, jsonString(part)...), `,"logprobs":[]`...)
			}) {
				return
			}
		}
		if !ev("response.output_text.done", func(b []byte) []byte {
			b = append(itemRef(b), `,"content_index":0,"text":`...)
			return append(append(b, c.text...), `,"logprobs":[]`...)
		}) || !ev("response.content_part.done", func(b []byte) []byte {
			return textPart(append(itemRef(b), `,"content_index":0`...), c.text)
		}) {
			return
		}
	}
	if !ev("response.output_item.done", func(b []byte) []byte {
		return appendOutputItem(append(b, `,"output_index":0,"item":`...), c, "completed")
	}) {
		return
	}
	ev("response.completed", func(b []byte) []byte { return s.appendResponse(append(b, `,"response":`...), c, "completed") })
}

// --- embeddings and models ---

func (s *server) writeEmbeddings(w http.ResponseWriter, c *call, body []byte) {
	base64Format := false
	// encoding_format is rare; a cheap scan keeps the common path free of a second parse.
	if i := bytes.Index(body, []byte(`"encoding_format"`)); i >= 0 && bytes.Index(body[i:], []byte(`"base64"`)) >= 0 {
		base64Format = true
	}
	inputs := make([]string, 0, len(c.x.Input))
	for _, p := range c.x.Input {
		if p.Role == exchange.RoleEmbedInput {
			inputs = append(inputs, p.Text)
		}
	}
	if len(inputs) == 0 {
		inputs = append(inputs, "") // token-array input: one vector
	}
	total := 0
	b := make([]byte, 0, 128+len(inputs)*(64+s.opt.EmbeddingDims*12))
	b = append(b, `{"object":"list","data":[`...)
	for i, in := range inputs {
		total += len(in)
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"object":"embedding","index":`...)
		b = strconv.AppendInt(b, int64(i), 10)
		b = append(b, `,"embedding":`...)
		vec := embed(in, s.opt.EmbeddingDims)
		if base64Format {
			raw := make([]byte, 4*len(vec))
			for j, f := range vec {
				binary.LittleEndian.PutUint32(raw[4*j:], math.Float32bits(f))
			}
			b = append(b, '"')
			b = base64.StdEncoding.AppendEncode(b, raw)
			b = append(b, '"')
		} else {
			b = append(b, '[')
			for j, f := range vec {
				if j > 0 {
					b = append(b, ',')
				}
				b = strconv.AppendFloat(b, float64(f), 'f', 6, 32)
			}
			b = append(b, ']')
		}
		b = append(b, '}')
	}
	p := tokens(total)
	b = append(b, `],"model":`...)
	b = append(b, c.model...)
	b = append(b, `,"usage":{"prompt_tokens":`...)
	b = strconv.AppendInt(b, p, 10)
	b = append(b, `,"total_tokens":`...)
	b = strconv.AppendInt(b, p, 10)
	b = append(b, "}}"...)
	c.x.Usage = exchange.Usage{PromptTokens: p, TotalTokens: p}
	writeBody(w, http.StatusOK, b)
}

// embed returns a deterministic unit vector derived from the text.
func embed(text string, dims int) []float32 {
	out := make([]float32, dims)
	h := sha256.Sum256([]byte(text))
	var norm float64
	for i := range out {
		v := float64(int8(h[i%len(h)]^byte(i/len(h)))) / 128
		out[i] = float32(v)
		norm += v * v
	}
	if norm > 0 {
		inv := 1 / math.Sqrt(norm)
		for i := range out {
			out[i] = float32(float64(out[i]) * inv)
		}
	}
	return out
}

func (s *server) buildModels() []byte {
	b := []byte(`{"object":"list","data":[`)
	for i, m := range s.opt.Models {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"id":`...)
		b = append(b, jsonString(m)...)
		b = append(b, `,"object":"model","created":1700000000,"owned_by":"aigis-mockllm"}`...)
	}
	return append(b, "]}"...)
}

func (s *server) writeModels(w http.ResponseWriter) { writeBody(w, http.StatusOK, s.models) }
