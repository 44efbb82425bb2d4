package identity

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// testIssuer is a real OIDC issuer on loopback: discovery + JWKS, with
// keys that can be rotated.
type testIssuer struct {
	srv     *httptest.Server
	mu      sync.Mutex
	keys    map[string]crypto.Signer // kid -> private key, published in the JWKS
	fetches atomic.Int64
	down    atomic.Bool
}

func newTestIssuer(t testing.TB) *testIssuer {
	ti := &testIssuer{keys: map[string]crypto.Signer{}}
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		if ti.down.Load() {
			http.Error(w, "down", http.StatusBadGateway)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"issuer": ti.srv.URL, "jwks_uri": ti.srv.URL + "/keys"})
	})
	mux.HandleFunc("/keys", func(w http.ResponseWriter, r *http.Request) {
		if ti.down.Load() {
			http.Error(w, "down", http.StatusBadGateway)
			return
		}
		ti.fetches.Add(1)
		ti.mu.Lock()
		defer ti.mu.Unlock()
		var keys []map[string]string
		for kid, k := range ti.keys {
			keys = append(keys, jwkOf(kid, k.Public()))
		}
		json.NewEncoder(w).Encode(map[string]any{"keys": keys})
	})
	ti.srv = httptest.NewServer(mux)
	t.Cleanup(ti.srv.Close)
	return ti
}

func b64u(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func jwkOf(kid string, pub crypto.PublicKey) map[string]string {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return map[string]string{"kty": "RSA", "kid": kid, "use": "sig", "n": b64u(k.N.Bytes()), "e": b64u(big.NewInt(int64(k.E)).Bytes())}
	case *ecdsa.PublicKey:
		b, _ := k.Bytes()
		size := (len(b) - 1) / 2
		return map[string]string{"kty": "EC", "kid": kid, "crv": k.Curve.Params().Name, "x": b64u(b[1 : 1+size]), "y": b64u(b[1+size:])}
	case ed25519.PublicKey:
		return map[string]string{"kty": "OKP", "kid": kid, "crv": "Ed25519", "x": b64u(k)}
	}
	panic("unsupported key")
}

func (ti *testIssuer) setKeys(keys map[string]crypto.Signer) {
	ti.mu.Lock()
	ti.keys = keys
	ti.mu.Unlock()
}

var (
	rsaKeyOnce sync.Once
	rsaKeys    [2]*rsa.PrivateKey
)

func testRSAKeys(t testing.TB) [2]*rsa.PrivateKey {
	rsaKeyOnce.Do(func() {
		for i := range rsaKeys {
			k, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				panic(err)
			}
			rsaKeys[i] = k
		}
	})
	return rsaKeys
}

