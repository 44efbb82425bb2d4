package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runModelCLI(args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := Main(args, strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestModelScanCommand(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "evil.pkl")
	good := filepath.Join(dir, "good.pkl")
	odd := filepath.Join(dir, "odd.pkl")
	os.WriteFile(bad, []byte("cos\nsystem\n(S'id'\ntR."), 0o644)
	os.WriteFile(good, []byte("\x80\x02ccollections\nOrderedDict\n)R."), 0o644)
	os.WriteFile(odd, []byte("\x80\x02csklearn.svm\nSVC\n)\x81."), 0o644)

	code, out, errOut := runModelCLI("model", "scan", "--format", "json", bad, good)
	if code != 2 {
		t.Fatalf("exit %d, want 2 (malicious); stderr %s", code, errOut)
	}
	var doc struct {
		Files []struct {
			Path, Format, Verdict, SHA256 string
			Findings                      []struct {
				Rule, Severity, Detail string
				Offset                 int64
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("json: %v\n%s", err, out)
	}
	if len(doc.Files) != 2 || doc.Files[0].Verdict != "malicious" || doc.Files[1].Verdict != "clean" || len(doc.Files[0].SHA256) != 64 {
		t.Fatalf("unexpected document: %+v", doc)
	}
	if f := doc.Files[0].Findings; len(f) == 0 || f[0].Rule != "pickle.global.dangerous" || f[0].Severity != "critical" || !strings.Contains(f[0].Detail, "os.system") {
		t.Fatalf("findings: %+v", f)
	}

	if code, _, _ := runModelCLI("model", "scan", good, odd); code != 0 {
		t.Fatalf("suspicious under --fail-on malicious: exit %d, want 0", code)
	}
	if code, _, _ := runModelCLI("model", "scan", "--fail-on", "suspicious", odd); code != 2 {
		t.Fatalf("--fail-on suspicious: exit %d, want 2", code)
	}
	if code, _, _ := runModelCLI("model", "scan", "--fail-on", "suspicious", "--allow", "sklearn.svm.SVC", odd); code != 0 {
		t.Fatalf("--allow: exit %d, want 0", code)
	}
	code, out, _ = runModelCLI("model", "scan", "--format", "sarif", bad)
	if code != 2 || !strings.Contains(out, `"2.1.0"`) || !strings.Contains(out, "pickle.global.dangerous") {
		t.Fatalf("sarif: exit %d\n%s", code, out)
	}
	code, out, _ = runModelCLI("model", "scan", dir)
	if code != 2 || !strings.Contains(out, "MALICIOUS") || !strings.Contains(out, "1 malicious, 1 suspicious") {
		t.Fatalf("table: exit %d\n%s", code, out)
	}
	if code, _, _ := runModelCLI("model", "scan", filepath.Join(dir, "missing")); code != 1 {
		t.Fatalf("missing path: exit %d, want 1", code)
	}
	if code, _, _ := runModelCLI("model", "scan", "--format", "xml", good); code != 1 {
		t.Fatalf("bad format: exit %d, want 1", code)
	}
	os.WriteFile(filepath.Join(dir, "broken.pt"), []byte("\x80\x02cos"), 0o644)
	if code, _, _ := runModelCLI("model", "scan", filepath.Join(dir, "broken.pt")); code != 1 {
		t.Fatalf("unanalysable file: exit %d, want 1", code)
	}
}
