package gateway

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/aigis-dev/aigis/internal/dialect"
	"github.com/aigis-dev/aigis/internal/exchange"
	"github.com/aigis-dev/aigis/internal/identity"
	"github.com/aigis-dev/aigis/internal/quota"
)

// Stable error codes the gateway itself answers with (besides those of
// identity, policy, quota and dialect).
const (
	CodeNotFound          = "not_found"
	CodeMethodNotAllowed  = "method_not_allowed"
	CodeUnsupportedMedia  = "unsupported_media_type"
	CodeBodyTooLarge      = "request_too_large"
	CodeHeaderTooLarge    = "request_header_too_large"
	CodeModelNotFound     = "model_not_found"
	CodeModelWrongAPI     = "model_not_supported_on_endpoint"
	CodeAPIVersion        = "missing_api_version"
	CodeAuthUnavailable   = "auth_unavailable"
	CodeUpstreamError     = "upstream_error"
	CodeUpstreamTimeout   = "upstream_timeout"
	CodeUpstreamBroken    = "upstream_stream_broken"
	CodeAuditUnavailable  = "audit_unavailable"
	CodeRequestBlocked    = "sensitive_data_blocked"
	CodePromptAttack      = "prompt_attack_detected"
	CodeResponseBlocked   = "response_blocked"
	CodeDataBoundary      = "data_boundary_exceeded"
	CodeClientDisconnect  = "client_disconnected"
	CodeReadTimeout       = "request_timeout"
	CodeInternal          = "internal_error"
	headerRequestID       = "X-Aigis-Request-Id"
	maxUpstreamErrorBytes = 64 << 10
)

// call is the state of one model request as it moves down the pipeline.
type call struct {
	g         *Gateway
	w         http.ResponseWriter
	r         *http.Request
	rt        dialect.Route
	codec     dialect.Codec
	start     time.Time
	rec       Record
	principal *identity.Principal
	model     *Model
	res       *quota.Reservation
	estimate  int64
	bodyBuf   *[]byte
	committed bool
	subjects  [4]quota.Subject
	out       *outputScan // output checks; nil when off
}

