package dialect

import (
	"fmt"
	"strconv"

	"github.com/aigis-dev/aigis/internal/exchange"
	"github.com/aigis-dev/aigis/internal/sse"
)

// textFix points at a full-text copy of part's text inside an event.
type textFix struct {
	at   span
	part int
}

// maxStreamEventDepth and maxStreamEventNodes bound one stream event's JSON.
const (
	maxStreamEventDepth = 64
	maxStreamEventNodes = 1 << 16
)

func parseEventData(ev sse.Event) (*tree, error) {
	t, err := parseTree([]byte(ev.Data), maxStreamEventDepth, maxStreamEventNodes)
	if err != nil {
		return nil, fmt.Errorf("dialect: upstream stream event %q: %w", ev.Event, err)
	}
	if t.kindOf(0) != kObject {
		return nil, fmt.Errorf("dialect: upstream stream event %q: data is not a JSON object", ev.Event)
	}
	return t, nil
}

// encodeEvent re-serializes raw with edits applied to its data.
func encodeEvent(raw sse.Event, edits []edit) []byte {
	if len(edits) > 0 {
		raw.Data = string(applyEdits([]byte(raw.Data), edits))
	}
	return sse.AppendEvent(nil, raw)
}

func usageEvent(x *exchange.Exchange, u exchange.Usage) *exchange.Usage {
	x.Usage = u
	c := u
	return &c
}

// --- OpenAI chat completions ---

type chatStream struct {
	req     *Request
	id      string
	model   string
	created int64
}

func (s *chatStream) Parse(ev sse.Event) (StreamEvent, error) {
	out := StreamEvent{raw: ev}
	if ev.Data == "[DONE]" {
		out.Final, out.Flush = true, true
		return out, nil
	}
	t, err := parseEventData(ev)
	if err != nil {
		return out, err
	}
	root := int32(0)
	if e := t.get(root, "error"); e >= 0 && t.kindOf(e) != kNull {
		out.Error = true
		return out, nil
	}
	if id := t.get(root, "id"); t.isStr(id) {
		s.id = t.str(id)
	}
	if m := t.get(root, "model"); t.isStr(m) {
		s.model = t.str(m)
	}
	if c, ok := t.int64(t.get(root, "created")); ok {
		s.created = c
	}
	choices := t.get(root, "choices")
	if u := t.get(root, "usage"); t.kindOf(u) == kObject {
		out.Usage = usageEvent(s.req.Exchange, readUsage(t, u, "prompt_tokens", "completion_tokens"))
		if (t.kindOf(choices) != kArray || t.nodes[choices].count == 0) && s.req.forceUsage && !s.req.ClientWantsUsage {
			out.Drop = true
		}
	}
	found := 0
	for ch := range t.children(arrOnly(t, choices)) {
		ci, _ := t.int64(t.get(ch, "index"))
		if ci < 0 || ci > 1<<20 {
			return out, fmt.Errorf("dialect: upstream chunk has choice index %d out of range", ci)
		}
		if fr := t.get(ch, "finish_reason"); fr >= 0 && t.kindOf(fr) != kNull {
			out.Flush = true
		}
		delta := t.get(ch, "delta")
		take := func(n int32, part int, role exchange.Role) {
			if !t.isStr(n) || t.nodes[n].end-t.nodes[n].start <= 2 {
				return
			}
			found++
			out.HasText, out.PartIndex, out.Role = true, part, role
			out.Text, out.pos = t.str(n), t.span(n)
		}
		take(t.get(delta, "content"), int(ci)<<8, exchange.RoleAssistant)
		take(t.get(delta, "refusal"), int(ci)<<8, exchange.RoleAssistant)
		for call := range t.children(arrOnly(t, t.get(delta, "tool_calls"))) {
			ti, _ := t.int64(t.get(call, "index"))
			if ti < 0 || ti >= 255 {
				return out, fmt.Errorf("dialect: upstream chunk has tool call index %d out of range", ti)
			}
			take(t.get(t.get(call, "function"), "arguments"), int(ci)<<8|int(ti+1), exchange.RoleToolCall)
		}
	}
	if found > 1 {
		return StreamEvent{raw: ev}, fmt.Errorf("dialect: upstream chunk carries text for %d parts at once; not supported", found)
	}
	return out, nil
}

