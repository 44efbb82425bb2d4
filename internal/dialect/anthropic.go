package dialect

import (
	"net/http"

	"github.com/aigis-dev/aigis/internal/exchange"
	"github.com/aigis-dev/aigis/internal/sse"
)

type anthropicCodec struct {
	lim Limits
}

func (c *anthropicCodec) Name() string { return "anthropic" }

func (c *anthropicCodec) DecodeRequest(op exchange.Operation, body []byte) (*Request, error) {
	if op != exchange.OpMessages {
		return nil, badField("operation " + string(op) + " is not supported by the anthropic dialect")
	}
	t, err := parseBody(body, c.lim)
	if err != nil {
		return nil, err
	}
	x := &exchange.Exchange{Dialect: "anthropic", Operation: op}
	req := &Request{Exchange: x, body: body, tree: t, op: op, codec: kindAnthropic, streamOpts: -1, ClientWantsUsage: true}
	root := int32(0)
	if err := readModel(req, root, false); err != nil {
		return nil, err
	}
	if n := t.get(root, "stream"); n >= 0 {
		if k := t.kindOf(n); k != kBool && k != kNull {
			return nil, badField(`"stream" must be a boolean`)
		}
		x.Stream = t.boolean(n)
	}
	v, err := readMaxTokens(t, root, "max_tokens")
	if err != nil {
		return nil, err
	}
	x.MaxTokens = v
	ps := &parts{t: t, lim: c.lim}
	switch sys := t.get(root, "system"); t.kindOf(sys) {
	case kNull:
	case kString:
		ps.add(exchange.RoleSystem, "", sys)
	case kArray:
		if err := addAnthropicBlocks(t, sys, exchange.RoleSystem, ps); err != nil {
			return nil, err
		}
	default:
		return nil, badField(`"system" must be a string or an array of text blocks`)
	}
	msgs := t.get(root, "messages")
	if t.kindOf(msgs) != kArray {
		return nil, badField(`"messages" must be an array`)
	}
	for m := range t.children(msgs) {
		var role exchange.Role
		switch t.str(t.get(m, "role")) {
		case "user":
			role = exchange.RoleUser
		case "assistant":
			role = exchange.RoleAssistant
		default:
			return nil, badField(`message "role" must be "user" or "assistant"`)
		}
		switch cn := t.get(m, "content"); t.kindOf(cn) {
		case kString:
			ps.add(role, "", cn)
		case kArray:
			if err := addAnthropicBlocks(t, cn, role, ps); err != nil {
				return nil, err
			}
		default:
			return nil, badField(`message "content" must be a string or an array of blocks`)
		}
	}
	if ps.err != nil {
		return nil, ps.err
	}
	x.Tools = readTools(t, t.get(root, "tools"), false)
	x.Input = ps.list
	req.inputSpans, req.origInputs = ps.locs, ps.orig
	return req, nil
}

// addAnthropicBlocks reads content blocks: text, tool_use (input JSON),
// tool_result (string or blocks), document (text source); images and other
// blocks carry no text we inspect.
func addAnthropicBlocks(t *tree, arr int32, role exchange.Role, ps *parts) error {
	for b := range t.children(arr) {
		if t.kindOf(b) != kObject {
			return badField(`content blocks must be objects`)
		}
		switch t.str(t.get(b, "type")) {
		case "text":
			tx := t.get(b, "text")
			if !t.isStr(tx) {
				return badField(`text block "text" must be a string`)
			}
			ps.add(role, "", tx)
		case "tool_use", "server_tool_use":
			if in := t.get(b, "input"); t.kindOf(in) == kObject {
				ps.add(exchange.RoleToolCall, t.str(t.get(b, "name")), in)
			}
		case "tool_result":
			switch cn := t.get(b, "content"); t.kindOf(cn) {
			case kString:
				ps.add(exchange.RoleTool, "", cn)
			case kArray:
				if err := addAnthropicBlocks(t, cn, exchange.RoleTool, ps); err != nil {
					return err
				}
			}
		case "document":
			src := t.get(b, "source")
			if t.str(t.get(src, "type")) == "text" {
				ps.add(exchange.RoleDocument, t.str(t.get(b, "title")), strOnly(t, t.get(src, "data")))
			} else if t.str(t.get(src, "type")) == "content" {
				if err := addAnthropicBlocks(t, arrOnly(t, t.get(src, "content")), exchange.RoleDocument, ps); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func (c *anthropicCodec) DecodeResponse(req *Request, body []byte) (*Response, error) {
	t, err := parseTree(body, c.lim.MaxDepth, c.lim.MaxNodes)
	if err != nil {
		return nil, upstreamError(err.Error())
	}
	root := int32(0)
	if t.kindOf(root) != kObject {
		return nil, upstreamError("not a JSON object")
	}
	if t.str(t.get(root, "type")) == "error" {
		return nil, upstreamError("error object: " + truncate(t.str(t.get(t.get(root, "error"), "message")), 200))
	}
	cn := t.get(root, "content")
	if t.kindOf(cn) != kArray {
		return nil, upstreamError(`missing "content"`)
	}
	ps := &parts{t: t, lim: c.lim}
	if err := addAnthropicBlocks(t, cn, exchange.RoleAssistant, ps); err != nil {
		return nil, upstreamError("bad content block")
	}
	if ps.err != nil {
		return nil, upstreamError("too much output text")
	}
	x := req.Exchange
	x.Output = ps.list
	if u := t.get(root, "usage"); t.kindOf(u) == kObject {
		x.Usage = anthropicUsage(t, u, exchange.Usage{})
	}
	return &Response{Exchange: x, body: body, tree: t, spans: ps.locs, origOutput: ps.orig}, nil
}

func (c *anthropicCodec) NewStream(req *Request) Stream { return &anthropicStream{req: req} }

func anthropicErrorType(status int) string {
	switch status {
	case http.StatusUnauthorized:
		return "authentication_error"
	case http.StatusForbidden:
		return "permission_error"
	case http.StatusNotFound:
		return "not_found_error"
	case http.StatusRequestEntityTooLarge:
		return "request_too_large"
	case http.StatusTooManyRequests:
		return "rate_limit_error"
	case 529:
		return "overloaded_error"
	}
	if status >= 500 {
		return "api_error"
	}
	return "invalid_request_error"
}

// appendAnthropicError writes {"type":"error","error":{"type":...,"message":...,"code":...}}.
// "code" is an aigis extension (Anthropic's shape has none); SDKs ignore it.
func appendAnthropicError(dst []byte, typ, code, message string) []byte {
	dst = append(dst, `{"type":"error","error":{"type":`...)
	dst = appendJSONString(dst, typ)
	dst = append(dst, `,"message":`...)
	dst = appendJSONString(dst, message)
	dst = append(dst, `,"code":`...)
	dst = appendJSONString(dst, code)
	return append(dst, "}}"...)
}

func (c *anthropicCodec) WriteError(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, appendAnthropicError(nil, anthropicErrorType(status), code, message))
}

func (c *anthropicCodec) StreamError(code, message string) []byte {
	return anthropicStreamError(code, message)
}

func anthropicStreamError(code, message string) []byte {
	return sse.AppendEvent(nil, sse.Event{Event: "error", Data: string(appendAnthropicError(nil, "api_error", code, message))})
}
