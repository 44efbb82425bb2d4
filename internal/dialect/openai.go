package dialect

import (
	"net/http"
	"strconv"

	"github.com/aigis-dev/aigis/internal/exchange"
	"github.com/aigis-dev/aigis/internal/sse"
)

type openaiCodec struct {
	lim Limits
}

func (c *openaiCodec) Name() string { return "openai" }

func (c *openaiCodec) DecodeRequest(op exchange.Operation, body []byte) (*Request, error) {
	return decodeOpenAIRequest(c.lim, kindOpenAI, "", op, body)
}

func decodeOpenAIRequest(lim Limits, ck codecKind, deployment string, op exchange.Operation, body []byte) (*Request, error) {
	t, err := parseBody(body, lim)
	if err != nil {
		return nil, err
	}
	x := &exchange.Exchange{Dialect: "openai", Operation: op}
	if ck == kindAzure {
		x.Dialect = "azure"
	}
	req := &Request{Exchange: x, body: body, tree: t, op: op, codec: ck, deployment: deployment, streamOpts: -1}
	root := int32(0)
	if err := readModel(req, root, ck == kindAzure); err != nil {
		return nil, err
	}
	if ck == kindAzure {
		x.Model = deployment
	}
	ps := &parts{t: t, lim: lim}
	if n := t.get(root, "stream"); n >= 0 {
		if k := t.kindOf(n); k != kBool && k != kNull {
			return nil, badField(`"stream" must be a boolean`)
		}
		x.Stream = t.boolean(n)
	}
	switch op {
	case exchange.OpChat:
		if err := decodeChatMessages(t, root, ps); err != nil {
			return nil, err
		}
		for _, k := range []string{"max_completion_tokens", "max_tokens"} {
			if v, err := readMaxTokens(t, root, k); err != nil {
				return nil, err
			} else if v > x.MaxTokens { // both keys: the larger one is what a cap must check
				x.MaxTokens = v
			}
		}
		x.Tools = readTools(t, t.get(root, "tools"), true)
		if so := t.get(root, "stream_options"); so >= 0 {
			req.streamOpts = so
			if t.kindOf(so) == kObject {
				req.ClientWantsUsage = t.boolean(t.get(so, "include_usage"))
			}
		}
	case exchange.OpResponses:
		if err := decodeResponsesInput(t, root, ps); err != nil {
			return nil, err
		}
		v, err := readMaxTokens(t, root, "max_output_tokens")
		if err != nil {
			return nil, err
		}
		x.MaxTokens = v
		x.Tools = readTools(t, t.get(root, "tools"), false)
		req.ClientWantsUsage = true
	case exchange.OpEmbeddings:
		x.Stream = false
		in := t.get(root, "input")
		switch t.kindOf(in) {
		case kString:
			ps.add(exchange.RoleEmbedInput, "", in)
		case kArray:
			for el := range t.children(in) {
				switch t.kindOf(el) {
				case kString:
					ps.add(exchange.RoleEmbedInput, "", el)
				case kNumber, kArray: // token ids: no text to inspect
				default:
					return nil, badField(`"input" must be a string, an array of strings or token arrays`)
				}
			}
		default:
			return nil, badField(`"input" must be a string or an array`)
		}
	default:
		return nil, badField("operation " + string(op) + " is not supported by the openai dialect")
	}
	if ps.err != nil {
		return nil, ps.err
	}
	x.Input = ps.list
	req.inputSpans, req.origInputs = ps.locs, ps.orig
	return req, nil
}

// readModel reads "model"; optional says whether it may be absent.
func readModel(req *Request, root int32, optional bool) error {
	t := req.tree
	req.modelSpan = span{-1, -1}
	m := t.get(root, "model")
	if m < 0 {
		if optional {
			return nil
		}
		return badField(`"model" is required`)
	}
	if !t.isStr(m) {
		return badField(`"model" must be a string`)
	}
	req.modelSpan = t.span(m)
	req.Exchange.Model = t.str(m)
	if req.Exchange.Model == "" && !optional {
		return badField(`"model" must not be empty`)
	}
	return nil
}

func readMaxTokens(t *tree, obj int32, key string) (int64, error) {
	n := t.get(obj, key)
	if n < 0 || t.kindOf(n) == kNull {
		return 0, nil
	}
	v, ok := t.int64(n)
	if !ok || v < 0 {
		return 0, badField(`"` + key + `" must be a non-negative integer`)
	}
	return v, nil
}

// readTools reads function tools. nested: chat completions' {"type":"function","function":{...}};
// otherwise the flat Responses/Anthropic shape {"name":...}.
func readTools(t *tree, arr int32, nested bool) []exchange.Tool {
	if t.kindOf(arr) != kArray {
		return nil
	}
	var out []exchange.Tool
	for el := range t.children(arr) {
		fn := el
		if nested {
			if f := t.get(el, "function"); f >= 0 {
				fn = f
			}
		}
		name := t.str(t.get(fn, "name"))
		if name == "" {
			name = t.str(t.get(el, "type")) // built-in tools (web_search, ...)
		}
		if name == "" {
			continue
		}
		out = append(out, exchange.Tool{Name: name, Description: t.str(t.get(fn, "description"))})
	}
	return out
}