func (s *chatStream) Encode(ev StreamEvent, text string) []byte {
	if !ev.HasText || text == ev.Text {
		return sse.AppendEvent(nil, ev.raw)
	}
	return encodeEvent(ev.raw, []edit{{at: ev.pos, repl: appendJSONString(nil, text)}})
}

func (s *chatStream) Delta(part int, text string) []byte {
	b := make([]byte, 0, 160+len(text))
	b = append(b, `{"id":`...)
	b = appendJSONString(b, s.id)
	b = append(b, `,"object":"chat.completion.chunk","created":`...)
	b = strconv.AppendInt(b, s.created, 10)
	b = append(b, `,"model":`...)
	b = appendJSONString(b, s.model)
	b = append(b, `,"choices":[{"index":`...)
	b = strconv.AppendInt(b, int64(part>>8), 10)
	if tool := part & 0xff; tool > 0 {
		b = append(b, `,"delta":{"tool_calls":[{"index":`...)
		b = strconv.AppendInt(b, int64(tool-1), 10)
		b = append(b, `,"function":{"arguments":`...)
		b = appendJSONString(b, text)
		b = append(b, `}}]},"finish_reason":null}]}`...)
	} else {
		b = append(b, `,"delta":{"content":`...)
		b = appendJSONString(b, text)
		b = append(b, `},"finish_reason":null}]}`...)
	}
	return sse.AppendData(nil, b)
}

func (s *chatStream) Error(code, message string) []byte {
	return sse.AppendData(nil, appendOpenAIError(nil, "server_error", code, message))
}

// --- OpenAI Responses ---

type responsesStream struct {
	req     *Request
	seq     int64
	emitted map[int][]byte // what the client received per part
	changed map[int]bool   // parts whose text the gateway changed
	itemIDs map[int]string
	tools   map[int]bool // parts that are function-call arguments
}

func (s *responsesStream) Parse(ev sse.Event) (StreamEvent, error) {
	out := StreamEvent{raw: ev}
	t, err := parseEventData(ev)
	if err != nil {
		return out, err
	}
	root := int32(0)
	if n, ok := t.int64(t.get(root, "sequence_number")); ok {
		s.seq = n
	}
	typ := t.str(t.get(root, "type"))
	if typ == "" {
		typ = ev.Event
	}
	oi, _ := t.int64(t.get(root, "output_index"))
	ci, _ := t.int64(t.get(root, "content_index"))
	if oi < 0 || oi > 1<<20 || ci < 0 || ci > 255 {
		return out, fmt.Errorf("dialect: upstream event %q has an index out of range", typ)
	}
	part := int(oi)<<8 | int(ci)
	setText := func(n int32, role exchange.Role) {
		if !t.isStr(n) {
			return
		}
		out.HasText, out.PartIndex, out.Role = true, part, role
		out.Text, out.pos = t.str(n), t.span(n)
		if role == exchange.RoleToolCall {
			if s.tools == nil {
				s.tools = map[int]bool{}
			}
			s.tools[part] = true
		}
		if id := t.get(root, "item_id"); t.isStr(id) {
			if s.itemIDs == nil {
				s.itemIDs = map[int]string{}
			}
			if _, ok := s.itemIDs[part]; !ok {
				s.itemIDs[part] = t.str(id)
			}
		}
	}
	fix := func(n int32, p int) {
		if t.isStr(n) {
			out.fixes = append(out.fixes, textFix{at: t.span(n), part: p})
		}
	}
	switch typ {
	case "response.output_text.delta", "response.refusal.delta":
		setText(t.get(root, "delta"), exchange.RoleAssistant)
	case "response.function_call_arguments.delta":
		setText(t.get(root, "delta"), exchange.RoleToolCall)
	case "response.output_text.done":
		out.Flush = true
		fix(t.get(root, "text"), part)
	case "response.refusal.done":
		out.Flush = true
		fix(t.get(root, "refusal"), part)
	case "response.function_call_arguments.done":
		out.Flush = true
		fix(t.get(root, "arguments"), part)
	case "response.content_part.done":
		out.Flush = true
		p := t.get(root, "part")
		fix(t.get(p, "text"), part)
		fix(t.get(p, "refusal"), part)
	case "response.output_item.done":
		out.Flush = true
		s.itemFixes(t, t.get(root, "item"), int(oi), &out)
	case "response.completed", "response.incomplete", "response.failed":
		resp := t.get(root, "response")
		if u := t.get(resp, "usage"); t.kindOf(u) == kObject {
			out.Usage = usageEvent(s.req.Exchange, readUsage(t, u, "input_tokens", "output_tokens"))
		}
		i := 0
		for item := range t.children(arrOnly(t, t.get(resp, "output"))) {
			s.itemFixes(t, item, i, &out)
			i++
		}
		out.Flush = true
		if typ == "response.failed" {
			out.Error = true
		} else {
			out.Final = true
		}
	case "error":
		out.Error = true
	}
	return out, nil
}

