// Package mockllm is a scripted upstream that speaks the OpenAI (chat
// completions, Responses, embeddings, models), Azure OpenAI deployment and
// Anthropic Messages wire formats, streaming included, with usage blocks.
// The demo, the tests and the benchmarks use it in place of a real provider.
//
// Scripting, per request:
//   - X-Mock-Fault: hang | reset | broken-sse | <status> (e.g. 500, 429, 401):
//     hang waits until the client goes away; reset closes the connection
//     without a response; broken-sse sends one good event then malformed
//     data and cuts the stream; a status returns the dialect's error body
//     with that status (429 adds Retry-After: 1).
//   - X-Mock-Echo: 1 replies with the last user text instead of the canned
//     reply (also Options.Echo); X-Mock-Echo: all replies with every input
//     text, system prompt included, joined by newlines.
//   - X-Mock-Chunks: N (1..4096) splits this request's streamed reply into
//     N chunks (default Options.Chunks).
//   - Tool calls: when the request offers tools, its last part is a user
//     text (not a tool result) and that text names one of the tools, the
//     reply is a call to that tool with arguments {"input": <user text>}.
package mockllm

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/aigis-dev/aigis/internal/dialect"
	"github.com/aigis-dev/aigis/internal/exchange"
)

// Options script the mock.
type Options struct {
	// Latency is waited before each response (before the first chunk of a stream).
	Latency time.Duration
	// Chunks is the number of text chunks a stream splits the reply into (default 4).
	Chunks int
	// ChunkDelay is waited between stream chunks.
	ChunkDelay time.Duration
	// Reply is the canned reply text (default DefaultReply).
	Reply string
	// Echo replies with the last user text instead of Reply.
	Echo bool
	// Models are listed by GET /v1/models (default DefaultModels).
	Models []string
	// EmbeddingDims is the length of returned embeddings (default 8).
	EmbeddingDims int
	// MaxBodyBytes bounds request bodies (default 16 MiB).
	MaxBodyBytes int64
	// Observe, when set, is called with each request and its body before the
	// reply (tests use it to see what reached the upstream). It is called
	// concurrently and must not retain body.
	Observe func(r *http.Request, body []byte)
}

// DefaultReply is the canned reply.
const DefaultReply = "Hello from the aigis mock LLM. This is a canned reply."

// DefaultModels are listed when Options.Models is empty.
var DefaultModels = []string{"gpt-4o-mini", "gpt-4o", "text-embedding-3-small", "claude-sonnet-4-5", "claude-3-5-haiku-latest"}

type server struct {
	opt       Options
	router    *dialect.Router
	seq       atomic.Int64
	replyJSON []byte // the canned reply as a JSON string literal
	models    []byte // prebuilt /v1/models body
}

// New returns the mock's HTTP handler.
func New(opt Options) http.Handler {
	if opt.Chunks <= 0 {
		opt.Chunks = 4
	}
	if opt.Reply == "" {
		opt.Reply = DefaultReply
	}
	if len(opt.Models) == 0 {
		opt.Models = DefaultModels
	}
	if opt.EmbeddingDims <= 0 {
		opt.EmbeddingDims = 8
	}
	if opt.MaxBodyBytes <= 0 {
		opt.MaxBodyBytes = 16 << 20
	}
	s := &server{opt: opt, router: dialect.NewRouter(dialect.Limits{})}
	s.replyJSON = jsonString(opt.Reply)
	s.models = s.buildModels()
	return s
}

func jsonString(s string) []byte {
	b, _ := json.Marshal(s) // a string always marshals
	return b
}

// tokens estimates a token count: about four bytes per token, at least 1.
func tokens(n int) int64 {
	if n <= 0 {
		return 1
	}
	return int64((n + 3) / 4)
}

