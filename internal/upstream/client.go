package upstream

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aigis-dev/aigis/internal/exchange"
)

// NewTransport returns an http.Transport tuned for a gateway: keep-alive
// pools large enough for 64+ concurrent calls per upstream, bounded dial and
// TLS handshake, no transparent compression (bytes pass through as sent).
// Share one between clients.
func NewTransport() *http.Transport {
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy:                  http.ProxyFromEnvironment,
		DialContext:            d.DialContext,
		ForceAttemptHTTP2:      true,
		MaxIdleConns:           1024,
		MaxIdleConnsPerHost:    256,
		IdleConnTimeout:        90 * time.Second,
		TLSHandshakeTimeout:    10 * time.Second,
		ExpectContinueTimeout:  time.Second,
		DisableCompression:     true,
		MaxResponseHeaderBytes: 1 << 20,
	}
}

// Client calls one upstream. It is safe for concurrent use.
type Client struct {
	cfg    Config
	base   *url.URL
	rt     http.RoundTripper
	tokens *tokenSource
	now    func() time.Time
}

// New validates cfg, applies defaults and returns a Client that sends through
// rt (nil: a new NewTransport()).
func New(cfg Config, rt http.RoundTripper) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if rt == nil {
		rt = NewTransport()
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = Duration(DefaultTimeout)
	}
	if cfg.ResponseHeaderTimeout == 0 {
		cfg.ResponseHeaderTimeout = Duration(DefaultResponseHeaderTimeout)
	}
	if cfg.APIVersion == "" {
		switch cfg.Kind {
		case KindAzure:
			cfg.APIVersion = DefaultAzureAPIVersion
		case KindAnthropic:
			cfg.APIVersion = DefaultAnthropicVersion
		}
	}
	base, _ := url.Parse(strings.TrimRight(cfg.BaseURL, "/"))
	c := &Client{cfg: cfg, base: base, rt: rt, now: time.Now}
	if cfg.OAuth2 != nil {
		c.tokens = newTokenSource(*cfg.OAuth2, &http.Client{Transport: rt, Timeout: 30 * time.Second}, time.Now)
	}
	return c, nil
}

// Name returns the configured upstream name.
func (c *Client) Name() string { return c.cfg.Name }

// Kind returns the upstream kind.
func (c *Client) Kind() string { return c.cfg.Kind }

// URL returns the URL Do would call for op and model.
func (c *Client) URL(op exchange.Operation, model string) (string, error) {
	u := *c.base
	var p string
	switch c.cfg.Kind {
	case KindOpenAI:
		switch op {
		case exchange.OpChat:
			p = "/chat/completions"
		case exchange.OpResponses:
			p = "/responses"
		case exchange.OpEmbeddings:
			p = "/embeddings"
		case exchange.OpModels:
			p = "/models"
		}
	case KindAnthropic:
		prefix := "/v1"
		if strings.HasSuffix(u.Path, "/v1") {
			prefix = ""
		}
		switch op {
		case exchange.OpMessages:
			p = prefix + "/messages"
		case exchange.OpModels:
			p = prefix + "/models"
		}
	case KindAzure:
		switch op {
		case exchange.OpChat:
			p = "/openai/deployments/" + model + "/chat/completions"
		case exchange.OpEmbeddings:
			p = "/openai/deployments/" + model + "/embeddings"
		case exchange.OpResponses:
			p = "/openai/responses"
		}
		if p != "" {
			u.RawQuery = "api-version=" + url.QueryEscape(c.cfg.APIVersion)
		}
		if model == "" && op != exchange.OpResponses {
			return "", fmt.Errorf("upstream %q: azure needs a deployment name as the model", c.cfg.Name)
		}
	}
	if p == "" {
		return "", fmt.Errorf("upstream %q (kind %s) does not serve operation %q", c.cfg.Name, c.cfg.Kind, op)
	}
	if c.cfg.Kind == KindAzure && strings.HasPrefix(p, "/openai/deployments/") {
		// The deployment name is one path segment whatever it contains.
		tail := strings.TrimPrefix(p, "/openai/deployments/"+model)
		u.RawPath = u.EscapedPath() + "/openai/deployments/" + url.PathEscape(model) + tail
	}
	u.Path += p
	return u.String(), nil
}

// Error is returned by Do when the call failed without an HTTP response.
type Error struct {
	Upstream string
	// Sent reports whether any byte may have reached the upstream.
	Sent    bool
	Timeout bool // the header or total timeout expired
	Err     error
}

