package guard

import (
	"context"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/aigis-dev/aigis/guard/injection"
	"github.com/aigis-dev/aigis/guard/match"
)

// maxPseudonyms bounds the values a Session remembers; beyond it new values
// are masked (<TYPE>) instead of pseudonymized.
const maxPseudonyms = 65536

// Session holds the pseudonymization state of one request/response exchange:
// the same value of the same type gets the same placeholder <TYPE_n>, and
// Restore maps placeholders back. It is safe for concurrent use.
type Session struct {
	e       *Engine
	mu      sync.Mutex
	byValue map[string]string // type+"\x00"+value -> placeholder
	byPH    map[string]string // placeholder -> value
	counter map[string]int    // type -> last n
	// extCalls counts this session's uncached external detector calls
	// (guarded by mu).
	extCalls int
}

// NewSession starts a pseudonymization state.
func (e *Engine) NewSession() *Session {
	return &Session{e: e}
}

// Inspect scans text and applies the policy. Pseudonymized values are
// remembered in the session for Restore.
func (s *Session) Inspect(ctx context.Context, text string, o InspectOptions) Result {
	e := s.e
	if o.Direction == "" {
		o.Direction = Input
	}
	if o.Mode == "" {
		o.Mode = injection.ModeUser
	}
	res := Result{Verdict: Allow, Findings: []Finding{}, Labels: []string{}}
	text = validUTF8(text)
	scanned := text
	if len(text) > e.maxBytes {
		scanned = truncate(text, e.maxBytes)
		res.Truncated = true
		res.Reasons = append(res.Reasons, "text truncated to "+strconv.Itoa(len(scanned))+" bytes for scanning")
	}
	ms := e.scan(ctx, scanned, o.Direction)
	redacted := s.apply(scanned, ms, 0, 0, &res)
	if res.Truncated {
		redacted += text[len(scanned):]
		if e.policy.Oversize != "scan_prefix" {
			res.Verdict = Block
			res.Reasons = append(res.Reasons, "blocked: text exceeds max_bytes ("+strconv.Itoa(e.maxBytes)+")")
		}
	}
	res.Redacted = redacted
	if e.inj != nil && e.injOn[o.Direction] && !o.NoInjection {
		ir := e.inj.Detect(scanned, o.Mode)
		if ext := e.injExt; ext != nil {
			er, why := s.external(ctx, ext, scanned, o.Mode)
			ir = injection.MergeExternal(ir, er)
			if why != "" {
				// Never the error text: it may name the service.
				if ext.FailOpen() {
					res.Reasons = append(res.Reasons, "external injection detector "+why+" (failed open: built-in verdict only)")
				} else {
					res.Reasons = append(res.Reasons, "external injection detector "+why+" (failed closed)")
				}
			}
		}
		res.Injection = &ir
		if ir.Detected {
			if e.injAction == ActionBlock {
				res.Verdict = Block
				res.Reasons = append(res.Reasons, "prompt attack detected")
			} else {
				res.Reasons = append(res.Reasons, "prompt attack detected (logged)")
			}
		}
	}
	if ctx.Err() != nil {
		// Fail closed: an inspection cut short cannot vouch for the text.
		res.Verdict = Block
		res.Reasons = append(res.Reasons, "inspection cancelled: "+ctx.Err().Error())
	}
	return res
}

// external asks the external detector about text within the session's
// budget of uncached calls; past it only cached verdicts are used. why is
// empty when a verdict was obtained, else what went wrong.
func (s *Session) external(ctx context.Context, ext *injection.External, text string, mode injection.Mode) (er injection.ExternalResult, why string) {
	if r, ok := ext.Lookup(text, mode); ok {
		return r, ""
	}
	s.mu.Lock()
	over := s.extCalls >= s.e.extCalls
	if !over {
		s.extCalls++
	}
	s.mu.Unlock()
	if over {
		return ext.Unavailable(), "call limit per request reached"
	}
	er, err := ext.Check(ctx, text, mode)
	if err != nil {
		return er, "unavailable"
	}
	return er, ""
}

