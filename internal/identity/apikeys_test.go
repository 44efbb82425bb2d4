package identity

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aigis-dev/aigis/internal/apikey"
	"github.com/aigis-dev/aigis/internal/store"
)

// countingKeys wraps the real store and counts lookups.
type countingKeys struct {
	KeyLookup
	calls atomic.Int64
	fail  atomic.Bool
}

func (c *countingKeys) GetKeyByHash(ctx context.Context, h []byte) (store.APIKey, error) {
	c.calls.Add(1)
	if c.fail.Load() {
		return store.APIKey{}, errors.New("database is locked")
	}
	return c.KeyLookup.GetKeyByHash(ctx, h)
}

type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type keyFixture struct {
	st      store.Store
	keys    *countingKeys
	clock   *testClock
	auth    *Authenticator
	active  string
	expired string
	revoked string
	soon    string // expires 500ms after the fixture's start
	ids     map[string]string
}

func newKeyFixture(t *testing.T) *keyFixture {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "keys.db"))
	if err != nil {
		t.Fatalf("open sqlite store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	f := &keyFixture{st: st, keys: &countingKeys{KeyLookup: st}, clock: &testClock{t: time.Now()}, ids: map[string]string{}}
	mk := func(name string, roles []string, ttl time.Duration) string {
		secret, k, err := apikey.Generate(name, roles, ttl)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.CreateKey(ctx, k); err != nil {
			t.Fatal(err)
		}
		f.ids[secret] = k.ID
		return secret
	}
	f.active = mk("ci", []string{"dev", "batch"}, 0)
	f.expired = mk("old", []string{"dev"}, time.Millisecond)
	f.revoked = mk("gone", []string{"dev"}, 0)
	f.soon = mk("soon", []string{"dev"}, time.Hour)
	if err := st.RevokeKey(ctx, f.ids[f.revoked], time.Now()); err != nil {
		t.Fatal(err)
	}
	// Make "soon" expire 500ms into the fixture's clock.
	f.clock.t = time.Now().Add(time.Hour - 500*time.Millisecond)
	f.auth, err = New(Config{}, Deps{Keys: f.keys, Now: f.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func request(headers ...string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/v1/chat/completions", nil)
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Add(headers[i], headers[i+1])
	}
	return r
}

func wantCode(t *testing.T, err error, code string) *AuthError {
	t.Helper()
	var ae *AuthError
	if !errors.As(err, &ae) {
		t.Fatalf("err = %v, want *AuthError %s", err, code)
	}
	if ae.Code != code {
		t.Fatalf("code = %s (%v), want %s", ae.Code, ae, code)
	}
	if ae.Status() != http.StatusUnauthorized {
		t.Fatalf("status = %d", ae.Status())
	}
	return ae
}

func TestAPIKeyHeaders(t *testing.T) {
	f := newKeyFixture(t)
	for _, h := range [][]string{
		{"Authorization", "Bearer " + f.active},
		{"Authorization", "bearer  " + f.active},
		{"x-api-key", f.active},
		{"api-key", f.active},
		{"Authorization", "Bearer " + f.active, "x-api-key", f.active}, // same key twice is fine
	} {
		p, err := f.auth.Authenticate(request(h...))
		if err != nil {
			t.Fatalf("%v: %v", h[0], err)
		}
		if p.Kind != KindAPIKey || p.ID != f.ids[f.active] || p.KeyID != p.ID || p.Name != "ci" {
			t.Fatalf("%v: principal = %+v", h[0], p)
		}
		if strings.Join(p.Roles, ",") != "dev,batch" {
			t.Fatalf("roles = %v", p.Roles)
		}
	}
}

func TestAPIKeyRejections(t *testing.T) {
	f := newKeyFixture(t)
	unknown, _, _ := apikey.Generate("never-stored", []string{"dev"}, 0)
	cases := []struct {
		name    string
		headers []string
		code    string
		detail  string
		lookups int64
	}{
		{"none", nil, CodeMissingCredentials, "", 0},
		{"unknown", []string{"x-api-key", unknown}, CodeInvalidAPIKey, "unknown", 1},
		{"expired", []string{"Authorization", "Bearer " + f.expired}, CodeInvalidAPIKey, "expired", 1},
		{"revoked", []string{"api-key", f.revoked}, CodeInvalidAPIKey, "revoked", 1},
		{"short key", []string{"x-api-key", "aig_abc"}, CodeMalformedCredentials, "", 0},
		{"key with bad alphabet", []string{"x-api-key", "aig_" + strings.Repeat("+", 43)}, CodeMalformedCredentials, "", 0},
		{"not a key", []string{"x-api-key", "sk-proj-123"}, CodeMalformedCredentials, "", 0},
		{"basic auth", []string{"Authorization", "Basic dXNlcjpwYXNz"}, CodeMalformedCredentials, "", 0},
		{"bearer without token", []string{"Authorization", "Bearer"}, CodeMalformedCredentials, "", 0},
		{"empty x-api-key", []string{"x-api-key", ""}, CodeMalformedCredentials, "", 0},
		{"two different keys", []string{"Authorization", "Bearer " + f.active, "api-key", unknown}, CodeAmbiguousCredentials, "", 0},
		{"repeated header differing", []string{"x-api-key", f.active, "x-api-key", unknown}, CodeAmbiguousCredentials, "", 0},
		{"control byte", []string{"x-api-key", f.active[:10] + "\x00" + f.active[11:]}, CodeMalformedCredentials, "", 0},
		{"oversized", []string{"Authorization", "Bearer " + strings.Repeat("a", maxCredentialLen+1)}, CodeMalformedCredentials, "", 0},
		{"jwt with no issuer configured", []string{"Authorization", "Bearer a.b.c"}, CodeMethodDisabled, "", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := f.keys.calls.Load()
			_, err := f.auth.Authenticate(request(c.headers...))
			ae := wantCode(t, err, c.code)
			if !strings.Contains(ae.Detail, c.detail) {
				t.Fatalf("detail %q does not mention %q", ae.Detail, c.detail)
			}
			if got := f.keys.calls.Load() - before; got != c.lookups {
				t.Fatalf("%d store lookups, want %d", got, c.lookups)
			}
			if strings.Contains(ae.Error(), f.active) || strings.Contains(ae.Error(), unknown) {
				t.Fatal("error message contains a secret")
			}
		})
	}
}

func TestAPIKeyCache(t *testing.T) {
	f := newKeyFixture(t)
	ctx := context.Background()
	r := func() *http.Request { return request("x-api-key", f.active) }
	p1, err := f.auth.Authenticate(r())
	if err != nil {
		t.Fatal(err)
	}
	p2, err := f.auth.Authenticate(r())
	if err != nil {
		t.Fatal(err)
	}
	if n := f.keys.calls.Load(); n != 1 || p1 != p2 {
		t.Fatalf("%d lookups (want 1) / same principal %v: positive lookups are not cached", n, p1 == p2)
	}
	// Revocation takes effect once the cache entry expires (2s by default).
	if err := f.st.RevokeKey(ctx, f.ids[f.active], time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := f.auth.Authenticate(r()); err != nil {
		t.Fatalf("within the cache TTL the key is still served from cache: %v", err)
	}
	f.clock.Advance(defaultKeyCacheTTL)
	_, err = f.auth.Authenticate(r())
	wantCode(t, err, CodeInvalidAPIKey)
	if n := f.keys.calls.Load(); n != 2 {
		t.Fatalf("%d lookups, want 2", n)
	}

	// The clock is now past the "soon" key's expiry.
	_, err = f.auth.Authenticate(request("x-api-key", f.soon))
	wantCode(t, err, CodeInvalidAPIKey)

	// Misses are cached for about a second, then asked again.
	unknown, _, _ := apikey.Generate("x", []string{"dev"}, 0)
	before := f.keys.calls.Load()
	for range 5 {
		_, err := f.auth.Authenticate(request("x-api-key", unknown))
		wantCode(t, err, CodeInvalidAPIKey)
	}
	if n := f.keys.calls.Load() - before; n != 1 {
		t.Fatalf("%d lookups for a repeated unknown key within 1s, want 1", n)
	}
	f.clock.Advance(missTTL)
	_, _ = f.auth.Authenticate(request("x-api-key", unknown))
	if n := f.keys.calls.Load() - before; n != 2 {
		t.Fatalf("%d lookups after the miss TTL, want 2", n)
	}
}

func TestAPIKeyExpiresInsideCacheTTL(t *testing.T) {
	f := newKeyFixture(t)
	if _, err := f.auth.Authenticate(request("x-api-key", f.soon)); err != nil {
		t.Fatalf("soon-expiring key before its expiry: %v", err)
	}
	f.clock.Advance(600 * time.Millisecond) // past expiry, inside the 2s TTL
	_, err := f.auth.Authenticate(request("x-api-key", f.soon))
	wantCode(t, err, CodeInvalidAPIKey)
}

func TestAPIKeyStoreFailureIsNot401(t *testing.T) {
	f := newKeyFixture(t)
	f.keys.fail.Store(true)
	_, err := f.auth.Authenticate(request("x-api-key", f.active))
	var ae *AuthError
	if err == nil || errors.As(err, &ae) {
		t.Fatalf("err = %v, want a non-AuthError (503) when the store fails", err)
	}
	// Nothing was cached: once the store is back the key works.
	f.keys.fail.Store(false)
	if _, err := f.auth.Authenticate(request("x-api-key", f.active)); err != nil {
		t.Fatal(err)
	}
}

func TestKeyHashMatchesApikey(t *testing.T) {
	secret, _, _ := apikey.Generate("h", []string{"r"}, 0)
	h := keyHash(secret)
	if !bytes.Equal(h[:], apikey.Hash(secret)) {
		t.Fatal("identity and apikey disagree on the key hash")
	}
}

func TestAPIKeysDisabled(t *testing.T) {
	a, err := New(Config{APIKeys: APIKeyConfig{Disabled: true}, MTLS: MTLSConfig{Enabled: true, AllowUnmapped: true}}, Deps{})
	if err != nil {
		t.Fatal(err)
	}
	secret, _, _ := apikey.Generate("h", []string{"r"}, 0)
	_, err = a.Authenticate(request("x-api-key", secret))
	wantCode(t, err, CodeMethodDisabled)
}

func TestConfigValidate(t *testing.T) {
	bad := []Config{
		{APIKeys: APIKeyConfig{CacheTTL: time.Hour}},
		{APIKeys: APIKeyConfig{CacheSize: -1}},
		{APIKeys: APIKeyConfig{Disabled: true}},
		{OIDC: []OIDCConfig{{Issuer: "not a url", Audiences: []string{"a"}}}},
		{OIDC: []OIDCConfig{{Issuer: "https://idp.example", Audiences: nil}}},
		{OIDC: []OIDCConfig{{Issuer: "https://idp.example", Audiences: []string{"a"}, Algorithms: []string{"HS256"}}}},
		{OIDC: []OIDCConfig{{Issuer: "https://idp.example", Audiences: []string{"a"}, Algorithms: []string{"none"}}}},
		{OIDC: []OIDCConfig{{Issuer: "https://idp.example", Audiences: []string{"a"}, RoleMap: map[string][]string{"g": {"r"}}}}},
		{OIDC: []OIDCConfig{{Issuer: "https://idp.example", Audiences: []string{"a"}}, {Issuer: "https://idp.example", Audiences: []string{"b"}}}},
		{MTLS: MTLSConfig{Enabled: true}},
		{OIDC: []OIDCConfig{{Issuer: "http://idp.example.com", Audiences: []string{"a"}}}},
		{OIDC: []OIDCConfig{{Issuer: "https://idp.example", Audiences: []string{"a"}, JWKSURL: "http://10.0.0.1/keys"}}},
		{MTLS: MTLSConfig{Enabled: true, Identities: []CertIdentity{{CommonName: "x"}, {CommonName: "x"}}}},
		{MTLS: MTLSConfig{Enabled: true, Identities: []CertIdentity{{URI: "spiffe://x", CommonName: "x"}}}},
	}
	for i, c := range bad {
		if err := c.Validate(); err == nil {
			t.Errorf("config %d: Validate accepted %+v", i, c)
		}
	}
	good := Config{OIDC: []OIDCConfig{{Issuer: "https://idp.example", Audiences: []string{"aigis"}, Algorithms: []string{"ES256", "EdDSA"}, RolesClaim: "groups", RoleMap: map[string][]string{"eng": {"dev"}}}}}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	if _, err := New(Config{}, Deps{}); err == nil {
		t.Fatal("New without a key store accepted api keys")
	}
}

func BenchmarkAuthenticateCachedKey(b *testing.B) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(b.TempDir(), "keys.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	secret, k, _ := apikey.Generate("bench", []string{"dev"}, 0)
	if err := st.CreateKey(ctx, k); err != nil {
		b.Fatal(err)
	}
	a, err := New(Config{APIKeys: APIKeyConfig{CacheTTL: time.Minute}}, Deps{Keys: st})
	if err != nil {
		b.Fatal(err)
	}
	r := request("Authorization", "Bearer "+secret)
	if _, err := a.Authenticate(r); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := a.Authenticate(r); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestAPIKeyConcurrent: many goroutines authenticate valid and unknown
// keys while the cache expires under them; valid keys always pass and
// unknown ones always fail (run with -race).
func TestAPIKeyConcurrent(t *testing.T) {
	f := newKeyFixture(t)
	unknown, _, _ := apikey.Generate("x", []string{"dev"}, 0)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				if g == 0 && i%20 == 0 {
					f.clock.Advance(time.Second)
				}
				if _, err := f.auth.Authenticate(request("x-api-key", f.active)); err != nil {
					errs <- err
					return
				}
				var ae *AuthError
				if _, err := f.auth.Authenticate(request("api-key", unknown)); !errors.As(err, &ae) {
					errs <- errors.New("unknown key was not a 401")
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}
