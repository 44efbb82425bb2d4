package jsonstr

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

var samples = []string{"", "plain", `quote" back\slash`, "<script>&amp;</script>", "ctl\x00\x01\x08\x0c\n\r\t\x1f\x7f",
	"bad utf8 \xff\xfe", "line\u2028sep\u2029", "émoji 🎉 日本語", "\xed\xa0\x80 surrogate"}

func checkModes(t *testing.T, s string) {
	t.Helper()
	want, _ := json.Marshal(s)
	if got := Append(nil, s, EncodingJSON); !bytes.Equal(got, want) {
		t.Fatalf("EncodingJSON %q: got %s want %s", s, got, want)
	}
	// Plain decodes to the same string as encoding/json's, and keeps HTML characters.
	plain := Append(nil, s, Plain)
	var back, ref string
	if err := json.Unmarshal(plain, &back); err != nil {
		t.Fatalf("Plain %q: %s does not decode: %v", s, plain, err)
	}
	_ = json.Unmarshal(want, &ref)
	if back != ref {
		t.Fatalf("Plain %q decodes to %q, encoding/json's to %q", s, back, ref)
	}
	if strings.ContainsAny(s, "<>&") && !bytes.ContainsAny(plain, "<>&") {
		t.Fatalf("Plain %q escaped HTML characters: %s", s, plain)
	}
}

func TestAppend(t *testing.T) {
	for _, s := range samples {
		checkModes(t, s)
	}
	if got := string(Append([]byte("x="), "a\bb", Plain)); got != `x="a\u0008b"` {
		t.Fatalf("Plain backspace: %s", got)
	}
}

func FuzzAppend(f *testing.F) {
	for _, s := range samples {
		f.Add(s)
	}
	f.Fuzz(checkModes)
}