// apply converts byte matches in text to findings (code-point offsets plus
// cpBase), applies actions and returns the redacted text. byteBase is unused
// for offsets but kept for symmetry with streams.
func (s *Session) apply(text string, ms []match.Match, cpBase, _ int, res *Result) string {
	e := s.e
	var b strings.Builder
	last := 0
	cp := 0 // code points of text[:pos]
	pos := 0
	// Code points are counted incrementally, only up to the last finding.
	toCP := func(off int) int {
		cp += utf8.RuneCountInString(text[pos:off])
		pos = off
		return cp
	}
	labels := map[string]bool{}
	for _, l := range res.Labels {
		labels[l] = true
	}
	blocked := map[string]bool{}
	if len(ms) > 0 {
		b.Grow(len(text) + 16*len(ms)) // one allocation for the redacted text
		res.Findings = slices.Grow(res.Findings, len(ms))
	}
	for _, m := range ms {
		r := e.lookup(m.Type)
		start := toCP(m.Start)
		end := toCP(m.End)
		f := Finding{Type: m.Type, Detector: m.Detector, Start: cpBase + start, End: cpBase + end, Score: round3(m.Score), Label: r.label, Action: r.action}
		res.Findings = append(res.Findings, f)
		if r.label != "" {
			labels[r.label] = true
		}
		val := text[m.Start:m.End]
		var repl string
		switch r.action {
		case ActionLog:
			continue
		case ActionBlock:
			res.Verdict = Block
			if !blocked[m.Type] {
				blocked[m.Type] = true
				res.Reasons = append(res.Reasons, "blocked: "+m.Type)
			}
			repl = "<" + m.Type + ">"
		case ActionHash:
			repl = e.hashValue(m.Type, val)
		case ActionPseudonymize:
			repl = s.pseudonym(m.Type, val)
		default:
			repl = "<" + m.Type + ">"
		}
		if res.Verdict == Allow {
			res.Verdict = Redact
		}
		b.WriteString(text[last:m.Start])
		b.WriteString(repl)
		last = m.End
	}
	res.Labels = sortedLabels(labels)
	if last == 0 {
		return text
	}
	b.WriteString(text[last:])
	return b.String()
}

func round3(f float64) float64 { return float64(int(f*1000+0.5)) / 1000 }

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func sortedLabels(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for l := range m {
		out = append(out, l)
	}
	sort.Slice(out, func(i, j int) bool { return LabelRank(out[i]) < LabelRank(out[j]) })
	return out
}

func (s *Session) pseudonym(typ, val string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := typ + "\x00" + val
	if ph, ok := s.byValue[key]; ok {
		return ph
	}
	if s.byValue == nil {
		s.byValue = map[string]string{}
		s.byPH = map[string]string{}
		s.counter = map[string]int{}
	}
	if len(s.byValue) >= maxPseudonyms {
		return "<" + typ + ">"
	}
	s.counter[typ]++
	ph := "<" + typ + "_" + strconv.Itoa(s.counter[typ]) + ">"
	s.byValue[key] = ph
	s.byPH[ph] = val
	return ph
}

// Restore replaces the placeholders this session produced with the original
// values. Other text, including unknown placeholders, is unchanged.
func (s *Session) Restore(text string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.byPH) == 0 || !strings.Contains(text, "<") {
		return text
	}
	var b strings.Builder
	last := 0
	for i := 0; i < len(text); {
		j := strings.IndexByte(text[i:], '<')
		if j < 0 {
			break
		}
		i += j
		k := placeholderEnd(text, i)
		if k < 0 {
			i++
			continue
		}
		if v, ok := s.byPH[text[i:k]]; ok {
			b.WriteString(text[last:i])
			b.WriteString(v)
			last = k
		}
		i = k
	}
	if last == 0 {
		return text
	}
	b.WriteString(text[last:])
	return b.String()
}

// maxPlaceholder bounds the length of a placeholder <TYPE_n>.
const maxPlaceholder = 96

// placeholderEnd returns the end of a syntactically valid placeholder
// "<[A-Za-z0-9_-]+_[0-9]+>" starting at i, or -1.
func placeholderEnd(text string, i int) int {
	for k := i + 1; k < len(text) && k-i < maxPlaceholder; k++ {
		c := text[k]
		if c == '>' {
			if k == i+1 {
				return -1
			}
			return k + 1
		}
		if !(match.IsWordByte(c) || c == '-' || c == '.') {
			return -1
		}
	}
	return -1
}
