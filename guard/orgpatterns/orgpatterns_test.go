package orgpatterns

import (
	"bytes"
	"strings"
	"testing"
)

func TestEDMRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	n, err := BuildEDM(strings.NewReader("ACME-00042\nJohn  Q. Public\n"), &buf)
	if err != nil || n != 2 {
		t.Fatalf("n=%d err=%v", n, err)
	}
	if strings.Contains(strings.ToLower(buf.String()), "public") {
		t.Fatal("plaintext in index")
	}
	idx, err := ParseEDM(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	m, err := New(Config{EDM: []EDMSource{{Type: "CUSTOMER", Index: idx}}})
	if err != nil {
		t.Fatal(err)
	}
	text := "ticket from john q public about acme-00042."
	ms := m.Find(text, nil)
	if len(ms) != 2 || text[ms[0].Start:ms[0].End] != "john q public" || text[ms[1].Start:ms[1].End] != "acme-00042" {
		t.Fatalf("matches %+v", ms)
	}
	// Two builds of the same values use different salts.
	var buf2 bytes.Buffer
	BuildEDM(strings.NewReader("ACME-00042\n"), &buf2)
	if bytes.Equal(buf.Bytes()[:80], buf2.Bytes()[:80]) {
		t.Fatal("salt not random")
	}
}

func TestValidatorsAndKeywords(t *testing.T) {
	m, err := New(Config{Rules: []Rule{
		{Type: "CARD", Pattern: `\b\d{16}\b`, Validator: "luhn"},
		{Type: "EMP", Pattern: `\bE\d{4}\b`, Keywords: []string{"Employee"}, Window: 12},
	}, Dictionaries: []Dictionary{{Type: "CODE", Terms: []string{"Red Falcon"}}}})
	if err != nil {
		t.Fatal(err)
	}
	text := "4111111111111111 4111111111111112 employee E1234 ... far away text E9999 red   falcon redfalcon"
	var got []string
	for _, x := range m.Find(text, nil) {
		got = append(got, x.Type+":"+text[x.Start:x.End])
	}
	want := "CARD:4111111111111111,EMP:E1234,CODE:red   falcon"
	if strings.Join(got, ",") != want {
		t.Fatalf("got %v want %s", got, want)
	}
}

func FuzzParseEDM(f *testing.F) {
	var buf bytes.Buffer
	BuildEDM(strings.NewReader("a\nb c\n"), &buf)
	f.Add(buf.Bytes())
	f.Add([]byte(`{"format":"aigis-edm/1","salt":"00","max_words":1,"hashes":["zz"]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		idx, err := ParseEDM(b)
		if err != nil {
			return
		}
		m, _ := New(Config{EDM: []EDMSource{{Type: "X", Index: idx}}})
		m.Find("some text a b c", nil)
	})
}

func FuzzFind(f *testing.F) {
	f.Add("E1234 employee 4111111111111111 Red Falcon")
	m, err := New(Config{Rules: []Rule{{Type: "EMP", Pattern: `\bE\d{4}\b`, Keywords: []string{"employee"}}},
		Dictionaries: []Dictionary{{Type: "CODE", Terms: []string{"Red Falcon", "ÉCLAIR"}}}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, text string) {
		for _, x := range m.Find(text, nil) {
			if x.Start < 0 || x.End > len(text) || x.End <= x.Start {
				t.Fatalf("bad span %+v", x)
			}
		}
	})
}

// FuzzBuildEDM: any values file either fails with an error or gives an index
// that parses back, holds no value in clear and matches its first value.
func FuzzBuildEDM(f *testing.F) {
	f.Add("ACME-00042\nJohn  Q. Public\n")
	f.Add("\n\n  \t\nÉcole Polytechnique\r\n")
	f.Add(strings.Repeat("x ", 40))
	f.Fuzz(func(t *testing.T, values string) {
		var buf bytes.Buffer
		n, err := BuildEDM(strings.NewReader(values), &buf)
		if err != nil {
			return
		}
		idx, err := ParseEDM(buf.Bytes())
		if n == 0 {
			return // nothing indexed: max_words 0 is rejected on load
		}
		if err != nil {
			t.Fatalf("index of %d values does not parse: %v", n, err)
		}
		if idx.Len() != n {
			t.Fatalf("Len %d, built %d", idx.Len(), n)
		}
		var first string
		for _, line := range strings.Split(values, "\n") {
			if toks := edmTokens(line); len(toks) > 0 {
				first = strings.Join(toks, " ")
				break
			}
		}
		if len(first) >= 12 && strings.Contains(buf.String(), first) {
			t.Fatalf("value %q in clear in the index", first)
		}
		m, err := New(Config{EDM: []EDMSource{{Type: "X", Index: idx}}})
		if err != nil {
			t.Fatal(err)
		}
		if len(m.Find(first, nil)) == 0 {
			t.Fatalf("first value %q not matched", first)
		}
	})
}
