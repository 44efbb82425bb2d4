package secrets

import (
	"strings"
	"testing"
)

// benchPrompt is the 4 KB prompt of guard's BenchmarkInspect4KB (an AWS key
// line, credential words in prose and a config snippet).
func benchPrompt() string {
	head := "Ticket from Maria Lopez (maria.lopez@example.org, +44 20 7946 0958): card 4111 1111 1111 1111 charged twice; " +
		"refund to GB82WEST12345698765432; AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLF; employee EMP-004211.\n" +
		"payments:\n  endpoint: https://payments.internal.example.com/v2\n  api_key: ${PAYMENTS_API_KEY}\n" +
		"Keep the answer under 200 words. The token of appreciation was the author's key point.\n"
	filler := "The customer has been with us for several years and usually pays on time. Please draft a polite reply. "
	s := head + strings.Repeat(filler, 4096/len(filler))
	return s[:4096]
}

func BenchmarkFind4KB(b *testing.B) {
	s, err := New()
	if err != nil {
		b.Fatal(err)
	}
	text := benchPrompt()
	if len(s.Find(text, nil)) == 0 {
		b.Fatal("no finding in the benchmark prompt")
	}
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		s.Find(text, nil)
	}
}

func BenchmarkFindNoCandidates64KB(b *testing.B) {
	s, err := New()
	if err != nil {
		b.Fatal(err)
	}
	text := strings.Repeat("the quick brown fox jumps over the lazy dog and runs away ", 1200)[:64<<10]
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		s.Find(text, nil)
	}
}
