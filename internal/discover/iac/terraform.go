package iac

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// TerraformFile is one parsed .tf file; resolve a directory's files together
// with TerraformModule so variables and locals are shared.
type TerraformFile struct {
	path      string
	src       []byte
	resources []*hclsyntax.Block
	variables map[string]cty.Value
	locals    map[string]hcl.Expression
}

// ParseTerraform parses one .tf file. path is used in positions and errors.
func ParseTerraform(path string, src []byte) (*TerraformFile, error) {
	if len(src) > MaxFileSize {
		return nil, &ParseError{File: path, Err: fmt.Errorf("file is larger than %d bytes", MaxFileSize)}
	}
	src = bytes.Clone(src) // the caller may reuse its buffer; resolution happens later
	f, diags := hclsyntax.ParseConfig(src, path, hcl.InitialPos)
	if diags.HasErrors() {
		return nil, &ParseError{File: path, Err: errors.New(firstDiag(diags))}
	}
	body, ok := f.Body.(*hclsyntax.Body)
	if !ok {
		return nil, &ParseError{File: path, Err: errors.New("not native HCL syntax")}
	}
	tf := &TerraformFile{path: path, src: src, variables: map[string]cty.Value{}, locals: map[string]hcl.Expression{}}
	for _, b := range body.Blocks {
		switch b.Type {
		case "resource", "data":
			if len(b.Labels) == 2 {
				tf.resources = append(tf.resources, b)
			}
		case "variable":
			if len(b.Labels) != 1 {
				continue
			}
			v := cty.DynamicVal
			if a, ok := b.Body.Attributes["default"]; ok {
				if dv, d := a.Expr.Value(nil); !d.HasErrors() {
					v = dv
				}
			}
			tf.variables[b.Labels[0]] = v
		case "locals":
			for name, a := range b.Body.Attributes {
				tf.locals[name] = a.Expr
			}
		}
	}
	return tf, nil
}

func firstDiag(diags hcl.Diagnostics) string {
	for _, d := range diags {
		if d.Severity == hcl.DiagError {
			if d.Subject != nil {
				return fmt.Sprintf("line %d: %s: %s", d.Subject.Start.Line, d.Summary, d.Detail)
			}
			return d.Summary + ": " + d.Detail
		}
	}
	return "invalid HCL"
}

// TerraformModule resolves the resources of files that form one module (one
// directory): variable defaults and locals are substituted, anything else
// that cannot be evaluated statically becomes an Expr.
func TerraformModule(files []*TerraformFile) []Resource {
	vars := map[string]cty.Value{}
	localExprs := map[string]hcl.Expression{}
	for _, f := range files {
		for k, v := range f.variables {
			vars[k] = v
		}
		for k, e := range f.locals {
			localExprs[k] = e
		}
	}
	ctx := &hcl.EvalContext{Variables: map[string]cty.Value{"var": objectOrEmpty(vars)}}
	locals := map[string]cty.Value{}
	for pass := 0; pass < 3; pass++ { // locals may refer to locals
		ctx.Variables["local"] = objectOrEmpty(locals)
		next := map[string]cty.Value{}
		for k, e := range localExprs {
			v, d := e.Value(ctx)
			if d.HasErrors() {
				v = cty.DynamicVal
			}
			next[k] = v
		}
		locals = next
	}
	ctx.Variables["local"] = objectOrEmpty(locals)
	var out []Resource
	for _, f := range files {
		for _, b := range f.resources {
			typ := b.Labels[0]
			if b.Type == "data" {
				typ = "data." + typ
			}
			out = append(out, Resource{
				Format:  Terraform,
				Type:    typ,
				Name:    b.Labels[1],
				File:    f.path,
				Line:    b.DefRange().Start.Line,
				Attrs:   bodyToMap(b.Body, f.src, ctx, 0),
				RawText: string(b.Body.SrcRange.SliceBytes(f.src)),
			})
		}
	}
	return out
}

func objectOrEmpty(m map[string]cty.Value) cty.Value {
	if len(m) == 0 {
		return cty.EmptyObjectVal
	}
	return cty.ObjectVal(m)
}

func bodyToMap(body *hclsyntax.Body, src []byte, ctx *hcl.EvalContext, depth int) map[string]any {
	m := make(map[string]any, len(body.Attributes)+len(body.Blocks))
	if depth > MaxDepth {
		return m
	}
	for name, a := range body.Attributes {
		v, d := a.Expr.Value(ctx)
		if d.HasErrors() || !v.IsWhollyKnown() {
			m[name] = Expr{Text: strings.TrimSpace(string(a.Expr.Range().SliceBytes(src)))}
			continue
		}
		m[name] = ctyToGo(v, 0)
	}
	for _, b := range body.Blocks {
		name := b.Type
		inner := b.Body
		if b.Type == "dynamic" && len(b.Labels) == 1 {
			name = b.Labels[0]
			for _, c := range b.Body.Blocks {
				if c.Type == "content" {
					inner = c.Body
				}
			}
		}
		l, _ := m[name].([]any)
		m[name] = append(l, bodyToMap(inner, src, ctx, depth+1))
	}
	return m
}

func ctyToGo(v cty.Value, depth int) any {
	if v.IsNull() || depth > MaxDepth {
		return nil
	}
	if !v.IsKnown() {
		return Expr{Text: "(unknown)"}
	}
	t := v.Type()
	switch {
	case t == cty.Bool:
		return v.True()
	case t == cty.Number:
		f, _ := v.AsBigFloat().Float64()
		return f
	case t == cty.String:
		return v.AsString()
	case t.IsListType() || t.IsSetType() || t.IsTupleType():
		out := make([]any, 0, v.LengthInt())
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			out = append(out, ctyToGo(e, depth+1))
		}
		return out
	case t.IsMapType() || t.IsObjectType():
		out := map[string]any{}
		for it := v.ElementIterator(); it.Next(); {
			k, e := it.Element()
			out[k.AsString()] = ctyToGo(e, depth+1)
		}
		return out
	}
	return Expr{Text: "(unsupported)"}
}

// Path is the file's path as given to ParseTerraform.
func (f *TerraformFile) Path() string { return f.path }
