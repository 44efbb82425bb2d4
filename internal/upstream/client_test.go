package upstream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aigis-dev/aigis/internal/exchange"
)

type seen struct {
	mu   sync.Mutex
	reqs []*http.Request
	body []string
}

func (s *seen) handler(status int, reply string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.reqs = append(s.reqs, r.Clone(context.Background()))
		s.body = append(s.body, string(b))
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, reply)
	})
}

func (s *seen) last(t *testing.T) *http.Request {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.reqs) == 0 {
		t.Fatal("upstream saw no request")
	}
	return s.reqs[len(s.reqs)-1]
}

func TestAuthAndURLPerKind(t *testing.T) {
	var s seen
	srv := httptest.NewServer(s.handler(200, `{}`))
	defer srv.Close()
	cases := []struct {
		cfg     Config
		op      exchange.Operation
		model   string
		path    string
		query   string
		headers map[string]string
		absent  []string
	}{
		{Config{Name: "oai", Kind: KindOpenAI, BaseURL: srv.URL + "/v1", APIKey: "sk-1", Headers: map[string]string{"OpenAI-Organization": "org"}}, exchange.OpChat, "gpt", "/v1/chat/completions", "",
			map[string]string{"Authorization": "Bearer sk-1", "Openai-Organization": "org", "Content-Type": "application/json"}, []string{"X-Api-Key", "Api-Key"}},
		{Config{Name: "ollama", Kind: KindOpenAI, BaseURL: srv.URL + "/v1/"}, exchange.OpEmbeddings, "nomic", "/v1/embeddings", "", nil, []string{"Authorization"}},
		{Config{Name: "ant", Kind: KindAnthropic, BaseURL: srv.URL, APIKey: "sk-ant"}, exchange.OpMessages, "claude", "/v1/messages", "",
			map[string]string{"X-Api-Key": "sk-ant", "Anthropic-Version": DefaultAnthropicVersion}, []string{"Authorization"}},
		{Config{Name: "ant2", Kind: KindAnthropic, BaseURL: srv.URL + "/v1", APIKey: "k", APIVersion: "2024-01-01"}, exchange.OpMessages, "claude", "/v1/messages", "",
			map[string]string{"Anthropic-Version": "2024-01-01"}, nil},
		{Config{Name: "az", Kind: KindAzure, BaseURL: srv.URL, APIKey: "az-key"}, exchange.OpChat, "my dep", "/openai/deployments/my dep/chat/completions", "api-version=" + DefaultAzureAPIVersion,
			map[string]string{"Api-Key": "az-key"}, []string{"Authorization"}},
	}
	for _, c := range cases {
		t.Run(c.cfg.Name, func(t *testing.T) {
			cl, err := New(c.cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := cl.Do(context.Background(), c.op, c.model, []byte(`{"x":1}`), false)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			r := s.last(t)
			if r.URL.Path != c.path || r.URL.RawQuery != c.query || r.Method != "POST" {
				t.Fatalf("%s %s?%s", r.Method, r.URL.Path, r.URL.RawQuery)
			}
			for k, v := range c.headers {
				if got := r.Header.Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
			for _, k := range c.absent {
				if r.Header.Get(k) != "" {
					t.Errorf("%s should not be set", k)
				}
			}
		})
	}
	az, _ := New(Config{Name: "az", Kind: KindAzure, BaseURL: "https://r.example/base", APIKey: "k"}, nil)
	if u, err := az.URL(exchange.OpChat, "a/b c"); err != nil || u != "https://r.example/base/openai/deployments/a%2Fb%20c/chat/completions?api-version="+DefaultAzureAPIVersion {
		t.Fatalf("azure URL = %s %v", u, err)
	}
	cl, _ := New(Config{Name: "ant", Kind: KindAnthropic, BaseURL: srv.URL, APIKey: "k"}, nil)
	if _, err := cl.Do(context.Background(), exchange.OpChat, "m", nil, false); err == nil {
		t.Fatal("anthropic upstream accepted a chat completions call")
	}
}

func TestValidate(t *testing.T) {
	bad := []Config{
		{Kind: KindOpenAI, BaseURL: "http://x"},
		{Name: "a", Kind: "bedrock", BaseURL: "http://x"},
		{Name: "a", Kind: KindOpenAI, BaseURL: "ftp://x"},
		{Name: "a", Kind: KindOpenAI, BaseURL: "http://x?y=1"},
		{Name: "a", Kind: KindAnthropic, BaseURL: "http://x"},
		{Name: "a", Kind: KindAzure, BaseURL: "http://x"},
		{Name: "a", Kind: KindAzure, BaseURL: "http://x", APIKey: "k", OAuth2: &OAuth2Config{TokenURL: "http://t", ClientID: "c", ClientSecret: "s"}},
		{Name: "a", Kind: KindAzure, BaseURL: "http://x", OAuth2: &OAuth2Config{TokenURL: "http://t"}},
		{Name: "a", Kind: KindAnthropic, BaseURL: "http://x", OAuth2: &OAuth2Config{TokenURL: "http://t", ClientID: "c", ClientSecret: "s"}},
		{Name: "a", Kind: KindOpenAI, BaseURL: "http://x", MaxRetries: 11},
		{Name: "a", Kind: KindOpenAI, BaseURL: "http://x", Timeout: -1},
		{Name: "a", Kind: KindOpenAI, BaseURL: "http://x", Headers: map[string]string{"authorization": "Bearer x"}},
		{Name: "a", Kind: KindOpenAI, BaseURL: "http://x", Headers: map[string]string{"X-Ok": "a\r\nInjected: 1"}},
	}
	for i, c := range bad {
		if err := c.Validate(); err == nil {
			t.Errorf("case %d accepted: %+v", i, c)
		}
	}
	good := Config{Name: "a", Kind: KindAzure, BaseURL: "https://r.openai.azure.com", OAuth2: &OAuth2Config{TokenURL: "https://login/t", ClientID: "c", ClientSecret: "s"}}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	var d Duration
	if err := d.UnmarshalText([]byte("1m30s")); err != nil || time.Duration(d) != 90*time.Second {
		t.Fatalf("duration: %v %v", d, err)
	}
	if err := d.UnmarshalText([]byte("90")); err == nil {
		t.Fatal("duration without unit accepted")
	}
}

func TestSecretsNotLogged(t *testing.T) {
	c := Config{Name: "a", Kind: KindOpenAI, BaseURL: "http://x", APIKey: "sk-SECRET", OAuth2: &OAuth2Config{ClientSecret: "cs-SECRET"}}
	if s := c.LogValue().String(); strings.Contains(s, "SECRET") {
		t.Fatalf("LogValue leaks: %s", s)
	}
}

// tokenServer is an OAuth2 token endpoint counting its calls.
type tokenServer struct {
	calls   atomic.Int32
	expires int
	fail    atomic.Bool
	delay   time.Duration
}

func (ts *tokenServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := ts.calls.Add(1)
	time.Sleep(ts.delay)
	if err := r.ParseForm(); err != nil || r.Form.Get("grant_type") != "client_credentials" || r.Form.Get("client_id") != "cid" ||
		r.Form.Get("client_secret") != "csecret" || r.Form.Get("scope") != "https://cognitiveservices.azure.com/.default" {
		w.WriteHeader(400)
		io.WriteString(w, `{"error":"invalid_client"}`)
		return
	}
	if ts.fail.Load() {
		w.WriteHeader(401)
		io.WriteString(w, `{"error":"invalid_client","error_description":"secret csecret is wrong"}`)
		return
	}
	fmt.Fprintf(w, `{"access_token":"tok-%d","token_type":"Bearer","expires_in":%d}`, n, ts.expires)
}

func TestOAuth2TokenFetchCacheRefresh(t *testing.T) {
	ts := &tokenServer{expires: 3600, delay: 20 * time.Millisecond}
	tokSrv := httptest.NewServer(ts)
	defer tokSrv.Close()
	var s seen
	api := httptest.NewServer(s.handler(200, `{}`))
	defer api.Close()
	cl, err := New(Config{Name: "az", Kind: KindAzure, BaseURL: api.URL, OAuth2: &OAuth2Config{
		TokenURL: tokSrv.URL, ClientID: "cid", ClientSecret: "csecret", Scope: "https://cognitiveservices.azure.com/.default"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	var clock atomic.Int64
	cl.tokens.now = func() time.Time { return now.Add(time.Duration(clock.Load())) }

	// 16 concurrent first calls share one token fetch.
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Go(func() {
			resp, err := cl.Do(context.Background(), exchange.OpChat, "dep", []byte(`{}`), false)
			if err != nil {
				errs <- err
				return
			}
			resp.Body.Close()
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if n := ts.calls.Load(); n != 1 {
		t.Fatalf("token endpoint called %d times, want 1 (single flight)", n)
	}
	if got := s.last(t).Header.Get("Authorization"); got != "Bearer tok-1" {
		t.Fatalf("Authorization = %q", got)
	}
	// Still cached shortly before expiry minus margin (margin: 5 min for 1h).
	clock.Store(int64(54 * time.Minute))
	resp, err := cl.Do(context.Background(), exchange.OpChat, "dep", nil, false)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if ts.calls.Load() != 1 {
		t.Fatal("token refreshed too early")
	}
	// Inside the margin: refreshed.
	clock.Store(int64(56 * time.Minute))
	resp, err = cl.Do(context.Background(), exchange.OpChat, "dep", nil, false)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if ts.calls.Load() != 2 || s.last(t).Header.Get("Authorization") != "Bearer tok-2" {
		t.Fatalf("after expiry: %d calls, auth %q", ts.calls.Load(), s.last(t).Header.Get("Authorization"))
	}
	// A failing token endpoint fails the call without reaching the API and
	// without leaking the secret in the error.
	ts.fail.Store(true)
	clock.Store(int64(3 * time.Hour))
	before := len(s.reqs)
	_, err = cl.Do(context.Background(), exchange.OpChat, "dep", nil, false)
	if err == nil || strings.Contains(err.Error(), "csecret") {
		t.Fatalf("token failure: %v", err)
	}
	if len(s.reqs) != before {
		t.Fatal("API called without a token")
	}
}

func TestOAuth2InvalidateOn401(t *testing.T) {
	ts := &tokenServer{expires: 3600}
	tokSrv := httptest.NewServer(ts)
	defer tokSrv.Close()
	var s seen
	api := httptest.NewServer(s.handler(401, `{"error":{"code":"401"}}`))
	defer api.Close()
	cl, _ := New(Config{Name: "az", Kind: KindAzure, BaseURL: api.URL, OAuth2: &OAuth2Config{TokenURL: tokSrv.URL, ClientID: "cid", ClientSecret: "csecret", Scope: "https://cognitiveservices.azure.com/.default"}}, nil)
	for range 2 {
		resp, err := cl.Do(context.Background(), exchange.OpChat, "dep", nil, false)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 401 {
			t.Fatalf("status %d", resp.StatusCode)
		}
	}
	if ts.calls.Load() != 2 {
		t.Fatalf("token fetched %d times; a 401 should drop the cached token", ts.calls.Load())
	}
}

// closedPort returns a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// countingTransport counts round trips.
type countingTransport struct {
	http.RoundTripper
	n atomic.Int32
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.RoundTripper.RoundTrip(r)
}

func TestRetryOnlyBeforeSend(t *testing.T) {
	// Connection refused: nothing sent, retried MaxRetries times.
	rt := &countingTransport{RoundTripper: NewTransport()}
	cl, _ := New(Config{Name: "down", Kind: KindOpenAI, BaseURL: "http://" + closedPort(t), MaxRetries: 2}, rt)
	_, err := cl.Do(context.Background(), exchange.OpChat, "m", []byte(`{}`), false)
	var ue *Error
	if !errors.As(err, &ue) || ue.Sent {
		t.Fatalf("err = %v", err)
	}
	if rt.n.Load() != 3 {
		t.Fatalf("%d attempts, want 3", rt.n.Load())
	}

	// A server that reads the request then resets: bytes were sent, no retry.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var accepted atomic.Int32
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			buf := make([]byte, 4096)
			c.Read(buf)
			c.(*net.TCPConn).SetLinger(0)
			c.Close()
		}
	}()
	rt2 := &countingTransport{RoundTripper: NewTransport()}
	cl, _ = New(Config{Name: "reset", Kind: KindOpenAI, BaseURL: "http://" + ln.Addr().String(), MaxRetries: 3}, rt2)
	_, err = cl.Do(context.Background(), exchange.OpChat, "m", []byte(`{"a":1}`), false)
	if !errors.As(err, &ue) || !ue.Sent {
		t.Fatalf("err = %v", err)
	}
	if rt2.n.Load() != 1 {
		t.Fatalf("%d attempts after the request was sent, want 1", rt2.n.Load())
	}
}

func TestCancellationAndTimeouts(t *testing.T) {
	released := make(chan struct{})
	var once sync.Once
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.ReadAll(r.Body) // net/http notices a client disconnect only once the body is read
		<-r.Context().Done()
		once.Do(func() { close(released) })
	}))
	defer hang.Close()
	cl, _ := New(Config{Name: "hang", Kind: KindOpenAI, BaseURL: hang.URL}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(50 * time.Millisecond); cancel() }()
	_, err := cl.Do(ctx, exchange.OpChat, "m", []byte(`{}`), true)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	select {
	case <-released:
	case <-time.After(5 * time.Second):
		t.Fatal("upstream handler did not see the cancellation")
	}

	cl, _ = New(Config{Name: "hang", Kind: KindOpenAI, BaseURL: hang.URL, ResponseHeaderTimeout: Duration(50 * time.Millisecond)}, nil)
	_, err = cl.Do(context.Background(), exchange.OpChat, "m", []byte(`{}`), true)
	var ue *Error
	if !errors.As(err, &ue) || !ue.Timeout {
		t.Fatalf("header timeout: %v", err)
	}

	// Cancelling mid-stream stops the body read and the upstream sees it.
	streamDone := make(chan struct{})
	streamer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer close(streamDone)
		io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "text/event-stream")
		for {
			if _, err := io.WriteString(w, "data: {}\n\n"); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	}))
	defer streamer.Close()
	cl, _ = New(Config{Name: "s", Kind: KindOpenAI, BaseURL: streamer.URL}, nil)
	ctx, cancel = context.WithCancel(context.Background())
	resp, err := cl.Do(ctx, exchange.OpChat, "m", []byte(`{}`), true)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	if _, err := resp.Body.Read(buf); err != nil {
		t.Fatal(err)
	}
	cancel()
	if _, err := io.ReadAll(resp.Body); err == nil {
		t.Fatal("body read survived cancellation")
	}
	resp.Body.Close()
	select {
	case <-streamDone:
	case <-time.After(5 * time.Second):
		t.Fatal("upstream stream not stopped after cancel")
	}
}