func (s *responsesStream) itemFixes(t *tree, item int32, oi int, out *StreamEvent) {
	if oi < 0 || oi > 1<<20 {
		return
	}
	switch t.str(t.get(item, "type")) {
	case "message":
		ci := 0
		for c := range t.children(arrOnly(t, t.get(item, "content"))) {
			if ci > 255 {
				return
			}
			for _, k := range []string{"text", "refusal"} {
				if n := t.get(c, k); t.isStr(n) {
					out.fixes = append(out.fixes, textFix{at: t.span(n), part: oi<<8 | ci})
				}
			}
			ci++
		}
	case "function_call":
		if n := t.get(item, "arguments"); t.isStr(n) {
			out.fixes = append(out.fixes, textFix{at: t.span(n), part: oi << 8})
		}
	}
}

func (s *responsesStream) record(part int, text string, changed bool) {
	s.emitted[part] = append(s.emitted[part], text...)
	if changed {
		if s.changed == nil {
			s.changed = map[int]bool{}
		}
		s.changed[part] = true
	}
}

func (s *responsesStream) Encode(ev StreamEvent, text string) []byte {
	var edits []edit
	if ev.HasText {
		s.record(ev.PartIndex, text, text != ev.Text)
		if text != ev.Text {
			edits = append(edits, edit{at: ev.pos, repl: appendJSONString(nil, text)})
		}
	}
	for _, f := range ev.fixes {
		if s.changed[f.part] {
			edits = append(edits, edit{at: f.at, repl: appendJSONString(nil, string(s.emitted[f.part]))})
		}
	}
	return encodeEvent(ev.raw, edits)
}

func (s *responsesStream) Delta(part int, text string) []byte {
	s.record(part, text, true)
	s.seq++
	typ := "response.output_text.delta"
	if s.tools[part] {
		typ = "response.function_call_arguments.delta"
	}
	b := make([]byte, 0, 160+len(text))
	b = append(b, `{"type":"`...)
	b = append(b, typ...)
	b = append(b, `","item_id":`...)
	b = appendJSONString(b, s.itemIDs[part])
	b = append(b, `,"output_index":`...)
	b = strconv.AppendInt(b, int64(part>>8), 10)
	if !s.tools[part] {
		b = append(b, `,"content_index":`...)
		b = strconv.AppendInt(b, int64(part&0xff), 10)
	}
	b = append(b, `,"delta":`...)
	b = appendJSONString(b, text)
	if !s.tools[part] {
		b = append(b, `,"logprobs":[]`...)
	}
	b = append(b, `,"sequence_number":`...)
	b = strconv.AppendInt(b, s.seq, 10)
	b = append(b, '}')
	return sse.AppendEvent(nil, sse.Event{Event: typ, Data: string(b)})
}

func (s *responsesStream) Error(code, message string) []byte {
	s.seq++
	b := []byte(`{"type":"error","code":`)
	b = appendJSONString(b, code)
	b = append(b, `,"message":`...)
	b = appendJSONString(b, message)
	b = append(b, `,"param":null,"sequence_number":`...)
	b = strconv.AppendInt(b, s.seq, 10)
	// "error" repeats code and message so SDKs that look for an error
	// object (openai-go does) raise it instead of yielding an event.
	b = append(b, `,"error":{"code":`...)
	b = appendJSONString(b, code)
	b = append(b, `,"message":`...)
	b = appendJSONString(b, message)
	b = append(b, "}}"...)
	return sse.AppendEvent(nil, sse.Event{Event: "error", Data: string(b)})
}

// --- Anthropic messages ---

