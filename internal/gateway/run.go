package gateway

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/aigis-dev/aigis/internal/apikey"
	"github.com/aigis-dev/aigis/internal/config"
	"github.com/aigis-dev/aigis/internal/mockllm"
	"github.com/aigis-dev/aigis/internal/policy"
	"github.com/aigis-dev/aigis/internal/store"
	"github.com/aigis-dev/aigis/internal/upstream"
)

// NewLogger returns the JSON (or text) slog logger the config asks for.
func NewLogger(w io.Writer, c config.Logging) *slog.Logger {
	var level slog.Level
	switch c.Level {
	case "debug":
		level = slog.LevelDebug
	case "warn":
		level = slog.LevelWarn
	case "error":
		level = slog.LevelError
	}
	o := &slog.HandlerOptions{Level: level}
	if c.Format == "text" {
		return slog.New(slog.NewTextHandler(w, o))
	}
	return slog.New(slog.NewJSONHandler(w, o))
}

// TLSConfig builds the listener's TLS configuration: certificate, minimum
// version and, with a client CA, client-certificate verification (mTLS).
func TLSConfig(t *config.TLS) (*tls.Config, error) {
	if t == nil {
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("load TLS certificate %s / key %s: %w", t.CertFile, t.KeyFile, err)
	}
	minV, err := config.TLSVersion(t.MinVersion)
	if err != nil {
		return nil, err
	}
	tc := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: minV}
	if t.ClientCAFile != "" {
		pem, err := os.ReadFile(t.ClientCAFile)
		if err != nil {
			return nil, fmt.Errorf("read client CA %s: %w", t.ClientCAFile, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("client CA %s holds no PEM certificate", t.ClientCAFile)
		}
		tc.ClientCAs = pool
		switch t.ClientAuth {
		case "require":
			tc.ClientAuth = tls.RequireAndVerifyClientCert
		case "optional":
			tc.ClientAuth = tls.VerifyClientCertIfGiven
		}
	}
	return tc, nil
}

// RunOptions say how Run serves.
type RunOptions struct {
	Logger   *slog.Logger
	NewGuard GuardFactory
	// NewOutputChecks builds guard.output's checker (guardengine.NewOutputChecks).
	NewOutputChecks func(allowedDomains []string) *OutputChecks
	// OnListen is called with the bound address once the port is open.
	OnListen func(addr net.Addr)
	// Listener, when set, is used instead of listening on cfg.Listen.Addr.
	Listener net.Listener
}

// Run builds the gateway from cfg over st and serves until ctx ends, then
// drains and flushes the audit log. Everything is validated and built
// before the port opens.
func Run(ctx context.Context, cfg *config.Config, st store.Store, o RunOptions) error {
	tc, err := TLSConfig(cfg.Listen.TLS)
	if err != nil {
		return err
	}
	rt, err := Build(ctx, cfg, BuildDeps{Store: st, Logger: o.Logger, NewGuard: o.NewGuard, NewOutputChecks: o.NewOutputChecks})
	if err != nil {
		return err
	}
	defer rt.Close()
	sc := ServerConfig{Addr: cfg.Listen.Addr, TLS: tc, OnListen: o.OnListen}
	if o.Listener != nil {
		return rt.Gateway.ServeListener(ctx, o.Listener, sc)
	}
	return rt.Gateway.Serve(ctx, sc)
}

// Demo is the no-config demo: the mock upstream in process, a config that
// routes every mock model to it, a "demo" role allowed everything and a
// fresh API key for it in the store.
type Demo struct {
	Config *config.Config
	Key    string // the API key secret, shown once
	mock   *http.Server
}

// DemoRole is the role of the demo key.
const DemoRole = "demo"

// StartDemo starts the mock upstream on a loopback port, creates the demo
// key in st and returns the config to Run.
func StartDemo(ctx context.Context, st store.Store, listen string) (*Demo, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("demo: start the mock upstream: %w", err)
	}
	mock := &http.Server{Handler: mockllm.New(mockllm.Options{}), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = mock.Serve(ln) }()
	base := "http://" + ln.Addr().String()
	cfg := config.Default()
	if listen != "" {
		cfg.Listen.Addr = listen
	}
	cfg.Upstreams = []upstream.Config{
		{Name: "mock-openai", Kind: upstream.KindOpenAI, BaseURL: base + "/v1"},
		{Name: "mock-anthropic", Kind: upstream.KindAnthropic, BaseURL: base, APIKey: "mock-key"},
	}
	for _, m := range mockllm.DefaultModels {
		up := "mock-openai"
		if strings.HasPrefix(m, "claude") {
			up = "mock-anthropic"
		}
		cfg.Models = append(cfg.Models, config.Model{Name: m, Upstream: up, Model: m, MaxLabel: "restricted"})
	}
	cfg.Roles = policy.Roles{{Name: DemoRole, Models: []string{"*"}, Endpoints: []string{"*"}}}
	// The demo shows the guard at work: personal data is pseudonymized on
	// the way to the model and restored in its answer, credentials and
	// SSNs are blocked, prompt attacks are blocked, and outputs are checked
	// for a leaked system-prompt canary and exfiltration links.
	cfg.Guard.Policies = map[string]config.RawPolicy{"demo": {YAML: []byte(DemoGuardPolicy)}}
	cfg.Guard.Default = "demo"
	cfg.Guard.Output = config.OutputChecks{Enabled: true, Canary: true, Action: "block"}
	if err := cfg.Validate(); err != nil {
		_ = mock.Close()
		return nil, fmt.Errorf("demo: %w", err)
	}
	secret, key, err := apikey.Generate("demo", []string{DemoRole}, 0)
	if err != nil {
		_ = mock.Close()
		return nil, fmt.Errorf("demo: generate key: %w", err)
	}
	if err := st.CreateKey(ctx, key); err != nil {
		_ = mock.Close()
		return nil, fmt.Errorf("demo: store key: %w", err)
	}
	return &Demo{Config: cfg, Key: secret, mock: mock}, nil
}

// DemoGuardPolicy is the guard policy of `aigis serve --demo`.
const DemoGuardPolicy = `version: 1
default_action: pseudonymize
entities:
  US_SSN: {action: block}
  CREDIT_CARD: {action: block}
  SECRET: {action: block}
injection: {level: balanced, action: block}
`

// Close stops the mock upstream.
func (d *Demo) Close() error {
	if d == nil || d.mock == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := d.mock.Shutdown(ctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}