func openaiRole(s string) (exchange.Role, bool) {
	switch s {
	case "system", "developer":
		return exchange.RoleSystem, true
	case "user":
		return exchange.RoleUser, true
	case "assistant":
		return exchange.RoleAssistant, true
	case "tool", "function":
		return exchange.RoleTool, true
	}
	return "", false
}

func decodeChatMessages(t *tree, root int32, ps *parts) error {
	msgs := t.get(root, "messages")
	if t.kindOf(msgs) != kArray {
		return badField(`"messages" must be an array`)
	}
	for m := range t.children(msgs) {
		if t.kindOf(m) != kObject {
			return badField(`each message must be an object`)
		}
		role, ok := openaiRole(t.str(t.get(m, "role")))
		if !ok {
			return badField(`message "role" must be one of system, developer, user, assistant, tool`)
		}
		name := t.str(t.get(m, "name"))
		if err := addContent(t, t.get(m, "content"), role, name, ps); err != nil {
			return err
		}
		if tc := t.get(m, "tool_calls"); t.kindOf(tc) == kArray {
			for call := range t.children(tc) {
				fn := t.get(call, "function")
				ps.add(exchange.RoleToolCall, t.str(t.get(fn, "name")), strOnly(t, t.get(fn, "arguments")))
			}
		}
		if fc := t.get(m, "function_call"); t.kindOf(fc) == kObject {
			ps.add(exchange.RoleToolCall, t.str(t.get(fc, "name")), strOnly(t, t.get(fc, "arguments")))
		}
	}
	return nil
}

func strOnly(t *tree, n int32) int32 {
	if t.isStr(n) {
		return n
	}
	return -1
}

// addContent handles OpenAI content: a string, null, or an array of parts
// ({"type":"text","text":...}, input_text/output_text, refusal, images...).
func addContent(t *tree, c int32, role exchange.Role, name string, ps *parts) error {
	switch t.kindOf(c) {
	case kNull:
		return nil
	case kString:
		ps.add(role, name, c)
		return nil
	case kArray:
		for p := range t.children(c) {
			if t.kindOf(p) != kObject {
				return badField(`content parts must be objects`)
			}
			if tx := t.get(p, "text"); t.isStr(tx) {
				ps.add(role, name, tx)
			} else if rf := t.get(p, "refusal"); t.isStr(rf) {
				ps.add(role, name, rf)
			}
		}
		return nil
	default:
		return badField(`"content" must be a string, an array of parts or null`)
	}
}

func decodeResponsesInput(t *tree, root int32, ps *parts) error {
	if ins := t.get(root, "instructions"); t.isStr(ins) {
		ps.add(exchange.RoleSystem, "", ins)
	} else if ins >= 0 && t.kindOf(ins) != kNull {
		return badField(`"instructions" must be a string`)
	}
	in := t.get(root, "input")
	switch t.kindOf(in) {
	case kNull:
		return nil
	case kString:
		ps.add(exchange.RoleUser, "", in)
		return nil
	case kArray:
	default:
		return badField(`"input" must be a string or an array of items`)
	}
	for it := range t.children(in) {
		if t.kindOf(it) != kObject {
			return badField(`each input item must be an object`)
		}
		switch typ := t.str(t.get(it, "type")); typ {
		case "", "message":
			role, ok := openaiRole(t.str(t.get(it, "role")))
			if !ok {
				return badField(`input message "role" must be one of system, developer, user, assistant`)
			}
			if err := addContent(t, t.get(it, "content"), role, "", ps); err != nil {
				return err
			}
		case "function_call", "custom_tool_call":
			args := t.get(it, "arguments")
			if args < 0 {
				args = t.get(it, "input")
			}
			ps.add(exchange.RoleToolCall, t.str(t.get(it, "name")), strOnly(t, args))
		case "function_call_output", "custom_tool_call_output":
			out := t.get(it, "output")
			if t.isStr(out) {
				ps.add(exchange.RoleTool, "", out)
			} else if err := addContent(t, out, exchange.RoleTool, "", ps); err != nil {
				return err
			}
		default:
			// Other items (reasoning, item_reference, web search calls...) carry no
			// caller text we inspect; they are forwarded unchanged.
		}
	}
	return nil
}

// --- responses (non-streaming) ---

func (c *openaiCodec) DecodeResponse(req *Request, body []byte) (*Response, error) {
	return decodeOpenAIResponse(c.lim, req, body)
}

