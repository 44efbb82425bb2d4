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

func TestModelScan7zAndFileTimeout(t *testing.T) {
	dir := t.TempDir()
	// picklescan's tests/data/malicious1.7z (MIT), as 7-Zip wrote it: LZMA2 (an
	// uncompressed chunk) behind the BCJ x86 filter, with an LZMA2-encoded
	// header, holding a pickle that imports builtins.eval.
	sevenZip := filepath.Join(dir, "m.7z")
	os.WriteFile(sevenZip, []byte("7z\xbc\xaf'\x1c\x00\x04\x1b\xe0\xc1\x24\x92\x00\x00\x00\x00\x00\x00\x00\x14\x00\x00\x00\x00\x00\x00\x00kE\x1b5"+
		"\x01\x002\x80\x04\x95(\x00\x00\x00\x00\x00\x00\x00\x8c\x08builtins\x94\x8c\x04eval\x94\x93\x94\x8c\x0cprint('456')\x94\x85\x94R\x94.\x00"+
		"\xe0\x00V\x00S]\x00\x00\x813\x07\xae\x0f\xd1j\xc5\xa0\xa0\x8ai\xb0\xb9\xe1J\xae\xa1\x88\xefA\x84\xaf\xa3t\xcbCvi\xfdW:\xcdgv\x8c\xec\x95\x10o\x14E\xe0\xd2\x9b0m\x01\x84"+
		"\xd4\xf4\x11\xad^7\xce\x0f$9\xdf\xad\x935\x11\x9fb\xcbGr\x93\x92\xfe&\x03\x97H+^`\x00\x00\x00\x00\x17\x067\x01\x09[\x00\x07\x0b\x01\x00\x01!!\x01\x18\x0cW\x00\x00"), 0o644)
	code, out, errOut := runModelCLI("model", "scan", "--format", "json", sevenZip)
	if code != 2 || !strings.Contains(out, "m.7z!data.pkl") || !strings.Contains(out, "builtins.eval") {
		t.Fatalf("7z: exit %d, out %s, stderr %s", code, out, errOut)
	}
	code, _, errOut = runModelCLI("model", "scan", "--file-timeout", "1ns", sevenZip)
	if code != 1 {
		t.Fatalf("--file-timeout 1ns: exit %d, want 1 (verdict error); stderr %s", code, errOut)
	}
}