// serveModel is THE pipeline: every model request of every dialect runs
// through this one function, top to bottom.
func (g *Gateway) serveModel(w http.ResponseWriter, r *http.Request, rt dialect.Route, route string) {
	c := &call{g: g, w: w, r: r, rt: rt, codec: rt.Codec, start: g.now()}
	c.rec = Record{
		ID: g.newRequestID(), Time: c.start, Route: route, Operation: rt.Op, Dialect: rt.Codec.Name(),
		ClientIP: clientIP(r), UserAgent: truncateString(r.UserAgent(), 256),
	}
	w.Header()[headerRequestID] = []string{c.rec.ID}
	defer c.finish()
	if !c.headersFit() {
		return
	}

	// 1. Identity: every request resolves to a principal or gets 401.
	p, err := g.o.Auth.Authenticate(r)
	if err != nil {
		c.authFailed(err)
		return
	}
	c.principal = p
	c.rec.PrincipalID, c.rec.PrincipalKind, c.rec.PrincipalName, c.rec.Roles = p.ID, p.Kind, p.Name, p.Roles

	if rt.Op == exchange.OpModels {
		c.listModels()
		return
	}
	if rt.Codec.Name() == "azure" && rt.APIVersion == "" {
		c.fail(http.StatusBadRequest, CodeAPIVersion, "the api-version query parameter is required")
		return
	}

	// 2. Dialect decode into the one Exchange model.
	if !isJSON(r.Header.Get("Content-Type")) {
		c.fail(http.StatusUnsupportedMediaType, CodeUnsupportedMedia, "Content-Type must be application/json")
		return
	}
	body, ok := c.readBody()
	if !ok {
		return
	}
	req, err := rt.Codec.DecodeRequest(rt.Op, body)
	if err != nil {
		c.failErr(err)
		return
	}
	ex := req.Exchange
	c.rec.Model, c.rec.Stream = ex.Model, ex.Stream
	if g.o.AuditBodies {
		c.rec.RequestBody = body // encrypted by the Auditor before the buffer is reused
	}

	// 3. Policy: a known model, served by a compatible upstream, granted to the caller.
	m := g.models[ex.Model]
	if m == nil {
		c.fail(http.StatusNotFound, CodeModelNotFound, "the model "+strconv.Quote(truncateString(ex.Model, 128))+" does not exist or you do not have access to it")
		return
	}
	if !compatible(rt.Codec.Name(), m.UpstreamKind) {
		c.fail(http.StatusBadRequest, CodeModelWrongAPI, "the model "+strconv.Quote(m.Name)+" is not served on this endpoint")
		return
	}
	c.model = m
	c.rec.UpstreamName, c.rec.UpstreamModel = m.UpstreamName, m.UpstreamModel
	dec := g.o.Policy.Authorize(p, ex)
	c.rec.PolicyAllow, c.rec.PolicyCode, c.rec.PolicyReason = dec.Allow, dec.Code, dec.Reason
	if !dec.Allow {
		c.fail(http.StatusForbidden, dec.Code, dec.Reason)
		return
	}

	// A role cap applies upstream when the request set no limit (a larger
	// limit was refused by Authorize above).
	if dec.MaxTokens > 0 && ex.MaxTokens == 0 && ex.Operation != exchange.OpEmbeddings {
		req.SetMaxTokens(dec.MaxTokens)
	}

	// 4. Quota: reserve estimated prompt + output tokens on every subject at once.
	if !c.reserve(ex, dec.MaxTokens) {
		return
	}

	// 5. Guard the request: redact in place, or block; keep it inside its
	// data boundary (block, or reroute to the model's in-boundary fallback).
	sess, ok := c.guardRequest(ex)
	if !ok {
		return
	}
	if c.out, ok = c.startOutputChecks(ex); !ok {
		return
	}
	m = c.model

	// 6. Upstream call; the caller's credentials never leave, the provider's never return.
	if ex.Stream {
		req.ForceStreamUsage()
	}
	upBody, err := req.UpstreamBody(m.UpstreamModel)
	if err != nil {
		c.failErr(err)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), g.o.Limits.UpstreamTimeout)
	defer cancel()
	upStart := g.now()
	resp, err := m.Upstream.Do(ctx, rt.Op, m.UpstreamModel, upBody, ex.Stream)
	if err != nil {
		c.upstreamFailed(ctx, err)
		return
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		c.upstreamStatus(resp)
		return
	}

	// 7. Guard the response, encode it in the dialect, audit, answer.
	if ex.Stream && strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		c.stream(req, resp, sess, upStart)
		return
	}
	c.respond(req, resp, sess, upStart)
}

// finish runs after the response: quota settle, metrics, log, buffers.
func (c *call) finish() {
	g := c.g
	if !c.committed { // a panic or a path that forgot: still audit
		c.commit()
	}
	if c.res != nil && g.o.Limiter != nil {
		actual := c.rec.Usage.TotalTokens
		if actual == 0 && c.rec.Status == http.StatusOK && c.rec.Usage.PromptTokens == 0 {
			actual = c.estimate // no usage reported: charge the estimate
		}
		// Settling off the response path costs the client nothing. Limiters
		// bound their own calls (Redis: quota timeout); no timer here, whose
		// arming per request wakes the runtime's network poller.
		if err := g.o.Limiter.Settle(context.WithoutCancel(c.r.Context()), c.res, actual); err != nil {
			g.log.Warn("quota settle failed", "request_id", c.rec.ID, "error", err.Error())
		}
	}
	if c.bodyBuf != nil {
		*c.bodyBuf = (*c.bodyBuf)[:0]
		g.bufs.Put(c.bodyBuf)
	}
	g.observe(&c.rec)
}

// commit makes the audit record durable. It is called right before the
// last byte of the response is written, so a response the client
// received always has its event. It returns false when the audit failed.
func (c *call) commit() bool {
	if c.committed {
		return true
	}
	c.committed = true
	c.rec.Latency = c.g.now().Sub(c.start)
	// Not cancelled by the client going away. Stores bound their own
	// writes (SQLite: busy_timeout; PostgreSQL: store.AuditAppendTimeout),
	// which spares a timer per request on this path.
	t0 := time.Now()
	err := c.g.o.Auditor.Record(context.WithoutCancel(c.r.Context()), &c.rec)
	c.g.metrics.auditWrite.Observe(time.Since(t0).Seconds())
	if err != nil {
		c.g.log.Error("audit write failed; refusing the response", "request_id", c.rec.ID, "error", err.Error())
		return false
	}
	return true
}

