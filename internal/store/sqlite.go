package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"time"

	"modernc.org/sqlite"
)

// sqliteBusyTimeoutMS is how long a connection waits for another process's
// write lock before failing with SQLITE_BUSY.
const sqliteBusyTimeoutMS = 10000

// sqliteStore is the embedded store. All writes go through one connection
// (w) whose transactions start with BEGIN IMMEDIATE, so writers in this
// process queue in Go instead of in SQLite's sleeping busy handler; reads
// use a small separate pool that WAL lets run beside the writer.
type sqliteStore struct {
	w, r     *sql.DB
	insertEv *sql.Stmt // on w
	headEv   *sql.Stmt // on w
}

func openSQLite(ctx context.Context, loc Location) (*sqliteStore, error) {
	// Create the file ourselves so that it is private (0600); SQLite gives
	// the -wal and -shm files the same mode.
	f, err := os.OpenFile(loc.Target, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("store: open sqlite file %s: %w", loc.Target, err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("store: open sqlite file %s: %w", loc.Target, err)
	}
	sync := "NORMAL"
	if loc.SyncFull {
		sync = "FULL"
	}
	common := fmt.Sprintf("?_pragma=busy_timeout(%d)&_pragma=foreign_keys(1)", sqliteBusyTimeoutMS)
	w, err := sql.Open("sqlite", loc.Target+common+"&_pragma=journal_mode(WAL)&_pragma=synchronous("+sync+")&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("store: open sqlite %s: %w", loc.Target, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	s := &sqliteStore{w: w}
	if err := s.migrateRetrying(ctx); err != nil {
		_ = w.Close()
		return nil, err
	}
	r, err := sql.Open("sqlite", loc.Target+common+"&_pragma=query_only(1)")
	if err != nil {
		_ = w.Close()
		return nil, fmt.Errorf("store: open sqlite %s: %w", loc.Target, err)
	}
	r.SetMaxOpenConns(4)
	r.SetMaxIdleConns(4)
	s.r = r
	s.insertEv, err = w.PrepareContext(ctx, `INSERT INTO audit_events (seq, id, time_ns, prev_hash, hash, data) VALUES (?, ?, ?, ?, ?, ?)`)
	if err != nil {
		_ = s.Close()
		return nil, fmt.Errorf("store: prepare sqlite audit insert: %w", err)
	}
	s.headEv, err = w.PrepareContext(ctx, auditHeadQuery)
	if err != nil {
		_ = s.Close()
		return nil, fmt.Errorf("store: prepare sqlite audit head: %w", err)
	}
	return s, nil
}

// migrateRetrying runs migrate, retrying while another process holds the
// database busy in a way SQLite reports at once instead of through the busy
// handler (e.g. while several processes open a new file and switch it to WAL
// together).
func (s *sqliteStore) migrateRetrying(ctx context.Context) error {
	deadline := time.Now().Add(time.Duration(sqliteBusyTimeoutMS) * time.Millisecond)
	wait := 5 * time.Millisecond
	for {
		err := s.migrate(ctx)
		if err == nil || !sqliteBusy(err) || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("store: sqlite migrate: %w", ctx.Err())
		case <-time.After(wait):
		}
		wait = min(2*wait, 200*time.Millisecond)
	}
}

// sqliteBusy reports SQLITE_BUSY or SQLITE_LOCKED (any extended code).
func sqliteBusy(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	c := se.Code() & 0xff
	return c == 5 || c == 6
}

func (s *sqliteStore) migrate(ctx context.Context) error {
	migs, err := loadMigrations(KindSQLite)
	if err != nil {
		return err
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: sqlite migrate: begin (is the file a SQLite database and writable?): %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("store: sqlite migrate: %w", err)
	}
	applied := map[int]bool{}
	rows, err := tx.QueryContext(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return fmt.Errorf("store: sqlite migrate: %w", err)
	}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			_ = rows.Close()
			return fmt.Errorf("store: sqlite migrate: %w", err)
		}
		applied[v] = true
	}
	if err := rows.Close(); err != nil {
		return fmt.Errorf("store: sqlite migrate: %w", err)
	}
	for _, m := range migs {
		if applied[m.Version] {
			continue
		}
		if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
			return fmt.Errorf("store: sqlite migration %s: %w", m.Name, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`, m.Version, m.Name, time.Now().UnixNano()); err != nil {
			return fmt.Errorf("store: sqlite migration %s: record: %w", m.Name, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: sqlite migrate: commit: %w", err)
	}
	return nil
}

const auditHeadQuery = `SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1`

func (s *sqliteStore) Kind() string { return KindSQLite }

func (s *sqliteStore) Close() error {
	var errs []error
	for _, st := range []*sql.Stmt{s.insertEv, s.headEv} {
		if st != nil {
			errs = append(errs, st.Close())
		}
	}
	if s.r != nil {
		errs = append(errs, s.r.Close())
	}
	errs = append(errs, s.w.Close())
	return errors.Join(errs...)
}

// sqliteConflict maps constraint violations to ErrConflict.
func sqliteConflict(err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) && se.Code()&0xff == 19 { // SQLITE_CONSTRAINT
		return fmt.Errorf("%w: %v", ErrConflict, err)
	}
	return err
}

func (s *sqliteStore) CreateKey(ctx context.Context, k APIKey) error {
	if err := validateKey(k); err != nil {
		return err
	}
	roles, err := encodeRoles(k.Roles)
	if err != nil {
		return err
	}
	_, err = s.w.ExecContext(ctx, `INSERT INTO api_keys (id, name, prefix, hash, roles, created_at, expires_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		k.ID, k.Name, k.Prefix, k.Hash, roles, k.CreatedAt.UnixNano(), nanos(k.ExpiresAt), nanos(k.RevokedAt))
	if err != nil {
		return fmt.Errorf("store: create key %s: %w", k.ID, sqliteConflict(err))
	}
	return nil
}

const keyColumns = `id, name, prefix, hash, roles, created_at, expires_at, revoked_at`

type rowScanner interface{ Scan(dest ...any) error }

func scanKey(row rowScanner) (APIKey, error) {
	var (
		k                APIKey
		roles            string
		created          int64
		expires, revoked *int64
	)
	if err := row.Scan(&k.ID, &k.Name, &k.Prefix, &k.Hash, &roles, &created, &expires, &revoked); err != nil {
		return APIKey{}, err
	}
	var err error
	if k.Roles, err = decodeRoles(roles); err != nil {
		return APIKey{}, err
	}
	k.CreatedAt = time.Unix(0, created).UTC()
	k.ExpiresAt = fromNanos(expires)
	k.RevokedAt = fromNanos(revoked)
	return k, nil
}

func (s *sqliteStore) getKey(ctx context.Context, what, where string, arg any) (APIKey, error) {
	k, err := scanKey(s.r.QueryRowContext(ctx, `SELECT `+keyColumns+` FROM api_keys WHERE `+where+` = ?`, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return APIKey{}, ErrNotFound
	}
	if err != nil {
		return APIKey{}, fmt.Errorf("store: get key by %s: %w", what, err)
	}
	return k, nil
}

func (s *sqliteStore) GetKeyByHash(ctx context.Context, hash []byte) (APIKey, error) {
	return s.getKey(ctx, "hash", "hash", hash)
}

func (s *sqliteStore) GetKey(ctx context.Context, id string) (APIKey, error) {
	return s.getKey(ctx, "id", "id", id)
}

func (s *sqliteStore) ListKeys(ctx context.Context) ([]APIKey, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+keyColumns+` FROM api_keys ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("store: list keys: %w", err)
	}
	defer func() { _ = rows.Close() }()
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

func (s *sqliteStore) RevokeKey(ctx context.Context, id string, at time.Time) error {
	res, err := s.w.ExecContext(ctx, `UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?`, at.UnixNano(), id)
	if err != nil {
		return fmt.Errorf("store: revoke key %s: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("store: revoke key %s: %w", id, err)
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}

func (s *sqliteStore) AppendAudit(ctx context.Context, build func(head AuditHead) ([]AuditRecord, error)) error {
	tx, err := s.w.BeginTx(ctx, nil) // BEGIN IMMEDIATE: excludes other writers, other processes included
	if err != nil {
		return fmt.Errorf("store: audit append: begin: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	var head AuditHead
	err = tx.StmtContext(ctx, s.headEv).QueryRowContext(ctx).Scan(&head.Seq, &head.Hash)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("store: audit append: read head: %w", err)
	}
	recs, err := build(head)
	if err != nil {
		return err
	}
	if err := checkAppend(head, recs); err != nil {
		return err
	}
	stmt := tx.StmtContext(ctx, s.insertEv)
	for _, r := range recs {
		if _, err := stmt.ExecContext(ctx, r.Seq, r.ID, r.Time.UnixNano(), r.PrevHash, r.Hash, r.Data); err != nil {
			return fmt.Errorf("store: audit append seq %d: %w", r.Seq, sqliteConflict(err))
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: audit append: commit: %w", err)
	}
	return nil
}

func (s *sqliteStore) ListAudit(ctx context.Context, after int64, limit int) ([]AuditRecord, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT seq, id, time_ns, prev_hash, hash, data FROM audit_events WHERE seq > ? ORDER BY seq LIMIT ?`, after, clampLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("store: list audit: %w", err)
	}
	defer func() { _ = rows.Close() }()
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

func (s *sqliteStore) LastAudit(ctx context.Context) (AuditHead, error) {
	var head AuditHead
	err := s.r.QueryRowContext(ctx, auditHeadQuery).Scan(&head.Seq, &head.Hash)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return AuditHead{}, fmt.Errorf("store: audit head: %w", err)
	}
	return head, nil
}
