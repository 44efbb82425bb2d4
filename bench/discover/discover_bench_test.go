// Package discoverbench measures the discover scan rate on a large real tree:
// the Go module cache by default, or $AIGIS_BENCH_TREE.
//
//	go test -run '^$' -bench . -benchtime 1x ./bench/discover
package discoverbench

import (
	"context"
	"go/build"
	"os"
	"path/filepath"
	"testing"

	"github.com/aigis-dev/aigis/internal/discover"
)

func benchTree(b *testing.B) string {
	if d := os.Getenv("AIGIS_BENCH_TREE"); d != "" {
		return d
	}
	if d := os.Getenv("GOMODCACHE"); d != "" {
		return d
	}
	d := filepath.Join(build.Default.GOPATH, "pkg", "mod")
	if _, err := os.Stat(d); err != nil {
		b.Skipf("no module cache at %s; set AIGIS_BENCH_TREE", d)
	}
	return d
}

// BenchmarkScanTree scans the whole tree with every cataloger on (built-in
// dataset classifier, no model scanner) and reports files/s and MB/s.
func BenchmarkScanTree(b *testing.B) {
	tree := benchTree(b)
	s := discover.New(discover.Options{IncludeDeps: true})
	var files, bytes int64
	var assets, findings int
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := s.Scan(context.Background(), tree)
		if err != nil {
			b.Fatal(err)
		}
		files += res.Stats.Files
		bytes += res.Stats.Bytes
		assets, findings = len(res.Assets), len(res.Findings)
	}
	sec := b.Elapsed().Seconds()
	b.ReportMetric(float64(files)/sec, "files/s")
	b.ReportMetric(float64(bytes)/sec/1e6, "MB/s")
	b.ReportMetric(float64(assets), "assets")
	b.ReportMetric(float64(findings), "findings")
}
