// Package upstream calls the AI providers behind the gateway: any
// OpenAI-compatible base URL (OpenAI, vLLM, Ollama, LM Studio), Anthropic, and
// Azure OpenAI with an api-key or an OAuth2 client-credentials bearer token
// (the managed-identity pattern). Callers' credentials never reach it: the
// gateway strips them and the client sets the upstream's own.
package upstream

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Kinds of upstream.
const (
	KindOpenAI    = "openai"
	KindAnthropic = "anthropic"
	KindAzure     = "azure"
)

// Defaults applied by New when a field is zero.
const (
	DefaultTimeout               = 10 * time.Minute
	DefaultResponseHeaderTimeout = 2 * time.Minute
	DefaultAnthropicVersion      = "2023-06-01"
	DefaultAzureAPIVersion       = "2024-10-21"
	maxRetriesLimit              = 10
)

// Duration is a time.Duration that reads from YAML/JSON/text as "30s", "2m".
type Duration time.Duration

// UnmarshalText parses a Go duration string.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("invalid duration %q: use a number with a unit, like 30s or 2m", string(b))
	}
	*d = Duration(v)
	return nil
}

// MarshalText writes the duration as a Go duration string.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// OAuth2Config obtains a bearer token with the OAuth2 client-credentials
// grant (e.g. Microsoft Entra ID for Azure OpenAI: token_url
// https://login.microsoftonline.com/<tenant>/oauth2/v2.0/token, scope
// https://cognitiveservices.azure.com/.default).
type OAuth2Config struct {
	TokenURL     string `yaml:"token_url" json:"token_url"`
	ClientID     string `yaml:"client_id" json:"client_id"`
	ClientSecret string `yaml:"client_secret" json:"-"`
	Scope        string `yaml:"scope" json:"scope,omitempty"`
}

// Config describes one upstream. The config package embeds it.
type Config struct {
	Name string `yaml:"name" json:"name"`
	// Kind is "openai" (any OpenAI-compatible API), "anthropic" or "azure".
	Kind string `yaml:"kind" json:"kind"`
	// BaseURL: openai kind: the URL the paths /chat/completions,
	// /responses, /embeddings are appended to, e.g. https://api.openai.com/v1
	// or http://localhost:11434/v1 (Ollama). anthropic: https://api.anthropic.com
	// (/v1/messages is appended; a trailing /v1 is tolerated). azure: the
	// resource endpoint https://<resource>.openai.azure.com.
	BaseURL string `yaml:"base_url" json:"base_url"`
	// APIKey is sent as Authorization: Bearer (openai), x-api-key
	// (anthropic) or api-key (azure). Use ${ENV} interpolation in config.
	APIKey string `yaml:"api_key" json:"-"`
	// APIVersion: azure api-version query parameter (default
	// DefaultAzureAPIVersion); anthropic-version header for anthropic
	// (default DefaultAnthropicVersion). Unused for openai.
	APIVersion string `yaml:"api_version" json:"api_version,omitempty"`
	// OAuth2 replaces APIKey with a bearer token (openai and azure kinds).
	OAuth2 *OAuth2Config `yaml:"oauth2" json:"oauth2,omitempty"`
	// Timeout bounds a whole non-streaming call, body included (default
	// DefaultTimeout). Streams are bounded by ResponseHeaderTimeout and the
	// client's own cancellation only.
	Timeout Duration `yaml:"timeout" json:"timeout,omitempty"`
	// ResponseHeaderTimeout bounds the wait for the response headers
	// (default DefaultResponseHeaderTimeout).
	ResponseHeaderTimeout Duration `yaml:"response_header_timeout" json:"response_header_timeout,omitempty"`
	// MaxRetries is how often a call is retried when it failed before any
	// byte reached the upstream (connection refused, DNS, TLS handshake).
	// 0..10; nothing that reached the upstream is ever retried.
	MaxRetries int `yaml:"max_retries" json:"max_retries,omitempty"`
	// Headers are extra request headers (e.g. OpenAI-Organization). They
	// cannot set authentication headers.
	Headers map[string]string `yaml:"headers" json:"headers,omitempty"`
}

// LogValue keeps secrets out of logs.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("name", c.Name), slog.String("kind", c.Kind), slog.String("base_url", c.BaseURL),
		slog.Bool("api_key_set", c.APIKey != ""), slog.Bool("oauth2", c.OAuth2 != nil),
	)
}

var authHeaders = map[string]bool{"Authorization": true, "Api-Key": true, "X-Api-Key": true, "Proxy-Authorization": true, "Cookie": true}

// Validate checks the config and says what to fix.
func (c *Config) Validate() error {
	var errs []error
	bad := func(format string, a ...any) {
		errs = append(errs, fmt.Errorf("upstream %q: "+format, append([]any{c.Name}, a...)...))
	}
	if c.Name == "" {
		bad("name is required")
	}
	switch c.Kind {
	case KindOpenAI, KindAnthropic, KindAzure:
	default:
		bad("kind %q is not one of openai, anthropic, azure", c.Kind)
	}
	if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		bad("base_url %q must be an absolute http(s) URL", c.BaseURL)
	} else if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		bad("base_url must not carry a query, fragment or user info")
	}
	if c.OAuth2 != nil {
		if c.Kind == KindAnthropic {
			bad("oauth2 is not supported for kind anthropic; use api_key")
		}
		if c.APIKey != "" {
			bad("set either api_key or oauth2, not both")
		}
		if u, err := url.Parse(c.OAuth2.TokenURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("oauth2.token_url %q must be an absolute http(s) URL", c.OAuth2.TokenURL)
		}
		if c.OAuth2.ClientID == "" || c.OAuth2.ClientSecret == "" {
			bad("oauth2.client_id and oauth2.client_secret are required")
		}
	} else if c.APIKey == "" && (c.Kind == KindAnthropic || c.Kind == KindAzure) {
		bad("api_key (or oauth2 for azure) is required for kind %s", c.Kind)
	}
	if c.Timeout < 0 || c.ResponseHeaderTimeout < 0 {
		bad("timeouts must not be negative")
	}
	if c.MaxRetries < 0 || c.MaxRetries > maxRetriesLimit {
		bad("max_retries must be between 0 and %d", maxRetriesLimit)
	}
	for k, v := range c.Headers {
		ck := http.CanonicalHeaderKey(k)
		if authHeaders[ck] || strings.HasPrefix(ck, "Anthropic-Version") {
			bad("headers must not set %s (it is managed by the upstream client)", k)
		}
		if k == "" || strings.ContainsAny(k, "\r\n: ") || strings.ContainsAny(v, "\r\n") {
			bad("header %q has an invalid name or value", k)
		}
	}
	return errors.Join(errs...)
}
