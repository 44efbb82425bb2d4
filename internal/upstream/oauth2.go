package upstream

import (
	"context"
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

// tokenSource fetches and caches an OAuth2 client-credentials token. Tokens
// are reused until expiry minus a margin; concurrent callers share one fetch.
type tokenSource struct {
	cfg OAuth2Config
	hc  *http.Client
	now func() time.Time

	mu       sync.Mutex
	tok      string
	expires  time.Time
	inflight chan struct{} // closed when the running fetch ends
	fetchErr error
}

const (
	maxTokenResponse = 64 << 10
	tokenFetchLimit  = 30 * time.Second
)

func newTokenSource(cfg OAuth2Config, hc *http.Client, now func() time.Time) *tokenSource {
	return &tokenSource{cfg: cfg, hc: hc, now: now}
}

// refreshMargin is how long before expiry a token is replaced: a tenth of its
// lifetime, between 10 seconds and 5 minutes.
func refreshMargin(lifetime time.Duration) time.Duration {
	return min(max(lifetime/10, 10*time.Second), 5*time.Minute)
}

func (s *tokenSource) invalidate() {
	s.mu.Lock()
	s.tok = ""
	s.mu.Unlock()
}

func (s *tokenSource) token(ctx context.Context) (string, error) {
	for {
		s.mu.Lock()
		if s.tok != "" && s.now().Before(s.expires) {
			t := s.tok
			s.mu.Unlock()
			return t, nil
		}
		ch := s.inflight
		if ch == nil {
			ch = make(chan struct{})
			s.inflight = ch
			s.mu.Unlock()
			// The fetch outlives any one caller's cancellation: others wait on it.
			go s.fetch(context.WithoutCancel(ctx), ch)
		} else {
			s.mu.Unlock()
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-ch:
		}
		s.mu.Lock()
		err := s.fetchErr
		t := s.tok
		s.mu.Unlock()
		if t != "" {
			return t, nil // just fetched (or refreshed by another caller)
		}
		if err != nil {
			return "", err
		}
	}
}

func (s *tokenSource) fetch(ctx context.Context, done chan struct{}) {
	ctx, cancel := context.WithTimeout(ctx, tokenFetchLimit)
	defer cancel()
	tok, lifetime, err := s.request(ctx)
	s.mu.Lock()
	s.fetchErr = err
	if err != nil {
		s.tok = "" // never fall back to a token past its reuse time
	} else {
		s.tok = tok
		reuse := lifetime - refreshMargin(lifetime)
		if reuse <= 0 {
			reuse = lifetime / 2
		}
		s.expires = s.now().Add(reuse)
	}
	s.inflight = nil
	s.mu.Unlock()
	close(done)
}

func (s *tokenSource) request(ctx context.Context) (string, time.Duration, error) {
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {s.cfg.ClientID}, "client_secret": {s.cfg.ClientSecret}}
	if s.cfg.Scope != "" {
		form.Set("scope", s.cfg.Scope)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.cfg.TokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return "", 0, fmt.Errorf("build token request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := s.hc.Do(req)
	if err != nil {
		return "", 0, fmt.Errorf("token endpoint: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxTokenResponse+1))
	if err != nil {
		return "", 0, fmt.Errorf("read token response: %w", err)
	}
	if len(b) > maxTokenResponse {
		return "", 0, errors.New("token response larger than 64 KiB")
	}
	var tr struct {
		AccessToken string          `json:"access_token"`
		TokenType   string          `json:"token_type"`
		ExpiresIn   json.RawMessage `json:"expires_in"`
		Error       string          `json:"error"`
	}
	if resp.StatusCode != http.StatusOK {
		_ = json.Unmarshal(b, &tr)
		return "", 0, fmt.Errorf("token endpoint returned %s (error %q): check client_id, client_secret, scope", resp.Status, truncateASCII(tr.Error, 80))
	}
	if err := json.Unmarshal(b, &tr); err != nil {
		return "", 0, fmt.Errorf("token response is not JSON: %w", err)
	}
	if tr.AccessToken == "" {
		return "", 0, errors.New("token response has no access_token")
	}
	if tr.TokenType != "" && !strings.EqualFold(tr.TokenType, "bearer") {
		return "", 0, fmt.Errorf("token type %q is not bearer", truncateASCII(tr.TokenType, 20))
	}
	// expires_in is a number (RFC 6749), some servers send it as a string.
	secs := int64(3600)
	if raw := strings.Trim(string(tr.ExpiresIn), `"`); raw != "" {
		var n int64
		if _, err := fmt.Sscanf(raw, "%d", &n); err == nil && n > 0 {
			secs = n
		}
	}
	return tr.AccessToken, time.Duration(secs) * time.Second, nil
}

func truncateASCII(s string, n int) string {
	b := make([]byte, 0, min(len(s), n))
	for i := 0; i < len(s) && len(b) < n; i++ {
		if s[i] >= 0x20 && s[i] < 0x7f {
			b = append(b, s[i])
		}
	}
	return string(b)
}