func decodeOpenAIResponse(lim Limits, req *Request, body []byte) (*Response, error) {
	t, err := parseTree(body, lim.MaxDepth, lim.MaxNodes)
	if err != nil {
		return nil, upstreamError(err.Error())
	}
	root := int32(0)
	if t.kindOf(root) != kObject {
		return nil, upstreamError("not a JSON object")
	}
	if e := t.get(root, "error"); t.kindOf(e) == kObject {
		return nil, upstreamError("error object: " + truncate(t.str(t.get(e, "message")), 200))
	}
	x := req.Exchange
	ps := &parts{t: t, lim: lim}
	u := t.get(root, "usage")
	switch req.op {
	case exchange.OpChat:
		ch := t.get(root, "choices")
		if t.kindOf(ch) != kArray {
			return nil, upstreamError(`missing "choices"`)
		}
		for choice := range t.children(ch) {
			msg := t.get(choice, "message")
			if err := addContent(t, t.get(msg, "content"), exchange.RoleAssistant, "", ps); err != nil {
				return nil, upstreamError("bad message content")
			}
			if rf := t.get(msg, "refusal"); t.isStr(rf) {
				ps.add(exchange.RoleAssistant, "", rf)
			}
			for call := range t.children(arrOnly(t, t.get(msg, "tool_calls"))) {
				fn := t.get(call, "function")
				ps.add(exchange.RoleToolCall, t.str(t.get(fn, "name")), strOnly(t, t.get(fn, "arguments")))
			}
		}
		x.Usage = readUsage(t, u, "prompt_tokens", "completion_tokens")
	case exchange.OpResponses:
		out := t.get(root, "output")
		if t.kindOf(out) != kArray {
			return nil, upstreamError(`missing "output"`)
		}
		addResponsesOutput(t, out, ps)
		x.Usage = readUsage(t, u, "input_tokens", "output_tokens")
	case exchange.OpEmbeddings:
		if t.kindOf(t.get(root, "data")) != kArray {
			return nil, upstreamError(`missing "data"`)
		}
		x.Usage = readUsage(t, u, "prompt_tokens", "completion_tokens")
	default:
		return nil, upstreamError("operation " + string(req.op) + " has no response decoder")
	}
	if ps.err != nil {
		return nil, upstreamError("too much output text")
	}
	x.Output = ps.list
	return &Response{Exchange: x, body: body, tree: t, spans: ps.locs, origOutput: ps.orig}, nil
}

func addResponsesOutput(t *tree, out int32, ps *parts) {
	for item := range t.children(out) {
		switch t.str(t.get(item, "type")) {
		case "message":
			for c := range t.children(arrOnly(t, t.get(item, "content"))) {
				if tx := t.get(c, "text"); t.isStr(tx) {
					ps.add(exchange.RoleAssistant, "", tx)
				} else if rf := t.get(c, "refusal"); t.isStr(rf) {
					ps.add(exchange.RoleAssistant, "", rf)
				}
			}
		case "function_call":
			ps.add(exchange.RoleToolCall, t.str(t.get(item, "name")), strOnly(t, t.get(item, "arguments")))
		}
	}
}

func arrOnly(t *tree, n int32) int32 {
	if t.kindOf(n) == kArray {
		return n
	}
	return -1
}

func readUsage(t *tree, u int32, in, out string) exchange.Usage {
	if t.kindOf(u) != kObject {
		return exchange.Usage{}
	}
	p, _ := t.int64(t.get(u, in))
	c, _ := t.int64(t.get(u, out))
	tot, ok := t.int64(t.get(u, "total_tokens"))
	if !ok {
		tot = p + c
	}
	return exchange.Usage{PromptTokens: p, CompletionTokens: c, TotalTokens: tot}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n] + "..."
}

// --- errors ---

func openaiErrorType(status int) string {
	switch {
	case status == http.StatusUnauthorized:
		return "authentication_error"
	case status == http.StatusForbidden:
		return "permission_error"
	case status == http.StatusNotFound:
		return "not_found_error"
	case status == http.StatusTooManyRequests:
		return "rate_limit_error"
	case status >= 500:
		return "server_error"
	default:
		return "invalid_request_error"
	}
}

func appendOpenAIError(dst []byte, typ, code, message string) []byte {
	dst = append(dst, `{"error":{"message":`...)
	dst = appendJSONString(dst, message)
	dst = append(dst, `,"type":`...)
	dst = appendJSONString(dst, typ)
	dst = append(dst, `,"param":null,"code":`...)
	dst = appendJSONString(dst, code)
	return append(dst, "}}"...)
}

func (c *openaiCodec) WriteError(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, appendOpenAIError(nil, openaiErrorType(status), code, message))
}

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)+1))
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}

// StreamError for OpenAI: chat completions streams carry an error object as a
// data event; Responses streams use an "error" event. The OpenAI SDKs raise
// both as errors.
func (c *openaiCodec) StreamError(code, message string) []byte {
	return sse.AppendData(nil, appendOpenAIError(nil, "server_error", code, message))
}

func (c *openaiCodec) NewStream(req *Request) Stream {
	if req.op == exchange.OpResponses {
		return &responsesStream{req: req, emitted: map[int][]byte{}}
	}
	return &chatStream{req: req}
}