type anthropicStream struct {
	req   *Request
	roles map[int]exchange.Role
	usage exchange.Usage
}

func (s *anthropicStream) Parse(ev sse.Event) (StreamEvent, error) {
	out := StreamEvent{raw: ev}
	t, err := parseEventData(ev)
	if err != nil {
		return out, err
	}
	root := int32(0)
	typ := t.str(t.get(root, "type"))
	if typ == "" {
		typ = ev.Event
	}
	idx, _ := t.int64(t.get(root, "index"))
	if idx < 0 || idx > 1<<20 {
		return out, fmt.Errorf("dialect: upstream event %q has index %d out of range", typ, idx)
	}
	switch typ {
	case "message_start":
		msg := t.get(root, "message")
		if u := t.get(msg, "usage"); t.kindOf(u) == kObject {
			s.usage = anthropicUsage(t, u, s.usage)
			out.Usage = usageEvent(s.req.Exchange, s.usage)
		}
	case "content_block_start":
		cb := t.get(root, "content_block")
		role := exchange.RoleAssistant
		if t.str(t.get(cb, "type")) == "tool_use" {
			role = exchange.RoleToolCall
		}
		if s.roles == nil {
			s.roles = map[int]exchange.Role{}
		}
		s.roles[int(idx)] = role
		if n := t.get(cb, "text"); t.isStr(n) && t.nodes[n].end-t.nodes[n].start > 2 {
			out.HasText, out.PartIndex, out.Role = true, int(idx), role
			out.Text, out.pos = t.str(n), t.span(n)
		}
	case "content_block_delta":
		d := t.get(root, "delta")
		var n int32 = -1
		role := exchange.RoleAssistant
		switch t.str(t.get(d, "type")) {
		case "text_delta":
			n = t.get(d, "text")
		case "input_json_delta":
			n, role = t.get(d, "partial_json"), exchange.RoleToolCall
		}
		if t.isStr(n) {
			out.HasText, out.PartIndex, out.Role = true, int(idx), role
			out.Text, out.pos = t.str(n), t.span(n)
		}
	case "content_block_stop":
		out.Flush = true
	case "message_delta":
		out.Flush = true
		if u := t.get(root, "usage"); t.kindOf(u) == kObject {
			s.usage = anthropicUsage(t, u, s.usage)
			out.Usage = usageEvent(s.req.Exchange, s.usage)
		}
	case "message_stop":
		out.Final, out.Flush = true, true
	case "error":
		out.Error = true
	}
	return out, nil
}

// anthropicUsage merges a usage object into prev: fields present replace
// (Anthropic's output_tokens are cumulative), prompt tokens include cache reads and writes.
func anthropicUsage(t *tree, u int32, prev exchange.Usage) exchange.Usage {
	in, okIn := t.int64(t.get(u, "input_tokens"))
	cw, _ := t.int64(t.get(u, "cache_creation_input_tokens"))
	cr, _ := t.int64(t.get(u, "cache_read_input_tokens"))
	if okIn {
		prev.PromptTokens = in + cw + cr
	}
	if out, ok := t.int64(t.get(u, "output_tokens")); ok {
		prev.CompletionTokens = out
	}
	prev.TotalTokens = prev.PromptTokens + prev.CompletionTokens
	return prev
}

func (s *anthropicStream) Encode(ev StreamEvent, text string) []byte {
	if !ev.HasText || text == ev.Text {
		return sse.AppendEvent(nil, ev.raw)
	}
	return encodeEvent(ev.raw, []edit{{at: ev.pos, repl: appendJSONString(nil, text)}})
}

func (s *anthropicStream) Delta(part int, text string) []byte {
	b := make([]byte, 0, 100+len(text))
	b = append(b, `{"type":"content_block_delta","index":`...)
	b = strconv.AppendInt(b, int64(part), 10)
	if s.roles[part] == exchange.RoleToolCall {
		b = append(b, `,"delta":{"type":"input_json_delta","partial_json":`...)
	} else {
		b = append(b, `,"delta":{"type":"text_delta","text":`...)
	}
	b = appendJSONString(b, text)
	b = append(b, "}}"...)
	return sse.AppendEvent(nil, sse.Event{Event: "content_block_delta", Data: string(b)})
}

func (s *anthropicStream) Error(code, message string) []byte {
	return anthropicStreamError(code, message)
}
