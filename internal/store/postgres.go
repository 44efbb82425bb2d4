package store

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// pgStore is the PostgreSQL store. Tables live in the connection's current
// schema (the first existing entry of search_path), so several deployments
// or test runs can share one database with search_path=their_schema.
type pgStore struct {
	pool        *pgxpool.Pool
	auditLock   int64 // pg_advisory_xact_lock key serialising audit appends in this schema
	migrateLock int64
}

func lockKey(purpose, schema string) int64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte("aigis:" + purpose + ":" + schema))
	return int64(h.Sum64())
}

func openPostgres(ctx context.Context, dsn string) (*pgStore, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgx errors may echo the connection string; say only what failed.
		return nil, fmt.Errorf("store: invalid PostgreSQL DSN (check its syntax): %w", redactPGError(err))
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = 10 * time.Second // an unreachable server fails fast, not after the OS TCP timeout
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("store: connect to PostgreSQL: %w", redactPGError(err))
	}
	var schema *string
	if err := pool.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		pool.Close()
		return nil, fmt.Errorf("store: connect to PostgreSQL %s:%d: %w", cfg.ConnConfig.Host, cfg.ConnConfig.Port, redactPGError(err))
	}
	if schema == nil {
		pool.Close()
		return nil, errors.New("store: PostgreSQL search_path names no existing schema: create it or fix search_path")
	}
	s := &pgStore{pool: pool, auditLock: lockKey("audit", *schema), migrateLock: lockKey("migrate", *schema)}
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

// redactPGError keeps the connection string (and its password) out of an
// error built by pgx.
func redactPGError(err error) error {
	var pe *pgconn.ParseConfigError
	if errors.As(err, &pe) {
		if inner := errors.Unwrap(pe); inner != nil {
			return fmt.Errorf("cannot parse connection string: %w", inner)
		}
		return errors.New("cannot parse connection string")
	}
	return err
}

