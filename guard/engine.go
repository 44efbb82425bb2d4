package guard

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/aigis-dev/aigis/guard/injection"
	"github.com/aigis-dev/aigis/guard/match"
	"github.com/aigis-dev/aigis/guard/orgpatterns"
	"github.com/aigis-dev/aigis/guard/pii"
	"github.com/aigis-dev/aigis/guard/secrets"
)

// DefaultMaxBytes is the scan cap when the policy sets none: longer texts are
// scanned up to this many bytes (Result.Truncated is set) and the rest is
// returned unchanged in Redacted only if the verdict is not block.
const DefaultMaxBytes = 1 << 20

// DefaultStreamWindow is the hold-back window of a Stream in code points.
const DefaultStreamWindow = 64

// maxFindings bounds the findings of one inspection (pathological inputs).
const maxFindings = 10000

// Engine is a compiled policy. It is safe for concurrent use.
type Engine struct {
	policy    Policy
	pii       *pii.Recognizer
	secrets   *secrets.Scanner
	org       *orgpatterns.Matcher
	inj       *injection.Detector
	injExt    *injection.External // optional external detector
	extCalls  int                 // uncached external calls allowed per session
	injOn     map[Direction]bool
	injAction Action
	entities  map[string]resolved
	defAction Action
	minScore  float64
	maxBytes  int
	window    int
	allow     map[string]bool
	allowRE   []*regexp.Regexp
	hashKey   []byte
}

type resolved struct {
	disabled  bool
	action    Action
	threshold float64
	label     string
	dirs      []Direction
}

