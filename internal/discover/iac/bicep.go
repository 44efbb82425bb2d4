package iac

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ParseBicep is a pragmatic Bicep reader: it finds `resource` declarations
// (top level and nested), reads their object bodies (objects, arrays,
// strings, numbers, booleans; anything else is kept as an Expr) and resolves
// identifiers that name a `param` with a literal default. Resources get the
// ARM shape (type, name, properties, identity, kind, sku) so the ARM checks
// apply; Name is the symbolic name.
func ParseBicep(path string, src []byte) ([]Resource, error) {
	if len(src) > MaxFileSize {
		return nil, &ParseError{File: path, Err: errors.New("file too large")}
	}
	p := &bicepParser{src: src, line: 1}
	params := map[string]any{}
	var out []Resource
	for {
		p.skipSpace(true)
		if p.eof() {
			break
		}
		switch word := p.peekIdent(); word {
		case "param":
			p.ident()
			p.skipSpace(false)
			name := p.ident()
			// param name type = default
			lineEnd := p.restOfLine()
			if i := strings.Index(lineEnd, "="); i >= 0 && name != "" {
				sub := &bicepParser{src: []byte(strings.TrimSpace(lineEnd[i+1:])), line: p.line}
				if v, err := sub.value(0); err == nil {
					if _, isExpr := v.(Expr); !isExpr {
						params[name] = v
					}
				}
			}
		case "resource":
			rs, err := p.resource("", 0)
			out = append(out, rs...)
			if err != nil {
				return out, &ParseError{File: path, Err: err}
			}
		default:
			p.restOfLine()
		}
	}
	for i := range out {
		out[i].File = path
		out[i].Attrs = resolveBicepParams(out[i].Attrs, params, 0).(map[string]any)
	}
	return out, nil
}

type bicepParser struct {
	src  []byte
	pos  int
	line int
}

func (p *bicepParser) eof() bool { return p.pos >= len(p.src) }

func (p *bicepParser) errf(format string, a ...any) error {
	return fmt.Errorf("line %d: "+format, append([]any{p.line}, a...)...)
}

// skipSpace skips blanks and comments; newlines too when nl is true.
func (p *bicepParser) skipSpace(nl bool) {
	for !p.eof() {
		c := p.src[p.pos]
		switch {
		case c == '\n':
			if !nl {
				return
			}
			p.line++
			p.pos++
		case c == ' ' || c == '\t' || c == '\r':
			p.pos++
		case c == '/' && p.pos+1 < len(p.src) && p.src[p.pos+1] == '/':
			for !p.eof() && p.src[p.pos] != '\n' {
				p.pos++
			}
		case c == '/' && p.pos+1 < len(p.src) && p.src[p.pos+1] == '*':
			p.pos += 2
			for !p.eof() && !(p.src[p.pos] == '*' && p.pos+1 < len(p.src) && p.src[p.pos+1] == '/') {
				if p.src[p.pos] == '\n' {
					p.line++
				}
				p.pos++
			}
			p.pos += 2
		default:
			return
		}
	}
}

func isIdentByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func (p *bicepParser) peekIdent() string {
	i := p.pos
	for i < len(p.src) && isIdentByte(p.src[i]) {
		i++
	}
	return string(p.src[p.pos:i])
}

func (p *bicepParser) ident() string {
	s := p.peekIdent()
	p.pos += len(s)
	return s
}

func (p *bicepParser) restOfLine() string {
	start := p.pos
	for !p.eof() && p.src[p.pos] != '\n' {
		p.pos++
	}
	return string(p.src[start:p.pos])
}

