package guard

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func checkResult(t *testing.T, text string, r Result) {
	t.Helper()
	if !utf8.ValidString(r.Redacted) {
		t.Fatalf("redacted not valid UTF-8 for %q", text)
	}
	n := utf8.RuneCountInString(validUTF8(text))
	prev := 0
	for _, f := range r.Findings {
		if f.Start < prev || f.End <= f.Start || f.End > n {
			t.Fatalf("bad span %+v (n=%d) in %q", f, n, text)
		}
		prev = f.End
	}
}

func FuzzInspect(f *testing.F) {
	for _, s := range streamTexts {
		f.Add(s)
	}
	f.Add("a\xff\xfe 4111-1111-1111-1111 \xc3")
	f.Add("GB82 WEST 1234 5698 7654 32 AB 12 34 56 C 0x52908400098527886E0F7030069857D2E4169EE7")
	f.Add("Mr. John Smith lives at 12 Baker Street, London\nUnited Kingdom 1990-01-02 09:10:11")
	f.Add(strings.Repeat("1 ", 300) + strings.Repeat("@", 50) + "password=" + strings.Repeat("Ab1", 20))
	e := mustEngine(f, noInjection())
	f.Fuzz(func(t *testing.T, text string) {
		r := e.Inspect(ctx, text, InspectOptions{})
		checkResult(t, text, r)
		// The placeholders the masking wrote are never flagged again.
		if len(r.Findings) == 0 || strings.Contains(text, "<") {
			return
		}
		again := e.Inspect(ctx, r.Redacted, InspectOptions{})
		for _, loc := range placeholderRE.FindAllStringIndex(r.Redacted, -1) {
			ps, pe := utf8.RuneCountInString(r.Redacted[:loc[0]]), utf8.RuneCountInString(r.Redacted[:loc[1]])
			for _, f := range again.Findings {
				if f.Start < pe && ps < f.End {
					t.Fatalf("placeholder %q re-flagged as %s in %q", r.Redacted[loc[0]:loc[1]], f.Type, r.Redacted)
				}
			}
		}
	})
}

func FuzzStream(f *testing.F) {
	f.Add("call +1 415 555 0100 or a@b.co", uint8(3))
	f.Add("\xf0\x9f\x98\x80<EMAIL_ADDRESS_1> 4111111111111111", uint8(1))
	e := mustEngine(f, mustPolicy(f, "default_action: pseudonymize\ninjection: {enabled: false}\n"))
	f.Fuzz(func(t *testing.T, text string, step uint8) {
		n := int(step%16) + 1
		s := e.NewSession()
		s.Inspect(ctx, "seed a@b.co", InspectOptions{})
		st := s.NewStream(InspectOptions{Direction: Output})
		var out strings.Builder
		for i := 0; i < len(text); i += n {
			o, _ := st.Write(text[i:min(i+n, len(text))])
			out.WriteString(o)
		}
		o, _ := st.Close()
		out.WriteString(o)
		if !utf8.ValidString(out.String()) {
			t.Fatalf("stream output not valid UTF-8: %q", out.String())
		}
	})
}

func FuzzParsePolicy(f *testing.F) {
	f.Add([]byte("version: 1\ndefault_action: mask\nentities: {US_SSN: {action: block, threshold: 0.6}}\n"))
	f.Add([]byte("org: {rules: [{type: A, pattern: 'a+', validator: luhn, keywords: [x]}], dictionaries: [{type: B, terms: [y]}]}"))
	f.Add([]byte("deny: [{type: X, values: [a]}]\nallow_patterns: ['(']\n"))
	f.Add([]byte("&a [*a, *a, *a]"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParsePolicy(b)
		if err != nil {
			return
		}
		p.Org.EDM = nil // no file access from fuzzed input
		_, _ = New(p)
	})
}

func FuzzDecodeBatchLine(f *testing.F) {
	f.Add([]byte(`{"id":1,"text":"hello","mode":"user"}`))
	f.Add([]byte(`{"id":"x","text":"a\u0000b"}`))
	f.Add([]byte(strings.Repeat("[", 100)))
	f.Add([]byte(`{"id":{"a":[1]},"text":""}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		it, err := DecodeBatchLine(b)
		if err != nil {
			return
		}
		if len(it.ID) > 0 && (it.ID[0] == '{' || it.ID[0] == '[') {
			t.Fatalf("non-scalar id accepted: %s", it.ID)
		}
	})
}

func FuzzRestore(f *testing.F) {
	f.Add("<EMAIL_ADDRESS_1> <<EMAIL_ADDRESS_1>> <EMAIL_ADDRESS_1")
	e := mustEngine(f, mustPolicy(f, "default_action: pseudonymize\ninjection: {enabled: false}\n"))
	s := e.NewSession()
	s.Inspect(ctx, "a@b.co", InspectOptions{})
	f.Fuzz(func(t *testing.T, text string) {
		out := s.Restore(text)
		if !strings.Contains(text, "<EMAIL_ADDRESS_1>") && out != text {
			t.Fatalf("changed text without placeholders: %q -> %q", text, out)
		}
	})
}