// call is one request being answered.
type call struct {
	rt       dialect.Route
	x        *exchange.Exchange
	id       int64
	created  int64
	model    []byte // JSON string
	text     []byte // the reply text, JSON string literal
	rawText  string
	tool     string // tool to call, "" for a text reply
	toolArgs string // arguments JSON text
	prompt   int64
	complete int64
	usage    bool // OpenAI chat stream: include_usage
	chunks   int  // stream text chunks
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rt, ok := s.router.Resolve(r.Method, r.URL.Path, r.URL.Query())
	if !ok {
		if r.URL.Path == "/openai/models" && r.Method == http.MethodGet {
			s.writeModels(w)
			return
		}
		dialect.OpenAI(dialect.Limits{}).WriteError(w, http.StatusNotFound, "not_found", "mockllm: no route for "+r.Method+" "+r.URL.Path)
		return
	}
	var body []byte
	if r.Method == http.MethodPost {
		b, err := readBody(w, r, s.opt.MaxBodyBytes)
		if err != nil {
			rt.Codec.WriteError(w, http.StatusBadRequest, "invalid_request", "mockllm: "+err.Error())
			return
		}
		body = b
	}
	if s.opt.Observe != nil {
		s.opt.Observe(r, body)
	}
	if fault := r.Header.Get("X-Mock-Fault"); fault != "" {
		if s.fault(w, r, rt, fault) {
			return
		}
	}
	if !s.wait(r.Context(), s.opt.Latency) {
		return
	}
	if rt.Op == exchange.OpModels {
		s.writeModels(w)
		return
	}
	req, err := rt.Codec.DecodeRequest(rt.Op, body)
	if err != nil {
		st, code, msg := http.StatusBadRequest, "invalid_request", err.Error()
		if de, ok := err.(*dialect.Error); ok {
			st, code, msg = de.Status, de.Code, de.Message
		}
		rt.Codec.WriteError(w, st, code, "mockllm: "+msg)
		return
	}
	c := s.newCall(rt, req, r.Header.Get("X-Mock-Echo"))
	c.chunks = s.opt.Chunks
	if v := r.Header.Get("X-Mock-Chunks"); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n >= 1 && n <= 4096 {
			c.chunks = n
		}
	}
	switch rt.Op {
	case exchange.OpEmbeddings:
		s.writeEmbeddings(w, c, body)
	case exchange.OpChat:
		if c.x.Stream {
			s.streamChat(w, r, c)
		} else {
			writeBody(w, http.StatusOK, s.chatBody(c))
		}
	case exchange.OpResponses:
		if c.x.Stream {
			s.streamResponses(w, r, c)
		} else {
			writeBody(w, http.StatusOK, s.responsesBody(c))
		}
	case exchange.OpMessages:
		if c.x.Stream {
			s.streamMessages(w, r, c)
		} else {
			writeBody(w, http.StatusOK, s.messagesBody(c))
		}
	}
}

func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	return io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
}

func (s *server) newCall(rt dialect.Route, req *dialect.Request, echo string) *call {
	x := req.Exchange
	c := &call{rt: rt, x: x, id: s.seq.Add(1), created: time.Now().Unix(), model: jsonString(x.Model), usage: req.ClientWantsUsage}
	var last *exchange.Part
	inputBytes := 0
	for i := range x.Input {
		inputBytes += len(x.Input[i].Text)
		if x.Input[i].Role == exchange.RoleUser {
			last = &x.Input[i]
		}
	}
	c.prompt = tokens(inputBytes)
	userText := ""
	if last != nil {
		userText = last.Text
	}
	if len(x.Tools) > 0 && len(x.Input) > 0 && x.Input[len(x.Input)-1].Role == exchange.RoleUser {
		lower := strings.ToLower(userText)
		for _, t := range x.Tools {
			if t.Name != "" && strings.Contains(lower, strings.ToLower(t.Name)) {
				c.tool = t.Name
				c.toolArgs = `{"input":` + string(jsonString(userText)) + `}`
				c.complete = tokens(len(c.toolArgs) + len(t.Name))
				return c
			}
		}
	}
	switch {
	case echo == "all": // every input text, system prompt included
		texts := make([]string, 0, len(x.Input))
		for i := range x.Input {
			texts = append(texts, x.Input[i].Text)
		}
		c.rawText = strings.Join(texts, "\n")
		c.text = jsonString(c.rawText)
	case s.opt.Echo || echo != "":
		c.rawText = userText
		c.text = jsonString(userText)
	default:
		c.rawText = s.opt.Reply
		c.text = s.replyJSON
	}
	c.complete = tokens(len(c.rawText))
	return c
}