// fail audits and answers an error in the dialect's shape.
func (c *call) fail(status int, code, msg string) {
	c.rec.Status, c.rec.ErrorCode = status, code
	if !c.commit() {
		status, code, msg = http.StatusServiceUnavailable, CodeAuditUnavailable, "the audit log is unavailable; retry later"
		c.rec.Status, c.rec.ErrorCode = status, code
	}
	if status == http.StatusUnauthorized {
		c.w.Header().Set("WWW-Authenticate", `Bearer realm="aigis"`)
	}
	c.codec.WriteError(c.w, status, code, msg)
	_ = http.NewResponseController(c.w).Flush()
}

// failErr answers a *dialect.Error with its status, anything else as 400.
func (c *call) failErr(err error) {
	var de *dialect.Error
	if errors.As(err, &de) {
		c.fail(de.Status, de.Code, de.Message)
		return
	}
	c.fail(http.StatusBadRequest, dialect.CodeInvalidRequest, "the request could not be processed")
}

func (c *call) authFailed(err error) {
	var ae *identity.AuthError
	if errors.As(err, &ae) {
		c.rec.PolicyReason = ae.Detail // for the audit, not the caller
		c.fail(http.StatusUnauthorized, ae.Code, "invalid or missing credentials")
		return
	}
	c.g.log.Error("authentication backend failed", "request_id", c.rec.ID, "error", err.Error())
	c.fail(http.StatusServiceUnavailable, CodeAuthUnavailable, "authentication is unavailable; retry later")
}

// readBody reads the request body into a pooled buffer, bounded.
func (c *call) readBody() ([]byte, bool) {
	max := c.g.o.Limits.MaxBodyBytes
	if c.r.ContentLength > max {
		c.fail(http.StatusRequestEntityTooLarge, CodeBodyTooLarge, "the request body is larger than "+strconv.FormatInt(max, 10)+" bytes")
		return nil, false
	}
	bp := c.g.bufs.Get().(*[]byte)
	c.bodyBuf = bp
	buf := (*bp)[:0]
	if c.r.ContentLength > 0 && int64(cap(buf)) < c.r.ContentLength+1 {
		buf = make([]byte, 0, c.r.ContentLength+1)
	}
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := c.r.Body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if int64(len(buf)) > max {
			*bp = buf
			c.fail(http.StatusRequestEntityTooLarge, CodeBodyTooLarge, "the request body is larger than "+strconv.FormatInt(max, 10)+" bytes")
			return nil, false
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			*bp = buf
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				c.fail(http.StatusRequestTimeout, CodeReadTimeout, "reading the request body timed out")
			} else {
				c.fail(http.StatusBadRequest, dialect.CodeInvalidRequest, "the request body could not be read")
			}
			return nil, false
		}
	}
	*bp = buf
	c.rec.BytesIn = int64(len(buf))
	return buf, true
}

// reserve takes quota for the request; false when it answered a denial.
func (c *call) reserve(ex *exchange.Exchange, capTokens int64) bool {
	g := c.g
	if g.o.Limiter == nil {
		return true
	}
	out := ex.MaxTokens
	if out == 0 {
		out = capTokens
	}
	if out == 0 {
		out = defaultOutputEstimate
	}
	var est int64
	for i := range ex.Input {
		est += quota.EstimateTokens(ex.Input[i].Text)
	}
	if ex.Operation == exchange.OpEmbeddings {
		out = 0
	}
	c.estimate = est + out
	c.rec.QuotaReserved = c.estimate
	subjects := g.o.Policy.Subjects(c.subjects[:0], c.principal, g.o.KeyLimits)
	if len(subjects) == 0 {
		return true
	}
	res, denial, err := g.o.Limiter.Reserve(c.r.Context(), subjects, c.estimate)
	if err != nil {
		g.log.Error("quota backend failed", "request_id", c.rec.ID, "error", err.Error())
		c.fail(http.StatusServiceUnavailable, quota.CodeUnavailable, "rate limiting is unavailable; retry later")
		return false
	}
	if denial != nil {
		c.rec.QuotaDenied = denial.Limit
		if denial.Status == http.StatusTooManyRequests {
			c.w.Header().Set("Retry-After", strconv.FormatInt(denial.RetryAfterSeconds(), 10))
		}
		c.fail(denial.Status, denial.Code, denial.Error())
		return false
	}
	c.res = res
	res.SetHeaders(c.w.Header())
	return true
}

