package iac

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// maxYAMLNodes bounds the values one YAML file may expand to (aliases
// included), against alias bombs.
const maxYAMLNodes = 1 << 20

// decodeYAMLDocs decodes every document of a YAML stream into plain values
// with lineKey on maps. CloudFormation short-form tags (!Ref, !Sub, ...)
// become their long form ({"Ref": ...}, {"Fn::Sub": ...}).
func decodeYAMLDocs(src []byte) ([]any, error) {
	dec := yaml.NewDecoder(bytes.NewReader(src))
	var docs []any
	budget := maxYAMLNodes
	for i := 0; ; i++ {
		if i > 10000 {
			return nil, errors.New("too many YAML documents")
		}
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return docs, err
		}
		v, err := yamlToAny(&n, 0, &budget)
		if err != nil {
			return docs, err
		}
		docs = append(docs, v)
	}
	return docs, nil
}

func yamlToAny(n *yaml.Node, depth int, budget *int) (any, error) {
	*budget--
	if *budget < 0 {
		return nil, errors.New("YAML expands to too many values (alias bomb?)")
	}
	if depth > MaxDepth {
		return nil, fmt.Errorf("nesting deeper than %d", MaxDepth)
	}
	var v any
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return yamlToAny(n.Content[0], depth+1, budget)
	case yaml.AliasNode:
		if n.Alias == nil {
			return nil, nil
		}
		return yamlToAny(n.Alias, depth+1, budget)
	case yaml.MappingNode:
		m := map[string]any{lineKey: n.Line}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			cv, err := yamlToAny(val, depth+1, budget)
			if err != nil {
				return nil, err
			}
			if k.Value == "<<" && k.Tag == "!!merge" {
				if mm, ok := cv.(map[string]any); ok {
					for mk, mv := range mm {
						if _, exists := m[mk]; !exists {
							m[mk] = mv
						}
					}
				}
				continue
			}
			if cm, ok := cv.(map[string]any); ok && val.Kind == yaml.MappingNode {
				cm[lineKey] = k.Line // a block starts at its key (CloudFormation logical id)
			}
			m[k.Value] = cv
		}
		v = m
	case yaml.SequenceNode:
		l := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			cv, err := yamlToAny(c, depth+1, budget)
			if err != nil {
				return nil, err
			}
			l = append(l, cv)
		}
		v = l
	case yaml.ScalarNode:
		v = yamlScalar(n)
	default:
		return nil, nil
	}
	if strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") {
		name := strings.TrimPrefix(n.Tag, "!")
		if name == "GetAtt" {
			if s, ok := v.(string); ok {
				parts := strings.SplitN(s, ".", 2)
				l := make([]any, len(parts))
				for i, p := range parts {
					l[i] = p
				}
				v = l
			}
		}
		if name != "Ref" && name != "Condition" {
			name = "Fn::" + name
		}
		return map[string]any{name: v, lineKey: n.Line}, nil
	}
	return v, nil
}

func yamlScalar(n *yaml.Node) any {
	switch n.Tag {
	case "!!null":
		return nil
	case "!!bool":
		b, _ := boolOf(n.Value)
		switch strings.ToLower(n.Value) {
		case "yes", "on", "y":
			return true
		}
		return b
	case "!!int", "!!float":
		if f, err := strconv.ParseFloat(n.Value, 64); err == nil {
			return f
		}
		if i, err := strconv.ParseInt(n.Value, 0, 64); err == nil {
			return float64(i)
		}
	}
	return n.Value
}

// ParseYAML parses a YAML file that may be a CloudFormation template or a
// stream of Kubernetes manifests. Other YAML yields no resources.
func ParseYAML(path string, src []byte) ([]Resource, error) {
	if len(src) > MaxFileSize {
		return nil, &ParseError{File: path, Err: errors.New("file too large")}
	}
	docs, err := decodeYAMLDocs(src)
	var out []Resource
	for _, d := range docs {
		out = append(out, resourcesFromDoc(path, d)...)
	}
	if err != nil {
		return out, &ParseError{File: path, Err: err}
	}
	return out, nil
}

// ParseJSON parses a JSON file that may be an ARM template, a CloudFormation
// template or a Kubernetes manifest (or List).
func ParseJSON(path string, src []byte) ([]Resource, error) {
	if len(src) > MaxFileSize {
		return nil, &ParseError{File: path, Err: errors.New("file too large")}
	}
	doc, err := decodeJSONWithLines(src)
	if err != nil {
		return nil, &ParseError{File: path, Err: err}
	}
	if LooksLikeARM(doc) {
		return armResources(path, doc.(map[string]any), ARM), nil
	}
	return resourcesFromDoc(path, doc), nil
}

func resourcesFromDoc(path string, d any) []Resource {
	m, ok := d.(map[string]any)
	if !ok {
		return nil
	}
	if isCFN(m) {
		return cfnResources(path, m)
	}
	if kind, _ := m["kind"].(string); kind != "" {
		if _, ok := m["apiVersion"].(string); ok {
			if kind == "List" {
				var out []Resource
				if items, ok := m["items"].([]any); ok {
					for _, it := range items {
						out = append(out, resourcesFromDoc(path, it)...)
					}
				}
				return out
			}
			name, _ := get(m, "metadata", "name")
			return []Resource{{Format: Kubernetes, Type: kind, Name: textOf(name), File: path, Line: lineOf(m), Attrs: m}}
		}
	}
	return nil
}

func isCFN(m map[string]any) bool {
	if _, ok := m["AWSTemplateFormatVersion"]; ok {
		return true
	}
	res, ok := m["Resources"].(map[string]any)
	if !ok {
		return false
	}
	for k, v := range res {
		if k == lineKey {
			continue
		}
		if r, ok := v.(map[string]any); ok {
			if t, _ := r["Type"].(string); strings.HasPrefix(t, "AWS::") || strings.HasPrefix(t, "Custom::") {
				return true
			}
		}
	}
	return false
}

func cfnResources(path string, m map[string]any) []Resource {
	res, _ := m["Resources"].(map[string]any)
	var out []Resource
	for id, v := range res {
		r, ok := v.(map[string]any)
		if !ok || id == lineKey {
			continue
		}
		t, _ := r["Type"].(string)
		if t == "" {
			continue
		}
		out = append(out, Resource{Format: CloudFormation, Type: t, Name: id, File: path, Line: lineOf(r), Attrs: r})
	}
	return out
}