// resource parses `resource sym 'Type@api' [existing] = [if (...)] {...}`
// (or a [for ...: {...}] loop) and any nested resources.
func (p *bicepParser) resource(parentType string, depth int) ([]Resource, error) {
	if depth > 8 {
		return nil, p.errf("resources nested too deep")
	}
	line := p.line
	p.ident() // "resource"
	p.skipSpace(false)
	sym := p.ident()
	p.skipSpace(false)
	if p.eof() || p.src[p.pos] != '\'' {
		p.restOfLine()
		return nil, nil
	}
	typv, err := p.str()
	if err != nil {
		return nil, err
	}
	typ, _ := typv.(string)
	typ, _, _ = strings.Cut(typ, "@")
	if parentType != "" && !strings.Contains(typ, "/") {
		typ = parentType + "/" + typ
	}
	// find the body: the first '{' after '=' on this declaration
	for !p.eof() && p.src[p.pos] != '{' {
		if p.src[p.pos] == '\n' {
			p.line++
		}
		p.pos++
	}
	if p.eof() {
		return nil, p.errf("resource %s has no body", sym)
	}
	var children []Resource
	body, err := p.object(0, func() error {
		rs, err := p.resource(typ, depth+1)
		children = append(children, rs...)
		return err
	})
	if err != nil {
		return nil, err
	}
	attrs := body
	attrs["type"] = typ
	attrs[lineKey] = line
	r := Resource{Format: Bicep, Type: typ, Name: sym, Line: line, Attrs: attrs}
	return append([]Resource{r}, children...), nil
}

// object parses {...} starting at '{'. onResource is called for nested
// `resource` declarations.
func (p *bicepParser) object(depth int, onResource func() error) (map[string]any, error) {
	if depth > MaxDepth {
		return nil, p.errf("nesting deeper than %d", MaxDepth)
	}
	m := map[string]any{lineKey: p.line}
	p.pos++ // '{'
	for {
		p.skipSpace(true)
		if p.eof() {
			return nil, p.errf("unterminated object")
		}
		c := p.src[p.pos]
		if c == '}' {
			p.pos++
			return m, nil
		}
		if c == ',' {
			p.pos++
			continue
		}
		var key string
		switch {
		case c == '\'':
			kv, err := p.str()
			if err != nil {
				return nil, err
			}
			key = textOf(kv)
		case isIdentByte(c):
			key = p.ident()
		case c == '@': // decorator inside object
			p.restOfLine()
			continue
		default:
			return nil, p.errf("unexpected %q in object", c)
		}
		p.skipSpace(false)
		if key == "resource" && onResource != nil && (p.eof() || p.src[p.pos] != ':') {
			p.pos -= len("resource")
			for p.pos > 0 && p.src[p.pos-1] == ' ' {
				p.pos--
			}
			p.pos = strings.LastIndex(string(p.src[:p.pos+len("resource")]), "resource")
			if err := onResource(); err != nil {
				return nil, err
			}
			continue
		}
		if p.eof() || p.src[p.pos] != ':' {
			return nil, p.errf("expected ':' after %q", key)
		}
		p.pos++
		p.skipSpace(false)
		v, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		m[key] = v
	}
}

func (p *bicepParser) array(depth int) ([]any, error) {
	if depth > MaxDepth {
		return nil, p.errf("nesting deeper than %d", MaxDepth)
	}
	p.pos++ // '['
	p.skipSpace(false)
	if strings.HasPrefix(string(p.src[p.pos:min(len(p.src), p.pos+4)]), "for ") {
		// [for x in y: {...}] -> keep the body as a single element
		for !p.eof() && p.src[p.pos] != ':' {
			p.pos++
		}
		p.pos++
		p.skipSpace(true)
		v, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		p.skipSpace(true)
		if !p.eof() && p.src[p.pos] == ']' {
			p.pos++
		}
		return []any{v}, nil
	}
	l := []any{}
	for {
		p.skipSpace(true)
		if p.eof() {
			return nil, p.errf("unterminated array")
		}
		if p.src[p.pos] == ']' {
			p.pos++
			return l, nil
		}
		if p.src[p.pos] == ',' {
			p.pos++
			continue
		}
		v, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		l = append(l, v)
	}
}

