package modelscan

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/csv"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aigis-dev/aigis/internal/shareddata"
)

type corpusFile struct {
	path, label string
	globals     []string // expected "module.name" called Dangerous by picklescan's tests
	data        []byte
}

// loadCorpus reads picklescan's test corpus straight from the tar.gz (the
// files are real payloads: they are only ever handled as bytes).
func loadCorpus(t testing.TB) []corpusFile {
	dir := shareddata.Require(t, "datasets/model_files")
	lf, err := os.Open(filepath.Join(dir, "picklescan_labels.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer lf.Close()
	rows, err := csv.NewReader(lf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	labels := map[string]corpusFile{}
	for _, r := range rows[1:] {
		cf := corpusFile{path: r[0], label: r[1]}
		for _, g := range strings.Split(r[2], ";") {
			if name, ok := strings.CutSuffix(g, ":Dangerous"); ok {
				cf.globals = append(cf.globals, name)
			}
		}
		labels[r[0]] = cf
	}
	tf, err := os.Open(filepath.Join(dir, "picklescan_testdata.tar.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer tf.Close()
	zr, err := gzip.NewReader(tf)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	var out []corpusFile
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		rel := strings.TrimPrefix(h.Name, "picklescan/")
		cf, ok := labels[rel]
		if !ok {
			continue
		}
		cf.data, err = io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, cf)
		delete(labels, rel)
	}
	if len(labels) != 0 {
		t.Fatalf("%d labelled files missing from the archive", len(labels))
	}
	return out
}

func TestPicklescanCorpus(t *testing.T) {
	files := loadCorpus(t)
	s := New(Options{})
	ctx := context.Background()
	var mal, malDetected, malMalicious, benign, benignMalicious int
	for _, cf := range files {
		res := s.ScanReader(ctx, cf.path, bytes.NewReader(cf.data), int64(len(cf.data)))
		all := Flatten([]FileResult{res})
		details := ""
		for _, r := range all {
			for _, f := range r.Findings {
				details += f.Rule + " " + f.Detail + "\n"
			}
		}
		t.Logf("%-60s %-20s %-12s %-10s err=%q", cf.path, cf.label, res.Format, res.Verdict, res.Error)
		switch cf.label {
		case "malicious":
			mal++
			if res.Verdict == VerdictMalicious || res.Verdict == VerdictSuspicious {
				malDetected++
			}
			if res.Verdict == VerdictMalicious {
				malMalicious++
			} else {
				t.Errorf("%s: malicious sample got verdict %s (%s)\n%s", cf.path, res.Verdict, res.Error, details)
			}
			for _, g := range cf.globals {
				if !strings.Contains(details, g) && !strings.Contains(details, strings.TrimPrefix(g, "_")) {
					t.Errorf("%s: expected dangerous global %s not reported\n%s", cf.path, g, details)
				}
			}
		case "benign", "benign_not_a_pickle":
			benign++
			if res.Verdict == VerdictMalicious {
				benignMalicious++
				t.Errorf("%s: benign sample called malicious\n%s", cf.path, details)
			}
		case "malformed":
			if res.Verdict == VerdictClean {
				t.Errorf("%s: malformed sample called clean", cf.path)
			}
		}
	}
	t.Logf("malicious %d: detected %d, verdict malicious %d; benign %d: called malicious %d", mal, malDetected, malMalicious, benign, benignMalicious)
	if malMalicious != mal {
		t.Errorf("malicious samples: %d of %d got verdict malicious", malMalicious, mal)
	}
	if benignMalicious != 0 {
		t.Errorf("%d benign samples called malicious", benignMalicious)
	}
}