// defaultOutputEstimate is the output-token estimate when neither the
// request nor the role caps max_tokens.
const defaultOutputEstimate = 1024

// guardRequest inspects every input part: redactions are written back in
// place (UpstreamBody re-encodes them), a block ends the request.
func (c *call) guardRequest(ex *exchange.Exchange) (GuardSession, bool) {
	gd, name := c.g.o.Guard.pick(ex.Operation, c.principal.Roles)
	if gd == nil {
		return nil, true
	}
	c.rec.Guard.Policy = name
	sess := gd.NewSession()
	maxRank := -1
	for i := range ex.Input {
		part := &ex.Input[i]
		if part.Text == "" {
			continue
		}
		kind := TextUser
		switch part.Role {
		case exchange.RoleTool, exchange.RoleDocument:
			kind = TextDocument
		case exchange.RoleSystem:
			kind = TextInstructions
		}
		res := sess.Inspect(c.r.Context(), part.Text, false, kind)
		c.rec.Guard.add(res)
		if res.MaxLabelRank > maxRank {
			maxRank = res.MaxLabelRank
		}
		switch res.Verdict {
		case "block":
			code := CodeRequestBlocked
			if res.Injection {
				code = CodePromptAttack
			}
			c.fail(http.StatusBadRequest, code, blockMessage(res))
			return nil, false
		case "redact":
			part.Text = res.Redacted
		}
	}
	if maxRank > c.model.MaxLabelRank {
		if fb := c.g.models[c.model.BoundaryFallback]; fb != nil && maxRank <= fb.MaxLabelRank {
			c.rec.Guard.Boundary = "rerouted: " + labelName(maxRank) + " data above " + labelName(c.model.MaxLabelRank) + "; sent to " + fb.Name
			c.model = fb
			c.rec.UpstreamName, c.rec.UpstreamModel = fb.UpstreamName, fb.UpstreamModel
			return sess, true
		}
		c.rec.Guard.Boundary = "blocked: " + labelName(maxRank) + " data above " + labelName(c.model.MaxLabelRank)
		c.fail(http.StatusForbidden, CodeDataBoundary, "the request carries data more sensitive than the model "+strconv.Quote(c.model.Name)+" may receive")
		return nil, false
	}
	return sess, true
}

// labelName is the sensitivity label of a rank (see labelRank).
func labelName(rank int) string {
	switch rank {
	case 0:
		return "public"
	case 1:
		return "internal"
	case 2:
		return "confidential"
	}
	return "restricted"
}

// blockMessage names the finding types, never the values.
func blockMessage(r GuardResult) string {
	if len(r.Reasons) > 0 {
		return "request blocked by policy: " + strings.Join(r.Reasons, "; ")
	}
	if len(r.Types) > 0 {
		return "request blocked by policy: " + strings.Join(r.Types, ", ")
	}
	return "request blocked by policy"
}

// upstreamFailed answers a failed upstream call: 504 on timeout, 502 else.
func (c *call) upstreamFailed(ctx context.Context, err error) {
	if c.r.Context().Err() != nil {
		c.rec.ErrorCode = CodeClientDisconnect
		c.rec.Status = 499
		c.commit()
		return
	}
	kind, status, code := "error", http.StatusBadGateway, CodeUpstreamError
	if errors.Is(ctx.Err(), context.DeadlineExceeded) || isTimeout(err) {
		kind, status, code = "timeout", http.StatusGatewayTimeout, CodeUpstreamTimeout
	}
	c.g.metrics.upErrors.WithLabelValues(c.model.UpstreamName, kind).Inc()
	c.g.log.Warn("upstream call failed", "request_id", c.rec.ID, "upstream", c.model.UpstreamName, "error", err.Error())
	c.fail(status, code, "the upstream model provider failed ("+kind+")")
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// upstreamStatus relays an upstream error status without its body (which
// may name provider accounts): client errors keep their status, the rest
// become 502.
func (c *call) upstreamStatus(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxUpstreamErrorBytes))
	st := resp.StatusCode
	c.g.metrics.upErrors.WithLabelValues(c.model.UpstreamName, "status_"+strconv.Itoa(st)).Inc()
	switch st {
	case http.StatusBadRequest, http.StatusNotFound, http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity:
		c.fail(st, CodeUpstreamError, "the upstream model provider rejected the request (HTTP "+strconv.Itoa(st)+")")
	case http.StatusTooManyRequests:
		if ra := resp.Header.Get("Retry-After"); ra != "" && len(ra) < 16 {
			c.w.Header().Set("Retry-After", ra)
		}
		c.fail(st, "upstream_rate_limited", "the upstream model provider is rate limiting; retry later")
	default:
		c.fail(http.StatusBadGateway, CodeUpstreamError, "the upstream model provider failed (HTTP "+strconv.Itoa(st)+")")
	}
}

