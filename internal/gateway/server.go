package gateway

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aigis-dev/aigis/internal/dialect"
	"github.com/aigis-dev/aigis/internal/exchange"
)

// ServeHTTP routes a request: operations endpoints, the admin API, and
// the model routes through the pipeline. Anything else is refused (404 or
// 405) in the dialect's error shape and audited.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	switch {
	case path == "/healthz":
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write([]byte("ok\n"))
		return
	case path == "/readyz":
		g.readyz(w, r)
		return
	case g.o.MetricsPath != "" && path == g.o.MetricsPath:
		g.metrics.Handler().ServeHTTP(w, r)
		return
	case path == ModelScanPath && g.modelScan != nil:
		g.modelScan.ServeHTTP(w, r)
		return
	case path == "/admin" || strings.HasPrefix(path, "/admin/"):
		if g.o.Admin != nil {
			g.o.Admin.ServeHTTP(w, r)
			return
		}
	}
	var q url.Values
	if strings.HasPrefix(path, "/openai/") {
		q = r.URL.Query()
	}
	if rt, ok := g.router.Resolve(r.Method, path, q); ok {
		g.serveModel(w, r, rt, routeName(rt))
		return
	}
	g.serveUnrouted(w, r, q)
}

// routeName is a bounded metrics label for a route (Azure deployment names
// are not labels).
func routeName(rt dialect.Route) string {
	switch {
	case rt.Codec.Name() == "azure" && rt.Op == exchange.OpResponses:
		return "/openai/responses"
	case rt.Codec.Name() == "azure" && rt.Op == exchange.OpEmbeddings:
		return "/openai/deployments/{name}/embeddings"
	case rt.Codec.Name() == "azure":
		return "/openai/deployments/{name}/chat/completions"
	case rt.Op == exchange.OpChat:
		return "/v1/chat/completions"
	case rt.Op == exchange.OpResponses:
		return "/v1/responses"
	case rt.Op == exchange.OpEmbeddings:
		return "/v1/embeddings"
	case rt.Op == exchange.OpModels:
		return "/v1/models"
	case rt.Op == exchange.OpMessages:
		return "/v1/messages"
	}
	return "other"
}

// serveUnrouted answers 405 for a known path with the wrong method, 404
// otherwise, and audits it.
func (g *Gateway) serveUnrouted(w http.ResponseWriter, r *http.Request, q url.Values) {
	codec := g.openai
	if strings.HasPrefix(r.URL.Path, "/v1/messages") {
		codec = g.anthropic
	}
	c := &call{g: g, w: w, r: r, codec: codec, start: g.now()}
	c.rec = Record{ID: g.newRequestID(), Time: c.start, Route: "unrouted", Dialect: codec.Name(),
		ClientIP: clientIP(r), UserAgent: truncateString(r.UserAgent(), 256)}
	w.Header()[headerRequestID] = []string{c.rec.ID}
	defer c.finish()
	if !c.headersFit() {
		return
	}
	for _, m := range []string{http.MethodPost, http.MethodGet} {
		if m == r.Method {
			continue
		}
		if rt, ok := g.router.Resolve(m, r.URL.Path, q); ok {
			c.rec.Route = routeName(rt)
			w.Header().Set("Allow", m)
			c.fail(http.StatusMethodNotAllowed, CodeMethodNotAllowed, "use "+m+" on this path")
			return
		}
	}
	c.fail(http.StatusNotFound, CodeNotFound, "unknown route")
}

// headersFit answers 431 in the route's dialect shape, audited, when the
// request line and headers are larger than Limits.MaxHeaderBytes.
func (c *call) headersFit() bool {
	r := c.r
	n := len(r.Method) + len(r.RequestURI) + len(r.Proto) + len(r.Host) + 8
	for k, vs := range r.Header {
		for _, v := range vs {
			n += len(k) + len(v) + 4
		}
	}
	if n <= c.g.o.Limits.MaxHeaderBytes {
		return true
	}
	c.fail(http.StatusRequestHeaderFieldsTooLarge, CodeHeaderTooLarge, "the request headers are larger than "+strconv.Itoa(c.g.o.Limits.MaxHeaderBytes)+" bytes")
	return false
}

// listModels answers /v1/models with only the models the caller may use.
func (c *call) listModels() {
	g := c.g
	ex := exchange.Exchange{Dialect: c.codec.Name(), Operation: exchange.OpModels}
	dec := g.o.Policy.Authorize(c.principal, &ex)
	c.rec.PolicyAllow, c.rec.PolicyCode, c.rec.PolicyReason = dec.Allow, dec.Code, dec.Reason
	if !dec.Allow {
		c.fail(http.StatusForbidden, dec.Code, dec.Reason)
		return
	}
	type model struct {
		ID      string `json:"id"`
		Object  string `json:"object"`
		Created int64  `json:"created"`
		OwnedBy string `json:"owned_by"`
	}
	list := struct {
		Object string  `json:"object"`
		Data   []model `json:"data"`
	}{Object: "list", Data: []model{}}
	for _, name := range g.o.Policy.AllowedModels(c.principal, g.modelNames) {
		list.Data = append(list.Data, model{ID: name, Object: "model", Created: g.created, OwnedBy: "aigis"})
	}
	b, _ := json.Marshal(list)
	c.rec.Status, c.rec.BytesOut = http.StatusOK, int64(len(b))
	if !c.commit() {
		c.rec.Status, c.rec.ErrorCode = http.StatusServiceUnavailable, CodeAuditUnavailable
		c.codec.WriteError(c.w, http.StatusServiceUnavailable, CodeAuditUnavailable, "the audit log is unavailable; retry later")
		return
	}
	c.w.Header().Set("Content-Type", "application/json")
	_, _ = c.w.Write(b)
}

