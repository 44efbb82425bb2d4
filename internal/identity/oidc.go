package identity

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/sync/singleflight"
)

// OIDCConfig trusts the JWTs of one issuer.
type OIDCConfig struct {
	// Issuer is the exact "iss" value, e.g. https://login.example.com/realms/x.
	Issuer string `yaml:"issuer"`
	// Audiences: the token's "aud" must contain at least one. Required.
	Audiences []string `yaml:"audiences"`
	// JWKSURL, when set, skips discovery (Issuer/.well-known/openid-configuration).
	JWKSURL string `yaml:"jwks_url"`
	// Algorithms allowed for signatures. Default RS256 and ES256. Only
	// asymmetric algorithms (RS*, PS*, ES*, EdDSA) are accepted.
	Algorithms []string `yaml:"algorithms"`
	// SubjectClaim names the caller; default "sub".
	SubjectClaim string `yaml:"subject_claim"`
	// NameClaim gives the display name; default "email", then "name", then the subject.
	NameClaim string `yaml:"name_claim"`
	// RolesClaim is the claim holding group or role values (a string or an
	// array of strings); a dotted path reaches into objects, e.g. "realm_access.roles".
	RolesClaim string `yaml:"roles_claim"`
	// RoleMap maps a claim value to aigis roles. Values without a mapping grant nothing.
	RoleMap map[string][]string `yaml:"role_map"`
	// DefaultRoles are granted to every valid token of this issuer.
	DefaultRoles []string `yaml:"default_roles"`
	// Leeway tolerated on exp, nbf and iat. Default 30s, at most 5m.
	Leeway time.Duration `yaml:"leeway"`
	// JWKSMinRefresh is the minimum interval between JWKS fetches triggered
	// by unknown key ids. Default 30s.
	JWKSMinRefresh time.Duration `yaml:"jwks_min_refresh"`
	// JWKSMaxAge: keys older than this are refetched on next use. Default 1h.
	JWKSMaxAge time.Duration `yaml:"jwks_max_age"`
}

var asymmetricAlgs = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}

// checkIdPURL accepts https URLs, and http only on loopback (a JWKS
// fetched in clear could be swapped by anyone on the path).
func checkIdPURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return fmt.Errorf("%q is not an absolute URL", raw)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		h := u.Hostname()
		if ip := net.ParseIP(h); h == "localhost" || (ip != nil && ip.IsLoopback()) {
			return nil
		}
		return fmt.Errorf("%q: use https (http only for loopback)", raw)
	}
	return fmt.Errorf("%q: scheme must be https", raw)
}

// Validate checks one issuer block.
func (c OIDCConfig) Validate() error {
	if err := checkIdPURL(c.Issuer); err != nil {
		return fmt.Errorf("issuer: %w", err)
	}
	if len(c.Audiences) == 0 {
		return fmt.Errorf("issuer %q: audiences is required (the token's aud must name this gateway)", c.Issuer)
	}
	if c.JWKSURL != "" {
		if err := checkIdPURL(c.JWKSURL); err != nil {
			return fmt.Errorf("issuer %q: jwks_url: %w", c.Issuer, err)
		}
	}
	for _, a := range c.Algorithms {
		if !slices.Contains(asymmetricAlgs, a) {
			return fmt.Errorf("issuer %q: algorithm %q not allowed (use one of %s; none and HMAC are refused)", c.Issuer, a, strings.Join(asymmetricAlgs, ", "))
		}
	}
	if c.Leeway < 0 || c.Leeway > 5*time.Minute {
		return fmt.Errorf("issuer %q: leeway must be between 0 and 5m", c.Issuer)
	}
	if c.JWKSMinRefresh < 0 || c.JWKSMaxAge < 0 {
		return fmt.Errorf("issuer %q: jwks intervals must be positive", c.Issuer)
	}
	if len(c.RoleMap) > 0 && c.RolesClaim == "" {
		return fmt.Errorf("issuer %q: role_map needs roles_claim", c.Issuer)
	}
	return nil
}

type oidcIssuer struct {
	cfg        OIDCConfig
	client     *http.Client
	now        func() time.Time
	log        *slog.Logger
	parser     *jwt.Parser
	minRefresh time.Duration
	maxAge     time.Duration

	fetch singleflight.Group
	mu    sync.RWMutex
	keys  []publicKey
	got   time.Time // when keys were fetched
	tried time.Time // last fetch attempt
	jwks  string    // resolved JWKS URL
}

