package iac

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
)

// lineKey is the key under which decoded JSON, YAML and Bicep objects keep
// the 1-based line where they start.
const lineKey = "__line__"

// lineOf returns the line recorded in an object, or 0.
func lineOf(v any) int {
	if m, ok := v.(map[string]any); ok {
		if l, ok := m[lineKey].(int); ok {
			return l
		}
	}
	return 0
}

type lineIndex struct {
	starts []int // offsets where lines start
	src    []byte
}

func newLineIndex(src []byte) lineIndex {
	idx := lineIndex{starts: []int{0}, src: src}
	for i, c := range src {
		if c == '\n' {
			idx.starts = append(idx.starts, i+1)
		}
	}
	return idx
}

func (li lineIndex) line(off int64) int {
	return sort.Search(len(li.starts), func(i int) bool { return int64(li.starts[i]) > off })
}

// valueStart moves off past the whitespace, ':' and ',' that precede a value.
func (li lineIndex) valueStart(off int64) int64 {
	for off < int64(len(li.src)) {
		switch li.src[off] {
		case ' ', '\t', '\r', '\n', ':', ',':
			off++
			continue
		}
		break
	}
	return off
}

// decodeJSONWithLines decodes a JSON document into maps, slices, strings,
// float64, bools and nil, adding lineKey to every object. Depth is bounded.
func decodeJSONWithLines(src []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(src))
	dec.UseNumber()
	li := newLineIndex(src)
	v, err := decodeJSONValue(dec, li, 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("trailing data after the JSON document")
	}
	return v, nil
}

func decodeJSONValue(dec *json.Decoder, li lineIndex, depth int) (any, error) {
	if depth > MaxDepth {
		return nil, fmt.Errorf("nesting deeper than %d", MaxDepth)
	}
	off := dec.InputOffset()
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			m := map[string]any{lineKey: li.line(li.valueStart(off))}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k, ok := kt.(string)
				if !ok {
					return nil, errors.New("object key is not a string")
				}
				v, err := decodeJSONValue(dec, li, depth+1)
				if err != nil {
					return nil, err
				}
				m[k] = v
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return m, nil
		case '[':
			var l []any
			for dec.More() {
				v, err := decodeJSONValue(dec, li, depth+1)
				if err != nil {
					return nil, err
				}
				l = append(l, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			if l == nil {
				l = []any{}
			}
			return l, nil
		}
		return nil, fmt.Errorf("unexpected delimiter %v", t)
	case json.Number:
		f, err := t.Float64()
		if err != nil {
			return t.String(), nil
		}
		return f, nil
	default:
		return t, nil // string, bool, nil
	}
}
