package guard

import (
	"math/rand"
	"strings"
	"testing"
)

var streamTexts = []string{
	"Hi, write to jane.doe@example.org or call +44 20 7946 0958 today.",
	"card 4111 1111 1111 1111 and ssn 536-22-1234; iban GB82WEST12345698765432 ok",
	"key AKIAIOSFODNN7EXAMPLF and ip 192.168.10.20 end",
	"Ünïcødé 😀 mail søren@example.dk then 10.0.0.1",
}

func streamAll(st *Stream, chunks []string) (string, []string) {
	var b strings.Builder
	var typs []string
	for _, c := range chunks {
		out, r := st.Write(c)
		b.WriteString(out)
		typs = append(typs, types(r)...)
	}
	out, r := st.Close()
	b.WriteString(out)
	typs = append(typs, types(r)...)
	return b.String(), typs
}

// TestStreamSplitEverywhere splits each text at every byte position (two
// chunks) and checks the stream redacts exactly as a whole-text inspection.
func TestStreamSplitEverywhere(t *testing.T) {
	e := mustEngine(t, noInjection())
	for _, text := range streamTexts {
		whole := e.Inspect(ctx, text, InspectOptions{Direction: Output})
		if len(whole.Findings) == 0 {
			t.Fatalf("no findings in %q", text)
		}
		want := strings.Join(types(whole), ",")
		for i := 0; i <= len(text); i++ {
			st := e.NewSession().NewStream(InspectOptions{Direction: Output})
			got, typs := streamAll(st, []string{text[:i], text[i:]})
			if got != whole.Redacted || strings.Join(typs, ",") != want {
				t.Fatalf("split at %d of %q:\n got %q %v\nwant %q %s", i, text, got, typs, whole.Redacted, want)
			}
		}
	}
}

// TestStreamRandomChunks feeds tiny random chunks (1..5 bytes).
func TestStreamRandomChunks(t *testing.T) {
	e := mustEngine(t, noInjection())
	rng := rand.New(rand.NewSource(1))
	text := strings.Join(streamTexts, " \n")
	whole := e.Inspect(ctx, text, InspectOptions{Direction: Output})
	for trial := 0; trial < 50; trial++ {
		var chunks []string
		for i := 0; i < len(text); {
			n := 1 + rng.Intn(5)
			if i+n > len(text) {
				n = len(text) - i
			}
			chunks = append(chunks, text[i:i+n])
			i += n
		}
		st := e.NewSession().NewStream(InspectOptions{Direction: Output})
		got, _ := streamAll(st, chunks)
		if got != whole.Redacted {
			t.Fatalf("trial %d:\n got %q\nwant %q", trial, got, whole.Redacted)
		}
	}
}

// TestStreamHoldBackBounded checks text is released once it is more than a
// window behind the end.
func TestStreamHoldBackBounded(t *testing.T) {
	e := mustEngine(t, noInjection())
	st := e.NewSession().NewStream(InspectOptions{Direction: Output})
	text := strings.Repeat("lorem ipsum ", 20) // 240 bytes, no findings
	out, _ := st.Write(text)
	if held := len(text) - len(out); held > e.StreamWindow()+16 || len(out) == 0 {
		t.Fatalf("held back %d bytes (window %d)", held, e.StreamWindow())
	}
	rest, _ := st.Close()
	if out+rest != text {
		t.Fatal("stream lost text")
	}
}

// TestStreamRestoreAcrossChunks pseudonymizes a prompt, then streams a
// model answer holding the placeholders, split at every position.
func TestStreamRestoreAcrossChunks(t *testing.T) {
	p := mustPolicy(t, "default_action: pseudonymize\ninjection: {enabled: false}\n")
	e := mustEngine(t, p)
	s := e.NewSession()
	in := s.Inspect(ctx, "Email bob@corp.example.com about card 4111111111111111", InspectOptions{Direction: Input})
	if !strings.Contains(in.Redacted, "<EMAIL_ADDRESS_1>") || !strings.Contains(in.Redacted, "<CREDIT_CARD_1>") {
		t.Fatalf("input %q", in.Redacted)
	}
	answer := "Sure: I wrote to <EMAIL_ADDRESS_1> about <CREDIT_CARD_1>."
	want := "Sure: I wrote to bob@corp.example.com about 4111111111111111."
	for i := 0; i <= len(answer); i++ {
		st := s.NewStream(InspectOptions{Direction: Output})
		got, _ := streamAll(st, []string{answer[:i], answer[i:]})
		if got != want {
			t.Fatalf("split at %d: %q", i, got)
		}
	}
}

func TestStreamBlockStops(t *testing.T) {
	p := mustPolicy(t, "entities: {US_SSN: {action: block}}\ninjection: {enabled: false}\n")
	e := mustEngine(t, p)
	st := e.NewSession().NewStream(InspectOptions{Direction: Output})
	var released strings.Builder
	var blocked bool
	for _, c := range []string{"The number is 536-", "22-1234 and more text " + strings.Repeat("pad ", 30)} {
		out, r := st.Write(c)
		released.WriteString(out)
		if r.Verdict == Block {
			blocked = true
		}
	}
	out, r := st.Close()
	released.WriteString(out)
	if !blocked && r.Verdict != Block {
		t.Fatal("stream not blocked")
	}
	if strings.Contains(released.String(), "1234") {
		t.Fatalf("blocked value released: %q", released.String())
	}
	if o, r := st.Write("more"); o != "" || r.Verdict != Block {
		t.Fatal("stream continued after block")
	}
}

func TestStreamOversizeChunkBlocks(t *testing.T) {
	p := noInjection()
	p.MaxBytes = 64
	e := mustEngine(t, p)
	st := e.NewSession().NewStream(InspectOptions{Direction: Output})
	out, r := st.Write(strings.Repeat("word ", 40))
	if out != "" || r.Verdict != Block {
		t.Fatalf("oversize chunk: out=%q verdict=%s", out, r.Verdict)
	}
}