func newOIDCIssuer(cfg OIDCConfig, client *http.Client, now func() time.Time, log *slog.Logger) (*oidcIssuer, error) {
	algs := cfg.Algorithms
	if len(algs) == 0 {
		algs = []string{"RS256", "ES256"}
	}
	leeway := cfg.Leeway
	if leeway == 0 {
		leeway = 30 * time.Second
	}
	if cfg.SubjectClaim == "" {
		cfg.SubjectClaim = "sub"
	}
	iss := &oidcIssuer{
		cfg: cfg, client: client, now: now, log: log,
		minRefresh: orDefault(cfg.JWKSMinRefresh, 30*time.Second),
		maxAge:     orDefault(cfg.JWKSMaxAge, time.Hour),
		jwks:       cfg.JWKSURL,
		parser: jwt.NewParser(
			jwt.WithValidMethods(algs),
			jwt.WithIssuer(cfg.Issuer),
			jwt.WithAudience(cfg.Audiences...),
			jwt.WithLeeway(leeway),
			jwt.WithExpirationRequired(),
			jwt.WithIssuedAt(),
			jwt.WithTimeFunc(now),
			jwt.WithStrictDecoding(),
		),
	}
	return iss, nil
}

func orDefault(v, def time.Duration) time.Duration {
	if v == 0 {
		return def
	}
	return v
}

// authenticateJWT picks the issuer by the token's unverified "iss" and
// verifies the token against it.
//
// Verified tokens are cached by their SHA-256 for up to jwtCacheTTL (never
// past their exp), so a client reusing one token pays for the signature
// check once. A key removed from the issuer's JWKS therefore stops
// admitting already-seen tokens within jwtCacheTTL of the JWKS refresh.
func (a *Authenticator) authenticateJWT(ctx context.Context, tok string) (*Principal, error) {
	h := sha256.Sum256([]byte(tok))
	now := a.now()
	if e, ok := a.jwtCache.get(&h, now); ok && e.p != nil {
		return e.p, nil
	}
	p, exp, err := a.verifyJWT(ctx, tok)
	if err != nil {
		return nil, err
	}
	until := now.Add(jwtCacheTTL)
	if exp.Before(until) {
		until = exp
	}
	a.jwtCache.put(&h, cacheEntry{p: p, expires: until})
	return p, nil
}

// jwtCacheTTL bounds how long a verified token is reused.
const jwtCacheTTL = 30 * time.Second

func (a *Authenticator) verifyJWT(ctx context.Context, tok string) (*Principal, time.Time, error) {
	iss := a.single
	if iss == nil {
		var claims jwt.RegisteredClaims
		if _, _, err := jwt.NewParser().ParseUnverified(tok, &claims); err != nil {
			return nil, time.Time{}, &AuthError{Code: CodeInvalidToken, Detail: "unparseable token", Err: err}
		}
		for _, o := range a.oidc {
			if o.cfg.Issuer == claims.Issuer {
				iss = o
				break
			}
		}
		if iss == nil {
			return nil, time.Time{}, &AuthError{Code: CodeInvalidToken, Detail: "untrusted issuer"}
		}
	}
	return iss.verify(ctx, tok)
}

// errKeysUnavailable marks a failure to obtain verification keys (the
// identity provider is unreachable): a 503, not a 401.
var errKeysUnavailable = errors.New("identity provider keys unavailable")

// verify checks tok and returns its principal and expiry.
func (o *oidcIssuer) verify(ctx context.Context, tok string) (*Principal, time.Time, error) {
	var fetchErr error
	claims := jwt.MapClaims{}
	t, err := o.parser.ParseWithClaims(tok, claims, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		alg := t.Method.Alg()
		k, err := o.key(ctx, kid, alg)
		if err != nil {
			fetchErr = err
		}
		return k, err
	})
	if fetchErr != nil && errors.Is(fetchErr, errKeysUnavailable) {
		return nil, time.Time{}, fmt.Errorf("identity: verify token of %s: %w", o.cfg.Issuer, fetchErr)
	}
	if err != nil || !t.Valid {
		return nil, time.Time{}, &AuthError{Code: CodeInvalidToken, Detail: "token rejected", Err: err}
	}
	sub, _ := claimPath(claims, o.cfg.SubjectClaim).(string)
	if sub == "" {
		return nil, time.Time{}, &AuthError{Code: CodeInvalidToken, Detail: "token has no " + o.cfg.SubjectClaim + " claim"}
	}
	exp, err := claims.GetExpirationTime()
	if err != nil || exp == nil {
		return nil, time.Time{}, &AuthError{Code: CodeInvalidToken, Detail: "token has no valid exp", Err: err}
	}
	p := &Principal{
		ID:     "oidc:" + o.cfg.Issuer + "#" + sub,
		Name:   o.displayName(claims, sub),
		Kind:   KindOIDC,
		Claims: claims,
	}
	p.Roles = o.roles(claims)
	return p, exp.Time, nil
}

func (o *oidcIssuer) displayName(c jwt.MapClaims, sub string) string {
	for _, name := range []string{o.cfg.NameClaim, "email", "name"} {
		if name == "" {
			continue
		}
		if s, ok := claimPath(c, name).(string); ok && s != "" {
			return s
		}
	}
	return sub
}