// New compiles a policy (nil means DefaultPolicy). EDM files named by the
// policy are read here.
func New(p *Policy) (*Engine, error) {
	if p == nil {
		p = DefaultPolicy()
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	e := &Engine{policy: *p, entities: map[string]resolved{}, injOn: map[Direction]bool{}}
	e.defAction = p.DefaultAction
	if e.defAction == "" {
		e.defAction = ActionMask
	}
	e.minScore = p.MinScore
	if e.minScore == 0 {
		e.minScore = 0.5
	}
	e.maxBytes = p.MaxBytes
	if e.maxBytes == 0 {
		e.maxBytes = DefaultMaxBytes
	}
	e.window = p.Stream.Window
	if e.window == 0 {
		e.window = DefaultStreamWindow
	}
	if p.Detectors.PII == nil || *p.Detectors.PII {
		e.pii = pii.New(pii.Options{})
	}
	if p.Detectors.Secrets == nil || *p.Detectors.Secrets {
		s, err := secrets.New()
		if err != nil {
			return nil, fmt.Errorf("guard: compile secret rules: %w", err)
		}
		e.secrets = s
	}
	// Organisation detectors, deny lists as dictionaries.
	var oc orgpatterns.Config
	over := map[string]EntityPolicy{}
	addOver := func(typ string, a Action, label string) {
		if a == "" && label == "" {
			return
		}
		over[typ] = EntityPolicy{Action: a, Label: label}
	}
	for _, r := range p.Org.Rules {
		oc.Rules = append(oc.Rules, orgpatterns.Rule{Type: r.Type, Pattern: r.Pattern, Validator: r.Validator, Keywords: r.Keywords, Window: r.Window, Score: r.Score})
		addOver(r.Type, r.Action, r.Label)
	}
	for _, d := range p.Org.Dictionaries {
		oc.Dictionaries = append(oc.Dictionaries, orgpatterns.Dictionary{Type: d.Type, Terms: d.Terms, CaseSensitive: d.CaseSensitive})
		addOver(d.Type, d.Action, d.Label)
	}
	for _, d := range p.Deny {
		oc.Dictionaries = append(oc.Dictionaries, orgpatterns.Dictionary{Type: d.Type, Terms: d.Values, Detector: "deny"})
		addOver(d.Type, d.Action, d.Label)
	}
	for _, d := range p.Org.EDM {
		b, err := readBounded(d.File, orgpatterns.MaxEDMFileBytes)
		if err != nil {
			return nil, fmt.Errorf("guard: org.edm %s: %w", d.File, err)
		}
		idx, err := orgpatterns.ParseEDM(b)
		if err != nil {
			return nil, fmt.Errorf("guard: org.edm %s: %w", d.File, err)
		}
		oc.EDM = append(oc.EDM, orgpatterns.EDMSource{Type: d.Type, Index: idx})
		addOver(d.Type, d.Action, d.Label)
	}
	if len(oc.Rules)+len(oc.Dictionaries)+len(oc.EDM) > 0 {
		m, err := orgpatterns.New(oc)
		if err != nil {
			return nil, fmt.Errorf("guard: %w", err)
		}
		e.org = m
	}
	for t, ep := range over {
		if _, ok := p.Entities[t]; !ok {
			e.entities[t] = e.resolve(t, ep)
		}
	}
	for t, ep := range p.Entities {
		e.entities[t] = e.resolve(t, ep)
	}
	// Allow lists.
	e.allow = map[string]bool{}
	for _, v := range p.Allow {
		e.allow[strings.ToLower(v)] = true
	}
	for i, s := range p.AllowPatterns {
		re, err := regexp.Compile(s)
		if err != nil {
			return nil, fmt.Errorf("guard policy: allow_patterns[%d]: %w", i, err)
		}
		e.allowRE = append(e.allowRE, re)
	}
	// Injection.
	if p.Injection.Enabled == nil || *p.Injection.Enabled {
		lvl := injection.Level(p.Injection.Level)
		if lvl == "" {
			lvl = injection.Balanced
		}
		d, err := injection.New(injection.Options{Level: lvl})
		if err != nil {
			return nil, fmt.Errorf("guard: injection detector: %w", err)
		}
		e.inj = d
		if x := p.Injection.External; x != nil {
			cfg, err := x.config()
			if err != nil {
				return nil, fmt.Errorf("guard policy: %w", err)
			}
			if e.injExt, err = injection.NewExternal(cfg); err != nil {
				return nil, fmt.Errorf("guard policy: injection.external: %w", err)
			}
			e.extCalls = x.maxCalls()
		}
		dirs := p.Injection.Directions
		if len(dirs) == 0 {
			dirs = []Direction{Input}
		}
		for _, d := range dirs {
			e.injOn[d] = true
		}
		e.injAction = p.Injection.Action
		if e.injAction == "" {
			e.injAction = ActionBlock
		}
	}
	if p.HashKey != "" {
		e.hashKey = []byte(p.HashKey)
	} else {
		e.hashKey = make([]byte, 32)
		if _, err := rand.Read(e.hashKey); err != nil {
			return nil, fmt.Errorf("guard: hash key: %w", err)
		}
	}
	return e, nil
}

func readBounded(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.Size() > limit {
		return nil, fmt.Errorf("file is %d bytes, over the %d byte limit", st.Size(), limit)
	}
	b := make([]byte, st.Size())
	if _, err := f.ReadAt(b, 0); err != nil && st.Size() > 0 {
		return nil, err
	}
	return b, nil
}

func (e *Engine) resolve(typ string, ep EntityPolicy) resolved {
	r := resolved{action: ep.Action, label: ep.Label, dirs: ep.Directions, threshold: -1}
	if ep.Enabled != nil && !*ep.Enabled {
		r.disabled = true
	}
	if ep.Threshold != nil {
		r.threshold = *ep.Threshold
	}
	return r
}

// lookup resolves the effective policy for a finding type.
func (e *Engine) lookup(typ string) resolved {
	r, ok := e.entities[typ]
	if !ok && strings.HasPrefix(typ, "SECRET") {
		r, ok = e.entities["SECRET"]
	}
	if !ok {
		r = resolved{threshold: -1}
	}
	if r.action == "" {
		r.action = e.defAction
	}
	if r.threshold < 0 {
		r.threshold = e.minScore
	}
	if r.label == "" {
		if l, ok := e.policy.Labels[typ]; ok {
			r.label = l
		} else {
			r.label = DefaultLabel(typ)
		}
	}
	return r
}

// StreamWindow is the hold-back window of this engine's streams, in code points.
func (e *Engine) StreamWindow() int { return e.window }

// scan runs every detector on text (valid UTF-8) and returns accepted,
// non-overlapping matches in byte offsets, sorted by start.
func (e *Engine) scan(ctx context.Context, text string, dir Direction) []match.Match {
	var ms []match.Match
	if e.pii != nil {
		ms = e.pii.Find(text, ms)
	}
	if ctx.Err() == nil && e.secrets != nil {
		ms = e.secrets.Find(text, ms)
	}
	if ctx.Err() == nil && e.org != nil {
		ms = e.org.Find(text, ms)
	}
	// A placeholder written by a previous pass (<EMAIL_ADDRESS>,
	// <PERSON_2>, <IBAN_CODE:3f9a0c12ab45>) is never part of a finding.
	if strings.IndexByte(text, '<') >= 0 {
		ms = trimPlaceholders(text, ms)
	}
	// Policy filter.
	kept := ms[:0]
	for _, m := range ms {
		r := e.lookup(m.Type)
		if r.disabled || m.Score < r.threshold {
			continue
		}
		if len(r.dirs) > 0 && !containsDir(r.dirs, dir) {
			continue
		}
		if e.allowed(text[m.Start:m.End]) {
			continue
		}
		kept = append(kept, m)
	}
	return resolveOverlaps(kept)
}

// maxPlaceholders bounds the placeholders considered per text.
const maxPlaceholders = 4096

// placeholderSpans returns the byte spans of action placeholders in text:
// "<" TYPE (upper-case letters, digits, "_"; up to 64) [":" 12 hex] ">".
func placeholderSpans(text string) [][2]int {
	var out [][2]int
	for i := 0; i < len(text) && len(out) < maxPlaceholders; i++ {
		k := strings.IndexByte(text[i:], '<')
		if k < 0 {
			break
		}
		i += k
		j := i + 1
		if j >= len(text) || text[j] < 'A' || text[j] > 'Z' {
			continue
		}
		for j < len(text) && j-i <= 65 && (text[j] >= 'A' && text[j] <= 'Z' || text[j] >= '0' && text[j] <= '9' || text[j] == '_') {
			j++
		}
		if j < len(text) && text[j] == ':' && j+13 < len(text) {
			h := j + 1
			for h < j+13 && (text[h] >= '0' && text[h] <= '9' || text[h] >= 'a' && text[h] <= 'f') {
				h++
			}
			if h == j+13 {
				j = h
			}
		}
		if j < len(text) && text[j] == '>' {
			out = append(out, [2]int{i, j + 1})
			i = j
		}
	}
	return out
}

// trimPlaceholders cuts the placeholders out of the matches that overlap
// them: a match starting before a placeholder ends before it ("12521
// Belgrád rkp. 18. <STREET_ADDRESS>"), one starting inside starts after it,
// and what is left without a letter or digit is dropped.
func trimPlaceholders(text string, ms []match.Match) []match.Match {
	phs := placeholderSpans(text)
	if len(phs) == 0 {
		return ms
	}
	out := ms[:0]
	for _, m := range ms {
		// First placeholder ending after the match starts (spans are sorted).
		k := sort.Search(len(phs), func(i int) bool { return phs[i][1] > m.Start })
		for _, ph := range phs[k:] {
			if ph[0] >= m.End {
				break
			}
			if m.Start < ph[0] {
				m.End = ph[0]
			} else {
				m.Start = ph[1]
			}
			if m.Start >= m.End {
				break
			}
		}
		for m.End > m.Start && strings.IndexByte(" \t\n\r,;:(", text[m.End-1]) >= 0 {
			m.End--
		}
		for m.Start < m.End && strings.IndexByte(" \t\n\r,;:)", text[m.Start]) >= 0 {
			m.Start++
		}
		if m.Start < m.End && hasAlnum(text[m.Start:m.End]) {
			out = append(out, m)
		}
	}
	return out
}

func hasAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		if match.IsAlnum(s[i]) || s[i] >= 0x80 {
			return true
		}
	}
	return false
}

