package aibom

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strings"
)

// schemaValidator is a pragmatic JSON Schema (draft-07) validator for the
// subset the CycloneDX 1.6 schema uses: type, properties, required,
// additionalProperties, items (list and tuple), additionalItems, enum, const,
// $ref (local), oneOf, anyOf, allOf, pattern, minimum, maximum, minItems,
// maxItems, minLength. External $refs (the
// SPDX license list, JSF signatures) are accepted without checking.
type schemaValidator struct {
	root map[string]any
}

func (v *schemaValidator) validate(doc any) []string {
	var errs []string
	v.check(v.root, doc, "$", &errs, 0)
	sort.Strings(errs)
	return errs
}

func (v *schemaValidator) resolve(ref string) (map[string]any, bool) {
	if !strings.HasPrefix(ref, "#/") {
		return nil, false
	}
	var cur any = v.root
	for _, part := range strings.Split(ref[2:], "/") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		cur = m[part]
	}
	m, ok := cur.(map[string]any)
	return m, ok
}

func typeOf(x any) string {
	switch n := x.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case float64:
		if n == math.Trunc(n) {
			return "integer"
		}
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return "unknown"
}

func typeMatches(want, got string) bool {
	return want == got || want == "number" && got == "integer"
}

func (v *schemaValidator) check(s map[string]any, x any, path string, errs *[]string, depth int) {
	if depth > 200 {
		*errs = append(*errs, path+": schema recursion too deep")
		return
	}
	if ref, ok := s["$ref"].(string); ok {
		if rs, ok := v.resolve(ref); ok {
			v.check(rs, x, path, errs, depth+1)
		}
		return // external refs are not checked
	}
	if t, ok := s["type"]; ok {
		got := typeOf(x)
		match := false
		switch tt := t.(type) {
		case string:
			match = typeMatches(tt, got)
		case []any:
			for _, e := range tt {
				if es, _ := e.(string); typeMatches(es, got) {
					match = true
				}
			}
		}
		if !match {
			*errs = append(*errs, fmt.Sprintf("%s: type %s, want %v", path, got, t))
			return
		}
	}
	if e, ok := s["enum"].([]any); ok {
		found := false
		for _, ev := range e {
			if fmt.Sprint(ev) == fmt.Sprint(x) {
				found = true
			}
		}
		if !found {
			*errs = append(*errs, fmt.Sprintf("%s: %v not in enum", path, x))
		}
	}
	if c, ok := s["const"]; ok && fmt.Sprint(c) != fmt.Sprint(x) {
		*errs = append(*errs, fmt.Sprintf("%s: %v != const %v", path, x, c))
	}
	if str, ok := x.(string); ok {
		if p, ok := s["pattern"].(string); ok {
			if re, err := regexp.Compile(p); err == nil && !re.MatchString(str) {
				*errs = append(*errs, fmt.Sprintf("%s: %q does not match %s", path, str, p))
			}
		}
		if ml, ok := s["minLength"].(float64); ok && float64(len(str)) < ml {
			*errs = append(*errs, fmt.Sprintf("%s: shorter than %v", path, ml))
		}
	}
	if n, ok := x.(float64); ok {
		if mn, ok := s["minimum"].(float64); ok && n < mn {
			*errs = append(*errs, fmt.Sprintf("%s: %v < minimum %v", path, n, mn))
		}
		if mx, ok := s["maximum"].(float64); ok && n > mx {
			*errs = append(*errs, fmt.Sprintf("%s: %v > maximum %v", path, n, mx))
		}
	}
	if obj, ok := x.(map[string]any); ok {
		props, _ := s["properties"].(map[string]any)
		for _, r := range asList(s["required"]) {
			if _, ok := obj[r.(string)]; !ok {
				*errs = append(*errs, fmt.Sprintf("%s: missing required %q", path, r))
			}
		}
		for k, val := range obj {
			if ps, ok := props[k].(map[string]any); ok {
				v.check(ps, val, path+"."+k, errs, depth+1)
				continue
			}
			switch ap := s["additionalProperties"].(type) {
			case bool:
				if !ap {
					*errs = append(*errs, fmt.Sprintf("%s: property %q not allowed", path, k))
				}
			case map[string]any:
				v.check(ap, val, path+"."+k, errs, depth+1)
			}
		}
	}
	if arr, ok := x.([]any); ok {
		switch is := s["items"].(type) {
		case map[string]any:
			for i, e := range arr {
				v.check(is, e, fmt.Sprintf("%s[%d]", path, i), errs, depth+1)
			}
		case []any: // tuple form
			for i, e := range arr {
				if i < len(is) {
					if sm, ok := is[i].(map[string]any); ok {
						v.check(sm, e, fmt.Sprintf("%s[%d]", path, i), errs, depth+1)
					}
				} else if ai, ok := s["additionalItems"].(bool); ok && !ai {
					*errs = append(*errs, fmt.Sprintf("%s: more items than the tuple allows", path))
				}
			}
		}
		if mx, ok := s["maxItems"].(float64); ok && float64(len(arr)) > mx {
			*errs = append(*errs, fmt.Sprintf("%s: more than %v items", path, mx))
		}
		if mi, ok := s["minItems"].(float64); ok && float64(len(arr)) < mi {
			*errs = append(*errs, fmt.Sprintf("%s: fewer than %v items", path, mi))
		}
	}
	for _, sub := range asList(s["allOf"]) {
		if sm, ok := sub.(map[string]any); ok {
			v.check(sm, x, path, errs, depth+1)
		}
	}
	if any := asList(s["anyOf"]); len(any) > 0 {
		if v.countValid(any, x, path, depth) == 0 {
			*errs = append(*errs, path+": matches none of anyOf")
		}
	}
	if one := asList(s["oneOf"]); len(one) > 0 {
		if n := v.countValid(one, x, path, depth); n != 1 {
			*errs = append(*errs, fmt.Sprintf("%s: matches %d of oneOf, want 1", path, n))
		}
	}
}

func (v *schemaValidator) countValid(subs []any, x any, path string, depth int) int {
	n := 0
	for _, sub := range subs {
		sm, ok := sub.(map[string]any)
		if !ok {
			continue
		}
		var e []string
		v.check(sm, x, path, &e, depth+1)
		if len(e) == 0 {
			n++
		}
	}
	return n
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

func newSchemaValidator(schema []byte) (*schemaValidator, error) {
	var root map[string]any
	if err := json.Unmarshal(schema, &root); err != nil {
		return nil, err
	}
	return &schemaValidator{root: root}, nil
}
