package dialect

import (
	"errors"
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/aigis-dev/aigis/internal/jsonstr"
)

// tree is a read-only JSON document: a flat slice of nodes that point into
// the original bytes. It lets decoders read the few fields they need and lets
// encoders splice changed values back without touching anything else.

type kind uint8

const (
	kNull kind = iota
	kBool
	kNumber
	kString
	kArray
	kObject
)

type span struct{ start, end int } // half-open byte offsets into a body

type node struct {
	kind       kind
	escaped    bool // string value contains escapes
	keyEscaped bool
	start, end int32 // the value's bytes (strings include their quotes)
	keyStart   int32 // object members: key bytes without quotes
	keyEnd     int32
	first      int32 // first child, -1 if none
	next       int32 // next sibling, -1 if none
	count      int32 // number of children
}

type tree struct {
	src   []byte
	nodes []node
}

var (
	errSyntax  = errors.New("invalid JSON")
	errDepth   = errors.New("JSON nested too deeply")
	errTooMany = errors.New("JSON has too many values")
	errBadUTF8 = errors.New("invalid UTF-8 in JSON string")
	errDupKey  = errors.New("JSON object has a duplicate key")
)

type parser struct {
	src      []byte
	pos      int
	nodes    []node
	maxDepth int
	maxNodes int
}

// parseTree parses one JSON value (with optional surrounding whitespace).
func parseTree(src []byte, maxDepth, maxNodes int) (*tree, error) {
	if len(src) > 1<<31-1 {
		return nil, errTooMany
	}
	est := len(src)/16 + 4
	if est > maxNodes {
		est = maxNodes
	}
	p := &parser{src: src, nodes: make([]node, 0, est), maxDepth: maxDepth, maxNodes: maxNodes}
	p.ws()
	if _, err := p.value(0); err != nil {
		return nil, err
	}
	p.ws()
	if p.pos != len(src) {
		return nil, p.errAt("trailing data after JSON value")
	}
	return &tree{src: src, nodes: p.nodes}, nil
}

func (p *parser) errAt(msg string) error {
	return fmt.Errorf("%w: %s at byte %d", errSyntax, msg, p.pos)
}

