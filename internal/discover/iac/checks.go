package iac

import (
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/aigis-dev/aigis/internal/finding"
)

// Check is one posture rule over IaC resources.
type Check struct {
	ID          string
	Title       string
	Severity    finding.Severity
	ATLAS       []string
	OWASP       []string
	Equivalents []string // Checkov, Azure Policy (AzurePolicy:<definition guid>), PSRule ids
	Remediation string
	targets     []target
}

// Formats lists the IaC formats the check evaluates.
func (c *Check) Formats() []string {
	var out []string
	for _, t := range c.targets {
		for _, f := range t.formats {
			if !slices.Contains(out, f) {
				out = append(out, f)
			}
		}
	}
	return out
}

type target struct {
	formats []string
	types   []string
	eval    func(r *Resource, s *Set) verdict
}

type verdict struct {
	applicable bool
	fail       bool
	evidence   string
}

var (
	pass = verdict{applicable: true}
	na   = verdict{}
)

func failf(evidence string) verdict { return verdict{applicable: true, fail: true, evidence: evidence} }

// Set is the resources of one module or template group, for checks that look
// at related resources (private endpoints, customer-managed keys, IAM).
type Set struct {
	Resources []Resource
}

// referencing returns the resources of type typ whose attributes mention r
// (Terraform "type.name", ARM/Bicep symbolic name or resource name).
func (s *Set) referencing(r *Resource, types ...string) []*Resource {
	var out []*Resource
	needles := []string{r.Type + "." + r.Name + "."}
	if r.Format != Terraform {
		needles = []string{r.Name + ".id", r.Name + ".name"}
		if n, ok := r.attr("name"); ok {
			if str, ok := n.(string); ok && str != "" {
				needles = append(needles, "'"+str+"'", str)
			}
		}
	}
	for i := range s.Resources {
		o := &s.Resources[i]
		if o == r || !slices.Contains(types, o.Type) {
			continue
		}
		text := o.RawText
		if text == "" {
			text = flatText(o.Attrs, 0)
		}
		for _, n := range needles {
			if strings.Contains(text, n) {
				out = append(out, o)
				break
			}
		}
	}
	return out
}

// resolveRef returns the resource a reference text points at (Terraform
// "type.name.attr").
func (s *Set) resolveRef(v any, types ...string) *Resource {
	text := textOf(v)
	for i := range s.Resources {
		o := &s.Resources[i]
		if slices.Contains(types, o.Type) && strings.Contains(text, o.Type+"."+o.Name) {
			return o
		}
	}
	return nil
}

func flatText(v any, depth int) string {
	if depth > MaxDepth {
		return ""
	}
	switch x := v.(type) {
	case map[string]any:
		var b strings.Builder
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			b.WriteString(k)
			b.WriteString("=")
			b.WriteString(flatText(x[k], depth+1))
			b.WriteString(" ")
		}
		return b.String()
	case []any:
		var b strings.Builder
		for _, e := range x {
			b.WriteString(flatText(e, depth+1))
			b.WriteString(" ")
		}
		return b.String()
	}
	return textOf(v)
}

