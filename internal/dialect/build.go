package dialect

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/aigis-dev/aigis/internal/exchange"
)

type codecKind uint8

const (
	kindOpenAI codecKind = iota
	kindAnthropic
	kindAzure
)

// loc is where a part's text lives in a body. raw parts hold a JSON value
// (Anthropic tool_use input) instead of a string.
type loc struct {
	span
	raw bool
}

// parts collects text parts while decoding, enforcing Limits.
type parts struct {
	t         *tree
	lim       Limits
	list      []exchange.Part
	locs      []loc
	orig      []string
	textBytes int
	err       error
}

func (p *parts) add(role exchange.Role, name string, n int32) {
	if p.err != nil || n < 0 {
		return
	}
	k := p.t.nodes[n].kind
	var text string
	raw := false
	switch k {
	case kString:
		text = p.t.str(n)
	case kObject, kArray:
		text = string(p.t.raw(n))
		raw = true
	default:
		return
	}
	if len(p.list) >= p.lim.MaxParts {
		p.err = &Error{Status: http.StatusRequestEntityTooLarge, Code: CodeTooLarge, Message: fmt.Sprintf("more than %d text parts", p.lim.MaxParts)}
		return
	}
	p.textBytes += len(text)
	if p.textBytes > p.lim.MaxTextBytes {
		p.err = &Error{Status: http.StatusRequestEntityTooLarge, Code: CodeTooLarge, Message: fmt.Sprintf("more than %d bytes of text", p.lim.MaxTextBytes)}
		return
	}
	p.list = append(p.list, exchange.Part{Role: role, Text: text, Name: name, Index: len(p.list)})
	p.locs = append(p.locs, loc{span: p.t.span(n), raw: raw})
	p.orig = append(p.orig, text)
}

// textEdits returns the edits that write changed part texts back.
func textEdits(edits []edit, cur []exchange.Part, locs []loc, orig []string, maxDepth int) ([]edit, error) {
	for i := range cur {
		p := &cur[i]
		if p.Index < 0 || p.Index >= len(locs) {
			return nil, fmt.Errorf("dialect: part %d has index %d out of range: parts must not be reordered or added", i, p.Index)
		}
		if p.Text == orig[p.Index] {
			continue
		}
		l := locs[p.Index]
		if l.raw {
			if _, err := parseTree([]byte(p.Text), maxDepth, 1<<20); err != nil {
				return nil, fmt.Errorf("dialect: edited tool input of part %d is no longer valid JSON: %w", i, err)
			}
			edits = append(edits, edit{at: l.span, repl: []byte(p.Text)})
			continue
		}
		edits = append(edits, edit{at: l.span, repl: appendJSONString(nil, p.Text)})
	}
	return edits, nil
}

func applyEdits(src []byte, edits []edit) []byte {
	if len(edits) == 0 {
		return src
	}
	slices.SortStableFunc(edits, func(a, b edit) int { return a.at.start - b.at.start })
	return splice(src, edits)
}

// parseBody parses a client body into a tree, mapping errors to *Error.
func parseBody(body []byte, lim Limits) (*tree, error) {
	t, err := parseTree(body, lim.MaxDepth, lim.MaxNodes)
	if err != nil {
		return nil, requestError(err)
	}
	if t.nodes[0].kind != kObject {
		return nil, &Error{Status: 400, Code: CodeInvalidRequest, Message: "request body must be a JSON object"}
	}
	return t, nil
}

func requestError(err error) *Error {
	switch {
	case errors.Is(err, errTooMany):
		return &Error{Status: http.StatusRequestEntityTooLarge, Code: CodeTooLarge, Message: "request body has too many JSON values"}
	case errors.Is(err, errDepth):
		return &Error{Status: 400, Code: CodeInvalidRequest, Message: "request body JSON is nested too deeply"}
	case errors.Is(err, errDupKey):
		return &Error{Status: 400, Code: CodeInvalidRequest, Message: "request body has an object with a duplicate key"}
	case errors.Is(err, errBadUTF8):
		return &Error{Status: 400, Code: CodeInvalidRequest, Message: "request body contains invalid UTF-8"}
	default:
		return &Error{Status: 400, Code: CodeInvalidRequest, Message: "request body is not valid JSON: " + err.Error()}
	}
}

func badField(msg string) *Error {
	return &Error{Status: 400, Code: CodeInvalidRequest, Message: msg}
}

func upstreamError(msg string) *Error {
	return &Error{Status: http.StatusBadGateway, Code: CodeUpstream, Message: "upstream response: " + msg}
}

