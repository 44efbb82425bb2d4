// Package store declares the persistence domain types, the Store interface
// and the errors shared by its two implementations: SQLite (the embedded
// default, modernc.org/sqlite, no cgo) and PostgreSQL (pgx/v5 pool, for
// several gateway replicas). Open picks one from a DSN.
//
// Both implementations live in this package (sqlite.go, postgres.go) rather
// than in sub-packages: Open must return them and they must return this
// package's types, which sub-packages could only do through an import cycle
// or a global registry. The conformance suite in store/storetest runs against
// both.
package store

import (
	"context"
	"errors"
	"time"
)

// ErrNotFound is returned when a record does not exist.
var ErrNotFound = errors.New("not found")

// ErrConflict is returned when a record with the same identity (key id or key
// hash, audit sequence number) already exists.
var ErrConflict = errors.New("already exists")

// AuditAppendTimeout bounds one audit append on a networked store
// (PostgreSQL) when the caller's context has no deadline. SQLite appends
// are bounded by the busy timeout instead.
const AuditAppendTimeout = 10 * time.Second

// APIKey is a gateway-issued key. Only a hash of the secret is stored.
type APIKey struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Prefix    string     `json:"prefix"` // first characters, for people to recognise a key
	Hash      []byte     `json:"-"`      // SHA-256 of the full key
	Roles     []string   `json:"roles"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}

// Active reports whether the key may be used at t.
func (k APIKey) Active(t time.Time) bool {
	if k.RevokedAt != nil {
		return false
	}
	return k.ExpiresAt == nil || t.Before(*k.ExpiresAt)
}

// Keys persists gateway API keys.
type Keys interface {
	// CreateKey stores k. It returns ErrConflict when a key with the same ID
	// or the same hash exists.
	CreateKey(ctx context.Context, k APIKey) error
	// GetKeyByHash returns the key whose secret hashes to hash (revoked and
	// expired keys included: the caller checks Active), or ErrNotFound.
	GetKeyByHash(ctx context.Context, hash []byte) (APIKey, error)
	// GetKey returns the key with the given id, or ErrNotFound.
	GetKey(ctx context.Context, id string) (APIKey, error)
	// ListKeys returns every key, oldest first.
	ListKeys(ctx context.Context) ([]APIKey, error)
	// RevokeKey marks the key revoked at at. Revoking a revoked key keeps
	// the first revocation time. It returns ErrNotFound for an unknown id.
	RevokeKey(ctx context.Context, id string, at time.Time) error
}

// AuditRecord is one stored audit event: its position in the hash chain and
// the canonical bytes the hash covers. The store treats Data as opaque; the
// audit package encodes, hashes and verifies it.
type AuditRecord struct {
	Seq      int64     // 1, 2, 3, ... in chain order
	ID       string    // event id (random, 128 bits; not indexed)
	Time     time.Time // event time (for people and retention; not trusted by verification)
	PrevHash []byte    // Hash of the record at Seq-1 (32 zero bytes for Seq 1)
	Hash     []byte    // chain hash over Seq, PrevHash and Data
	Data     []byte    // canonical event encoding
}

// AuditHead is the last record of the chain; the zero value means the chain
// is empty.
type AuditHead struct {
	Seq  int64
	Hash []byte
}

// Audit persists the hash-chained audit log.
type Audit interface {
	// AppendAudit runs one append transaction that excludes every other
	// appender of the same database, in this process or another (SQLite:
	// BEGIN IMMEDIATE; PostgreSQL: pg_advisory_xact_lock). Inside it, build
	// receives the current head and returns the records to insert; they
	// must continue the chain (Seq = head.Seq+1, +2, ...). build may be
	// called a second time in the same transaction with a newer head (the
	// SQLite store caches the head between appends and rebuilds when
	// another process appended meanwhile), so it must only compute its
	// result. AppendAudit returns nil only once the records are committed.
	// If build returns an error nothing is written and that error is
	// returned.
	AppendAudit(ctx context.Context, build func(head AuditHead) ([]AuditRecord, error)) error
	// ListAudit returns up to limit records with Seq > after, in Seq order.
	ListAudit(ctx context.Context, after int64, limit int) ([]AuditRecord, error)
	// LastAudit returns the head of the chain (zero when empty).
	LastAudit(ctx context.Context) (AuditHead, error)
}

// Store is the persistence the gateway and the admin tools need. It is safe
// for concurrent use.
type Store interface {
	Keys
	Audit
	// Kind names the implementation: "sqlite" or "postgres".
	Kind() string
	// Close releases the connections.
	Close() error
}

// Open connects to the store named by dsn and applies the embedded schema
// migrations (idempotent, safe when several replicas start at once):
//
//	postgres://... or postgresql://...   PostgreSQL (any pgx connection string)
//	sqlite://PATH[?synchronous=full]     SQLite file at PATH
//	PATH                                 SQLite file at PATH
//
// SQLite runs in WAL mode with a busy timeout and synchronous=NORMAL, which
// survives a process crash (SIGKILL) without losing committed data;
// synchronous=full also survives power loss at some cost per commit.
func Open(ctx context.Context, dsn string) (Store, error) {
	loc, err := ParseDSN(dsn)
	if err != nil {
		return nil, err
	}
	switch loc.Kind {
	case KindPostgres:
		return openPostgres(ctx, loc.Target)
	default:
		return openSQLite(ctx, loc)
	}
}
