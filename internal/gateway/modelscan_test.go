package gateway

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aigis-dev/aigis/internal/config"
)

// TestAdminModelScan: the admin endpoint scans an uploaded file with the
// model scanner (admin credential required, size bounded).
func TestAdminModelScan(t *testing.T) {
	const token = "admin-token-0123456789abcdef"
	h := newHarness(t, harnessOpts{mutate: func(c *config.Config) {
		c.Admin.Token = token
		c.Admin.ModelScanMaxBytes = 1 << 10
	}})
	// Protocol 2 pickle calling os.system("id").
	evil := []byte("\x80\x02cos\nsystem\nq\x00X\x02\x00\x00\x00idq\x01\x85q\x02Rq\x03.")
	st, _, out := h.do("POST", ModelScanPath+"?name=model.pkl", "", "application/octet-stream", evil, "Authorization", "Bearer "+token)
	if st != 200 {
		t.Fatalf("%d %s", st, out)
	}
	var rep struct {
		Files []struct {
			Path, Verdict, SHA256 string
			Findings              []struct{ Rule, Severity string }
		}
	}
	if err := json.Unmarshal(out, &rep); err != nil || len(rep.Files) != 1 {
		t.Fatalf("report %s: %v", out, err)
	}
	if f := rep.Files[0]; f.Verdict != "malicious" || f.Path != "model.pkl" || len(f.SHA256) != 64 || len(f.Findings) == 0 {
		t.Fatalf("file %+v", f)
	}
	// A benign pickle: a plain dict.
	st, _, out = h.do("POST", ModelScanPath, "", "application/octet-stream", []byte("\x80\x02}q\x00X\x01\x00\x00\x00aq\x01K\x01s."), "Authorization", "Bearer "+token)
	if st != 200 || !strings.Contains(string(out), `"verdict":"clean"`) {
		t.Fatalf("benign: %d %s", st, out)
	}
	// The model API key is not the admin credential.
	if st, _, _ := h.do("POST", ModelScanPath, h.keyAll, "application/octet-stream", evil); st != 401 {
		t.Fatalf("API key accepted: %d", st)
	}
	if st, _, _ := h.do("POST", ModelScanPath, "", "application/octet-stream", make([]byte, 2<<10), "Authorization", "Bearer "+token); st != 413 {
		t.Fatalf("oversize upload: %d", st)
	}
	if st, _, _ := h.do("GET", ModelScanPath, "", "", nil, "Authorization", "Bearer "+token); st != 405 {
		t.Fatalf("GET: %d", st)
	}
}
