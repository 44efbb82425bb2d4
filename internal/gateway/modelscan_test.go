package gateway

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aigis-dev/aigis/internal/config"
	"github.com/aigis-dev/aigis/internal/modelscan"
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

// TestModelScanTimeoutKeepsWorstVerdict: a scan that times out cannot
// report a file clean or suspicious (it becomes "error"), but it must not
// downgrade a "malicious" verdict found before the deadline.
func TestModelScanTimeoutKeepsWorstVerdict(t *testing.T) {
	cases := []struct{ in, inErr, want string }{
		{modelscan.VerdictClean, "", modelscan.VerdictError},
		{modelscan.VerdictSuspicious, "", modelscan.VerdictError},
		{"", "", modelscan.VerdictError},
		{modelscan.VerdictError, "truncated pickle", modelscan.VerdictError},
		{modelscan.VerdictMalicious, "", modelscan.VerdictMalicious},
		{modelscan.VerdictMalicious, "analysis ran past the limit", modelscan.VerdictMalicious},
	}
	for _, c := range cases {
		res := modelscan.FileResult{Verdict: c.in, Error: c.inErr, Findings: []modelscan.Finding{{Rule: "r", Severity: "critical"}}}
		markTimedOut(&res)
		if res.Verdict != c.want {
			t.Errorf("verdict %q after timeout = %q, want %q", c.in, res.Verdict, c.want)
		}
		if !strings.Contains(res.Error, "scan timed out") || (c.inErr != "" && !strings.Contains(res.Error, c.inErr)) {
			t.Errorf("verdict %q: error %q does not keep %q and say it timed out", c.in, res.Error, c.inErr)
		}
		if len(res.Findings) != 1 {
			t.Errorf("verdict %q: findings dropped: %+v", c.in, res.Findings)
		}
	}
}

// TestAdminModelScanTimeout: over HTTP, a scan whose deadline has passed
// never answers clean (fail closed), and a malicious upload never answers
// clean or suspicious.
func TestAdminModelScanTimeout(t *testing.T) {
	h := newModelScanHandler(ModelScan{Token: "tok-0123456789", Timeout: time.Nanosecond, TempDir: t.TempDir()})
	srv := httptest.NewServer(h)
	defer srv.Close()
	for _, body := range [][]byte{
		[]byte("\x80\x02cos\nsystem\nq\x00X\x02\x00\x00\x00idq\x01\x85q\x02Rq\x03."),
		[]byte("\x80\x02}q\x00X\x01\x00\x00\x00aq\x01K\x01s."),
	} {
		req, _ := http.NewRequest("POST", srv.URL+ModelScanPath, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer tok-0123456789")
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var rep struct {
			Files []struct{ Verdict, Error string }
		}
		err = json.NewDecoder(resp.Body).Decode(&rep)
		_ = resp.Body.Close()
		if err != nil || resp.StatusCode != 200 || len(rep.Files) != 1 {
			t.Fatalf("%d %+v %v", resp.StatusCode, rep, err)
		}
		if f := rep.Files[0]; modelscan.VerdictRank(f.Verdict) < modelscan.VerdictRank(modelscan.VerdictError) || !strings.Contains(f.Error, "timed out") {
			t.Fatalf("timed-out scan answered %+v", f)
		}
	}
}
