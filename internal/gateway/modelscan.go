package gateway

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aigis-dev/aigis/internal/modelscan"
)

// ModelScanPath is the admin endpoint that scans an uploaded model file
// with the same scanner as `aigis model scan`.
const ModelScanPath = "/admin/v1/model-scan"

// ModelScan configures the model-scan admin endpoint.
type ModelScan struct {
	Token    string // the admin bearer token (required)
	MaxBytes int64  // largest accepted upload; default 1 GiB
	Timeout  time.Duration
	// Scanner defaults to modelscan.New with server-side bounds.
	Scanner *modelscan.Scanner
	TempDir string // where uploads are spooled ("" = os.TempDir())
}

// modelScanHandler scans one uploaded file per request: POST the raw file
// as the body (any content type), optional ?name= for reporting. The
// upload is spooled to a temporary file (never held in memory), bounded by
// MaxBytes, scanned without loading or executing anything and deleted. One
// scan runs at a time; others get 429. The answer is the JSON report of
// `aigis model scan --format json`.
type modelScanHandler struct {
	o         ModelScan
	tokenHash [32]byte
	sem       chan struct{}
}

func newModelScanHandler(o ModelScan) *modelScanHandler {
	if o.MaxBytes <= 0 {
		o.MaxBytes = 1 << 30
	}
	if o.Timeout <= 0 {
		o.Timeout = 2 * time.Minute
	}
	if o.Scanner == nil {
		o.Scanner = modelscan.New(modelscan.Options{MaxMemberBytes: 256 << 20, MaxTotalExpanded: 2 << 30})
	}
	return &modelScanHandler{o: o, tokenHash: sha256.Sum256([]byte(o.Token)), sem: make(chan struct{}, 1)}
}

type adminError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func writeAdminJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func adminFail(w http.ResponseWriter, status int, code, msg string) {
	var e adminError
	e.Error.Code, e.Error.Message = code, msg
	writeAdminJSON(w, status, e)
}

func (h *modelScanHandler) authorized(r *http.Request) bool {
	if h.o.Token == "" {
		return false
	}
	auth := r.Header.Get("Authorization")
	const scheme = "bearer "
	if len(auth) <= len(scheme) || !strings.EqualFold(auth[:len(scheme)], scheme) {
		return false
	}
	got := sha256.Sum256([]byte(strings.TrimSpace(auth[len(scheme):])))
	return subtle.ConstantTimeCompare(got[:], h.tokenHash[:]) == 1
}

func (h *modelScanHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !h.authorized(r) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="aigis-admin"`)
		adminFail(w, http.StatusUnauthorized, "unauthorized", "a valid admin bearer token is required")
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		adminFail(w, http.StatusMethodNotAllowed, CodeMethodNotAllowed, "POST the model file as the request body")
		return
	}
	if r.ContentLength > h.o.MaxBytes {
		adminFail(w, http.StatusRequestEntityTooLarge, CodeBodyTooLarge, "the upload is larger than "+strconv.FormatInt(h.o.MaxBytes, 10)+" bytes")
		return
	}
	select {
	case h.sem <- struct{}{}:
		defer func() { <-h.sem }()
	default:
		w.Header().Set("Retry-After", "5")
		adminFail(w, http.StatusTooManyRequests, "scan_busy", "another model scan is running; retry later")
		return
	}
	name := r.URL.Query().Get("name")
	if name == "" || len(name) > 256 || strings.ContainsAny(name, "\x00\r\n") {
		name = "upload"
	}
	f, err := os.CreateTemp(h.o.TempDir, "aigis-model-scan-*")
	if err != nil {
		adminFail(w, http.StatusServiceUnavailable, CodeInternal, "cannot spool the upload")
		return
	}
	defer func() { _ = f.Close(); _ = os.Remove(f.Name()) }()
	sum := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, sum), io.LimitReader(r.Body, h.o.MaxBytes+1))
	switch {
	case err != nil:
		adminFail(w, http.StatusBadRequest, "invalid_request", "the upload could not be read")
		return
	case n > h.o.MaxBytes:
		adminFail(w, http.StatusRequestEntityTooLarge, CodeBodyTooLarge, "the upload is larger than "+strconv.FormatInt(h.o.MaxBytes, 10)+" bytes")
		return
	case n == 0:
		adminFail(w, http.StatusBadRequest, "invalid_request", "the body is empty: POST the model file")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), h.o.Timeout)
	defer cancel()
	res := h.o.Scanner.ScanReader(ctx, name, f, n)
	res.SHA256 = hex.EncodeToString(sum.Sum(nil))
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		markTimedOut(&res)
	}
	writeAdminJSON(w, http.StatusOK, struct {
		Files []modelscan.FileResult `json:"files"`
	}{modelscan.Flatten([]modelscan.FileResult{res})})
}

// markTimedOut records that the scan of res ran out of time. A timed-out
// scan cannot call a file clean or merely suspicious, so those verdicts
// become "error"; a verdict already worse than that ("malicious") is kept:
// what the scanner found before the deadline still stands (fail closed).
func markTimedOut(res *modelscan.FileResult) {
	if modelscan.VerdictRank(res.Verdict) < modelscan.VerdictRank(modelscan.VerdictError) {
		res.Verdict = modelscan.VerdictError
	}
	const msg = "scan timed out"
	switch {
	case res.Error == "":
		res.Error = msg
	case !strings.Contains(res.Error, msg):
		res.Error += "; " + msg
	}
}