func sign(t testing.TB, m jwt.SigningMethod, kid string, key any, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(m, claims)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func baseClaims(iss string, now time.Time) jwt.MapClaims {
	return jwt.MapClaims{
		"iss": iss, "aud": []string{"aigis"}, "sub": "user-1", "email": "ada@example.com",
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(),
		"groups":       []string{"engineering", "unmapped"},
		"realm_access": map[string]any{"roles": []string{"admins"}},
	}
}

func oidcAuth(t testing.TB, clock *testClock, cfgs ...OIDCConfig) *Authenticator {
	t.Helper()
	a, err := New(Config{APIKeys: APIKeyConfig{Disabled: true}, OIDC: cfgs}, Deps{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestOIDC(t *testing.T) {
	ti := newTestIssuer(t)
	rk := testRSAKeys(t)
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ti.setKeys(map[string]crypto.Signer{"r1": rk[0], "e1": ec})
	clock := &testClock{t: time.Now()}
	a := oidcAuth(t, clock, OIDCConfig{
		Issuer: ti.srv.URL, Audiences: []string{"aigis", "other"},
		RolesClaim: "groups", RoleMap: map[string][]string{"engineering": {"dev", "batch"}},
		DefaultRoles: []string{"reader"},
	})
	now := clock.Now()
	bearer := func(tok string) *http.Request { return request("Authorization", "Bearer "+tok) }

	p, err := a.Authenticate(bearer(sign(t, jwt.SigningMethodRS256, "r1", rk[0], baseClaims(ti.srv.URL, now))))
	if err != nil {
		t.Fatal(err)
	}
	if p.Kind != KindOIDC || p.ID != "oidc:"+ti.srv.URL+"#user-1" || p.Name != "ada@example.com" {
		t.Fatalf("principal = %+v", p)
	}
	if !slices.Equal(p.Roles, []string{"reader", "dev", "batch"}) {
		t.Fatalf("roles = %v, want reader, dev, batch", p.Roles)
	}
	if p.Claims["sub"] != "user-1" {
		t.Fatalf("claims = %v", p.Claims)
	}
	if _, err := a.Authenticate(bearer(sign(t, jwt.SigningMethodES256, "e1", ec, baseClaims(ti.srv.URL, now)))); err != nil {
		t.Fatalf("ES256: %v", err)
	}
	if n := ti.fetches.Load(); n != 1 {
		t.Fatalf("%d JWKS fetches, want 1 (cached)", n)
	}

	with := func(mut func(c jwt.MapClaims)) string {
		c := baseClaims(ti.srv.URL, now)
		mut(c)
		return sign(t, jwt.SigningMethodRS256, "r1", rk[0], c)
	}
	good := with(func(jwt.MapClaims) {})
	parts := strings.Split(good, ".")
	hs := jwt.NewWithClaims(jwt.SigningMethodHS256, baseClaims(ti.srv.URL, now))
	hs.Header["kid"] = "r1"
	pubDER, _ := json.Marshal(jwkOf("r1", rk[0].Public()))
	hsTok, _ := hs.SignedString(pubDER) // algorithm confusion: HMAC keyed with public material
	noneTok, _ := jwt.NewWithClaims(jwt.SigningMethodNone, baseClaims(ti.srv.URL, now)).SignedString(jwt.UnsafeAllowNoneSignatureType)
	otherKey := testRSAKeys(t)[1]
	bad := map[string]string{
		"expired":             with(func(c jwt.MapClaims) { c["exp"] = now.Add(-time.Minute).Unix() }),
		"no exp":              with(func(c jwt.MapClaims) { delete(c, "exp") }),
		"not yet valid":       with(func(c jwt.MapClaims) { c["nbf"] = now.Add(5 * time.Minute).Unix() }),
		"issued in future":    with(func(c jwt.MapClaims) { c["iat"] = now.Add(5 * time.Minute).Unix() }),
		"wrong audience":      with(func(c jwt.MapClaims) { c["aud"] = "someone-else" }),
		"no audience":         with(func(c jwt.MapClaims) { delete(c, "aud") }),
		"wrong issuer":        with(func(c jwt.MapClaims) { c["iss"] = "https://evil.example" }),
		"no subject":          with(func(c jwt.MapClaims) { delete(c, "sub") }),
		"alg none":            noneTok,
		"HS256 confusion":     hsTok,
		"wrong key same kid":  sign(t, jwt.SigningMethodRS256, "r1", otherKey, baseClaims(ti.srv.URL, now)),
		"RS384 not allowed":   sign(t, jwt.SigningMethodRS384, "r1", rk[0], baseClaims(ti.srv.URL, now)),
		"ES key as RS":        sign(t, jwt.SigningMethodRS256, "e1", rk[0], baseClaims(ti.srv.URL, now)),
		"tampered payload":    parts[0] + "." + b64u([]byte(`{"iss":"`+ti.srv.URL+`","aud":"aigis","sub":"root","exp":9999999999}`)) + "." + parts[2],
		"truncated signature": parts[0] + "." + parts[1] + "." + parts[2][:20],
		"garbage":             "abc.def.ghi",
	}
	for name, tok := range bad {
		t.Run(name, func(t *testing.T) {
			_, err := a.Authenticate(bearer(tok))
			wantCode(t, err, CodeInvalidToken)
		})
	}
	// Leeway: expired 10s ago is still accepted with the default 30s leeway.
	if _, err := a.Authenticate(bearer(with(func(c jwt.MapClaims) { c["exp"] = now.Add(-10 * time.Second).Unix() }))); err != nil {
		t.Fatalf("token within leeway: %v", err)
	}
}

func TestOIDCKeyRotation(t *testing.T) {
	ti := newTestIssuer(t)
	rk := testRSAKeys(t)
	ti.setKeys(map[string]crypto.Signer{"r1": rk[0]})
	clock := &testClock{t: time.Now()}
	a := oidcAuth(t, clock, OIDCConfig{Issuer: ti.srv.URL, Audiences: []string{"aigis"}, JWKSMinRefresh: 10 * time.Second})
	tok := func(kid string, k *rsa.PrivateKey) *http.Request {
		return request("Authorization", "Bearer "+sign(t, jwt.SigningMethodRS256, kid, k, baseClaims(ti.srv.URL, clock.Now())))
	}
	if _, err := a.Authenticate(tok("r1", rk[0])); err != nil {
		t.Fatal(err)
	}
	// The issuer rotates to r2 and retires r1.
	ti.setKeys(map[string]crypto.Signer{"r2": rk[1]})
	clock.Advance(11 * time.Second)
	if _, err := a.Authenticate(tok("r2", rk[1])); err != nil {
		t.Fatalf("token signed with the new key: %v", err)
	}
	if n := ti.fetches.Load(); n != 2 {
		t.Fatalf("%d JWKS fetches, want 2 (the unknown kid triggered one refresh)", n)
	}
	_, err := a.Authenticate(tok("r1", rk[0]))
	wantCode(t, err, CodeInvalidToken)

	// Unknown kids do not hammer the issuer: one refresh per JWKSMinRefresh.
	before := ti.fetches.Load()
	for i := range 20 {
		_, err := a.Authenticate(tok("unknown-"+string(rune('a'+i)), rk[1]))
		wantCode(t, err, CodeInvalidToken)
	}
	if n := ti.fetches.Load() - before; n != 0 {
		t.Fatalf("%d JWKS fetches for unknown kids inside the refresh interval, want 0", n)
	}
	clock.Advance(11 * time.Second)
	for i := range 20 {
		_, _ = a.Authenticate(tok("unknown-"+string(rune('a'+i)), rk[1]))
	}
	if n := ti.fetches.Load() - before; n != 1 {
		t.Fatalf("%d JWKS fetches after the interval, want 1", n)
	}
	// The valid key still works throughout.
	if _, err := a.Authenticate(tok("r2", rk[1])); err != nil {
		t.Fatal(err)
	}
}

func TestOIDCIssuerDown(t *testing.T) {
	ti := newTestIssuer(t)
	rk := testRSAKeys(t)
	ti.setKeys(map[string]crypto.Signer{"r1": rk[0]})
	ti.down.Store(true)
	clock := &testClock{t: time.Now()}
	a := oidcAuth(t, clock, OIDCConfig{Issuer: ti.srv.URL, Audiences: []string{"aigis"}})
	req := func() *http.Request {
		return request("Authorization", "Bearer "+sign(t, jwt.SigningMethodRS256, "r1", rk[0], baseClaims(ti.srv.URL, clock.Now())))
	}
	_, err := a.Authenticate(req())
	var ae *AuthError
	if err == nil || errors.As(err, &ae) {
		t.Fatalf("err = %v, want a non-401 error while the issuer is unreachable", err)
	}
	ti.down.Store(false)
	clock.Advance(2 * time.Second)
	if _, err := a.Authenticate(req()); err != nil {
		t.Fatalf("after the issuer recovered: %v", err)
	}
}

func TestOIDCMultipleIssuers(t *testing.T) {
	ti1, ti2 := newTestIssuer(t), newTestIssuer(t)
	rk := testRSAKeys(t)
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	ti1.setKeys(map[string]crypto.Signer{"k": rk[0]})
	ti2.setKeys(map[string]crypto.Signer{"k": ed})
	clock := &testClock{t: time.Now()}
	a := oidcAuth(t, clock,
		OIDCConfig{Issuer: ti1.srv.URL, Audiences: []string{"aigis"}},
		OIDCConfig{Issuer: ti2.srv.URL, Audiences: []string{"aigis"}, Algorithms: []string{"EdDSA"}, JWKSURL: ti2.srv.URL + "/keys",
			RolesClaim: "realm_access.roles", RoleMap: map[string][]string{"admins": {"admin"}}, NameClaim: "sub"},
	)
	p, err := a.Authenticate(request("Authorization", "Bearer "+sign(t, jwt.SigningMethodEdDSA, "k", ed, baseClaims(ti2.srv.URL, clock.Now()))))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(p.ID, "oidc:"+ti2.srv.URL) || !slices.Equal(p.Roles, []string{"admin"}) || p.Name != "user-1" {
		t.Fatalf("principal = %+v", p)
	}
	if _, err := a.Authenticate(request("Authorization", "Bearer "+sign(t, jwt.SigningMethodRS256, "k", rk[0], baseClaims(ti1.srv.URL, clock.Now())))); err != nil {
		t.Fatal(err)
	}
	// Issuer 2's key cannot sign for issuer 1.
	_, err = a.Authenticate(request("Authorization", "Bearer "+sign(t, jwt.SigningMethodEdDSA, "k", ed, baseClaims(ti1.srv.URL, clock.Now()))))
	wantCode(t, err, CodeInvalidToken)
	_, err = a.Authenticate(request("Authorization", "Bearer "+sign(t, jwt.SigningMethodEdDSA, "k", ed, baseClaims("https://unknown.example", clock.Now()))))
	wantCode(t, err, CodeInvalidToken)
}

func TestParseJWKSRejects(t *testing.T) {
	for name, doc := range map[string]string{
		"not json":     `{`,
		"no keys":      `{"keys":[]}`,
		"private key":  `{"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB","d":"AQAB"}]}`,
		"small rsa":    `{"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB"}]}`,
		"bad curve":    `{"keys":[{"kty":"EC","crv":"P-192","x":"AA","y":"AA"}]}`,
		"off curve":    `{"keys":[{"kty":"EC","crv":"P-256","x":"` + b64u(make([]byte, 32)) + `","y":"` + b64u(make([]byte, 32)) + `"}]}`,
		"symmetric":    `{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}`,
		"only enc use": `{"keys":[{"kty":"OKP","crv":"Ed25519","use":"enc","x":"` + b64u(make([]byte, 32)) + `"}]}`,
	} {
		if keys, err := parseJWKS([]byte(doc)); err == nil {
			t.Errorf("%s: parseJWKS accepted %d keys", name, len(keys))
		}
	}
}

func BenchmarkAuthenticateJWT(b *testing.B) {
	ti := newTestIssuer(b)
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ti.setKeys(map[string]crypto.Signer{"e1": ec})
	a, err := New(Config{APIKeys: APIKeyConfig{Disabled: true}, OIDC: []OIDCConfig{{Issuer: ti.srv.URL, Audiences: []string{"aigis"}}}}, Deps{})
	if err != nil {
		b.Fatal(err)
	}
	r := request("Authorization", "Bearer "+sign(b, jwt.SigningMethodES256, "e1", ec, baseClaims(ti.srv.URL, time.Now())))
	if _, err := a.Authenticate(r); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := a.Authenticate(r); err != nil {
			b.Fatal(err)
		}
	}
}

var _ = context.Background

func TestOIDCVerifiedTokenCache(t *testing.T) {
	ti := newTestIssuer(t)
	rk := testRSAKeys(t)
	ti.setKeys(map[string]crypto.Signer{"r1": rk[0]})
	clock := &testClock{t: time.Now()}
	a := oidcAuth(t, clock, OIDCConfig{Issuer: ti.srv.URL, Audiences: []string{"aigis"}, Leeway: time.Second})
	c := baseClaims(ti.srv.URL, clock.Now())
	c["exp"] = clock.Now().Add(10 * time.Second).Unix()
	r := func() *http.Request {
		return request("Authorization", "Bearer "+sign(t, jwt.SigningMethodRS256, "r1", rk[0], c))
	}
	p1, err := a.Authenticate(r())
	if err != nil {
		t.Fatal(err)
	}
	p2, err := a.Authenticate(r())
	if err != nil || p1 != p2 {
		t.Fatalf("second use of a token was not served from the cache: %v", err)
	}
	if a.jwtCache.len() != 1 {
		t.Fatalf("cache holds %d entries, want 1", a.jwtCache.len())
	}
	// The cache never outlives the token.
	clock.Advance(12 * time.Second)
	_, err = a.Authenticate(r())
	wantCode(t, err, CodeInvalidToken)
}
