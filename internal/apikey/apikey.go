// Package apikey generates and recognises gateway API keys: "aig_" followed
// by base64url (no padding) of 32 random bytes, 256 bits of entropy. Only
// the SHA-256 hash and a short display prefix are ever stored.
package apikey

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/aigis-dev/aigis/internal/store"
)

// Prefix starts every key, so that people and secret scanners recognise one.
const Prefix = "aig_"

const (
	secretBytes = 32
	// encodedLen is the length of a key: the prefix and 43 base64url characters.
	encodedLen = len(Prefix) + 43
	// displayLen is how much of a key is stored for display: the prefix and
	// 8 characters (48 of the 256 bits).
	displayLen = len(Prefix) + 8
	maxNameLen = 128
	maxRoleLen = 64
	maxRoles   = 32
)

// Generate returns a new key's secret (shown to the user once) and its
// stored form. ttl 0 means the key does not expire.
func Generate(name string, roles []string, ttl time.Duration) (secret string, key store.APIKey, err error) {
	return generate(name, roles, ttl, time.Now())
}

func generate(name string, roles []string, ttl time.Duration, now time.Time) (string, store.APIKey, error) {
	if err := ValidateName(name); err != nil {
		return "", store.APIKey{}, err
	}
	if len(roles) == 0 {
		return "", store.APIKey{}, errors.New("apikey: give at least one role")
	}
	if len(roles) > maxRoles {
		return "", store.APIKey{}, fmt.Errorf("apikey: %d roles, the limit is %d", len(roles), maxRoles)
	}
	for _, r := range roles {
		if err := ValidateRole(r); err != nil {
			return "", store.APIKey{}, err
		}
	}
	if ttl < 0 {
		return "", store.APIKey{}, fmt.Errorf("apikey: negative expiry %s", ttl)
	}
	var raw [secretBytes]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", store.APIKey{}, fmt.Errorf("apikey: read random bytes: %w", err)
	}
	secret := Prefix + base64.RawURLEncoding.EncodeToString(raw[:])
	var idb [8]byte
	if _, err := rand.Read(idb[:]); err != nil {
		return "", store.APIKey{}, fmt.Errorf("apikey: read random bytes: %w", err)
	}
	now = now.UTC().Round(0)
	k := store.APIKey{
		ID:        "key_" + hex.EncodeToString(idb[:]),
		Name:      name,
		Prefix:    secret[:displayLen],
		Hash:      Hash(secret),
		Roles:     append([]string(nil), roles...),
		CreatedAt: now,
	}
	if ttl > 0 {
		exp := now.Add(ttl)
		k.ExpiresAt = &exp
	}
	return secret, k, nil
}

// Hash returns the SHA-256 of a key's secret: what the store indexes.
func Hash(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// LooksLike reports whether s has the shape of an aigis key (prefix, length,
// alphabet, and 32 decodable bytes). It says nothing about validity.
func LooksLike(s string) bool {
	if len(s) != encodedLen || s[:len(Prefix)] != Prefix {
		return false
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(s[len(Prefix):])
	return err == nil && len(b) == secretBytes
}

// HashEqual compares two key hashes in constant time.
func HashEqual(a, b []byte) bool {
	return subtle.ConstantTimeCompare(a, b) == 1
}

// Matches reports whether secret is the key k (constant-time over the hash).
func Matches(secret string, k store.APIKey) bool {
	return HashEqual(Hash(secret), k.Hash)
}

// ValidateName checks a key's display name: 1-128 printable characters.
func ValidateName(name string) error {
	if name == "" {
		return errors.New("apikey: give the key a name")
	}
	if len(name) > maxNameLen || !utf8.ValidString(name) {
		return fmt.Errorf("apikey: name must be valid UTF-8 of at most %d bytes", maxNameLen)
	}
	for _, r := range name {
		if !unicode.IsPrint(r) {
			return fmt.Errorf("apikey: name %q contains a non-printable character", name)
		}
	}
	return nil
}

// ValidateRole checks a role name: 1-64 of letters, digits, '-', '_', '.', ':'.
func ValidateRole(role string) error {
	if role == "" || len(role) > maxRoleLen {
		return fmt.Errorf("apikey: role names are 1-%d characters", maxRoleLen)
	}
	for _, r := range role {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' || r == ':') {
			return fmt.Errorf("apikey: role %q: use letters, digits, '-', '_', '.' or ':'", role)
		}
	}
	return nil
}

// maxTTL bounds a key lifetime (100 years) so that expiry times stay representable.
const maxTTL = 100 * 365 * 24 * time.Hour

// ParseTTL parses a key lifetime: a Go duration ("720h", "90m") or a number
// of days ("30d"). "" and "0" mean no expiry.
func ParseTTL(s string) (time.Duration, error) {
	if s == "" || s == "0" {
		return 0, nil
	}
	var d time.Duration
	if n := len(s); n > 1 && s[n-1] == 'd' {
		var days int64
		for _, c := range s[:n-1] {
			if c < '0' || c > '9' || days > 1e6 {
				return 0, fmt.Errorf("apikey: expiry %q: use e.g. 720h or 30d", s)
			}
			days = days*10 + int64(c-'0')
		}
		if days > int64(maxTTL/(24*time.Hour)) {
			return 0, fmt.Errorf("apikey: expiry %q out of range (0 to 100 years)", s)
		}
		d = time.Duration(days) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, fmt.Errorf("apikey: expiry %q: use e.g. 720h or 30d", s)
		}
	}
	if d < 0 || d > maxTTL {
		return 0, fmt.Errorf("apikey: expiry %q out of range (0 to 100 years)", s)
	}
	return d, nil
}
