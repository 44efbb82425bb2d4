// Package identity resolves every gateway request to a Principal or a 401.
//
// Credentials come from the Authorization: Bearer header (OpenAI SDKs and
// OIDC tokens), x-api-key (Anthropic SDK) or api-key (Azure OpenAI SDK).
// A token starting with "aig_" is a gateway-issued API key, looked up by
// its SHA-256 hash; a token with the shape of a JWT is verified against the
// configured OIDC issuers. With no credential header, a client certificate
// verified by the TLS listener maps to a principal when mTLS is enabled.
package identity

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/aigis-dev/aigis/internal/store"
)

// Principal kinds.
const (
	KindAPIKey = "api_key"
	KindOIDC   = "oidc"
	KindMTLS   = "mtls"
)

// Principal is an authenticated caller. Principals returned by
// Authenticate may be shared between requests (they are cached): treat
// them as read-only.
type Principal struct {
	ID     string         `json:"id"`               // unique: the key id, "oidc:<issuer>#<sub>", "mtls:<cn or uri>"
	Name   string         `json:"name"`             // display name: key name, name/email claim, certificate CN
	Kind   string         `json:"kind"`             // KindAPIKey, KindOIDC or KindMTLS
	Roles  []string       `json:"roles"`            // aigis role names
	KeyID  string         `json:"key_id,omitempty"` // API keys only
	Claims map[string]any `json:"-"`                // OIDC token claims; never logged
}

// Stable 401 codes.
const (
	CodeMissingCredentials   = "missing_credentials"   // no credential header and no client certificate
	CodeAmbiguousCredentials = "ambiguous_credentials" // several different credentials in one request
	CodeMalformedCredentials = "malformed_credentials" // not an aigis key, not a JWT, or oversized
	CodeInvalidAPIKey        = "invalid_api_key"       // unknown, revoked or expired key (not distinguished to callers)
	CodeInvalidToken         = "invalid_token"         // JWT failed verification
	CodeInvalidCertificate   = "invalid_certificate"   // client certificate has no mapping
	CodeMethodDisabled       = "method_disabled"       // the credential's kind is not enabled
)

// AuthError is a 401: the request carried no usable credential. Code is
// stable and safe to return to the caller; Detail may say more (e.g.
// "key revoked") and is meant for logs and audit, not for the caller.
type AuthError struct {
	Code   string
	Detail string
	Err    error
}

func (e *AuthError) Error() string {
	if e.Err != nil {
		return "authentication failed: " + e.Code + ": " + e.Detail + ": " + e.Err.Error()
	}
	return "authentication failed: " + e.Code + ": " + e.Detail
}

func (e *AuthError) Unwrap() error { return e.Err }

// Status is the HTTP status for an AuthError: 401.
func (e *AuthError) Status() int { return http.StatusUnauthorized }

// Config is the identity block of the gateway configuration.
type Config struct {
	APIKeys APIKeyConfig `yaml:"api_keys"`
	OIDC    []OIDCConfig `yaml:"oidc"`
	MTLS    MTLSConfig   `yaml:"mtls"`
}

// Validate checks the block.
func (c Config) Validate() error {
	if err := c.APIKeys.Validate(); err != nil {
		return fmt.Errorf("identity: api_keys: %w", err)
	}
	seen := map[string]bool{}
	for i, o := range c.OIDC {
		if err := o.Validate(); err != nil {
			return fmt.Errorf("identity: oidc[%d]: %w", i, err)
		}
		if seen[o.Issuer] {
			return fmt.Errorf("identity: oidc[%d]: issuer %q configured twice", i, o.Issuer)
		}
		seen[o.Issuer] = true
	}
	if err := c.MTLS.Validate(); err != nil {
		return fmt.Errorf("identity: mtls: %w", err)
	}
	if c.APIKeys.Disabled && len(c.OIDC) == 0 && !c.MTLS.Enabled {
		return errors.New("identity: every method is disabled; enable api_keys, an oidc issuer or mtls")
	}
	return nil
}