func (s *pgStore) migrate(ctx context.Context) error {
	migs, err := loadMigrations(KindPostgres)
	if err != nil {
		return err
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("store: postgres migrate: begin: %w", err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	// Replicas starting together queue here; the first applies, the others
	// then see the versions recorded.
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, s.migrateLock); err != nil {
		return fmt.Errorf("store: postgres migrate: lock: %w", err)
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`); err != nil {
		return fmt.Errorf("store: postgres migrate: %w", err)
	}
	rows, err := tx.Query(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return fmt.Errorf("store: postgres migrate: %w", err)
	}
	versions, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		return fmt.Errorf("store: postgres migrate: %w", err)
	}
	applied := map[int]bool{}
	for _, v := range versions {
		applied[int(v)] = true
	}
	for _, m := range migs {
		if applied[m.Version] {
			continue
		}
		if _, err := tx.Exec(ctx, m.SQL); err != nil {
			return fmt.Errorf("store: postgres migration %s: %w", m.Name, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`, m.Version, m.Name, time.Now().UnixNano()); err != nil {
			return fmt.Errorf("store: postgres migration %s: record: %w", m.Name, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("store: postgres migrate: commit: %w", err)
	}
	return nil
}

func (s *pgStore) Kind() string { return KindPostgres }

func (s *pgStore) Close() error {
	s.pool.Close()
	return nil
}

func pgConflict(err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" { // unique_violation
		return fmt.Errorf("%w: %v", ErrConflict, err)
	}
	return err
}

func (s *pgStore) CreateKey(ctx context.Context, k APIKey) error {
	if err := validateKey(k); err != nil {
		return err
	}
	roles, err := encodeRoles(k.Roles)
	if err != nil {
		return err
	}
	_, err = s.pool.Exec(ctx, `INSERT INTO api_keys (id, name, prefix, hash, roles, created_at, expires_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		k.ID, k.Name, k.Prefix, k.Hash, roles, k.CreatedAt.UnixNano(), nanos(k.ExpiresAt), nanos(k.RevokedAt))
	if err != nil {
		return fmt.Errorf("store: create key %s: %w", k.ID, pgConflict(err))
	}
	return nil
}

func (s *pgStore) getKey(ctx context.Context, what, where string, arg any) (APIKey, error) {
	k, err := scanKey(s.pool.QueryRow(ctx, `SELECT `+keyColumns+` FROM api_keys WHERE `+where+` = $1`, arg))
	if errors.Is(err, pgx.ErrNoRows) {
		return APIKey{}, ErrNotFound
	}
	if err != nil {
		return APIKey{}, fmt.Errorf("store: get key by %s: %w", what, err)
	}
	return k, nil
}

func (s *pgStore) GetKeyByHash(ctx context.Context, hash []byte) (APIKey, error) {
	return s.getKey(ctx, "hash", "hash", hash)
}

func (s *pgStore) GetKey(ctx context.Context, id string) (APIKey, error) {
	return s.getKey(ctx, "id", "id", id)
}

func (s *pgStore) ListKeys(ctx context.Context) ([]APIKey, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+keyColumns+` FROM api_keys ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("store: list keys: %w", err)
	}
	defer rows.Close()
	var out []APIKey
	for rows.Next() {
		k, err := scanKey(rows)
		if err != nil {
			return nil, fmt.Errorf("store: list keys: %w", err)
		}
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list keys: %w", err)
	}
	return out, nil
}

func (s *pgStore) RevokeKey(ctx context.Context, id string, at time.Time) error {
	tag, err := s.pool.Exec(ctx, `UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2`, at.UnixNano(), id)
	if err != nil {
		return fmt.Errorf("store: revoke key %s: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return ErrNotFound
	}
	return nil
}

// AppendAudit takes two round trips: [BEGIN, lock, read head] pipelined,
// then [inserts, COMMIT] pipelined. The head query runs after the lock
// statement has returned (the server executes a pipeline in order and takes
// the statement's snapshot when it starts), so it sees the previous holder's
// commit. On any error the connection is discarded, which rolls back.
func (s *pgStore) AppendAudit(ctx context.Context, build func(head AuditHead) ([]AuditRecord, error)) (err error) {
	if _, ok := ctx.Deadline(); !ok { // a server that hangs must not hold the request forever
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, AuditAppendTimeout)
		defer cancel()
	}
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("store: audit append: acquire connection: %w", err)
	}
	inTx := false
	defer func() {
		if err != nil && inTx {
			// The transaction may be open or aborted: drop the connection
			// rather than reuse it (closing it rolls the transaction back).
			_ = conn.Conn().Close(context.Background())
		}
		conn.Release()
	}()
	first := &pgx.Batch{}
	first.Queue(`BEGIN`)
	// Serialise appenders across replicas (key derived from the schema).
	first.Queue(`SELECT pg_advisory_xact_lock($1)`, s.auditLock)
	first.Queue(auditHeadQueryPG)
	inTx = true
	br := conn.SendBatch(ctx, first)
	var head AuditHead
	if _, err = br.Exec(); err != nil {
		_ = br.Close()
		return fmt.Errorf("store: audit append: begin: %w", err)
	}
	if _, err = br.Exec(); err != nil {
		_ = br.Close()
		return fmt.Errorf("store: audit append: lock: %w", err)
	}
	if err = br.QueryRow().Scan(&head.Seq, &head.Hash); err != nil && !errors.Is(err, pgx.ErrNoRows) {
		_ = br.Close()
		return fmt.Errorf("store: audit append: read head: %w", err)
	}
	if err = br.Close(); err != nil {
		return fmt.Errorf("store: audit append: read head: %w", err)
	}
	recs, err := build(head)
	if err != nil {
		return err
	}
	if err = checkAppend(head, recs); err != nil {
		return err
	}
	second := &pgx.Batch{}
	for _, r := range recs {
		second.Queue(`INSERT INTO audit_events (seq, id, time_ns, prev_hash, hash, data) VALUES ($1, $2, $3, $4, $5, $6)`,
			r.Seq, r.ID, r.Time.UnixNano(), r.PrevHash, r.Hash, r.Data)
	}
	second.Queue(`COMMIT`)
	if err = conn.SendBatch(ctx, second).Close(); err != nil {
		return fmt.Errorf("store: audit append: insert and commit: %w", pgConflict(err))
	}
	inTx = false
	return nil
}

const auditHeadQueryPG = `SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1`

func (s *pgStore) ListAudit(ctx context.Context, after int64, limit int) ([]AuditRecord, error) {
	rows, err := s.pool.Query(ctx, `SELECT seq, id, time_ns, prev_hash, hash, data FROM audit_events WHERE seq > $1 ORDER BY seq LIMIT $2`, after, clampLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("store: list audit: %w", err)
	}
	defer rows.Close()
	var out []AuditRecord
	for rows.Next() {
		var r AuditRecord
		var ns int64
		if err := rows.Scan(&r.Seq, &r.ID, &ns, &r.PrevHash, &r.Hash, &r.Data); err != nil {
			return nil, fmt.Errorf("store: list audit: %w", err)
		}
		r.Time = time.Unix(0, ns).UTC()
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list audit: %w", err)
	}
	return out, nil
}

func (s *pgStore) LastAudit(ctx context.Context) (AuditHead, error) {
	var head AuditHead
	err := s.pool.QueryRow(ctx, auditHeadQueryPG).Scan(&head.Seq, &head.Hash)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return AuditHead{}, fmt.Errorf("store: audit head: %w", err)
	}
	return head, nil
}