func (p *parser) ws() {
	for p.pos < len(p.src) {
		switch p.src[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *parser) add(n node) (int32, error) {
	if len(p.nodes) >= p.maxNodes {
		return -1, errTooMany
	}
	p.nodes = append(p.nodes, n)
	return int32(len(p.nodes) - 1), nil
}

func (p *parser) value(depth int) (int32, error) {
	if p.pos >= len(p.src) {
		return -1, p.errAt("unexpected end")
	}
	start := p.pos
	switch c := p.src[p.pos]; {
	case c == '{':
		return p.object(depth + 1)
	case c == '[':
		return p.array(depth + 1)
	case c == '"':
		esc, err := p.str()
		if err != nil {
			return -1, err
		}
		return p.add(node{kind: kString, escaped: esc, start: int32(start), end: int32(p.pos), first: -1, next: -1})
	case c == 't':
		return p.lit("true", kBool)
	case c == 'f':
		return p.lit("false", kBool)
	case c == 'n':
		return p.lit("null", kNull)
	case c == '-' || (c >= '0' && c <= '9'):
		if err := p.number(); err != nil {
			return -1, err
		}
		return p.add(node{kind: kNumber, start: int32(start), end: int32(p.pos), first: -1, next: -1})
	default:
		return -1, p.errAt("unexpected character")
	}
}

func (p *parser) lit(word string, k kind) (int32, error) {
	if len(p.src)-p.pos < len(word) || string(p.src[p.pos:p.pos+len(word)]) != word {
		return -1, p.errAt("invalid literal")
	}
	start := p.pos
	p.pos += len(word)
	return p.add(node{kind: k, start: int32(start), end: int32(p.pos), first: -1, next: -1})
}

func (p *parser) number() error {
	s := p.src
	i := p.pos
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	default:
		p.pos = i
		return p.errAt("invalid number")
	}
	if i < len(s) && s[i] == '.' {
		i++
		if i >= len(s) || s[i] < '0' || s[i] > '9' {
			p.pos = i
			return p.errAt("invalid number")
		}
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if i >= len(s) || s[i] < '0' || s[i] > '9' {
			p.pos = i
			return p.errAt("invalid number")
		}
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	}
	p.pos = i
	return nil
}

// str scans a string starting at the opening quote; it validates escapes and
// UTF-8 and reports whether the string has escapes.
func (p *parser) str() (bool, error) {
	s := p.src
	i := p.pos + 1
	esc := false
	for {
		if i >= len(s) {
			p.pos = i
			return false, p.errAt("unterminated string")
		}
		c := s[i]
		switch {
		case c == '"':
			p.pos = i + 1
			return esc, nil
		case c == '\\':
			esc = true
			if i+1 >= len(s) {
				p.pos = i
				return false, p.errAt("unterminated escape")
			}
			switch s[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(s) {
					p.pos = i
					return false, p.errAt("short unicode escape")
				}
				for _, h := range s[i+2 : i+6] {
					if !isHex(h) {
						p.pos = i
						return false, p.errAt("invalid unicode escape")
					}
				}
				i += 6
			default:
				p.pos = i
				return false, p.errAt("invalid escape")
			}
		case c < 0x20:
			p.pos = i
			return false, p.errAt("control character in string")
		case c < utf8.RuneSelf:
			i++
		default:
			r, size := utf8.DecodeRune(s[i:])
			if r == utf8.RuneError && size <= 1 {
				p.pos = i
				return false, errBadUTF8
			}
			i += size
		}
	}
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func (p *parser) array(depth int) (int32, error) {
	if depth > p.maxDepth {
		return -1, errDepth
	}
	start := p.pos
	self, err := p.add(node{kind: kArray, start: int32(start), first: -1, next: -1})
	if err != nil {
		return -1, err
	}
	p.pos++
	p.ws()
	if p.pos < len(p.src) && p.src[p.pos] == ']' {
		p.pos++
		p.nodes[self].end = int32(p.pos)
		return self, nil
	}
	prev := int32(-1)
	count := int32(0)
	for {
		p.ws()
		child, err := p.value(depth)
		if err != nil {
			return -1, err
		}
		if prev < 0 {
			p.nodes[self].first = child
		} else {
			p.nodes[prev].next = child
		}
		prev = child
		count++
		p.ws()
		if p.pos >= len(p.src) {
			return -1, p.errAt("unterminated array")
		}
		if p.src[p.pos] == ',' {
			p.pos++
			continue
		}
		if p.src[p.pos] == ']' {
			p.pos++
			p.nodes[self].end = int32(p.pos)
			p.nodes[self].count = count
			return self, nil
		}
		return -1, p.errAt("expected , or ]")
	}
}

func (p *parser) object(depth int) (int32, error) {
	if depth > p.maxDepth {
		return -1, errDepth
	}
	start := p.pos
	self, err := p.add(node{kind: kObject, start: int32(start), first: -1, next: -1})
	if err != nil {
		return -1, err
	}
	p.pos++
	p.ws()
	if p.pos < len(p.src) && p.src[p.pos] == '}' {
		p.pos++
		p.nodes[self].end = int32(p.pos)
		return self, nil
	}
	prev := int32(-1)
	count := int32(0)
	for {
		p.ws()
		if p.pos >= len(p.src) || p.src[p.pos] != '"' {
			return -1, p.errAt("expected object key")
		}
		ks := p.pos
		kesc, err := p.str()
		if err != nil {
			return -1, err
		}
		ke := p.pos
		p.ws()
		if p.pos >= len(p.src) || p.src[p.pos] != ':' {
			return -1, p.errAt("expected :")
		}
		p.pos++
		p.ws()
		child, err := p.value(depth)
		if err != nil {
			return -1, err
		}
		n := &p.nodes[child]
		n.keyStart, n.keyEnd, n.keyEscaped = int32(ks+1), int32(ke-1), kesc
		if prev < 0 {
			p.nodes[self].first = child
		} else {
			p.nodes[prev].next = child
		}
		prev = child
		count++
		p.ws()
		if p.pos >= len(p.src) {
			return -1, p.errAt("unterminated object")
		}
		if p.src[p.pos] == ',' {
			p.pos++
			continue
		}
		if p.src[p.pos] == '}' {
			p.pos++
			p.nodes[self].end = int32(p.pos)
			p.nodes[self].count = count
			if count > 1 && p.hasDuplicateKey(self) {
				return -1, errDupKey
			}
			return self, nil
		}
		return -1, p.errAt("expected , or }")
	}
}

// hasDuplicateKey reports whether object obj repeats a key. Parsers disagree
// on which duplicate wins, so a duplicate could show the guard one value and
// the upstream (or the client) another: such bodies are refused.
func (p *parser) hasDuplicateKey(obj int32) bool {
	keyOf := func(n *node) string {
		if n.keyEscaped {
			return unescape(p.src[n.keyStart:n.keyEnd])
		}
		return string(p.src[n.keyStart:n.keyEnd])
	}
	if p.nodes[obj].count > 16 {
		seen := make(map[string]struct{}, p.nodes[obj].count)
		for c := p.nodes[obj].first; c >= 0; c = p.nodes[c].next {
			k := keyOf(&p.nodes[c])
			if _, dup := seen[k]; dup {
				return true
			}
			seen[k] = struct{}{}
		}
		return false
	}
	for a := p.nodes[obj].first; a >= 0; a = p.nodes[a].next {
		na := &p.nodes[a]
		for b := na.next; b >= 0; b = p.nodes[b].next {
			nb := &p.nodes[b]
			if !na.keyEscaped && !nb.keyEscaped {
				if string(p.src[na.keyStart:na.keyEnd]) == string(p.src[nb.keyStart:nb.keyEnd]) {
					return true
				}
				continue
			}
			if keyOf(na) == keyOf(nb) {
				return true
			}
		}
	}
	return false
}

// --- reading ---

// get returns the member value named key of object node obj, or -1. With
// duplicate keys the last one wins (as encoding/json does).
func (t *tree) get(obj int32, key string) int32 {
	if obj < 0 || t.nodes[obj].kind != kObject {
		return -1
	}
	found := int32(-1)
	for c := t.nodes[obj].first; c >= 0; c = t.nodes[c].next {
		n := &t.nodes[c]
		if n.keyEscaped {
			if unescape(t.src[n.keyStart:n.keyEnd]) == key {
				found = c
			}
			continue
		}
		if string(t.src[n.keyStart:n.keyEnd]) == key {
			found = c
		}
	}
	return found
}

func (t *tree) kindOf(n int32) kind {
	if n < 0 {
		return kNull
	}
	return t.nodes[n].kind
}

// str returns the string value of n ("" when n is not a string).
func (t *tree) str(n int32) string {
	if n < 0 || t.nodes[n].kind != kString {
		return ""
	}
	nd := &t.nodes[n]
	raw := t.src[nd.start+1 : nd.end-1]
	if !nd.escaped {
		return string(raw)
	}
	return unescape(raw)
}

// isStr reports whether n is a string node.
func (t *tree) isStr(n int32) bool { return n >= 0 && t.nodes[n].kind == kString }

func (t *tree) span(n int32) span {
	return span{int(t.nodes[n].start), int(t.nodes[n].end)}
}

func (t *tree) raw(n int32) []byte { return t.src[t.nodes[n].start:t.nodes[n].end] }

// int64 returns an integer value; ok=false when n is absent, null or not an
// integer.
func (t *tree) int64(n int32) (int64, bool) {
	if n < 0 || t.nodes[n].kind != kNumber {
		return 0, false
	}
	v, err := strconv.ParseInt(string(t.raw(n)), 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(string(t.raw(n)), 64)
		if ferr != nil || f != float64(int64(f)) {
			return 0, false
		}
		return int64(f), true
	}
	return v, true
}

func (t *tree) boolean(n int32) bool {
	return n >= 0 && t.nodes[n].kind == kBool && t.src[t.nodes[n].start] == 't'
}

// children iterates the elements of an array or the member values of an object.
func (t *tree) children(n int32) func(yield func(int32) bool) {
	return func(yield func(int32) bool) {
		if n < 0 {
			return
		}
		for c := t.nodes[n].first; c >= 0; c = t.nodes[c].next {
			if !yield(c) {
				return
			}
		}
	}
}

// key returns the key of an object member node.
func (t *tree) key(n int32) string {
	nd := &t.nodes[n]
	if nd.keyEscaped {
		return unescape(t.src[nd.keyStart:nd.keyEnd])
	}
	return string(t.src[nd.keyStart:nd.keyEnd])
}

// unescape decodes the inside of an already validated JSON string. Invalid
// surrogates become U+FFFD, as encoding/json does.
func unescape(b []byte) string {
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); {
		c := b[i]
		if c != '\\' {
			out = append(out, c)
			i++
			continue
		}
		if i+1 >= len(b) {
			break
		}
		switch b[i+1] {
		case '"', '\\', '/':
			out = append(out, b[i+1])
			i += 2
		case 'b':
			out = append(out, '\b')
			i += 2
		case 'f':
			out = append(out, '\f')
			i += 2
		case 'n':
			out = append(out, '\n')
			i += 2
		case 'r':
			out = append(out, '\r')
			i += 2
		case 't':
			out = append(out, '\t')
			i += 2
		case 'u':
			if i+6 > len(b) {
				return string(out)
			}
			r := hex4(b[i+2 : i+6])
			i += 6
			if utf16.IsSurrogate(r) {
				if i+6 <= len(b) && b[i] == '\\' && b[i+1] == 'u' {
					r2 := hex4(b[i+2 : i+6])
					if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
						out = utf8.AppendRune(out, dec)
						i += 6
						continue
					}
				}
				r = utf8.RuneError
			}
			out = utf8.AppendRune(out, r)
		default:
			out = append(out, b[i+1])
			i += 2
		}
	}
	return string(out)
}

func hex4(b []byte) rune {
	var r rune
	for _, c := range b {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c - 'a' + 10)
		case c >= 'A' && c <= 'F':
			r |= rune(c - 'A' + 10)
		}
	}
	return r
}

// --- writing ---

// appendJSONString appends s as a JSON string literal. Invalid UTF-8 becomes
// U+FFFD; <, > and & are kept as is (no HTML escaping).
func appendJSONString(dst []byte, s string) []byte { return jsonstr.Append(dst, s, jsonstr.Plain) }

// edit replaces src[at.start:at.end] with repl (an insertion when start==end).
type edit struct {
	at   span
	repl []byte
}

// splice applies edits, which must be sorted by start and not overlap.
func splice(src []byte, edits []edit) []byte {
	n := len(src)
	for _, e := range edits {
		n += len(e.repl) - (e.at.end - e.at.start)
	}
	out := make([]byte, 0, n)
	prev := 0
	for _, e := range edits {
		out = append(out, src[prev:e.at.start]...)
		out = append(out, e.repl...)
		prev = e.at.end
	}
	return append(out, src[prev:]...)
}