// roles maps the roles claim through RoleMap and adds DefaultRoles.
func (o *oidcIssuer) roles(c jwt.MapClaims) []string {
	out := append([]string(nil), o.cfg.DefaultRoles...)
	add := func(v string) {
		for _, r := range o.cfg.RoleMap[v] {
			if !slices.Contains(out, r) {
				out = append(out, r)
			}
		}
	}
	if o.cfg.RolesClaim == "" {
		return out
	}
	switch v := claimPath(c, o.cfg.RolesClaim).(type) {
	case string:
		// Some providers send space-separated values (e.g. "scope").
		for _, s := range strings.Fields(v) {
			add(s)
		}
	case []any:
		for i, e := range v {
			if i >= 1000 {
				break
			}
			if s, ok := e.(string); ok {
				add(s)
			}
		}
	}
	return out
}

// claimPath follows a dotted path through nested objects.
func claimPath(c map[string]any, path string) any {
	var cur any = c
	for part := range strings.SplitSeq(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[part]
	}
	return cur
}

// key returns the verification key for kid and alg, fetching the JWKS when
// none is cached, when the cache is older than maxAge, or when kid is
// unknown and the last fetch is older than minRefresh.
func (o *oidcIssuer) key(ctx context.Context, kid, alg string) (any, error) {
	now := o.now()
	o.mu.RLock()
	keys, got, tried := o.keys, o.got, o.tried
	o.mu.RUnlock()
	if k := findKey(keys, kid, alg); k != nil && now.Sub(got) < o.maxAge {
		return k, nil
	}
	if keys != nil && now.Sub(tried) < o.minRefresh {
		if k := findKey(keys, kid, alg); k != nil {
			return k, nil // stale but the refresh is rate limited
		}
		return nil, fmt.Errorf("no key %q for %s (refresh rate limited)", kid, alg)
	}
	if keys == nil && !tried.IsZero() && now.Sub(tried) < time.Second {
		return nil, fmt.Errorf("%w: last fetch failed under 1s ago", errKeysUnavailable)
	}
	_, err, _ := o.fetch.Do("", func() (any, error) {
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		return nil, o.refresh(fctx)
	})
	o.mu.RLock()
	keys = o.keys
	o.mu.RUnlock()
	if k := findKey(keys, kid, alg); k != nil {
		if err != nil {
			o.log.Warn("identity: jwks refresh failed; using cached keys", "issuer", o.cfg.Issuer, "error", err)
		}
		return k, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errKeysUnavailable, err)
	}
	return nil, fmt.Errorf("no key %q for %s in the issuer's jwks", kid, alg)
}

func findKey(keys []publicKey, kid, alg string) any {
	for _, k := range keys {
		if kid != "" && k.kid != kid {
			continue
		}
		if k.alg != "" && k.alg != alg {
			continue
		}
		if !keyFitsAlg(k.key, alg) {
			continue
		}
		return k.key
	}
	return nil
}

// keyFitsAlg refuses to use a key with an algorithm of another family
// (algorithm confusion), and checks EC curves against the ES variant.
func keyFitsAlg(k any, alg string) bool {
	switch key := k.(type) {
	case *rsa.PublicKey:
		return strings.HasPrefix(alg, "RS") || strings.HasPrefix(alg, "PS")
	case *ecdsa.PublicKey:
		switch alg {
		case "ES256":
			return key.Curve.Params().BitSize == 256
		case "ES384":
			return key.Curve.Params().BitSize == 384
		case "ES512":
			return key.Curve.Params().BitSize == 521
		}
	case ed25519.PublicKey:
		return alg == "EdDSA"
	}
	return false
}

func (o *oidcIssuer) refresh(ctx context.Context) error {
	o.mu.Lock()
	o.tried = o.now()
	jwksURL := o.jwks
	o.mu.Unlock()
	if jwksURL == "" {
		var doc struct {
			Issuer  string `json:"issuer"`
			JWKSURI string `json:"jwks_uri"`
		}
		body, err := o.get(ctx, strings.TrimSuffix(o.cfg.Issuer, "/")+"/.well-known/openid-configuration")
		if err != nil {
			return fmt.Errorf("oidc discovery: %w", err)
		}
		if err := json.Unmarshal(body, &doc); err != nil {
			return fmt.Errorf("oidc discovery: decode: %w", err)
		}
		if doc.Issuer != o.cfg.Issuer {
			return fmt.Errorf("oidc discovery: document names issuer %q, configured %q", doc.Issuer, o.cfg.Issuer)
		}
		if err := checkIdPURL(doc.JWKSURI); err != nil {
			return fmt.Errorf("oidc discovery: jwks_uri: %w", err)
		}
		jwksURL = doc.JWKSURI
	}
	body, err := o.get(ctx, jwksURL)
	if err != nil {
		return fmt.Errorf("fetch jwks: %w", err)
	}
	keys, err := parseJWKS(body)
	if err != nil {
		return err
	}
	o.mu.Lock()
	o.keys, o.got, o.jwks = keys, o.now(), jwksURL
	o.mu.Unlock()
	return nil
}

func (o *oidcIssuer) get(ctx context.Context, u string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := o.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: status %d", u, resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKSBytes+1))
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", u, err)
	}
	if len(body) > maxJWKSBytes {
		return nil, fmt.Errorf("GET %s: body over %d bytes", u, maxJWKSBytes)
	}
	return body, nil
}
