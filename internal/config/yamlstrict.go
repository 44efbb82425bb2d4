package config

import (
	"encoding"
	"errors"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// maxFileBytes bounds a config file; anything bigger is not a config.
const maxFileBytes = 4 << 20

// maxDepth bounds nesting (aliases included) while walking the document.
const maxDepth = 64

// Error is one problem in a config file: where it is and what is wrong.
type Error struct {
	File string
	Line int    // 1-based; 0 when unknown
	Key  string // dotted path, e.g. upstreams[1].base_url
	Msg  string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	if e.Key != "" {
		b.WriteString(": ")
		b.WriteString(e.Key)
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	return b.String()
}

// Errors is every problem found in a config file, in document order.
type Errors []*Error

func (es Errors) Error() string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "\n")
}

// Getenv looks up an environment variable; os.LookupEnv in production.
type Getenv func(name string) (string, bool)

// decoder turns one YAML document into a Go value, strictly: unknown keys,
// duplicate keys, type mismatches and missing environment variables are
// errors naming the file, line and key.
type decoder struct {
	file   string
	getenv Getenv
	errs   Errors
	lines  map[string]int // dotted key path -> line, for validation errors
}

func newDecoder(file string, getenv Getenv) *decoder {
	if getenv == nil {
		getenv = os.LookupEnv
	}
	return &decoder{file: file, getenv: getenv, lines: map[string]int{}}
}

func (d *decoder) add(line int, key, format string, args ...any) {
	d.errs = append(d.errs, &Error{File: d.file, Line: line, Key: key, Msg: fmt.Sprintf(format, args...)})
}

// decode parses data into v (a pointer to a struct).
func (d *decoder) decode(data []byte, v any) error {
	if len(data) > maxFileBytes {
		return Errors{{File: d.file, Msg: fmt.Sprintf("file is %d bytes, larger than the %d-byte limit", len(data), maxFileBytes)}}
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return Errors{{File: d.file, Msg: "invalid YAML: " + strings.TrimPrefix(err.Error(), "yaml: ")}}
	}
	if doc.Kind == 0 { // empty file
		return nil
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	d.interpolate(root, "", 0)
	d.check(root, reflect.TypeOf(v).Elem(), "", 0)
	if len(d.errs) > 0 {
		slices.SortStableFunc(d.errs, func(a, b *Error) int { return a.Line - b.Line })
		return d.errs
	}
	if err := root.Decode(v); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			for _, m := range te.Errors {
				d.errs = append(d.errs, typeError(d.file, m))
			}
			return d.errs
		}
		return Errors{{File: d.file, Msg: err.Error()}}
	}
	return nil
}

// typeError turns yaml.v3's "line N: cannot unmarshal ..." into an Error.
func typeError(file, m string) *Error {
	e := &Error{File: file, Msg: m}
	var line int
	if n, _ := fmt.Sscanf(m, "line %d:", &line); n == 1 {
		e.Line = line
		if i := strings.Index(m, ": "); i >= 0 {
			e.Msg = m[i+2:]
		}
	}
	return e
}

// interpolate replaces ${NAME} in every scalar value with the environment
// variable NAME; "$${" stays a literal "${". Only values are interpolated,
// never keys, and the result stays one scalar (it cannot inject YAML).
func (d *decoder) interpolate(n *yaml.Node, path string, depth int) {
	if depth > maxDepth {
		return
	}
	switch n.Kind {
	case yaml.ScalarNode:
		if !strings.Contains(n.Value, "${") {
			return
		}
		out, err := expandEnv(n.Value, d.getenv)
		if err != nil {
			d.add(n.Line, path, "%v", err)
			return
		}
		n.Value = out
		if n.Tag == "!!str" && n.Style == 0 {
			n.Tag = "" // let the resolver type "${PORT}" -> 8080 as an int
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			d.interpolate(n.Content[i+1], joinKey(path, n.Content[i].Value), depth+1)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			d.interpolate(c, fmt.Sprintf("%s[%d]", path, i), depth+1)
		}
	}
}