func (r *Request) upstreamBody(model string) ([]byte, error) {
	edits, err := textEdits(nil, r.Exchange.Input, r.inputSpans, r.origInputs, DefaultLimits().MaxDepth)
	if err != nil {
		return nil, err
	}
	root := int32(0)
	insertAt := span{int(r.tree.nodes[root].start) + 1, int(r.tree.nodes[root].start) + 1}
	empty := r.tree.nodes[root].count == 0
	var ins []byte
	if r.op != exchange.OpModels {
		if r.modelSpan.start >= 0 {
			edits = append(edits, edit{at: r.modelSpan, repl: appendJSONString(nil, model)})
		} else {
			ins = append(ins, `"model":`...)
			ins = appendJSONString(ins, model)
		}
	}
	if r.maxTokens > 0 {
		key := ""
		switch r.op {
		case exchange.OpChat:
			key = "max_completion_tokens"
			if r.tree.get(root, key) < 0 && r.tree.get(root, "max_tokens") >= 0 {
				key = "max_tokens"
			}
		case exchange.OpResponses:
			key = "max_output_tokens"
		case exchange.OpMessages:
			key = "max_tokens"
		}
		if key != "" {
			val := strconv.AppendInt(nil, r.maxTokens, 10)
			if n := r.tree.get(root, key); n >= 0 {
				edits = append(edits, edit{at: r.tree.span(n), repl: val})
			} else {
				if len(ins) > 0 {
					ins = append(ins, ',')
				}
				ins = appendJSONString(ins, key)
				ins = append(ins, ':')
				ins = append(ins, val...)
			}
		}
	}
	if r.forceUsage && r.Exchange.Stream && !r.ClientWantsUsage && r.op == exchange.OpChat {
		so := r.streamOpts
		switch {
		case so >= 0 && r.tree.nodes[so].kind == kObject:
			if iu := r.tree.get(so, "include_usage"); iu >= 0 {
				edits = append(edits, edit{at: r.tree.span(iu), repl: []byte("true")})
			} else {
				at := int(r.tree.nodes[so].start) + 1
				repl := `"include_usage":true`
				if r.tree.nodes[so].count > 0 {
					repl += ","
				}
				edits = append(edits, edit{at: span{at, at}, repl: []byte(repl)})
			}
		case so >= 0:
			edits = append(edits, edit{at: r.tree.span(so), repl: []byte(`{"include_usage":true}`)})
		default:
			if len(ins) > 0 {
				ins = append(ins, ',')
			}
			ins = append(ins, `"stream_options":{"include_usage":true}`...)
		}
	}
	if len(ins) > 0 {
		if !empty {
			ins = append(ins, ',')
		}
		edits = append(edits, edit{at: insertAt, repl: ins})
	}
	out := applyEdits(r.body, edits)
	if len(edits) == 0 {
		out = slices.Clone(out)
	}
	return out, nil
}

func (r *Response) encode() ([]byte, error) {
	edits, err := textEdits(nil, r.Exchange.Output, r.spans, r.origOutput, DefaultLimits().MaxDepth)
	if err != nil {
		return nil, err
	}
	return applyEdits(r.body, edits), nil
}

func (r *Router) resolve(method, path string, query url.Values) (Route, bool) {
	switch path {
	case "/v1/chat/completions":
		return postRoute(method, Route{Codec: r.openai, Op: exchange.OpChat})
	case "/v1/responses":
		return postRoute(method, Route{Codec: r.openai, Op: exchange.OpResponses})
	case "/v1/embeddings":
		return postRoute(method, Route{Codec: r.openai, Op: exchange.OpEmbeddings})
	case "/v1/messages":
		return postRoute(method, Route{Codec: r.anthropic, Op: exchange.OpMessages})
	case "/v1/models":
		if method != http.MethodGet {
			return Route{}, false
		}
		return Route{Codec: r.openai, Op: exchange.OpModels}, true
	}
	if rest, ok := strings.CutPrefix(path, "/openai/v1/"); ok {
		// Azure OpenAI's v1 API: OpenAI's paths and bodies under /openai/v1/
		// (no api-version; the body's model is the deployment name).
		switch rest {
		case "chat/completions", "responses", "embeddings", "models":
			return r.resolve(method, "/v1/"+rest, nil)
		}
		return Route{}, false
	}
	if path == "/openai/responses" {
		// Azure OpenAI's Responses API (what openai-go's azure option
		// calls): the body names the deployment as its model.
		return postRoute(method, Route{Codec: Azure(r.lim, ""), Op: exchange.OpResponses, APIVersion: query.Get("api-version")})
	}
	rest, ok := strings.CutPrefix(path, "/openai/deployments/")
	if !ok {
		return Route{}, false
	}
	name, tail, ok := strings.Cut(rest, "/")
	if !ok || !validDeployment(name) {
		return Route{}, false
	}
	var op exchange.Operation
	switch tail {
	case "chat/completions":
		op = exchange.OpChat
	case "embeddings":
		op = exchange.OpEmbeddings
	default:
		return Route{}, false
	}
	ver := query.Get("api-version")
	return postRoute(method, Route{Codec: Azure(r.lim, name), Op: op, Deployment: name, APIVersion: ver})
}

func postRoute(method string, rt Route) (Route, bool) {
	if method != http.MethodPost {
		return Route{}, false
	}
	return rt, true
}

// validDeployment accepts Azure deployment names: letters, digits, '-', '_', '.'.
func validDeployment(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return s != "." && s != ".."
}
