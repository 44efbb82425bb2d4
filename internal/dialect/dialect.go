// Package dialect translates the gateway's ingress wire formats (OpenAI chat
// completions, Responses and embeddings; Anthropic messages; Azure OpenAI
// deployment paths) to and from the one exchange.Exchange model that policy,
// guard, quota and audit see.
//
// Decoding never rebuilds a body from structs: the original JSON is kept and
// re-encoded by splicing, so fields the gateway does not know are forwarded
// byte for byte, and only the model name and text parts the guard changed
// (redaction, pseudonymization) differ in what reaches the upstream or the
// client. Every decoder is bounded (nesting depth, number of parts, total
// text) and refuses invalid JSON and invalid UTF-8 with a 400 *Error.
//
// Typical gateway use:
//
//	router := dialect.NewRouter(dialect.Limits{})          // once
//	rt, ok := router.Resolve(r.Method, r.URL.Path, r.URL.Query())
//	if !ok { 404 }
//	req, err := rt.Codec.DecodeRequest(rt.Op, body)   // err is *dialect.Error
//	... policy / guard on req.Exchange (edit Input[i].Text in place) ...
//	if req.Exchange.Stream { req.ForceStreamUsage() }
//	up, _ := req.UpstreamBody(upstreamModel)
//	... call upstream ...
//	non-stream: resp, err := rt.Codec.DecodeResponse(req, upBody); guard Output; b, _ := resp.Body()
//	stream:     st := rt.Codec.NewStream(req); rd := sse.NewReader(upBody, max)
//	            for each ev from rd.Next():
//	              se, err := st.Parse(ev)          // err: broken upstream -> st.Error(...), stop
//	              if se.Drop { continue }          // usage chunk the client did not ask for
//	              if se.Flush { write st.Delta(part, heldBack) for every part with held-back text }
//	              if se.HasText { guard se.Text; write st.Encode(se, allowedText) }
//	              else { write st.Encode(se, se.Text) }
//	              if se.Final || se.Error { stop }
//	            a block mid-stream: write st.Error(code, msg) and stop (no [DONE]).
//
// Usage: DecodeResponse fills req.Exchange.Usage; streams keep it current as
// usage events arrive (StreamEvent.Usage mirrors it).
package dialect

import (
	"net/http"
	"net/url"

	"github.com/aigis-dev/aigis/internal/exchange"
	"github.com/aigis-dev/aigis/internal/sse"
)

