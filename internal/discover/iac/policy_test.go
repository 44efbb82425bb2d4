package iac

import (
	"strings"
	"testing"
)

func TestPermissivePolicy(t *testing.T) {
	cases := []struct {
		name, text string
		want       bool
	}{
		{"jsonencode allow star", `policy = jsonencode({ Statement = [{ Action = "*", Effect = "Allow", Resource = "*" }] })`, true},
		{"star on one resource (Checkov fails it too)", `{"Statement":[{"Effect":"Allow","Action":["*"],"Resource":"arn:aws:s3:::b"}]}`, true},
		{"star later in the list", `{"Statement":[{"Effect":"Allow","Action":["s3:GetObject","*"],"Resource":"arn:aws:s3:::b/*"}]}`, true},
		{"service wildcard on star", `{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":["*"]}]}`, true},
		{"policy document block", "statement {\n  effect = \"Allow\"\n  actions = [\"*\"]\n  resources = [\"*\"]\n}", true},
		{"deny star is a guard", `{"Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`, false},
		{"deny star next to a narrow allow", `{"Statement":[{"Effect":"Deny","Action":"*","Resource":"*"},{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`, false},
		{"service wildcard on one bucket", `{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/*"}]}`, false},
		{"NotAction is not Action", `{"Statement":[{"Effect":"Allow","NotAction":"*","Resource":"arn:aws:s3:::b"}]}`, false},
		{"narrow", `{"Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":"arn:aws:s3:::b/*"}]}`, false},
		{"unterminated", `{"Statement":[{"Effect":"Allow","Action":["*"`, true},
		{"empty", ``, false},
	}
	for _, c := range cases {
		if got := permissivePolicy(c.text) != ""; got != c.want {
			t.Errorf("%s: permissive = %v, want %v", c.name, got, c.want)
		}
	}
}

func FuzzPermissivePolicy(f *testing.F) {
	f.Add(`{"Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}`)
	f.Add("statement {\n actions = [\"s3:*\"]\n resources = [\"*\"]\n}")
	f.Fuzz(func(t *testing.T, s string) {
		_ = permissivePolicy(s)
		for i := 0; i <= len(s); i += 1 + len(s)/8 {
			_ = enclosingObject(s, i)
		}
	})
}

// TestPermissivePolicyBounded: a hostile policy text (many Action keys, no
// braces) is answered without quadratic work.
func TestPermissivePolicyBounded(t *testing.T) {
	text := strings.Repeat(`Action = "s3:*" `, 200000) // 3.2 MB
	if permissivePolicy(text) != "" {
		t.Fatal("service wildcard without Resource \"*\" reported")
	}
}
