package guard

import (
	"context"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/aigis-dev/aigis/guard/injection"
	"github.com/aigis-dev/aigis/guard/match"
)

// Stream inspects a text that arrives in chunks (an SSE response) with a
// bounded hold-back window: Write releases all but the last Window code points
// (less if a finding or a word straddles the release point), so a value split
// across chunks is still caught and redacted, and the added latency is bounded
// by the window. On direction output, released text has this session's
// placeholders restored. A Stream is not safe for concurrent use.
type Stream struct {
	s       *Session
	o       InspectOptions
	left    string // released raw text kept as left context (at most ctxBytes)
	pending string // raw text not yet released
	partial string // an incomplete UTF-8 sequence at the end of the last chunk
	cpDone  int    // code points released so far
	blocked bool
	reasons []string
}

// ctxBytes bounds the left context kept for context words and token joins.
const ctxBytes = 256

// NewStream starts an incremental inspection within the session.
func (s *Session) NewStream(o InspectOptions) *Stream {
	if o.Direction == "" {
		o.Direction = Output
	}
	if o.Mode == "" {
		o.Mode = injection.ModeUser
	}
	return &Stream{s: s, o: o}
}

// Write adds a chunk and returns the text safe to release now (redacted, and
// restored on output) with the findings in it (offsets are code points from
// the start of the stream). After a block verdict the stream releases nothing
// more; the caller ends the stream.
func (st *Stream) Write(chunk string) (string, Result) {
	if st.blocked {
		return "", st.blockedResult()
	}
	chunk = st.partial + chunk
	st.partial = ""
	// Hold back an incomplete trailing UTF-8 sequence for the next chunk.
	if n := incompleteTail(chunk); n > 0 {
		st.partial = chunk[len(chunk)-n:]
		chunk = chunk[:len(chunk)-n]
	}
	st.pending += validUTF8(chunk)
	cut := st.cutPoint()
	return st.release(cut)
}

// Close releases everything still held.
func (st *Stream) Close() (string, Result) {
	if st.blocked {
		return "", st.blockedResult()
	}
	if st.partial != "" {
		st.pending += validUTF8(st.partial)
		st.partial = ""
	}
	return st.release(len(st.pending))
}

func (st *Stream) blockedResult() Result {
	return Result{Verdict: Block, Findings: []Finding{}, Labels: []string{}, Reasons: st.reasons}
}

// incompleteTail returns the length of an incomplete (but so far valid)
// UTF-8 sequence at the end of s.
func incompleteTail(s string) int {
	for n := 1; n <= 3 && n <= len(s); n++ {
		c := s[len(s)-n]
		if c < 0x80 {
			return 0
		}
		if utf8.RuneStart(c) {
			need := 0
			switch {
			case c&0xE0 == 0xC0:
				need = 2
			case c&0xF0 == 0xE0:
				need = 3
			case c&0xF8 == 0xF0:
				need = 4
			}
			if need > n {
				return n
			}
			return 0
		}
	}
	return 0
}

// cutPoint picks how many bytes of pending can be released.
func (st *Stream) cutPoint() int {
	w := st.s.e.window
	p := st.pending
	// Walk back w code points.
	cut := len(p)
	for i := 0; i < w && cut > 0; i++ {
		_, n := utf8.DecodeLastRuneInString(p[:cut])
		cut -= n
	}
	if cut <= 0 {
		return 0
	}
	// Do not split a word: move back to the last separator (within the window).
	if k := lastSeparator(p[:cut]); k >= 0 && cut-k <= 4*w {
		cut = k + 1
	}
	// Do not split a placeholder (restored on output).
	if lt := strings.LastIndexByte(p[:cut], '<'); lt >= 0 && cut-lt < maxPlaceholder && !strings.Contains(p[lt:cut], ">") {
		cut = lt
	}
	return cut
}

func lastSeparator(s string) int {
	for i := len(s) - 1; i >= 0; i-- {
		switch s[i] {
		case ' ', '\n', '\t', '\r':
			return i
		}
	}
	return -1
}

func (st *Stream) release(cut int) (string, Result) {
	e := st.s.e
	res := Result{Verdict: Allow, Findings: []Finding{}, Labels: []string{}}
	if cut <= 0 {
		return "", res
	}
	full := st.left + st.pending
	base := len(st.left)
	if len(full) > e.maxBytes && e.policy.Oversize != "scan_prefix" {
		// A single chunk above max_bytes: fail closed.
		st.blocked = true
		st.reasons = []string{"blocked: stream chunk exceeds max_bytes (" + strconv.Itoa(e.maxBytes) + ")"}
		return "", st.blockedResult()
	}
	ms := e.scan(context.Background(), full, st.o.Direction)
	// A finding that ends inside the held-back part holds the cut before it.
	for _, m := range ms {
		if m.Start-base < cut && m.End-base > cut && m.Start >= base {
			cut = m.Start - base
		}
	}
	var rel []match.Match
	for _, m := range ms {
		s, en := m.Start-base, m.End-base
		if en <= 0 || s >= cut {
			continue
		}
		if s < 0 { // began in text already released: redact what is left
			s = 0
		}
		if en > cut {
			en = cut
		}
		rel = append(rel, match.Match{Type: m.Type, Detector: m.Detector, Start: s, End: en, Score: m.Score})
	}
	released := st.pending[:cut]
	out := st.s.apply(released, rel, st.cpDone, 0, &res)
	if e.inj != nil && e.injOn[st.o.Direction] {
		ir := e.inj.Detect(st.left+released, st.o.Mode)
		res.Injection = &ir
		if ir.Detected && e.injAction == ActionBlock {
			res.Verdict = Block
			res.Reasons = append(res.Reasons, "prompt attack detected")
		}
	}
	if res.Verdict == Block {
		st.blocked = true
		st.reasons = res.Reasons
		return "", res
	}
	st.cpDone += utf8.RuneCountInString(released)
	st.pending = st.pending[cut:]
	left := st.left + released
	if len(left) > ctxBytes {
		k := len(left) - ctxBytes
		for k < len(left) && !utf8.RuneStart(left[k]) {
			k++
		}
		left = left[k:]
	}
	st.left = left
	if st.o.Direction == Output {
		out = st.s.Restore(out)
	}
	res.Redacted = out
	return out, res
}
