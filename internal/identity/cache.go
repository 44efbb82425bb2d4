package identity

import (
	"crypto/sha256"
	"sync"
	"time"
)

// principalCache maps a credential's SHA-256 to the principal it resolved
// to (or to nil for a remembered rejection) until an expiry. It is bounded
// and sharded; the read path takes one shard read lock and does not
// allocate. Credentials themselves are never stored.
type principalCache struct {
	now      func() time.Time
	perShard int
	shards   [cacheShards]cacheShard
}

const cacheShards = 16

type cacheShard struct {
	mu sync.RWMutex
	m  map[[sha256.Size]byte]cacheEntry
}

type cacheEntry struct {
	p       *Principal // nil for a cached rejection
	expires time.Time
}

func newPrincipalCache(size int, now func() time.Time) *principalCache {
	c := &principalCache{now: now, perShard: max(1, size/cacheShards)}
	for i := range c.shards {
		c.shards[i].m = make(map[[sha256.Size]byte]cacheEntry)
	}
	return c
}

// get returns the live entry for h.
func (c *principalCache) get(h *[sha256.Size]byte, now time.Time) (cacheEntry, bool) {
	sh := &c.shards[h[0]%cacheShards]
	sh.mu.RLock()
	e, ok := sh.m[*h]
	sh.mu.RUnlock()
	if !ok || !now.Before(e.expires) {
		return cacheEntry{}, false
	}
	return e, true
}

// put stores e, evicting expired entries, then arbitrary ones, when the
// shard is full.
func (c *principalCache) put(h *[sha256.Size]byte, e cacheEntry) {
	sh := &c.shards[h[0]%cacheShards]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if _, ok := sh.m[*h]; !ok && len(sh.m) >= c.perShard {
		now := c.now()
		for kh, v := range sh.m {
			if !now.Before(v.expires) {
				delete(sh.m, kh)
			}
		}
		for kh := range sh.m {
			if len(sh.m) < c.perShard {
				break
			}
			delete(sh.m, kh)
		}
	}
	sh.m[*h] = e
}

// len counts entries (tests).
func (c *principalCache) len() int {
	n := 0
	for i := range c.shards {
		c.shards[i].mu.RLock()
		n += len(c.shards[i].m)
		c.shards[i].mu.RUnlock()
	}
	return n
}