func (p *bicepParser) str() (any, error) {
	if strings.HasPrefix(string(p.src[p.pos:min(len(p.src), p.pos+3)]), "'''") {
		end := strings.Index(string(p.src[p.pos+3:]), "'''")
		if end < 0 {
			return nil, p.errf("unterminated multi-line string")
		}
		s := string(p.src[p.pos+3 : p.pos+3+end])
		p.line += strings.Count(s, "\n")
		p.pos += end + 6
		return s, nil
	}
	p.pos++ // opening quote
	var b strings.Builder
	interp := false
	for !p.eof() {
		c := p.src[p.pos]
		switch {
		case c == '\\' && p.pos+1 < len(p.src):
			b.WriteByte(p.src[p.pos+1])
			p.pos += 2
			continue
		case c == '\'':
			p.pos++
			if interp {
				return Expr{Text: "'" + b.String() + "'"}, nil
			}
			return b.String(), nil
		case c == '\n':
			return nil, p.errf("newline in string")
		case c == '$' && p.pos+1 < len(p.src) && p.src[p.pos+1] == '{':
			interp = true
		}
		b.WriteByte(c)
		p.pos++
	}
	return nil, p.errf("unterminated string")
}

// value parses one value; an expression runs to the end of the line at
// bracket depth 0 and becomes an Expr.
func (p *bicepParser) value(depth int) (any, error) {
	if p.eof() {
		return nil, p.errf("missing value")
	}
	switch c := p.src[p.pos]; {
	case c == '{':
		return p.object(depth, nil)
	case c == '[':
		return p.array(depth)
	case c == '\'':
		v, err := p.str()
		if err != nil {
			return nil, err
		}
		if p.atValueEnd() {
			return v, nil
		}
		return p.expr(textOf(v))
	}
	start := p.pos
	word := p.peekIdent()
	switch word {
	case "true", "false", "null":
		p.pos += len(word)
		if p.atValueEnd() {
			switch word {
			case "true":
				return true, nil
			case "false":
				return false, nil
			}
			return nil, nil
		}
		p.pos = start
	}
	if word != "" && word[0] >= '0' && word[0] <= '9' {
		p.pos += len(word)
		if p.atValueEnd() {
			if f, err := strconv.ParseFloat(word, 64); err == nil {
				return f, nil
			}
		}
		p.pos = start
	}
	return p.expr("")
}

func (p *bicepParser) atValueEnd() bool {
	i := p.pos
	for i < len(p.src) && (p.src[i] == ' ' || p.src[i] == '\t' || p.src[i] == '\r') {
		i++
	}
	if i >= len(p.src) {
		return true
	}
	switch p.src[i] {
	case '\n', '}', ']', ',':
		return true
	case '/':
		return i+1 < len(p.src) && (p.src[i+1] == '/' || p.src[i+1] == '*')
	}
	return false
}

func (p *bicepParser) expr(prefix string) (any, error) {
	start := p.pos
	depth := 0
	inStr := false
	for !p.eof() {
		c := p.src[p.pos]
		if inStr {
			if c == '\'' {
				inStr = false
			}
			if c == '\n' {
				return nil, p.errf("newline in string")
			}
			p.pos++
			continue
		}
		switch c {
		case '\'':
			inStr = true
		case '(', '[', '{':
			depth++
		case ')', ']', '}':
			if depth == 0 {
				goto done
			}
			depth--
		case ',':
			if depth == 0 {
				goto done
			}
		case '\n':
			if depth == 0 {
				goto done
			}
			p.line++
		}
		if depth > MaxDepth {
			return nil, p.errf("expression nested too deep")
		}
		p.pos++
	}
done:
	text := strings.TrimSpace(prefix + string(p.src[start:p.pos]))
	if text == "" {
		return nil, p.errf("missing value")
	}
	return Expr{Text: text}, nil
}

func resolveBicepParams(v any, params map[string]any, depth int) any {
	if depth > MaxDepth {
		return v
	}
	switch x := v.(type) {
	case Expr:
		if d, ok := params[strings.TrimSpace(x.Text)]; ok {
			return d
		}
	case map[string]any:
		for k, e := range x {
			x[k] = resolveBicepParams(e, params, depth+1)
		}
	case []any:
		for i, e := range x {
			x[i] = resolveBicepParams(e, params, depth+1)
		}
	}
	return v
}
