package audit

import (
	"encoding/base64"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/aigis-dev/aigis/internal/jsonstr"
)

// appendEvent appends the JSON encoding of ev, byte for byte what
// encoding/json's Marshal writes for it (field order, omitempty, string
// escaping with HTML characters escaped, float and time formats), without
// reflection: reflection-based encoding was a large part of the audit
// append in the serving process. ok is false for what this encoder does not
// handle the same way (a time outside years 0-9999, a non-finite float);
// the caller then uses encoding/json. FuzzAppendEventMatchesJSON checks the
// equivalence.
func appendEvent(b []byte, ev *Event) (_ []byte, ok bool) {
	if y := ev.Time.Year(); y < 0 || y > 9999 {
		return b, false
	}
	if !isFinite(ev.LatencyMS) || !isFinite(ev.UpstreamLatencyMS) || !isFinite(ev.TTFBMS) ||
		(ev.Guard != nil && !isFinite(ev.Guard.InjectionScore)) {
		return b, false
	}
	w := objWriter{b: append(b, '{')}
	w.optInt("seq", ev.Seq)
	w.optString("prev_hash", ev.PrevHash)
	w.optString("hash", ev.Hash)
	w.str("id", ev.ID)
	w.key("time")
	w.b = append(w.b, '"')
	w.b = ev.Time.AppendFormat(w.b, time.RFC3339Nano)
	w.b = append(w.b, '"')

	p := w.open("principal")
	p.str("id", ev.Principal.ID)
	p.str("kind", ev.Principal.Kind)
	p.optString("name", ev.Principal.Name)
	w.close(p)

	if len(ev.Roles) > 0 {
		w.key("roles")
		w.b = appendStrings(w.b, ev.Roles)
	}
	w.optString("route", ev.Route)
	w.optString("operation", ev.Operation)
	w.optString("dialect", ev.Dialect)
	w.optString("model", ev.Model)
	w.optBool("stream", ev.Stream)

	u := w.open("upstream")
	u.optString("name", ev.Upstream.Name)
	u.optString("model", ev.Upstream.Model)
	w.close(u)

	w.optString("client_ip", ev.ClientIP)
	w.optString("user_agent", ev.UserAgent)
	w.int("status", int64(ev.Status))
	w.optString("error_code", ev.ErrorCode)
	w.key("latency_ms")
	w.b = appendFloat(w.b, ev.LatencyMS)
	w.optFloat("upstream_latency_ms", ev.UpstreamLatencyMS)
	w.optFloat("ttfb_ms", ev.TTFBMS)

	us := w.open("usage")
	us.optInt("prompt_tokens", ev.Usage.PromptTokens)
	us.optInt("completion_tokens", ev.Usage.CompletionTokens)
	us.optInt("total_tokens", ev.Usage.TotalTokens)
	w.close(us)

	if len(ev.Decisions) > 0 {
		w.key("decisions")
		w.b = append(w.b, '[')
		for i := range ev.Decisions {
			if i > 0 {
				w.b = append(w.b, ',')
			}
			d := &ev.Decisions[i]
			o := objWriter{b: append(w.b, '{')}
			o.str("stage", d.Stage)
			o.str("effect", d.Effect)
			o.optString("reason", d.Reason)
			o.optString("rule", d.Rule)
			w.close(o)
		}
		w.b = append(w.b, ']')
	}
	if g := ev.Guard; g != nil {
		o := w.open("guard")
		o.optString("verdict", g.Verdict)
		if len(g.Findings) > 0 {
			keys := make([]string, 0, len(g.Findings))
			for k := range g.Findings {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			f := o.open("findings")
			for _, k := range keys {
				f.int(k, int64(g.Findings[k]))
			}
			o.close(f)
		}
		o.optFloat("injection_score", g.InjectionScore)
		if len(g.InjectionSignals) > 0 {
			o.key("injection_signals")
			o.b = appendStrings(o.b, g.InjectionSignals)
		}
		o.optString("boundary", g.Boundary)
		o.optString("blocked_at", g.BlockedAt)
		o.optInt("redactions", int64(g.Redactions))
		o.optBool("canary", g.Canary)
		w.close(o)
	}
	if q := ev.Quota; q != nil {
		o := w.open("quota")
		o.optInt("reserved", q.Reserved)
		o.optInt("settled", q.Settled)
		o.optInt("remaining", q.Remaining)
		o.optString("limit", q.Limit)
		o.optBool("exceeded", q.Exceeded)
		w.close(o)
	}
	if bd := ev.Bodies; bd != nil {
		o := w.open("bodies")
		o.str("key_id", bd.KeyID)
		o.optBytes("request", bd.Request)
		o.optBytes("response", bd.Response)
		w.close(o)
	}
	return append(w.b, '}'), true
}

func isFinite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// objWriter writes the members of one JSON object, commas included.
type objWriter struct {
	b    []byte
	more bool
}

func (w *objWriter) key(k string) {
	if w.more {
		w.b = append(w.b, ',')
	}
	w.more = true
	w.b = appendJSONString(w.b, k)
	w.b = append(w.b, ':')
}

// open writes key k and starts its object value; close ends it.
func (w *objWriter) open(k string) objWriter {
	w.key(k)
	return objWriter{b: append(w.b, '{')}
}

func (w *objWriter) close(o objWriter) { w.b = append(o.b, '}') }

func (w *objWriter) int(k string, v int64) {
	w.key(k)
	w.b = strconv.AppendInt(w.b, v, 10)
}

func (w *objWriter) str(k, v string) {
	w.key(k)
	w.b = appendJSONString(w.b, v)
}

func (w *objWriter) optString(k, v string) {
	if v != "" {
		w.str(k, v)
	}
}

func (w *objWriter) optInt(k string, v int64) {
	if v != 0 {
		w.int(k, v)
	}
}

func (w *objWriter) optFloat(k string, v float64) {
	if v != 0 {
		w.key(k)
		w.b = appendFloat(w.b, v)
	}
}

func (w *objWriter) optBool(k string, v bool) {
	if v {
		w.key(k)
		w.b = append(w.b, "true"...)
	}
}

func (w *objWriter) optBytes(k string, v []byte) {
	if len(v) > 0 {
		w.key(k)
		w.b = append(w.b, '"')
		w.b = base64.StdEncoding.AppendEncode(w.b, v)
		w.b = append(w.b, '"')
	}
}

func appendStrings(b []byte, ss []string) []byte {
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, s)
	}
	return append(b, ']')
}

// appendFloat formats like encoding/json: the shortest representation,
// exponent form below 1e-6 and from 1e21, "e-07" written "e-7".
func appendFloat(b []byte, f float64) []byte {
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

// appendJSONString quotes s as encoding/json does.
func appendJSONString(b []byte, s string) []byte { return jsonstr.Append(b, s, jsonstr.EncodingJSON) }