// respond finishes a non-streaming call.
func (c *call) respond(req *dialect.Request, resp *http.Response, sess GuardSession, upStart time.Time) {
	g := c.g
	limit := g.o.Limits.MaxBodyBytes * 8
	if limit < 32<<20 {
		limit = 32 << 20
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	c.rec.UpstreamMS = msSince(g.now(), upStart)
	g.metrics.upstream.WithLabelValues(c.model.UpstreamName).Observe(c.rec.UpstreamMS / 1000)
	if err != nil || int64(len(raw)) > limit {
		if c.r.Context().Err() != nil {
			c.rec.Status, c.rec.ErrorCode = 499, CodeClientDisconnect
			c.commit()
			return
		}
		c.g.metrics.upErrors.WithLabelValues(c.model.UpstreamName, "read").Inc()
		c.fail(http.StatusBadGateway, CodeUpstreamError, "the upstream response could not be read")
		return
	}
	dr, err := c.codec.DecodeResponse(req, raw)
	if err != nil {
		c.g.metrics.upErrors.WithLabelValues(c.model.UpstreamName, "decode").Inc()
		c.fail(http.StatusBadGateway, CodeUpstreamError, "the upstream response was not valid for this API")
		return
	}
	ex := dr.Exchange
	c.rec.Usage = ex.Usage
	if sess != nil {
		for i := range ex.Output {
			part := &ex.Output[i]
			if part.Text == "" {
				continue
			}
			res := sess.Inspect(c.r.Context(), part.Text, true, TextUser)
			c.rec.Guard.add(res)
			switch res.Verdict {
			case "block":
				c.fail(http.StatusBadRequest, CodeResponseBlocked, "the response was blocked by policy")
				return
			case "redact":
				part.Text = res.Redacted
			}
			part.Text = sess.Restore(part.Text)
		}
	}
	for i := range ex.Output {
		if c.out.check(c, ex.Output[i].Text) {
			c.fail(http.StatusBadRequest, CodePromptAttack, outputBlockMessage)
			return
		}
	}
	out, err := dr.Body()
	if err != nil {
		c.fail(http.StatusBadGateway, CodeUpstreamError, "the upstream response could not be re-encoded")
		return
	}
	c.rec.Status, c.rec.BytesOut = http.StatusOK, int64(len(out))
	if g.o.AuditBodies {
		c.rec.ResponseBody = out
	}
	if !c.commit() {
		c.rec.Status, c.rec.ErrorCode = http.StatusServiceUnavailable, CodeAuditUnavailable
		c.codec.WriteError(c.w, http.StatusServiceUnavailable, CodeAuditUnavailable, "the audit log is unavailable; retry later")
		return
	}
	h := c.w.Header()
	h["Content-Type"] = []string{"application/json"}
	h["Content-Length"] = []string{strconv.Itoa(len(out))}
	c.w.WriteHeader(http.StatusOK)
	_, _ = c.w.Write(out)
	// Send it now: settle, metrics and the log line in finish need not delay the client.
	_ = http.NewResponseController(c.w).Flush()
}

// outputBlockMessage answers a response an output check blocked.
const outputBlockMessage = "the response was blocked: it showed signs of a prompt attack (system prompt leak or data exfiltration)"

func msSince(now, t time.Time) float64 { return float64(now.Sub(t).Microseconds()) / 1000 }

// compatible reports whether an ingress dialect can be served by an upstream kind.
func compatible(dialectName, upstreamKind string) bool {
	if dialectName == "anthropic" {
		return upstreamKind == "anthropic"
	}
	return upstreamKind == "openai" || upstreamKind == "azure"
}

func isJSON(ct string) bool {
	if ct == "" {
		return false
	}
	mt, _, _ := strings.Cut(ct, ";")
	mt = strings.TrimSpace(mt)
	return strings.EqualFold(mt, "application/json") || (strings.HasPrefix(strings.ToLower(mt), "application/") && strings.HasSuffix(strings.ToLower(mt), "+json"))
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func truncateString(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