// KeyLookup finds an API key by the SHA-256 of its secret. It returns an
// error wrapping store.ErrNotFound when no key has that hash. The store
// implementations satisfy it.
type KeyLookup interface {
	GetKeyByHash(ctx context.Context, hash []byte) (store.APIKey, error)
}

// Deps are the Authenticator's dependencies. Keys is required unless API
// keys are disabled; the rest default (http.DefaultClient with a 10 s
// timeout, slog.Default, time.Now).
type Deps struct {
	Keys       KeyLookup
	HTTPClient *http.Client
	Logger     *slog.Logger
	Now        func() time.Time
}

// Authenticator resolves requests to principals. It is safe for
// concurrent use.
type Authenticator struct {
	cfg    Config
	now    func() time.Time
	log    *slog.Logger
	keys   *keyAuth      // nil when API keys are disabled
	oidc   []*oidcIssuer // in config order
	mtls   *mtlsMapper   // nil when disabled
	single *oidcIssuer   // the only issuer, when there is exactly one

	jwtCache *principalCache // verified JWTs by SHA-256
}

// New builds an Authenticator from a validated config. It performs no I/O:
// OIDC discovery and JWKS fetches happen on first use and are cached.
func New(cfg Config, deps Deps) (*Authenticator, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.Logger == nil {
		deps.Logger = slog.Default()
	}
	if deps.HTTPClient == nil {
		deps.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	a := &Authenticator{cfg: cfg, now: deps.Now, log: deps.Logger}
	if !cfg.APIKeys.Disabled {
		if deps.Keys == nil {
			return nil, errors.New("identity: api keys are enabled but no key store was given")
		}
		a.keys = newKeyAuth(cfg.APIKeys, deps.Keys, deps.Now)
	}
	for _, oc := range cfg.OIDC {
		iss, err := newOIDCIssuer(oc, deps.HTTPClient, deps.Now, deps.Logger)
		if err != nil {
			return nil, err
		}
		a.oidc = append(a.oidc, iss)
	}
	if len(a.oidc) == 1 {
		a.single = a.oidc[0]
	}
	a.jwtCache = newPrincipalCache(defaultKeyCacheSize, deps.Now)
	if cfg.MTLS.Enabled {
		m, err := newMTLSMapper(cfg.MTLS)
		if err != nil {
			return nil, err
		}
		a.mtls = m
	}
	return a, nil
}

// Authenticate resolves r to a principal. It returns an *AuthError for a
// 401; any other error (the key store or an identity provider failed)
// means the request cannot be authenticated now and should get a 503 —
// the gateway fails closed.
func (a *Authenticator) Authenticate(r *http.Request) (*Principal, error) {
	cred, err := credentialFrom(r.Header)
	if err != nil {
		return nil, err
	}
	ctx := r.Context()
	switch {
	case cred == "":
		if a.mtls != nil && r.TLS != nil && len(r.TLS.VerifiedChains) > 0 {
			return a.mtls.principal(r.TLS.VerifiedChains[0][0])
		}
		return nil, &AuthError{Code: CodeMissingCredentials, Detail: "send the key as Authorization: Bearer, x-api-key or api-key"}
	case isAPIKeyShape(cred):
		if a.keys == nil {
			return nil, &AuthError{Code: CodeMethodDisabled, Detail: "api keys are disabled"}
		}
		return a.keys.authenticate(ctx, cred)
	case isJWTShape(cred):
		if len(a.oidc) == 0 {
			return nil, &AuthError{Code: CodeMethodDisabled, Detail: "no oidc issuer is configured"}
		}
		return a.authenticateJWT(ctx, cred)
	}
	return nil, &AuthError{Code: CodeMalformedCredentials, Detail: "credential is neither an aigis key nor a JWT"}
}
