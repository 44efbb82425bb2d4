package discover

import (
	"archive/tar"
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

// TestPicklescanCorpus measures model-file recognition by content on the
// picklescan test corpus (../shared/datasets/model_files): every labelled
// pickle, PyTorch, NumPy or zip model file should be inventoried, and the
// pickle-capable ones reported by AIGIS-MODEL-001.
func TestPicklescanCorpus(t *testing.T) {
	dir := shareddata.Require(t, "datasets/model_files")
	tmp := t.TempDir()
	f, err := os.Open(filepath.Join(dir, "picklescan_testdata.tar.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Typeflag != tar.TypeReg || strings.Contains(h.Name, "..") {
			continue
		}
		p := filepath.Join(tmp, filepath.FromSlash(h.Name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		out, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(out, io.LimitReader(tr, 64<<20)); err != nil {
			t.Fatal(err)
		}
		out.Close()
	}
	lf, err := os.Open(filepath.Join(dir, "picklescan_labels.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer lf.Close()
	rows, err := csv.NewReader(lf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(tmp, "picklescan") // the archive's top folder
	res, err := New(Options{Workers: 2}).Scan(context.Background(), root)
	if err != nil {
		t.Fatal(err)
	}
	models := map[string]string{}
	for _, a := range res.Assets {
		if a.Kind == KindModelFile {
			models[a.File] = a.Properties["format"]
		}
	}
	flagged := map[string]bool{}
	for _, fd := range res.Findings {
		if fd.ID == "AIGIS-MODEL-001" {
			flagged[fd.File] = true
		}
	}
	var total, found, malicious, malFlagged, notModel, notModelFound int
	for _, r := range rows[1:] {
		path, label := r[0], r[1]
		if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(path))); err != nil {
			continue // not in the archive under this name
		}
		switch label {
		case "benign_not_a_pickle":
			notModel++
			if _, ok := models[path]; ok {
				notModelFound++
			}
			continue
		case "malformed":
			continue
		}
		total++
		if _, ok := models[path]; ok {
			found++
		} else {
			t.Logf("not recognised: %s (%s)", path, label)
		}
		if label == "malicious" {
			malicious++
			if flagged[path] {
				malFlagged++
			}
		}
	}
	t.Logf("recognised %d/%d model files; %d/%d malicious files reported by AIGIS-MODEL-001; %d/%d non-pickles recognised", found, total, malFlagged, malicious, notModelFound, notModel)
	if total == 0 || float64(found)/float64(total) < 0.95 {
		t.Fatalf("recognised %d/%d model files, want >= 95%%", found, total)
	}
}
