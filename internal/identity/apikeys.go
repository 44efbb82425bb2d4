package identity

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"time"

	"github.com/aigis-dev/aigis/internal/apikey"
	"github.com/aigis-dev/aigis/internal/store"
	"golang.org/x/sync/singleflight"
)

// apiKeyPrefix starts every gateway-issued key ("aig_" + base64url of 256
// random bits).
const apiKeyPrefix = apikey.Prefix

// APIKeyConfig configures gateway-issued API keys.
type APIKeyConfig struct {
	// Disabled turns API-key authentication off (it is on by default).
	Disabled bool `yaml:"disabled"`
	// CacheTTL is how long a successful lookup is reused without asking the
	// store again; a revoked key keeps working at most this long on a
	// replica that has it cached. Default 2s; at most 1m.
	CacheTTL time.Duration `yaml:"cache_ttl"`
	// CacheSize bounds the number of cached keys. Default 10000.
	CacheSize int `yaml:"cache_size"`
}

const (
	defaultKeyCacheTTL  = 2 * time.Second
	defaultKeyCacheSize = 10000
	// missTTL is how long an unknown key is remembered as unknown: long
	// enough that a client retrying a bad key in a loop costs one store
	// query per second, short enough that a key created on another replica
	// works a moment later. Guessing never benefits: every guess is a
	// different hash.
	missTTL = time.Second
	// storeTimeout bounds one key lookup.
	storeTimeout = 5 * time.Second
)

// Validate checks the block.
func (c APIKeyConfig) Validate() error {
	if c.CacheTTL < 0 || c.CacheTTL > time.Minute {
		return fmt.Errorf("cache_ttl must be between 0 and 1m, got %s", c.CacheTTL)
	}
	if c.CacheSize < 0 || c.CacheSize > 10_000_000 {
		return fmt.Errorf("cache_size must be between 0 and 10000000, got %d", c.CacheSize)
	}
	return nil
}

// keyHash is the SHA-256 of a full key secret, as stored: the same bytes
// as apikey.Hash, as an array so it can key the cache without allocating.
func keyHash(secret string) [sha256.Size]byte {
	var buf [64]byte // keys are 47 bytes; longer input takes the allocating path
	if len(secret) <= len(buf) {
		n := copy(buf[:], secret)
		return sha256.Sum256(buf[:n])
	}
	return sha256.Sum256([]byte(secret))
}

// keyLen is the length of a key: the prefix and base64url (no padding) of 32 bytes.
const keyLen = len(apiKeyPrefix) + 43

// looksLikeKey is apikey.LooksLike without allocating: the prefix, 43
// base64url characters, and a last character whose two unused low bits
// are zero (canonical encoding of exactly 32 bytes).
func looksLikeKey(s string) bool {
	if len(s) != keyLen || s[:len(apiKeyPrefix)] != apiKeyPrefix {
		return false
	}
	for i := len(apiKeyPrefix); i < len(s); i++ {
		v := b64val(s[i])
		if v < 0 {
			return false
		}
		if i == len(s)-1 && v&3 != 0 {
			return false
		}
	}
	return true
}

func b64val(c byte) int {
	switch {
	case c >= 'A' && c <= 'Z':
		return int(c - 'A')
	case c >= 'a' && c <= 'z':
		return int(c-'a') + 26
	case c >= '0' && c <= '9':
		return int(c-'0') + 52
	case c == '-':
		return 62
	case c == '_':
		return 63
	}
	return -1
}

// keyAuth authenticates API keys with a short-lived, bounded cache.
type keyAuth struct {
	store KeyLookup
	now   func() time.Time
	ttl   time.Duration
	cache *principalCache
	group singleflight.Group
}

func newKeyAuth(cfg APIKeyConfig, st KeyLookup, now func() time.Time) *keyAuth {
	ttl, size := cfg.CacheTTL, cfg.CacheSize
	if ttl == 0 {
		ttl = defaultKeyCacheTTL
	}
	if size == 0 {
		size = defaultKeyCacheSize
	}
	return &keyAuth{store: st, now: now, ttl: ttl, cache: newPrincipalCache(size, now)}
}

func invalidKey(detail string) error {
	return &AuthError{Code: CodeInvalidAPIKey, Detail: detail}
}

func (k *keyAuth) authenticate(ctx context.Context, secret string) (*Principal, error) {
	// Junk never reaches the store.
	if !looksLikeKey(secret) {
		return nil, &AuthError{Code: CodeMalformedCredentials, Detail: "aig_ key has the wrong length or alphabet"}
	}
	h := keyHash(secret)
	if e, ok := k.cache.get(&h, k.now()); ok {
		if e.p == nil {
			return nil, invalidKey("unknown key (cached)")
		}
		return e.p, nil
	}
	return k.lookup(ctx, h)
}

// lookup asks the store, one query per hash at a time however many
// requests wait on it, and caches the outcome.
func (k *keyAuth) lookup(ctx context.Context, h [sha256.Size]byte) (*Principal, error) {
	v, err, _ := k.group.Do(string(h[:]), func() (any, error) {
		// Shared by every waiter: not cancelled by the first caller leaving.
		lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), storeTimeout)
		defer cancel()
		key, err := k.store.GetKeyByHash(lctx, h[:])
		if errors.Is(err, store.ErrNotFound) {
			k.cache.put(&h, cacheEntry{expires: k.now().Add(missTTL)})
			return nil, invalidKey("unknown key")
		}
		if err != nil {
			return nil, fmt.Errorf("identity: look up api key: %w", err)
		}
		t := k.now()
		if key.RevokedAt != nil {
			k.cache.put(&h, cacheEntry{expires: t.Add(missTTL)})
			return nil, invalidKey("key " + key.ID + " revoked")
		}
		if !key.Active(t) {
			k.cache.put(&h, cacheEntry{expires: t.Add(missTTL)})
			return nil, invalidKey("key " + key.ID + " expired")
		}
		p := &Principal{ID: key.ID, Name: key.Name, Kind: KindAPIKey, KeyID: key.ID, Roles: append([]string(nil), key.Roles...)}
		exp := t.Add(k.ttl)
		if key.ExpiresAt != nil && key.ExpiresAt.Before(exp) {
			exp = *key.ExpiresAt
		}
		k.cache.put(&h, cacheEntry{p: p, expires: exp})
		return p, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*Principal), nil
}
