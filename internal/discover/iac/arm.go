package iac

import (
	"errors"
	"regexp"
	"strings"
)

// LooksLikeARM reports whether a decoded JSON document is an ARM deployment
// template.
func LooksLikeARM(doc any) bool {
	m, ok := doc.(map[string]any)
	if !ok {
		return false
	}
	s, _ := m["$schema"].(string)
	if strings.Contains(strings.ToLower(s), "deploymenttemplate") {
		return true
	}
	_, hasRes := m["resources"]
	_, hasCV := m["contentVersion"]
	return hasRes && hasCV
}

// ParseARM parses an ARM template (JSON) into resources. Nested child
// resources get their full type (parent/child).
func ParseARM(path string, src []byte) ([]Resource, error) {
	if len(src) > MaxFileSize {
		return nil, &ParseError{File: path, Err: errors.New("file too large")}
	}
	doc, err := decodeJSONWithLines(src)
	if err != nil {
		return nil, &ParseError{File: path, Err: err}
	}
	if !LooksLikeARM(doc) {
		return nil, nil
	}
	return armResources(path, doc.(map[string]any), ARM), nil
}

var armParamRef = regexp.MustCompile(`^\[\s*(parameters|variables)\(\s*'([^']+)'\s*\)\s*\]$`)

// armResources extracts resources from a template-shaped map (ARM or the
// Bicep translation) and resolves parameters('x') / variables('x') that have
// literal defaults.
func armResources(path string, root map[string]any, format string) []Resource {
	params, _ := root["parameters"].(map[string]any)
	vars, _ := root["variables"].(map[string]any)
	resolve := func(v any) any { return resolveARM(v, params, vars, 0) }
	var out []Resource
	var walk func(list any, parentType, parentName string, depth int)
	walk = func(list any, parentType, parentName string, depth int) {
		if depth > 8 {
			return
		}
		var items []any
		switch l := list.(type) {
		case []any:
			items = l
		case map[string]any: // languageVersion 2.0: symbolic name -> resource
			for k, v := range l {
				if k == lineKey {
					continue
				}
				if m, ok := v.(map[string]any); ok {
					if _, has := m["name"]; !has {
						m["name"] = k
					}
					items = append(items, m)
				}
			}
		}
		for _, it := range items {
			m, ok := it.(map[string]any)
			if !ok {
				continue
			}
			typ, _ := m["type"].(string)
			if typ == "" {
				continue
			}
			// Checkov substitutes parameters('x') / variables('x') with
			// their default before it prints the resource as type.name.
			name := textOf(resolve(m["name"]))
			if parentType != "" && !strings.Contains(typ, "/") {
				typ = parentType + "/" + typ
				name = parentName + "/" + name
			}
			attrs := resolve(m).(map[string]any)
			out = append(out, Resource{Format: format, Type: typ, Name: name, File: path, Line: lineOf(m), Attrs: attrs})
			if child, ok := m["resources"]; ok {
				walk(child, typ, name, depth+1)
			}
		}
	}
	walk(root["resources"], "", "", 0)
	return out
}

func resolveARM(v any, params, vars map[string]any, depth int) any {
	if depth > MaxDepth {
		return v
	}
	switch x := v.(type) {
	case string:
		if mm := armParamRef.FindStringSubmatch(x); mm != nil {
			var src map[string]any
			if mm[1] == "parameters" {
				if p, ok := params[mm[2]].(map[string]any); ok {
					if d, ok := p["defaultValue"]; ok {
						if _, isExpr := d.(string); !isExpr || !strings.HasPrefix(d.(string), "[") {
							return d
						}
					}
				}
				return Expr{Text: x}
			}
			src = vars
			if d, ok := src[mm[2]]; ok {
				if s, isStr := d.(string); !isStr || !strings.HasPrefix(s, "[") {
					return d
				}
			}
			return Expr{Text: x}
		}
		if strings.HasPrefix(x, "[") && !strings.HasPrefix(x, "[[") {
			return Expr{Text: x}
		}
		return x
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = resolveARM(e, params, vars, depth+1)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = resolveARM(e, params, vars, depth+1)
		}
		return out
	}
	return v
}
