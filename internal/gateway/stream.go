package gateway

import (
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/aigis-dev/aigis/internal/dialect"
	"github.com/aigis-dev/aigis/internal/sse"
)

// streamGuard pairs an output part with its incremental inspector.
type streamGuard struct {
	part int
	gs   GuardStream
}

// stream relays an upstream event stream chunk by chunk. Text deltas go
// through the guard's hold-back window and the output checks; an event
// that ends output parts (StreamEvent.Flush) first releases the held-back
// text as synthesized deltas, so Responses "done" events repeat exactly
// what the client received. A block ends the stream with the stream's own
// error event (Stream.Error: the Responses shape differs from chat) and no
// final event; a broken upstream stream ends the same way. The audit
// record is made durable before the final event.
func (c *call) stream(req *dialect.Request, resp *http.Response, sess GuardSession, upStart time.Time) {
	g := c.g
	g.metrics.openStream.Inc()
	defer g.metrics.openStream.Dec()
	defer func() {
		c.rec.UpstreamMS = msSince(g.now(), upStart)
		g.metrics.upstream.WithLabelValues(c.model.UpstreamName).Observe(c.rec.UpstreamMS / 1000)
	}()

	h := c.w.Header()
	h["Content-Type"] = []string{"text/event-stream"}
	h["Cache-Control"] = []string{"no-cache"}
	h["X-Accel-Buffering"] = []string{"no"}
	c.w.WriteHeader(http.StatusOK)
	c.rec.Status = http.StatusOK
	rc := http.NewResponseController(c.w)

	rd := sse.NewReader(resp.Body, g.o.Limits.MaxEventBytes)
	st := c.codec.NewStream(req)
	var guards []streamGuard
	sent := false
	write := func(b []byte) bool {
		if len(b) == 0 {
			return true
		}
		n, err := c.w.Write(b)
		c.rec.BytesOut += int64(n)
		if err == nil {
			err = rc.Flush()
		}
		if !sent {
			sent = true
			c.rec.TTFB = g.now().Sub(c.start)
		}
		if err != nil {
			c.rec.Truncated, c.rec.ErrorCode = true, CodeClientDisconnect
			return false
		}
		return true
	}
	// end stops the stream with the dialect's error event (no final event).
	end := func(code, msg string) {
		c.rec.Truncated = true
		if c.rec.ErrorCode == "" {
			c.rec.ErrorCode = code
		}
		c.rec.Usage = req.Exchange.Usage
		c.commit()
		write(st.Error(code, msg))
	}
	guardFor := func(part int) GuardStream {
		for i := range guards {
			if guards[i].part == part {
				return guards[i].gs
			}
		}
		gs := sess.NewStream()
		guards = append(guards, streamGuard{part: part, gs: gs})
		return gs
	}
	// flush releases every part's held-back text ahead of an event that
	// ends parts; false when the stream ended (blocked or client gone).
	flush := func() bool {
		for _, sg := range guards {
			tail, res := sg.gs.Close()
			c.rec.Guard.add(res)
			if res.Verdict == "block" {
				end(CodeResponseBlocked, "the response was blocked by policy")
				return false
			}
			if tail != "" && !write(st.Delta(sg.part, tail)) {
				c.commit()
				return false
			}
		}
		guards = guards[:0]
		return true
	}

	for {
		ev, err := rd.Next()
		if err != nil {
			switch {
			case c.r.Context().Err() != nil:
				c.rec.Truncated, c.rec.ErrorCode = true, CodeClientDisconnect
				c.rec.Usage = req.Exchange.Usage
				c.commit()
			case errors.Is(err, io.EOF):
				g.metrics.upErrors.WithLabelValues(c.model.UpstreamName, "stream_eof").Inc()
				end(CodeUpstreamBroken, "the upstream stream ended before it was complete")
			default:
				kind := "stream_broken"
				if isTimeout(err) {
					kind = "stream_timeout"
				}
				g.metrics.upErrors.WithLabelValues(c.model.UpstreamName, kind).Inc()
				end(CodeUpstreamBroken, "the upstream stream broke")
			}
			return
		}
		se, err := st.Parse(ev)
		if err != nil {
			g.metrics.upErrors.WithLabelValues(c.model.UpstreamName, "stream_decode").Inc()
			end(CodeUpstreamBroken, "the upstream sent an invalid stream event")
			return
		}
		if se.Usage != nil {
			c.rec.Usage = *se.Usage
		}
		if se.Drop {
			continue
		}
		if se.Flush && !se.Error && !flush() {
			return
		}
		switch {
		case se.Error:
			c.rec.Truncated, c.rec.ErrorCode = true, CodeUpstreamError
			c.rec.Usage = req.Exchange.Usage
			c.commit()
			write(st.Encode(se, se.Text))
			return
		case se.Final:
			c.rec.Usage = req.Exchange.Usage
			if !c.commit() {
				c.rec.ErrorCode, c.rec.Truncated = CodeAuditUnavailable, true
				write(st.Error(CodeAuditUnavailable, "the audit log is unavailable"))
				return
			}
			write(st.Encode(se, se.Text))
			return
		case se.HasText && c.out.checkChunk(c, se.PartIndex, se.Text):
			end(CodePromptAttack, outputBlockMessage)
			return
		case se.HasText && sess != nil:
			out, res := guardFor(se.PartIndex).Write(se.Text)
			if res.Verdict != "" && res.Verdict != "allow" || len(res.Types) > 0 {
				c.rec.Guard.add(res)
			}
			if res.Verdict == "block" {
				end(CodeResponseBlocked, "the response was blocked by policy")
				return
			}
			if !write(st.Encode(se, out)) {
				c.commit()
				return
			}
		default:
			if !write(st.Encode(se, se.Text)) {
				c.commit()
				return
			}
		}
	}
}