func containsDir(ds []Direction, d Direction) bool {
	for _, x := range ds {
		if x == d {
			return true
		}
	}
	return false
}

func (e *Engine) allowed(v string) bool {
	if len(e.allow) > 0 && e.allow[strings.ToLower(v)] {
		return true
	}
	for _, re := range e.allowRE {
		if re.MatchString(v) {
			return true
		}
	}
	return false
}

// resolveOverlaps keeps, among overlapping matches, the one with the higher
// score (then the longer, then the earlier).
func resolveOverlaps(ms []match.Match) []match.Match {
	if len(ms) < 2 {
		return ms
	}
	sort.Slice(ms, func(i, j int) bool {
		a, b := ms[i], ms[j]
		if a.Score != b.Score {
			return a.Score > b.Score
		}
		if a.End-a.Start != b.End-b.Start {
			return a.End-a.Start > b.End-b.Start
		}
		return a.Start < b.Start
	})
	out := make([]match.Match, 0, len(ms))
	for _, m := range ms {
		ok := true
		for _, k := range out {
			if m.Start < k.End && k.Start < m.End {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, m)
			if len(out) >= maxFindings {
				break
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Start < out[j].Start })
	return out
}

// validUTF8 replaces each invalid byte with U+FFFD.
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b.WriteRune(utf8.RuneError)
		} else {
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// truncate cuts s to at most n bytes at a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func (e *Engine) hashValue(typ, v string) string {
	m := hmac.New(sha256.New, e.hashKey)
	m.Write([]byte(typ))
	m.Write([]byte{0})
	m.Write([]byte(v))
	return "<" + typ + ":" + hex.EncodeToString(m.Sum(nil)[:6]) + ">"
}