// chunks splits s into n pieces on rune boundaries (fewer when s is short).
func chunks(s string, n int) []string {
	if n <= 1 || len(s) == 0 {
		return []string{s}
	}
	size := (len(s) + n - 1) / n
	out := make([]string, 0, n)
	for len(s) > 0 {
		end := min(size, len(s))
		for end < len(s) && !utf8.RuneStart(s[end]) {
			end++
		}
		out = append(out, s[:end])
		s = s[end:]
	}
	return out
}

func writeBody(w http.ResponseWriter, status int, b []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// wait sleeps d unless ctx ends first; it reports whether to continue.
func (s *server) wait(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// sseWriter writes events and flushes each one.
type sseWriter struct {
	w   http.ResponseWriter
	rc  *http.ResponseController
	s   *server
	ctx context.Context
}

func (s *server) startSSE(w http.ResponseWriter, r *http.Request) *sseWriter {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("Connection", "keep-alive")
	w.WriteHeader(http.StatusOK)
	return &sseWriter{w: w, rc: http.NewResponseController(w), s: s, ctx: r.Context()}
}

// send writes one event (name may be empty) and flushes; false when the client is gone.
func (sw *sseWriter) send(name string, data []byte) bool {
	buf := make([]byte, 0, len(data)+len(name)+16)
	if name != "" {
		buf = append(buf, "event: "...)
		buf = append(buf, name...)
		buf = append(buf, '\n')
	}
	buf = append(buf, "data: "...)
	buf = append(buf, data...)
	buf = append(buf, '\n', '\n')
	if _, err := sw.w.Write(buf); err != nil {
		return false
	}
	return sw.rc.Flush() == nil && sw.ctx.Err() == nil
}

func (sw *sseWriter) pause() bool { return sw.s.wait(sw.ctx, sw.s.opt.ChunkDelay) }

func (s *server) fault(w http.ResponseWriter, r *http.Request, rt dialect.Route, fault string) bool {
	switch fault {
	case "hang":
		<-r.Context().Done()
		return true
	case "reset":
		resetConn(w)
		return true
	case "broken-sse":
		sw := s.startSSE(w, r)
		switch rt.Op {
		case exchange.OpMessages:
			sw.send("message_start", []byte(`{"type":"message_start","message":{"id":"msg_broken","type":"message","role":"assistant","model":"mock","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":1,"output_tokens":1}}}`))
		case exchange.OpResponses:
			sw.send("response.output_text.delta", []byte(`{"type":"response.output_text.delta","item_id":"msg_broken","output_index":0,"content_index":0,"delta":"partial","logprobs":[],"sequence_number":0}`))
		default:
			sw.send("", []byte(`{"id":"chatcmpl-broken","object":"chat.completion.chunk","created":0,"model":"mock","choices":[{"index":0,"delta":{"role":"assistant","content":"partial"},"finish_reason":null}]}`))
		}
		_, _ = w.Write([]byte("data: {\"broken\": \n\n"))
		_ = sw.rc.Flush()
		resetConn(w)
		return true
	}
	status, err := strconv.Atoi(fault)
	if err != nil || status < 400 || status > 599 {
		return false
	}
	if status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", "1")
	}
	rt.Codec.WriteError(w, status, "mock_fault", "mockllm: scripted failure "+fault)
	return true
}

// resetConn closes the client connection abruptly (RST where possible).
func resetConn(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}
