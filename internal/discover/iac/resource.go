// Package iac parses infrastructure-as-code files (Terraform, ARM JSON,
// Bicep, CloudFormation YAML/JSON, Kubernetes manifests) into one Resource
// model and runs the AI posture checks over it.
//
// Values in Resource.Attrs are plain Go values: map[string]any, []any,
// string, bool, float64, nil, or Expr for what cannot be resolved statically
// (references to other resources, functions). Terraform blocks are lists of
// maps (as Checkov sees them); ARM, Bicep and CloudFormation properties keep
// their own nesting.
package iac

import (
	"fmt"
	"strconv"
	"strings"
)

// Formats.
const (
	Terraform      = "terraform"
	ARM            = "arm"
	Bicep          = "bicep"
	CloudFormation = "cloudformation"
	Kubernetes     = "kubernetes"
)

// Limits applied to every parser.
const (
	MaxFileSize = 8 << 20 // bytes of one IaC file
	MaxDepth    = 64      // nesting of objects and arrays
)

// Resource is one declared cloud or cluster resource.
type Resource struct {
	Format  string         // terraform, arm, bicep, cloudformation, kubernetes
	Type    string         // azurerm_cognitive_account, Microsoft.CognitiveServices/accounts, AWS::Bedrock::Agent, Deployment
	Name    string         // label, logical id, symbolic name or metadata.name
	File    string         // slash path
	Line    int            // 1-based line of the declaration
	Attrs   map[string]any // the resource body (see package doc)
	RawText string         // source text of the body where cheap to keep (Terraform), for reference searches
}

// Address is the resource address as Checkov prints it: "type.name".
func (r *Resource) Address() string {
	if r.Format == Kubernetes {
		// Checkov prints Kubernetes objects as Kind.namespace.name
		return r.Type + "." + namespace(r) + "." + r.Name
	}
	return r.Type + "." + r.Name
}

// Expr is a value that could not be resolved statically; Text is its source.
type Expr struct{ Text string }

func (e Expr) String() string { return e.Text }

// get walks a path of keys through maps; a list met on the way is entered
// at index 0 (Terraform blocks), unless the key is a number.
func get(v any, path ...string) (any, bool) {
	cur := v
	for _, k := range path {
		for {
			l, ok := cur.([]any)
			if !ok {
				break
			}
			if i, err := strconv.Atoi(k); err == nil {
				if i < 0 || i >= len(l) {
					return nil, false
				}
				cur = l[i]
				goto next
			}
			if len(l) == 0 {
				return nil, false
			}
			cur = l[0]
		}
		switch m := cur.(type) {
		case map[string]any:
			val, ok := m[k]
			if !ok {
				// case-insensitive fallback (ARM property names are not case sensitive)
				found := false
				for mk, mv := range m {
					if strings.EqualFold(mk, k) {
						val, found = mv, true
						break
					}
				}
				if !found {
					return nil, false
				}
			}
			cur = val
		default:
			return nil, false
		}
	next:
	}
	// a single-element list wrapping a scalar (Terraform) is unwrapped
	if l, ok := cur.([]any); ok && len(l) == 1 {
		if _, isMap := l[0].(map[string]any); !isMap {
			if _, isList := l[0].([]any); !isList {
				return l[0], true
			}
		}
	}
	return cur, true
}

// attr is get on the resource's attributes.
func (r *Resource) attr(path ...string) (any, bool) { return get(r.Attrs, path...) }

// boolOf interprets v as a boolean; known is false for expressions and
// other types.
func boolOf(v any) (b, known bool) {
	switch x := v.(type) {
	case bool:
		return x, true
	case string:
		switch strings.ToLower(strings.TrimSpace(x)) {
		case "true":
			return true, true
		case "false":
			return false, true
		}
	}
	return false, false
}

// strOf returns v as a string when it is one (or a number).
func strOf(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	case int:
		return strconv.Itoa(x), true
	case bool:
		return strconv.FormatBool(x), true
	}
	return "", false
}

// numOf returns v as a number when it is one (or a numeric string).
func numOf(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case int:
		return float64(x), true
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		return f, err == nil
	}
	return 0, false
}

// isSet reports whether v is present and not empty (an Expr counts as set).
func isSet(v any, ok bool) bool {
	if !ok || v == nil {
		return false
	}
	switch x := v.(type) {
	case string:
		return strings.TrimSpace(x) != ""
	case []any:
		return len(x) > 0
	case map[string]any:
		return len(x) > 0
	}
	return true
}

// textOf renders v for evidence and reference searches.
func textOf(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return x
	case Expr:
		return x.Text
	case []any:
		parts := make([]string, 0, len(x))
		for _, e := range x {
			parts = append(parts, textOf(e))
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case map[string]any:
		return "{...}"
	default:
		return fmt.Sprint(x)
	}
}

// ParseError says which file could not be parsed and why.
type ParseError struct {
	File string
	Err  error
}

func (e *ParseError) Error() string { return fmt.Sprintf("parse %s: %v", e.File, e.Err) }
func (e *ParseError) Unwrap() error { return e.Err }