// expandEnv expands ${NAME}; "$${" escapes a literal "${".
func expandEnv(s string, getenv Getenv) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); {
		if strings.HasPrefix(s[i:], "$${") {
			b.WriteString("${")
			i += 3
			continue
		}
		if !strings.HasPrefix(s[i:], "${") {
			b.WriteByte(s[i])
			i++
			continue
		}
		end := strings.IndexByte(s[i+2:], '}')
		if end < 0 {
			return "", errors.New(`unterminated "${" (write "$${" for a literal "${")`)
		}
		name := s[i+2 : i+2+end]
		if !validEnvName(name) {
			return "", fmt.Errorf("invalid environment variable name %q", name)
		}
		v, ok := getenv(name)
		if !ok {
			return "", fmt.Errorf("environment variable %s is not set (set it, or write $${ for a literal ${)", name)
		}
		b.WriteString(v)
		i += 2 + end + 1
	}
	return b.String(), nil
}

func validEnvName(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		switch {
		case c == '_', c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z':
		case c >= '0' && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

func joinKey(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

var (
	yamlUnmarshaler = reflect.TypeFor[yaml.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// check walks the node against the Go type, reporting unknown and duplicate
// keys and shape mismatches (a list where a mapping belongs), and records
// the line of every key for later validation errors.
func (d *decoder) check(n *yaml.Node, t reflect.Type, path string, depth int) {
	if depth > maxDepth {
		d.add(n.Line, path, "nested deeper than %d levels", maxDepth)
		return
	}
	if n.Kind == yaml.AliasNode {
		if n.Alias == nil {
			return
		}
		d.check(n.Alias, t, path, depth+1)
		return
	}
	if _, ok := d.lines[path]; !ok {
		d.lines[path] = n.Line
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return
	}
	if reflect.PointerTo(t).Implements(yamlUnmarshaler) || reflect.PointerTo(t).Implements(textUnmarshaler) {
		// The type checks itself; run it now to report the line and key.
		if err := n.Decode(reflect.New(t).Interface()); err != nil {
			msg := err.Error()
			var te *yaml.TypeError
			if errors.As(err, &te) && len(te.Errors) > 0 {
				msg = typeError(d.file, te.Errors[0]).Msg
			}
			d.add(n.Line, path, "%s", msg)
		}
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			d.add(n.Line, path, "expected a mapping (key: value), got %s", kindName(n))
			return
		}
		fields := structFields(t)
		seen := make(map[string]bool, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			key := joinKey(path, k.Value)
			if k.Value == "<<" { // merge key
				d.check(v, t, path, depth+1)
				continue
			}
			if seen[k.Value] {
				d.add(k.Line, key, "key appears twice")
				continue
			}
			seen[k.Value] = true
			ft, ok := fields[k.Value]
			if !ok {
				d.add(k.Line, key, "unknown key (known: %s)", knownKeys(fields))
				continue
			}
			d.lines[key] = k.Line
			d.check(v, ft, key, depth+1)
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			d.add(n.Line, path, "expected a mapping (key: value), got %s", kindName(n))
			return
		}
		seen := make(map[string]bool, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			key := joinKey(path, k.Value)
			if seen[k.Value] {
				d.add(k.Line, key, "key appears twice")
				continue
			}
			seen[k.Value] = true
			d.lines[key] = k.Line
			d.check(v, t.Elem(), key, depth+1)
		}
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 && n.Kind == yaml.ScalarNode {
			return // []byte from a string
		}
		if n.Kind != yaml.SequenceNode {
			d.add(n.Line, path, "expected a list, got %s", kindName(n))
			return
		}
		for i, c := range n.Content {
			d.check(c, t.Elem(), fmt.Sprintf("%s[%d]", path, i), depth+1)
		}
	case reflect.Interface:
		// free-form (placeholder blocks): anything goes
	default:
		if n.Kind != yaml.ScalarNode {
			d.add(n.Line, path, "expected a single value, got %s", kindName(n))
			return
		}
		if err := n.Decode(reflect.New(t).Interface()); err != nil {
			d.add(n.Line, path, "%q is not a valid %s", truncate(n.Value, 40), kindWord(t))
		}
	}
}

func kindWord(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Bool:
		return "boolean (true or false)"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.String:
		return "string"
	}
	return t.String()
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return fmt.Sprintf("the value %q", truncate(n.Value, 40))
	}
	return "something else"
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// structFields maps yaml keys to field types, following ",inline".
func structFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("yaml")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if strings.Contains(","+opts+",", ",inline,") {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				for k, v := range structFields(ft) {
					out[k] = v
				}
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name) // yaml.v3's default
		}
		out[name] = f.Type
	}
	return out
}

func knownKeys(fields map[string]reflect.Type) string {
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return strings.Join(keys, ", ")
}
