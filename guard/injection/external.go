package injection

import (
	"bytes"
	"container/list"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// External detector kinds.
const (
	ExternalAzure   = "azure"   // Azure AI Content Safety Prompt Shields
	ExternalGeneric = "generic" // POST {"text","mode"} -> {"detected": bool, "score": number}
)

// ExternalConfig configures an optional heavier detector reached over HTTP.
type ExternalConfig struct {
	Kind       string        // ExternalAzure or ExternalGeneric
	Endpoint   string        // Azure: the resource endpoint (https://<name>.cognitiveservices.azure.com); generic: the full URL
	APIKey     string        // Azure: Ocp-Apim-Subscription-Key; generic: sent as a Bearer token when set
	APIVersion string        // Azure api-version (default 2024-09-01)
	Timeout    time.Duration // per call (default 2s)
	CacheSize  int           // verdicts cached by text hash (default 1024; negative disables)
	// FailOpen decides what an unavailable detector means: false (the
	// default, fail closed) reports an attack, true reports none. The error
	// is returned either way.
	FailOpen bool
	Client   *http.Client // default: a client with Timeout
}

// ExternalResult is an external verdict.
type ExternalResult struct {
	Detected bool
	Score    float64 // 0..1 when the service gives one, else 0 or 1
	Cached   bool
	Failed   bool // the service could not be used; Detected follows FailOpen
}

// ErrExternal wraps every failure to obtain an external verdict.
var ErrExternal = errors.New("external injection detector unavailable")

// External calls an external prompt-attack detector. Safe for concurrent use.
type External struct {
	cfg    ExternalConfig
	client *http.Client
	target string

	mu    sync.Mutex
	lru   *list.List
	items map[[32]byte]*list.Element
}

type cacheEntry struct {
	key [32]byte
	res ExternalResult
}

// MaxExternalResponse bounds the response body read from the service.
const MaxExternalResponse = 1 << 20

// NewExternal validates the configuration and returns a client.
func NewExternal(cfg ExternalConfig) (*External, error) {
	if cfg.Kind == "" {
		cfg.Kind = ExternalAzure
	}
	if cfg.Kind != ExternalAzure && cfg.Kind != ExternalGeneric {
		return nil, fmt.Errorf("external injection detector: unknown kind %q (use azure or generic)", cfg.Kind)
	}
	u, err := url.Parse(cfg.Endpoint)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("external injection detector: endpoint %q must be an http(s) URL", cfg.Endpoint)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 2 * time.Second
	}
	if cfg.CacheSize == 0 {
		cfg.CacheSize = 1024
	}
	if cfg.APIVersion == "" {
		cfg.APIVersion = "2024-09-01"
	}
	e := &External{cfg: cfg, client: cfg.Client, lru: list.New(), items: map[[32]byte]*list.Element{}}
	if e.client == nil {
		e.client = &http.Client{Timeout: cfg.Timeout}
	}
	e.target = cfg.Endpoint
	if cfg.Kind == ExternalAzure {
		e.target = strings.TrimRight(cfg.Endpoint, "/") + "/contentsafety/text:shieldPrompt?api-version=" + url.QueryEscape(cfg.APIVersion)
	}
	return e, nil
}

// FailOpen reports whether an unavailable detector lets texts through.
func (e *External) FailOpen() bool { return e.cfg.FailOpen }

// Lookup returns the cached verdict for text, without calling the service.
func (e *External) Lookup(text string, mode Mode) (ExternalResult, bool) {
	r, ok := e.cached(cacheKey(text, mode))
	r.Cached = ok
	return r, ok
}

// Unavailable is the result used when the service is not asked (for
// example past a per-request call limit): like a failed call, it follows
// FailOpen.
func (e *External) Unavailable() ExternalResult {
	return ExternalResult{Detected: !e.cfg.FailOpen, Score: b2f(!e.cfg.FailOpen), Failed: true}
}

func cacheKey(text string, mode Mode) [32]byte {
	return sha256.Sum256([]byte(string(mode) + "\x00" + text))
}