func (e *Error) Error() string {
	return fmt.Sprintf("upstream %q: %v", e.Upstream, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Do sends body (already encoded for this upstream, with the upstream model)
// as a POST for op (GET for models) and returns the response; the caller
// closes its Body. Authentication is set here; callers' credentials are never
// forwarded. A call is retried (MaxRetries, with backoff) only when nothing
// was written to the upstream. Cancelling ctx (client disconnect) cancels the
// call, also while the body is being read. Any HTTP status is returned as a
// response, not an error; failures without a response are *Error.
func (c *Client) Do(ctx context.Context, op exchange.Operation, model string, body []byte, stream bool) (*http.Response, error) {
	target, err := c.URL(op, model)
	if err != nil {
		return nil, err
	}
	var lastErr error
	for attempt := 0; attempt <= c.cfg.MaxRetries; attempt++ {
		if attempt > 0 {
			delay := time.Duration(50<<min(attempt-1, 5)) * time.Millisecond
			t := time.NewTimer(delay)
			select {
			case <-ctx.Done():
				t.Stop()
				return nil, &Error{Upstream: c.cfg.Name, Err: fmt.Errorf("cancelled while waiting to retry: %w (last error: %v)", ctx.Err(), lastErr)}
			case <-t.C:
			}
		}
		resp, sent, err := c.once(ctx, op, target, body, stream)
		if err == nil {
			return resp, nil
		}
		lastErr = err
		var ue *Error
		if !errors.As(err, &ue) || sent || ue.Timeout || ctx.Err() != nil {
			return nil, err
		}
	}
	return nil, lastErr
}

func (c *Client) once(ctx context.Context, op exchange.Operation, target string, body []byte, stream bool) (*http.Response, bool, error) {
	callCtx, cancel := context.WithCancelCause(ctx)
	var stopTotal func() bool
	if !stream {
		t := time.AfterFunc(time.Duration(c.cfg.Timeout), func() { cancel(errTotalTimeout) })
		stopTotal = t.Stop
	}
	headerTimer := time.AfterFunc(time.Duration(c.cfg.ResponseHeaderTimeout), func() { cancel(errHeaderTimeout) })
	finish := func() {
		headerTimer.Stop()
		if stopTotal != nil {
			stopTotal()
		}
		cancel(nil)
	}

	var sent atomic.Bool
	trace := &httptrace.ClientTrace{
		WroteHeaders: func() { sent.Store(true) },
		WroteRequest: func(httptrace.WroteRequestInfo) { sent.Store(true) },
	}
	callCtx = httptrace.WithClientTrace(callCtx, trace)
	method := http.MethodPost
	var rd io.Reader = bytes.NewReader(body)
	if op == exchange.OpModels {
		method, rd = http.MethodGet, nil
	}
	req, err := http.NewRequestWithContext(callCtx, method, target, rd)
	if err != nil {
		finish()
		return nil, false, &Error{Upstream: c.cfg.Name, Err: fmt.Errorf("build request: %w", err)}
	}
	if err := c.setHeaders(ctx, req, stream); err != nil {
		finish()
		return nil, false, &Error{Upstream: c.cfg.Name, Err: err}
	}
	resp, err := c.rt.RoundTrip(req)
	headerTimer.Stop()
	if err != nil {
		cause := context.Cause(callCtx)
		finish()
		timeout := errors.Is(cause, errHeaderTimeout) || errors.Is(cause, errTotalTimeout)
		if timeout {
			err = fmt.Errorf("%w: %w", cause, err)
		}
		return nil, sent.Load(), &Error{Upstream: c.cfg.Name, Sent: sent.Load(), Timeout: timeout, Err: err}
	}
	if resp.StatusCode == http.StatusUnauthorized && c.tokens != nil {
		c.tokens.invalidate()
	}
	resp.Body = &cancelBody{ReadCloser: resp.Body, finish: finish}
	return resp, true, nil
}

var (
	errHeaderTimeout = errors.New("no response headers within response_header_timeout")
	errTotalTimeout  = errors.New("call exceeded timeout")
)

// cancelBody releases the call's timers and context when the body is closed.
type cancelBody struct {
	io.ReadCloser
	finish func()
	done   atomic.Bool
}

func (b *cancelBody) Close() error {
	err := b.ReadCloser.Close()
	if b.done.CompareAndSwap(false, true) {
		b.finish()
	}
	return err
}

func (c *Client) setHeaders(ctx context.Context, req *http.Request, stream bool) error {
	h := req.Header
	for k, v := range c.cfg.Headers {
		h.Set(k, v)
	}
	if req.Method == http.MethodPost {
		h.Set("Content-Type", "application/json")
	}
	if stream {
		h.Set("Accept", "text/event-stream")
	} else {
		h.Set("Accept", "application/json")
	}
	h.Set("User-Agent", "aigis-gateway")
	if c.tokens != nil {
		tok, err := c.tokens.token(ctx)
		if err != nil {
			return fmt.Errorf("get OAuth2 token: %w", err)
		}
		h.Set("Authorization", "Bearer "+tok)
		return nil
	}
	switch c.cfg.Kind {
	case KindOpenAI:
		if c.cfg.APIKey != "" {
			h.Set("Authorization", "Bearer "+c.cfg.APIKey)
		}
	case KindAnthropic:
		h.Set("X-Api-Key", c.cfg.APIKey)
		h.Set("Anthropic-Version", c.cfg.APIVersion)
	case KindAzure:
		h.Set("Api-Key", c.cfg.APIKey)
	}
	return nil
}
