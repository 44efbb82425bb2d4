package discover

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"
)

// BenchmarkPrefilter is the per-byte cost of the keyword prefilter on text
// with no AI signal (the common case).
func BenchmarkPrefilter(b *testing.B) {
	p := newPrefilter()
	text := bytes.Repeat([]byte("func (s *Server) handle(w http.ResponseWriter, r *http.Request) { return nil }\n"), 1000)
	b.SetBytes(int64(len(text)))
	for i := 0; i < b.N; i++ {
		if p.hit(text) {
			b.Fatal("unexpected hit")
		}
	}
}

// BenchmarkScanFixtures scans the check fixtures (many small IaC, code and
// config files) end to end.
func BenchmarkScanFixtures(b *testing.B) {
	s := New(Options{Workers: 2})
	root := filepath.Join("testdata", "checks")
	for i := 0; i < b.N; i++ {
		if _, err := s.Scan(context.Background(), root); err != nil {
			b.Fatal(err)
		}
	}
}
