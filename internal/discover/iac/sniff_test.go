package iac

import (
	"strings"
	"testing"
)

func TestJSONWorthParsing(t *testing.T) {
	cases := []struct {
		doc  string
		want bool
	}{
		{`{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#", "resources": []}`, true},
		{"\ufeff{\"contentVersion\": \"1.0.0.0\", \"resources\": [{\"type\": \"Microsoft.CognitiveServices/accounts\"}]}", true},
		{`{"AWSTemplateFormatVersion": "2010-09-09"}`, true},
		{`{"Description": "x", "Resources": {"A": {"Type": "AWS::SageMaker::Model"}}}`, true},
		{`{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "x"}}`, true},
		{`{"kind": "List", "items": [], "apiVersion": "v1"}`, true},
		// only nested, or in strings: not a template
		{`{"name": "pkg", "scripts": {"resources": "x", "apiVersion": "v1", "kind": "y"}}`, false},
		{`{"kind": "discovery#restDescription", "resources": {"projects": {}}, "description": "\"apiVersion\": \"Resources\""}`, false},
		{`{"a": [1, {"Resources": 2}], "b": "}{", "c": 3}`, false},
		{`[{"apiVersion": "v1", "kind": "Pod"}]`, false},
		{`not json`, false},
		// broken after the telling key: still parsed, so the parser warns
		{`{"$schema": "deploymentTemplate", "resources": [`, true},
		{`{"x": ` + strings.Repeat("[", 100000), false},
	}
	for _, c := range cases {
		if got := JSONWorthParsing([]byte(c.doc)); got != c.want {
			t.Errorf("JSONWorthParsing(%.60q) = %v, want %v", c.doc, got, c.want)
		}
	}
}

func FuzzJSONWorthParsing(f *testing.F) {
	f.Add([]byte(`{"apiVersion": "v1", "kind": "Service"}`))
	f.Add([]byte(`{"a": "\"", "Resources": {}}`))
	f.Add([]byte(`{"$schema": "x\\"`))
	f.Fuzz(func(t *testing.T, data []byte) {
		worth := JSONWorthParsing(data)
		// whatever the full parser makes a resource of must pass the gate
		if rs, err := ParseJSON("f.json", data); err == nil && len(rs) > 0 && !worth {
			t.Fatalf("resources %+v from a document the gate skipped", rs)
		}
	})
}
