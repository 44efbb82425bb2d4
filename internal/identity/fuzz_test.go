package identity

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/aigis-dev/aigis/internal/apikey"
	"github.com/aigis-dev/aigis/internal/store"
)

// FuzzCredentialFrom: arbitrary header values never panic, and an
// extracted credential is bounded, printable ASCII with no spaces.
func FuzzCredentialFrom(f *testing.F) {
	for _, s := range [][3]string{
		{"Bearer aig_abc", "", ""}, {"", "aig_x", "aig_x"}, {"Basic Zm9v", "", ""}, {"bearer   a.b.c", "a.b.c", ""},
		{"Bearer", "", ""}, {"Bearer \x00", "", ""}, {"", "", "é"}, {"Bearer a b", "", ""},
	} {
		f.Add(s[0], s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, authz, xkey, akey string) {
		h := http.Header{}
		if authz != "" {
			h.Set("Authorization", authz)
		}
		if xkey != "" {
			h.Set("X-Api-Key", xkey)
		}
		if akey != "" {
			h.Set("Api-Key", akey)
		}
		cred, err := credentialFrom(h)
		if err != nil {
			var ae *AuthError
			if !errors.As(err, &ae) || ae.Code == "" {
				t.Fatalf("error is not a coded AuthError: %v", err)
			}
			return
		}
		if len(cred) > maxCredentialLen {
			t.Fatalf("credential of %d bytes", len(cred))
		}
		for i := 0; i < len(cred); i++ {
			if cred[i] <= ' ' || cred[i] >= 0x7f {
				t.Fatalf("credential %q has byte %#x", cred, cred[i])
			}
		}
		if cred == "" && (authz != "" || strings.TrimSpace(xkey) != "" || strings.TrimSpace(akey) != "") {
			t.Fatalf("headers %q %q %q gave no credential and no error", authz, xkey, akey)
		}
	})
}

// FuzzParseJWKS: arbitrary documents never panic; accepted keys are of a
// supported public type.
func FuzzParseJWKS(f *testing.F) {
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	rk := testRSAKeys(f)
	for _, k := range []crypto.PublicKey{ec.Public(), rk[0].Public()} {
		f.Add(`{"keys":[` + toJSON(jwkOf("k", k)) + `]}`)
	}
	f.Add(`{"keys":[{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}`)
	f.Add(`{"keys":[{"kty":"EC","crv":"P-521","x":"AA","y":"AA"},{"kty":"RSA","n":"","e":""}]}`)
	f.Add(`{"keys":null}`)
	f.Fuzz(func(t *testing.T, doc string) {
		keys, err := parseJWKS([]byte(doc))
		if err != nil {
			return
		}
		for _, k := range keys {
			if !keyFitsAlg(k.key, "RS256") && !keyFitsAlg(k.key, "ES256") && !keyFitsAlg(k.key, "ES384") &&
				!keyFitsAlg(k.key, "ES512") && !keyFitsAlg(k.key, "EdDSA") {
				t.Fatalf("accepted an unusable key %T", k.key)
			}
		}
	})
}

func toJSON(m map[string]string) string {
	var b strings.Builder
	b.WriteByte('{')
	first := true
	for k, v := range m {
		if !first {
			b.WriteByte(',')
		}
		first = false
		b.WriteString(`"` + k + `":"` + v + `"`)
	}
	b.WriteByte('}')
	return b.String()
}

type noKeys struct{}

func (noKeys) GetKeyByHash(context.Context, []byte) (store.APIKey, error) {
	return store.APIKey{}, store.ErrNotFound
}

// FuzzAuthenticate: any bearer value is rejected with a coded 401 (no
// valid token can be forged), never a panic, against a live issuer.
func FuzzAuthenticate(f *testing.F) {
	ti := newTestIssuer(f)
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ti.setKeys(map[string]crypto.Signer{"e1": ec})
	a, err := New(Config{OIDC: []OIDCConfig{{Issuer: ti.srv.URL, Audiences: []string{"aigis"}, Algorithms: []string{"ES256"}}}},
		Deps{Keys: noKeys{}})
	if err != nil {
		f.Fatal(err)
	}
	valid := sign(f, jwt.SigningMethodES256, "e1", ec, baseClaims(ti.srv.URL, time.Now()))
	if _, err := a.Authenticate(request("Authorization", "Bearer "+valid)); err != nil {
		f.Fatal(err)
	}
	f.Add(valid[:len(valid)-2] + "AA")
	f.Add("aig_" + strings.Repeat("A", 43))
	f.Add("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.")
	f.Add("a.b.c")
	f.Add("..")
	f.Fuzz(func(t *testing.T, tok string) {
		if tok == valid {
			return
		}
		_, err := a.Authenticate(request("Authorization", "Bearer "+tok))
		var ae *AuthError
		if !errors.As(err, &ae) {
			t.Fatalf("token %q: err = %v, want *AuthError", tok, err)
		}
	})
}

// FuzzLooksLikeKey: the allocation-free shape check agrees with
// apikey.LooksLike on any input.
func FuzzLooksLikeKey(f *testing.F) {
	secret, _, _ := apikey.Generate("f", []string{"r"}, 0)
	f.Add(secret)
	f.Add(secret[:len(secret)-1] + "B")
	f.Add("aig_" + strings.Repeat("_", 43))
	f.Add("aig_")
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := looksLikeKey(s), apikey.LooksLike(s); got != want {
			t.Fatalf("looksLikeKey(%q) = %v, apikey.LooksLike = %v", s, got, want)
		}
	})
}