// Check asks the external detector about text. On failure it returns a
// result that follows FailOpen, with Failed set, and an error wrapping
// ErrExternal.
func (e *External) Check(ctx context.Context, text string, mode Mode) (ExternalResult, error) {
	key := cacheKey(text, mode)
	if r, ok := e.cached(key); ok {
		r.Cached = true
		return r, nil
	}
	ctx, cancel := context.WithTimeout(ctx, e.cfg.Timeout)
	defer cancel()
	res, err := e.call(ctx, text, mode)
	if err != nil {
		return e.Unavailable(), fmt.Errorf("%w: %w", ErrExternal, err)
	}
	e.store(key, res)
	return res, nil
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func (e *External) call(ctx context.Context, text string, mode Mode) (ExternalResult, error) {
	var body []byte
	var err error
	if e.cfg.Kind == ExternalAzure {
		req := struct {
			UserPrompt string   `json:"userPrompt"`
			Documents  []string `json:"documents"`
		}{Documents: []string{}}
		if mode == ModeDocument {
			req.Documents = []string{text}
		} else {
			req.UserPrompt = text
		}
		body, err = json.Marshal(req)
	} else {
		body, err = json.Marshal(map[string]string{"text": text, "mode": string(mode)})
	}
	if err != nil {
		return ExternalResult{}, fmt.Errorf("encode request: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.target, bytes.NewReader(body))
	if err != nil {
		return ExternalResult{}, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if e.cfg.APIKey != "" {
		if e.cfg.Kind == ExternalAzure {
			req.Header.Set("Ocp-Apim-Subscription-Key", e.cfg.APIKey)
		} else {
			req.Header.Set("Authorization", "Bearer "+e.cfg.APIKey)
		}
	}
	resp, err := e.client.Do(req)
	if err != nil {
		return ExternalResult{}, fmt.Errorf("call %s: %w", redactURL(e.target), err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxExternalResponse+1))
	if err != nil {
		return ExternalResult{}, fmt.Errorf("read response: %w", err)
	}
	if len(data) > MaxExternalResponse {
		return ExternalResult{}, fmt.Errorf("response larger than %d bytes", MaxExternalResponse)
	}
	if resp.StatusCode/100 != 2 {
		return ExternalResult{}, fmt.Errorf("service answered %s", resp.Status)
	}
	if e.cfg.Kind == ExternalAzure {
		var r struct {
			UserPromptAnalysis *struct {
				AttackDetected bool `json:"attackDetected"`
			} `json:"userPromptAnalysis"`
			DocumentsAnalysis []struct {
				AttackDetected bool `json:"attackDetected"`
			} `json:"documentsAnalysis"`
		}
		if err := json.Unmarshal(data, &r); err != nil {
			return ExternalResult{}, fmt.Errorf("decode Prompt Shields response: %w", err)
		}
		if r.UserPromptAnalysis == nil && r.DocumentsAnalysis == nil {
			return ExternalResult{}, errors.New("Prompt Shields response has neither userPromptAnalysis nor documentsAnalysis")
		}
		det := r.UserPromptAnalysis != nil && r.UserPromptAnalysis.AttackDetected
		for _, d := range r.DocumentsAnalysis {
			det = det || d.AttackDetected
		}
		return ExternalResult{Detected: det, Score: b2f(det)}, nil
	}
	var r struct {
		Detected *bool    `json:"detected"`
		Score    *float64 `json:"score"`
	}
	if err := json.Unmarshal(data, &r); err != nil {
		return ExternalResult{}, fmt.Errorf("decode classifier response: %w", err)
	}
	switch {
	case r.Detected != nil:
		s := b2f(*r.Detected)
		if r.Score != nil {
			s = clamp01(*r.Score)
		}
		return ExternalResult{Detected: *r.Detected, Score: s}, nil
	case r.Score != nil:
		s := clamp01(*r.Score)
		return ExternalResult{Detected: s >= 0.5, Score: s}, nil
	}
	return ExternalResult{}, errors.New(`classifier response has neither "detected" nor "score"`)
}

func clamp01(v float64) float64 {
	if v != v || v < 0 {
		return 0
	}
	if v > 1 {
		return 1
	}
	return v
}

func redactURL(s string) string {
	if u, err := url.Parse(s); err == nil {
		return u.Scheme + "://" + u.Host + u.Path
	}
	return "endpoint"
}

func (e *External) cached(key [32]byte) (ExternalResult, bool) {
	if e.cfg.CacheSize < 0 {
		return ExternalResult{}, false
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	el, ok := e.items[key]
	if !ok {
		return ExternalResult{}, false
	}
	e.lru.MoveToFront(el)
	return el.Value.(*cacheEntry).res, true
}

func (e *External) store(key [32]byte, res ExternalResult) {
	if e.cfg.CacheSize < 0 {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if el, ok := e.items[key]; ok {
		el.Value.(*cacheEntry).res = res
		e.lru.MoveToFront(el)
		return
	}
	e.items[key] = e.lru.PushFront(&cacheEntry{key: key, res: res})
	for e.lru.Len() > e.cfg.CacheSize {
		last := e.lru.Back()
		e.lru.Remove(last)
		delete(e.items, last.Value.(*cacheEntry).key)
	}
}

// DetectContext runs Detect and, when an external detector is given, asks it
// too: the verdict is an attack if either says so, the score is the higher
// one, and "external" joins the signals when the external detector flagged
// it ("external_unavailable" when it could not be used, failing open or
// closed). The external error, if
// any, is returned for logging; the result is always usable.
func (d *Detector) DetectContext(ctx context.Context, text string, mode Mode, ext *External) (Result, error) {
	res := d.Detect(text, mode)
	if ext == nil {
		return res, nil
	}
	er, err := ext.Check(ctx, text, mode)
	return MergeExternal(res, er), err
}

// MergeExternal combines a built-in result with an external verdict: an
// attack if either says so, the higher score, and the "external" signal
// when the external detector flagged the text ("external_unavailable" when
// it could not be used, failing open or closed).
func MergeExternal(res Result, er ExternalResult) Result {
	switch {
	case er.Failed:
		// Reported whether the detector failed closed (an attack) or open
		// (no verdict from it), so the audit shows every unchecked text.
		res.Signals = append(res.Signals, "external_unavailable")
	case er.Detected:
		res.Signals = append(res.Signals, "external")
	}
	if er.Detected {
		res.Detected = true
		if er.Score > res.Score {
			res.Score = er.Score
		}
	}
	return res
}