// Evaluate runs every check over the set and returns the failures as
// findings, ordered by file, line and id.
func Evaluate(checks []Check, s *Set) []finding.Finding {
	var out []finding.Finding
	for ci := range checks {
		c := &checks[ci]
		for ri := range s.Resources {
			r := &s.Resources[ri]
			for _, t := range c.targets {
				if !slices.Contains(t.formats, r.Format) || !slices.Contains(t.types, r.Type) {
					continue
				}
				v := t.eval(r, s)
				if !v.applicable || !v.fail {
					continue
				}
				out = append(out, finding.Finding{
					ID: c.ID, Title: c.Title, Severity: c.Severity,
					File: r.File, Line: r.Line, Resource: r.Address(),
					Evidence: v.evidence, Remediation: c.Remediation,
					ATLAS: clone(c.ATLAS), OWASP: clone(c.OWASP), Equivalents: clone(c.Equivalents),
				})
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.ID < b.ID
	})
	return out
}

func clone(s []string) []string {
	if s == nil {
		return []string{}
	}
	return slices.Clone(s)
}

// ---- evaluation helpers ------------------------------------------------

// wantBool passes when path holds want; missing counts as missingVal.
func wantBool(path string, want bool, missingVal bool) func(*Resource, *Set) verdict {
	keys := strings.Split(path, "/")
	return func(r *Resource, _ *Set) verdict {
		v, ok := r.attr(keys...)
		if !ok || v == nil {
			if missingVal == want {
				return pass
			}
			return failf(path + " is not set (default " + boolWord(missingVal) + ")")
		}
		b, known := boolOf(v)
		if !known {
			return pass // unresolved expression: no verdict
		}
		if b == want {
			return pass
		}
		return failf(path + " = " + boolWord(b))
	}
}

func boolWord(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// wantSet passes when path holds a non-empty value.
func wantSet(path string) func(*Resource, *Set) verdict {
	keys := strings.Split(path, "/")
	return func(r *Resource, _ *Set) verdict {
		if isSet(r.attr(keys...)) {
			return pass
		}
		return failf(path + " is not set")
	}
}

// wantString passes when path equals one of the values (case-insensitive).
func wantString(path string, missingFails bool, values ...string) func(*Resource, *Set) verdict {
	keys := strings.Split(path, "/")
	return func(r *Resource, _ *Set) verdict {
		v, ok := r.attr(keys...)
		if !ok || v == nil {
			if missingFails {
				return failf(path + " is not set")
			}
			return pass
		}
		if _, isExpr := v.(Expr); isExpr {
			return pass
		}
		s, _ := strOf(v)
		for _, want := range values {
			if strings.EqualFold(s, want) {
				return pass
			}
		}
		return failf(path + " = " + textOf(v))
	}
}

// forbidString fails when path equals one of the values (case-insensitive).
func forbidString(path string, values ...string) func(*Resource, *Set) verdict {
	keys := strings.Split(path, "/")
	return func(r *Resource, _ *Set) verdict {
		v, ok := r.attr(keys...)
		if !ok {
			return pass
		}
		s, _ := strOf(v)
		for _, bad := range values {
			if strings.EqualFold(s, bad) {
				return failf(path + " = " + s)
			}
		}
		return pass
	}
}

// wantMin passes when path is a number >= min; missing fails.
func wantMin(path string, min float64) func(*Resource, *Set) verdict {
	keys := strings.Split(path, "/")
	return func(r *Resource, _ *Set) verdict {
		v, ok := r.attr(keys...)
		if !ok || v == nil {
			return failf(path + " is not set")
		}
		if _, isExpr := v.(Expr); isExpr {
			return pass
		}
		n, ok := numOf(v)
		if !ok || n < min {
			return failf(path + " = " + textOf(v))
		}
		return pass
	}
}

func anyOf(fs ...func(*Resource, *Set) verdict) func(*Resource, *Set) verdict {
	return func(r *Resource, s *Set) verdict {
		var first verdict
		for i, f := range fs {
			v := f(r, s)
			if !v.applicable || !v.fail {
				return v
			}
			if i == 0 {
				first = v
			}
		}
		return first
	}
}

func allOf(fs ...func(*Resource, *Set) verdict) func(*Resource, *Set) verdict {
	return func(r *Resource, s *Set) verdict {
		for _, f := range fs {
			if v := f(r, s); v.applicable && v.fail {
				return v
			}
		}
		return pass
	}
}

// when limits f to resources matching cond; others are not applicable.
func when(cond func(*Resource) bool, f func(*Resource, *Set) verdict) func(*Resource, *Set) verdict {
	return func(r *Resource, s *Set) verdict {
		if !cond(r) {
			return na
		}
		return f(r, s)
	}
}

func kindIs(path string, kinds ...string) func(*Resource) bool {
	keys := strings.Split(path, "/")
	return func(r *Resource) bool {
		v, _ := r.attr(keys...)
		s, _ := strOf(v)
		for _, k := range kinds {
			if strings.EqualFold(s, k) {
				return true
			}
		}
		return false
	}
}

var (
	tf       = []string{Terraform}
	armBicep = []string{ARM, Bicep}
	cfn      = []string{CloudFormation}
)

const (
	tfCognitive  = "azurerm_cognitive_account"
	tfAIServices = "azurerm_ai_services"
	armCognitive = "Microsoft.CognitiveServices/accounts"
	tfMLWS       = "azurerm_machine_learning_workspace"
	armMLWS      = "Microsoft.MachineLearningServices/workspaces"
	armMLCompute = "Microsoft.MachineLearningServices/workspaces/computes"
	tfSearch     = "azurerm_search_service"
	armSearch    = "Microsoft.Search/searchServices"
)

// IAM policy text (JSON, jsonencode HCL or policy-document blocks): the
// Action key (not NotAction), a Resource list holding "*", a Deny effect.
var (
	policyActionKey = regexp.MustCompile(`(?i)"?\bactions?"?\s*[:=]\s*`)
	policyResource  = regexp.MustCompile(`(?i)"?\bresources?"?\s*[:=]\s*\[?[^\]=:]*?"\*"`)
	policyDeny      = regexp.MustCompile(`(?i)"?\beffect"?\s*[:=]\s*"deny"`)
	quotedString    = regexp.MustCompile(`"([^"]*)"`)
	serviceWildcard = regexp.MustCompile(`(?i)^[a-z0-9-]+:\*$`)
)
