package mockllm

import (
	"net/http"
	"strconv"
)

func appendMsgID(b []byte, c *call) []byte {
	b = append(b, `"msg_mock_`...)
	b = strconv.AppendInt(b, c.id, 10)
	return append(b, '"')
}

func appendToolUseID(b []byte, c *call) []byte {
	b = append(b, `"toolu_mock_`...)
	b = strconv.AppendInt(b, c.id, 10)
	return append(b, '"')
}

func appendAnthropicUsage(b []byte, input, output int64) []byte {
	b = append(b, `{"input_tokens":`...)
	b = strconv.AppendInt(b, input, 10)
	b = append(b, `,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":`...)
	b = strconv.AppendInt(b, output, 10)
	return append(b, `,"service_tier":"standard"}`...)
}

func (s *server) messagesBody(c *call) []byte {
	b := make([]byte, 0, 384+len(c.text)+len(c.toolArgs))
	b = append(b, `{"id":`...)
	b = appendMsgID(b, c)
	b = append(b, `,"type":"message","role":"assistant","model":`...)
	b = append(b, c.model...)
	if c.tool != "" {
		b = append(b, `,"content":[{"type":"tool_use","id":`...)
		b = appendToolUseID(b, c)
		b = append(b, `,"name":`...)
		b = append(b, jsonString(c.tool)...)
		b = append(b, `,"input":`...)
		b = append(b, c.toolArgs...)
		b = append(b, `}],"stop_reason":"tool_use"`...)
	} else {
		b = append(b, `,"content":[{"type":"text","text":`...)
		b = append(b, c.text...)
		b = append(b, `}],"stop_reason":"end_turn"`...)
	}
	b = append(b, `,"stop_sequence":null,"usage":`...)
	b = appendAnthropicUsage(b, c.prompt, c.complete)
	return append(b, '}')
}

func (s *server) streamMessages(w http.ResponseWriter, r *http.Request, c *call) {
	sw := s.startSSE(w, r)
	b := []byte(`{"type":"message_start","message":{"id":`)
	b = appendMsgID(b, c)
	b = append(b, `,"type":"message","role":"assistant","model":`...)
	b = append(b, c.model...)
	b = append(b, `,"content":[],"stop_reason":null,"stop_sequence":null,"usage":`...)
	b = appendAnthropicUsage(b, c.prompt, 1)
	b = append(b, "}}"...)
	if !sw.send("message_start", b) {
		return
	}
	var start, stop string
	text := c.rawText
	if c.tool != "" {
		start = `{"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":` +
			string(appendToolUseID(nil, c)) + `,"name":` + string(jsonString(c.tool)) + `,"input":{}}}`
		stop = "tool_use"
		text = c.toolArgs
	} else {
		start = `{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`
		stop = "end_turn"
	}
	if !sw.send("content_block_start", []byte(start)) || !sw.send("ping", []byte(`{"type": "ping"}`)) {
		return
	}
	for _, part := range chunks(text, c.chunks) {
		d := []byte(`{"type":"content_block_delta","index":0,"delta":`)
		if c.tool != "" {
			d = append(d, `{"type":"input_json_delta","partial_json":`...)
		} else {
			d = append(d, `{"type":"text_delta","text":`...)
		}
		d = append(d, jsonString(part)...)
		d = append(d, "}}"...)
		if !sw.pause() || !sw.send("content_block_delta", d) {
			return
		}
	}
	if !sw.send("content_block_stop", []byte(`{"type":"content_block_stop","index":0}`)) {
		return
	}
	md := []byte(`{"type":"message_delta","delta":{"stop_reason":"` + stop + `","stop_sequence":null},"usage":`)
	md = appendAnthropicUsage(md, c.prompt, c.complete)
	md = append(md, '}')
	if !sw.send("message_delta", md) {
		return
	}
	sw.send("message_stop", []byte(`{"type":"message_stop"}`))
}