func (g *Gateway) readyz(w http.ResponseWriter, r *http.Request) {
	if g.o.Ready != nil {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := g.o.Ready.Ping(ctx); err != nil {
			g.log.Warn("readiness check failed", "error", err.Error())
			http.Error(w, "store unreachable", http.StatusServiceUnavailable)
			return
		}
	}
	w.Header().Set("Content-Type", "text/plain")
	_, _ = w.Write([]byte("ready\n"))
}

// observe records metrics and the request log line.
func (g *Gateway) observe(rec *Record) {
	m := g.metrics
	status := statusLabel(rec.Status)
	m.requests.WithLabelValues(rec.Route, status).Inc()
	m.latency.WithLabelValues(rec.Route).Observe(rec.Latency.Seconds())
	if rec.TTFB > 0 {
		m.ttfb.WithLabelValues(rec.Route).Observe(rec.TTFB.Seconds())
	}
	if rec.Usage.PromptTokens > 0 {
		m.tokens.WithLabelValues(rec.Model, "prompt").Add(float64(rec.Usage.PromptTokens))
	}
	if rec.Usage.CompletionTokens > 0 {
		m.tokens.WithLabelValues(rec.Model, "completion").Add(float64(rec.Usage.CompletionTokens))
	}
	if rec.ErrorCode != "" && rec.Status >= 400 && rec.Status < 500 {
		m.denials.WithLabelValues(rec.ErrorCode).Inc()
	}
	level := slog.LevelInfo
	if rec.Status >= 500 {
		level = slog.LevelWarn
	}
	if !g.log.Enabled(context.Background(), level) {
		return
	}
	g.log.LogAttrs(context.Background(), level, "request",
		slog.String("request_id", rec.ID),
		slog.String("route", rec.Route),
		slog.String("principal", rec.PrincipalID),
		slog.String("model", rec.Model),
		slog.Int("status", rec.Status),
		slog.String("error_code", rec.ErrorCode),
		slog.Bool("stream", rec.Stream),
		slog.Int64("prompt_tokens", rec.Usage.PromptTokens),
		slog.Int64("completion_tokens", rec.Usage.CompletionTokens),
		// Integer microseconds: slog's JSON handler encodes floats
		// through encoding/json (reflection), about 9 us of this path.
		slog.Int64("latency_us", rec.Latency.Microseconds()),
		slog.Int64("upstream_us", int64(math.Round(rec.UpstreamMS*1000))),
	)
}

// ServerConfig is how Serve listens.
type ServerConfig struct {
	Addr      string
	TLS       *tls.Config // nil: plain HTTP
	OnListen  func(addr net.Addr)
	ErrorLogs *slog.Logger
}

// Serve listens on cfg.Addr and serves until ctx is cancelled, then shuts
// down gracefully: it stops accepting, lets open requests and streams
// finish for up to Limits.ShutdownTimeout, then closes what remains.
func (g *Gateway) Serve(ctx context.Context, cfg ServerConfig) error {
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (pick another --listen address or stop what uses it)", cfg.Addr, err)
	}
	return g.ServeListener(ctx, ln, cfg)
}

// ServeListener is Serve on an existing listener.
func (g *Gateway) ServeListener(ctx context.Context, ln net.Listener, cfg ServerConfig) error {
	l := g.o.Limits
	srv := &http.Server{
		Handler:           g,
		ReadHeaderTimeout: l.ReadHeaderTimeout,
		ReadTimeout:       l.ReadTimeout,
		IdleTimeout:       l.IdleTimeout,
		// The handler enforces MaxHeaderBytes with a dialect-shaped 431 and
		// an audit event (headersFit); net/http's own plain-text 431 stays
		// as the hard bound for headers far above it.
		MaxHeaderBytes: 2 * l.MaxHeaderBytes,
		TLSConfig:      cfg.TLS,
		ErrorLog:       slog.NewLogLogger(g.log.Handler(), slog.LevelWarn),
		BaseContext:    func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	if cfg.OnListen != nil {
		cfg.OnListen(ln.Addr())
	}
	stopPace := paceTimers()
	defer stopPace()
	errc := make(chan error, 1)
	go func() {
		if cfg.TLS != nil {
			errc <- srv.ServeTLS(ln, "", "") // certificates from TLSConfig; enables HTTP/2
			return
		}
		errc <- srv.Serve(ln)
	}()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	g.log.Info("shutting down: draining open requests", "timeout", l.ShutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.Background(), l.ShutdownTimeout)
	defer cancel()
	err := srv.Shutdown(sctx)
	if errors.Is(err, context.DeadlineExceeded) {
		g.log.Warn("shutdown timeout: closing the remaining connections")
		_ = srv.Close()
	}
	if e := <-errc; e != nil && !errors.Is(e, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", e)
	}
	return nil
}

// paceTimers keeps a timer due within timerPace for as long as the server
// runs. The server moves each connection's read deadline per request (the
// header timeout, then the idle timeout), and a deadline earlier than every
// pending timer makes the runtime wake the thread sleeping in the network
// poller (an eventfd write and a context switch, per request). With a timer
// always due sooner than any deadline (they are seconds away) most of those
// wake-ups do not happen (perf: poller breaks halved; timers are kept per P,
// so a deadline can still be the earliest on its own P and start a thread);
// the pacer itself wakes a goroutine once per timerPace.
func paceTimers() (stop func()) {
	t := time.NewTicker(timerPace)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-t.C:
			case <-done:
				t.Stop()
				return
			}
		}
	}()
	return func() { close(done) }
}

// timerPace is well under the server's deadlines (read_header_timeout
// defaults to 10 s); a deadline set shorter than it still works, it just
// wakes the poller as before.
const timerPace = 250 * time.Millisecond