// Error is a client-facing, dialect-neutral error. Codecs render it in their
// own shape with WriteError / StreamError.
type Error struct {
	Status  int    // HTTP status, e.g. 400
	Code    string // stable machine code, e.g. "invalid_request"
	Message string // human text; never contains request content
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Stable error codes produced by decoders.
const (
	CodeInvalidRequest = "invalid_request" // malformed JSON, invalid UTF-8, missing or wrong-typed fields
	CodeTooLarge       = "request_too_large"
	CodeUpstream       = "upstream_error" // an upstream body that could not be decoded
)

// Limits bound what a decoder accepts beyond the gateway's body-size cap.
type Limits struct {
	MaxDepth     int // JSON nesting depth
	MaxParts     int // text parts in one request or response
	MaxTextBytes int // total bytes of text across parts
	MaxNodes     int // JSON values in one body
}

// DefaultLimits are used by the codecs returned by Resolve and the
// constructors when given a zero Limits.
func DefaultLimits() Limits {
	return Limits{MaxDepth: 64, MaxParts: 4096, MaxTextBytes: 16 << 20, MaxNodes: 1 << 20}
}

// Codec is one ingress dialect. Codecs are safe for concurrent use.
type Codec interface {
	// Name is "openai", "anthropic" or "azure" (Exchange.Dialect).
	Name() string
	// DecodeRequest decodes a client request body for op. A malformed body
	// returns a *Error with Status 400 (or 413 past Limits).
	DecodeRequest(op exchange.Operation, body []byte) (*Request, error)
	// DecodeResponse decodes a non-streaming upstream response body for req,
	// filling req.Exchange.Output and req.Exchange.Usage. A body that is not
	// this dialect's success shape returns a *Error (Code "upstream_error", Status 502).
	DecodeResponse(req *Request, body []byte) (*Response, error)
	// NewStream returns a parser for req's upstream event stream.
	NewStream(req *Request) Stream
	// WriteError writes a JSON error in this dialect's shape with the status.
	WriteError(w http.ResponseWriter, status int, code, message string)
	// StreamError returns the SSE bytes of this dialect's error event, which
	// ends a stream the gateway blocks (it then sends no [DONE]/stop event).
	// Prefer Stream.Error when a Stream exists: it knows the operation
	// (Responses streams use a different error event than chat).
	StreamError(code, message string) []byte
}

// Request is a decoded client request. It keeps a reference to the body it
// was decoded from: do not modify or reuse that buffer while the Request is
// in use. Not safe for concurrent use.
type Request struct {
	// Exchange is the common model. The guard may change Input[i].Text; the
	// change reaches the upstream through UpstreamBody. Do not reorder Input
	// or change Part.Index.
	Exchange *exchange.Exchange

	// ClientWantsUsage reports whether the client itself asked for usage in
	// the stream (OpenAI stream_options.include_usage; always true for
	// Anthropic and Responses, whose streams always carry usage).
	ClientWantsUsage bool

	body       []byte
	tree       *tree
	inputSpans []loc // by Part.Index: the JSON value to rewrite
	modelSpan  span  // the "model" value; start<0 when absent
	forceUsage bool
	op         exchange.Operation
	codec      codecKind
	deployment string
	origInputs []string // Input texts as decoded, to detect changes
	streamOpts int32    // tree node of stream_options, -1 when absent
	maxTokens  int64    // SetMaxTokens: the output cap to write upstream
}

// SetMaxTokens makes UpstreamBody send n as the output-token limit (a role
// cap applied to a request that gave none, or gave a larger one): OpenAI
// chat "max_completion_tokens" (or "max_tokens" when only that key is
// present), Responses "max_output_tokens", Anthropic "max_tokens". A value
// already in the body under that key is replaced. n <= 0 does nothing;
// embeddings and model listings have no such limit.
func (r *Request) SetMaxTokens(n int64) {
	if n > 0 {
		r.maxTokens = n
		r.Exchange.MaxTokens = n
	}
}

// ForceStreamUsage makes UpstreamBody ask the upstream to report usage in the
// stream (OpenAI stream_options.include_usage=true), so quotas settle from
// real numbers. When the client did not ask for it, the Stream marks the
// usage-only chunk Drop so the gateway does not forward it.
func (r *Request) ForceStreamUsage() { r.forceUsage = true }

// UpstreamBody returns the original body with the model set to upstreamModel
// (inserted when absent, e.g. for Azure ingress) and every Input part whose
// Text changed written back at its place. Unknown fields are preserved.
func (r *Request) UpstreamBody(upstreamModel string) ([]byte, error) {
	return r.upstreamBody(upstreamModel)
}

// Response is a decoded non-streaming upstream response.
type Response struct {
	// Exchange is the request's Exchange, with Output and Usage filled. The
	// guard may change Output[i].Text; Body writes the change back.
	Exchange *exchange.Exchange

	body       []byte
	tree       *tree
	spans      []loc
	origOutput []string
}

// Body returns the upstream body with changed Output texts written back.
func (r *Response) Body() ([]byte, error) { return r.encode() }

// StreamEvent is one parsed upstream stream event.
type StreamEvent struct {
	// PartIndex identifies the output part the text belongs to (an opaque
	// small integer, stable within one stream; Delta accepts it back).
	PartIndex int
	// Role is RoleAssistant for message text and RoleToolCall for streamed
	// tool-call arguments.
	Role exchange.Role
	// Text is the text this event adds, when HasText.
	Text    string
	HasText bool
	// Usage, when non-nil, is the usage known so far (later events
	// supersede earlier ones); req.Exchange.Usage is kept up to date too.
	Usage *exchange.Usage
	// Flush is true when this event ends output parts (or repeats their full
	// text, as Responses "done" events do): emit all held-back text with
	// Delta, then forward this event. Final events always have Flush set.
	Flush bool
	// Final is true for the event that ends a successful stream
	// (OpenAI "[DONE]", Anthropic message_stop, Responses response.completed).
	Final bool
	// Drop is true for an event the client must not see (a usage chunk it did
	// not ask for, see Request.ForceStreamUsage).
	Drop bool
	// Error is true for an upstream error event (forward it, then end).
	Error bool

	raw   sse.Event
	pos   span      // the text value inside raw.Data (when HasText)
	fixes []textFix // full-text copies inside "done" events (Responses)
}

// Stream parses and re-encodes one upstream event stream. Not safe for
// concurrent use.
type Stream interface {
	// Parse interprets one upstream event. An event this dialect does not
	// know is returned with no text (forward it unchanged); malformed JSON in
	// a known event is an error (treat as a broken upstream).
	Parse(ev sse.Event) (StreamEvent, error)
	// Encode returns the wire bytes of ev with its text replaced by text
	// (the same content when text == ev.Text or the event has no text).
	// The stream remembers what the client received: call Encode or Delta
	// for every text the client gets, in order, and flush held-back text
	// (Delta) before forwarding an event with Flush set. Responses "done"
	// events that repeat the full text are then rewritten to what the client
	// actually received, so redacted text does not leak through them (if
	// the gateway did not flush first, they carry the text emitted so far:
	// truncated, never unredacted).
	Encode(ev StreamEvent, text string) []byte
	// Delta synthesizes a text-delta event for partIndex (to flush text held
	// back by the guard).
	Delta(partIndex int, text string) []byte
	// Error returns this stream's error event (use it to end a blocked
	// stream; send nothing after it, in particular no [DONE]).
	Error(code, message string) []byte
}

// Route is the result of Resolve: which codec and operation serve a path.
type Route struct {
	Codec Codec
	Op    exchange.Operation
	// Deployment is the Azure deployment name from the path ("" otherwise);
	// it is the model the caller asked for.
	Deployment string
	// APIVersion is the Azure api-version query parameter ("" otherwise).
	APIVersion string
}

// Router maps ingress paths to codecs. It is immutable and safe for
// concurrent use.
type Router struct {
	lim       Limits
	openai    Codec
	anthropic Codec
}

// NewRouter returns a Router whose codecs use l (zero fields: DefaultLimits).
func NewRouter(l Limits) *Router {
	l = withDefaults(l)
	return &Router{lim: l, openai: OpenAI(l), anthropic: Anthropic(l)}
}

// Resolve maps an ingress method and path to a Route. It knows:
//
//	POST /v1/chat/completions                                      openai    chat
//	POST /v1/responses                                             openai    responses
//	POST /v1/embeddings                                            openai    embeddings
//	GET  /v1/models                                                openai    models
//	POST /v1/messages                                              anthropic messages
//	POST /openai/deployments/{name}/chat/completions?api-version=  azure     chat
//	POST /openai/deployments/{name}/embeddings?api-version=        azure     embeddings
//
// Anything else (including a wrong method) returns ok=false: refuse it
// (404, or 405 for a known path with the wrong method if you prefer).
func (r *Router) Resolve(method, path string, query url.Values) (rt Route, ok bool) {
	return r.resolve(method, path, query)
}

// OpenAI returns the OpenAI codec (zero Limits means DefaultLimits).
func OpenAI(l Limits) Codec { return &openaiCodec{lim: withDefaults(l)} }

// Anthropic returns the Anthropic Messages codec.
func Anthropic(l Limits) Codec { return &anthropicCodec{lim: withDefaults(l)} }

// Azure returns the Azure OpenAI codec for one deployment (the model name).
// Bodies are OpenAI's; the deployment becomes Exchange.Model.
func Azure(l Limits, deployment string) Codec {
	return &azureCodec{openaiCodec: openaiCodec{lim: withDefaults(l)}, deployment: deployment}
}

func withDefaults(l Limits) Limits {
	d := DefaultLimits()
	if l.MaxDepth <= 0 {
		l.MaxDepth = d.MaxDepth
	}
	if l.MaxParts <= 0 {
		l.MaxParts = d.MaxParts
	}
	if l.MaxTextBytes <= 0 {
		l.MaxTextBytes = d.MaxTextBytes
	}
	if l.MaxNodes <= 0 {
		l.MaxNodes = d.MaxNodes
	}
	return l
}