// DefaultLabel is the built-in sensitivity label of a finding type.
func DefaultLabel(typ string) string {
	switch {
	case strings.HasPrefix(typ, "SECRET"):
		return LabelRestricted
	}
	switch typ {
	case "CREDIT_CARD", "IBAN_CODE", "US_SSN", "US_ITIN", "US_PASSPORT", "US_BANK_NUMBER",
		"US_DRIVER_LICENSE", "UK_NHS", "UK_NINO", "ES_NIF", "ES_NIE", "IT_FISCAL_CODE", "PL_PESEL",
		"SG_NRIC_FIN", "AU_TFN", "AU_MEDICARE", "IN_PAN", "IN_AADHAAR", "FI_PERSONAL_IDENTITY_CODE",
		"KR_RRN", "TH_TNIN", "MEDICAL_LICENSE", "CRYPTO", "IT_DRIVER_LICENSE", "IT_PASSPORT", "IT_IDENTITY_CARD",
		"IN_PASSPORT", "IN_VOTER":
		return LabelRestricted
	case "EMAIL_ADDRESS", "PHONE_NUMBER", "PERSON", "STREET_ADDRESS", "DATE_OF_BIRTH", "AU_ABN",
		"AU_ACN", "IN_GSTIN", "IN_VEHICLE_REGISTRATION", "IT_VAT_CODE", "SG_UEN", "NRP":
		return LabelConfidential
	case "IP_ADDRESS", "MAC_ADDRESS", "DATE_TIME", "LOCATION", "GPE", "ZIP_CODE", "ORGANIZATION":
		return LabelInternal
	case "URL", "DOMAIN_NAME":
		return LabelPublic
	}
	return LabelConfidential
}
