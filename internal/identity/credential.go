package identity

import (
	"net/http"
	"strings"
)

// maxCredentialLen bounds a credential; JWTs with many claims stay well
// under it. Longer values are rejected before any parsing or hashing.
const maxCredentialLen = 8192

// credentialFrom extracts the caller's credential from the Authorization
// (Bearer scheme), x-api-key and api-key headers. It returns "" when none
// is present. Two different credentials, a repeated header with different
// values, a non-Bearer Authorization scheme, or an oversized or
// non-printable value are 401s.
func credentialFrom(h http.Header) (string, error) {
	var cred string
	take := func(v string) error {
		if v == "" {
			return &AuthError{Code: CodeMalformedCredentials, Detail: "empty credential"}
		}
		if len(v) > maxCredentialLen {
			return &AuthError{Code: CodeMalformedCredentials, Detail: "credential too long"}
		}
		for i := 0; i < len(v); i++ {
			if c := v[i]; c <= ' ' || c >= 0x7f {
				return &AuthError{Code: CodeMalformedCredentials, Detail: "credential has a non-printable or non-ASCII byte"}
			}
		}
		if cred != "" && cred != v {
			return &AuthError{Code: CodeAmbiguousCredentials, Detail: "different credentials in Authorization, x-api-key or api-key"}
		}
		cred = v
		return nil
	}
	for _, v := range h["Authorization"] {
		scheme, tok, ok := strings.Cut(strings.TrimSpace(v), " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			return "", &AuthError{Code: CodeMalformedCredentials, Detail: "Authorization must use the Bearer scheme"}
		}
		if err := take(strings.TrimLeft(tok, " ")); err != nil {
			return "", err
		}
	}
	for _, v := range h["X-Api-Key"] {
		if err := take(strings.TrimSpace(v)); err != nil {
			return "", err
		}
	}
	for _, v := range h["Api-Key"] {
		if err := take(strings.TrimSpace(v)); err != nil {
			return "", err
		}
	}
	return cred, nil
}

// isAPIKeyShape reports whether s looks like a gateway-issued key.
func isAPIKeyShape(s string) bool { return strings.HasPrefix(s, apiKeyPrefix) }

// isJWTShape reports whether s has the three dot-separated parts of a
// compact JWS. It does not validate them.
func isJWTShape(s string) bool { return strings.Count(s, ".") == 2 }
