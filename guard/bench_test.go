package guard

import (
	"strings"
	"testing"
)

func benchEngine(b testing.TB) *Engine {
	p := mustPolicy(b, `
injection: {enabled: false}
org:
  rules:
    - {type: EMPLOYEE_ID, pattern: "\\bEMP-\\d{6}\\b", keywords: [employee], window: 40}
  dictionaries:
    - {type: PROJECT, terms: ["Project Nightjar", "Blue Falcon"]}
`)
	return mustEngine(b, p)
}

func benchPrompt() string {
	head := "Ticket from Maria Lopez (maria.lopez@example.org, +44 20 7946 0958): card 4111 1111 1111 1111 charged twice; " +
		"refund to GB82WEST12345698765432; AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLF; employee EMP-004211.\n"
	filler := "The customer has been with us for several years and usually pays on time. Please draft a polite reply. "
	s := head + strings.Repeat(filler, 4096/len(filler))
	return s[:4096]
}

func BenchmarkInspect4KB(b *testing.B) {
	e := benchEngine(b)
	text := benchPrompt()
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		e.Inspect(ctx, text, InspectOptions{})
	}
}

func BenchmarkInspectNoCandidates64KB(b *testing.B) {
	e := benchEngine(b)
	text := strings.Repeat("the quick brown fox jumps over the lazy dog and runs away ", 1200)[:64<<10]
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		e.Inspect(ctx, text, InspectOptions{})
	}
}

func BenchmarkStream4KB(b *testing.B) {
	e := benchEngine(b)
	text := benchPrompt()
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		st := e.NewSession().NewStream(InspectOptions{Direction: Output})
		for i := 0; i < len(text); i += 32 {
			st.Write(text[i:min(i+32, len(text))])
		}
		st.Close()
	}
}

func BenchmarkNew(b *testing.B) {
	for b.Loop() {
		mustEngine(b, noInjection())
	}
}

// BenchmarkInspectNoCandidates1MiB mirrors bench/guard's no-candidate case:
// the harness policy (three organisation rules, a three-term dictionary)
// on 1 MiB of its lower-case prose.
func BenchmarkInspectNoCandidates1MiB(b *testing.B) {
	p := mustPolicy(b, `
injection: {enabled: false}
org:
  rules:
    - {type: EMPLOYEE_ID, pattern: "\\bEMP-\\d{6}\\b", keywords: [employee, staff], window: 40}
    - {type: CONTRACT_NO, pattern: "\\bCT-[A-Z]{2}-\\d{5}\\b"}
    - {type: ACCOUNT_REF, pattern: "\\b\\d{4}-\\d{4}-\\d{4}\\b", validator: luhn}
  dictionaries:
    - {type: PROJECT, terms: ["Project Nightjar", "Blue Falcon", "Orion Ledger"]}
`)
	e := mustEngine(b, p)
	const s = "the quick brown fox jumps over the lazy dog while a gentle breeze moves across the quiet valley and birds sing softly in the morning light "
	text := strings.Repeat(s, (1<<20)/len(s)+1)[:1<<20]
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		e.Inspect(ctx, text, InspectOptions{})
	}
}
