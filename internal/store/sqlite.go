package store

import (
	"bytes"
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"modernc.org/sqlite"
)

// sqliteBusyTimeoutMS is how long a connection waits for another process's
// write lock before failing with SQLITE_BUSY.
const sqliteBusyTimeoutMS = 10000

// sqliteStore is the embedded store. All writes go through one connection
// (w's only one, pinned as wc after the migrations) under appendMu, so
// writers in this process queue in Go instead of in SQLite's sleeping busy
// handler; audit transactions start with BEGIN IMMEDIATE, which also
// excludes other processes. Reads use a small separate pool that WAL lets
// run beside the writer.
type sqliteStore struct {
	w, r *sql.DB

	// appendMu serialises every write of this process (the audit
	// transactions are run by hand on wc, so nothing else may use wc while
	// one is open) and guards the fields below. head is the chain head as
	// of this process's last commit. Another process may have appended
	// since: AppendAudit then finds the sequence number taken (seq is the
	// primary key), reads the real head inside its transaction and builds
	// again, so a stale cache costs a retry, never a fork.
	appendMu sync.Mutex
	wc       *sql.Conn // nil after a failure until reconnected
	ws       sqliteWriterStmts
	head     AuditHead
	headOK   bool
	commits  int // appends since the checkpointer was last kicked
	ckRetry  int // appends to skip before the next inline checkpoint try
	// sinceInline counts appends since the last complete inline
	// checkpoint; at sqliteInlineAppends the writer checkpoints itself
	// whatever the checkpointer reported, so the bound holds however far
	// behind the checkpointer runs (it sets ckInline only after a
	// checkpoint ends, which under fast appends can be late).
	sinceInline int
	// wcCommits counts transactions committed on the writer connection
	// (a commit hook); fastOK says the hook is installed, which the
	// single-statement append needs to prove that its INSERT committed.
	wcCommits atomic.Uint64
	fastOK    bool

	// The writer connection does not checkpoint the WAL itself (SQLite's
	// automatic checkpoint runs inside the COMMIT that crosses the
	// threshold, with its fsyncs, on that request's path). The checkpointer
	// goroutine does it on its own connection (ck), kicked every
	// sqliteCheckpointEvery appends; a checkpoint copies committed pages
	// into the database file and changes nothing about durability. If
	// writes outpace it (ckInline), or sqliteInlineAppends appends have
	// passed, the next append checkpoints inline as SQLite would, which
	// lets the log restart and so bounds the WAL.
	// j is the audit journal appends go to (nil where unsupported).
	j      *sqliteJournal
	jClose sync.Once

	ck       *sql.DB
	ckKick   chan struct{}
	ckStop   chan struct{}
	ckDone   chan struct{}
	ckInline atomic.Bool
	ckClose  sync.Once
}

// sqliteCheckpointEvery is how many appends pass between checkpoints (each
// append writes one or a few 4 KiB pages to the WAL; SQLite's own default
// is every 1000 pages).
const sqliteCheckpointEvery = 256

// sqliteWALInlineFrames is the WAL length (in frames, about 4 KiB each)
// above which the writer checkpoints inline, so that the log restarts (the
// background checkpoints alone never let it restart under steady load).
const sqliteWALInlineFrames = 4096

// sqliteInlineAppends is how many appends pass at most between the
// writer's own checkpoints (each append adds one to a few frames).
const sqliteInlineAppends = sqliteWALInlineFrames / 2

// sqliteInlineRetryEvery is how many appends pass before an inline
// checkpoint that could not copy every frame back is tried again.
const sqliteInlineRetryEvery = 16

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
	w, err := sql.Open("sqlite", loc.Target+common+"&_pragma=journal_mode(WAL)&_pragma=wal_autocheckpoint(0)&_pragma=synchronous("+sync+")&_txlock=immediate")
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
	if err := s.connectWriter(ctx); err != nil {
		_ = s.Close()
		return nil, err
	}
	ck, err := sql.Open("sqlite", loc.Target+common+"&_pragma=synchronous("+sync+")")
	if err != nil {
		_ = s.Close()
		return nil, fmt.Errorf("store: open sqlite %s: %w", loc.Target, err)
	}
	ck.SetMaxOpenConns(1)
	ck.SetMaxIdleConns(1)
	ck.SetConnMaxLifetime(0)
	ck.SetConnMaxIdleTime(0)
	s.ck = ck
	s.ckKick, s.ckStop, s.ckDone = make(chan struct{}, 1), make(chan struct{}), make(chan struct{})
	go s.checkpointer()
	if journalSupported {
		// The journal sits beside the file SQLite opens: through a
		// symlink, that is the target (two names for one database must
		// share one journal and one lock).
		real, err := filepath.EvalSymlinks(loc.Target)
		if err != nil {
			_ = s.Close()
			return nil, fmt.Errorf("store: resolve sqlite path %s: %w", loc.Target, err)
		}
		j, err := openJournal(real, loc.SyncFull)
		if err != nil {
			_ = s.Close()
			return nil, err
		}
		s.j = j
		go s.ingester()
		// Recovery: what a process that died left in the journal.
		if err := s.syncJournal(ctx); err != nil {
			_ = s.Close()
			return nil, err
		}
	}
	return s, nil
}

// sqliteWriterStmts are prepared once on the pinned writer connection:
// BEGIN and COMMIT as prepared statements cost a step each, where
// database/sql's Tx would have SQLite parse them on every append.
type sqliteWriterStmts struct {
	begin, commit, rollback, insert, head *sql.Stmt
}

func (w *sqliteWriterStmts) close() {
	for _, st := range []*sql.Stmt{w.begin, w.commit, w.rollback, w.insert, w.head} {
		if st != nil {
			_ = st.Close()
		}
	}
	*w = sqliteWriterStmts{}
}

// connectWriter pins w's connection as wc and prepares the writer's
// statements. Called at open and, under appendMu, after a failure.
func (s *sqliteStore) connectWriter(ctx context.Context) error {
	wc, err := s.w.Conn(ctx)
	if err != nil {
		return fmt.Errorf("store: sqlite writer connection: %w", err)
	}
	var ws sqliteWriterStmts
	for _, p := range []struct {
		st  **sql.Stmt
		sql string
	}{
		{&ws.begin, `BEGIN IMMEDIATE`},
		{&ws.commit, `COMMIT`},
		{&ws.rollback, `ROLLBACK`},
		{&ws.insert, `INSERT INTO audit_events (seq, id, time_ns, prev_hash, hash, data) VALUES (?, ?, ?, ?, ?, ?)`},
		{&ws.head, auditHeadQuery},
	} {
		if *p.st, err = wc.PrepareContext(ctx, p.sql); err != nil {
			ws.close()
			_ = wc.Close()
			return fmt.Errorf("store: prepare sqlite writer statement %q: %w", p.sql, err)
		}
	}
	s.wc, s.ws = wc, ws
	s.fastOK = false
	_ = wc.Raw(func(dc any) error {
		if h, ok := dc.(interface{ RegisterCommitHook(sqlite.CommitHookFn) }); ok {
			h.RegisterCommitHook(func() int32 { s.wcCommits.Add(1); return 0 })
			s.fastOK = true
		}
		return nil
	})
	return nil
}

// dropWriter discards the pinned connection (closing it rolls back any
// transaction left open on it); the next write reconnects.
func (s *sqliteStore) dropWriter() {
	if s.wc == nil {
		return
	}
	s.ws.close()
	_ = s.wc.Raw(func(any) error { return driver.ErrBadConn }) // close, do not pool
	_ = s.wc.Close()
	s.wc = nil
}

// writer returns the pinned connection, reconnecting if needed. It runs
// under appendMu.
func (s *sqliteStore) writer(ctx context.Context) (*sql.Conn, error) {
	if s.wc == nil {
		if err := s.connectWriter(ctx); err != nil {
			return nil, err
		}
	}
	return s.wc, nil
}

// checkpointer runs PASSIVE checkpoints (they wait for no reader or
// writer) when kicked, until Close.
func (s *sqliteStore) checkpointer() {
	defer close(s.ckDone)
	for {
		select {
		case <-s.ckStop:
			return
		case <-s.ckKick:
		}
		if s.ckInline.Load() {
			// The writer checkpoints next; a concurrent checkpoint here
			// would make its one fail as busy.
			continue
		}
		var busy, log, done int64
		err := s.ck.QueryRowContext(context.Background(), `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &log, &done)
		// A passive checkpoint that keeps up still leaves the WAL long: the
		// log restarts from its beginning only when a write starts with
		// every frame copied back, and under steady load the writer always
		// appends while the checkpoint runs. Past the limit the writer
		// checkpoints once itself, between its appends, so that the next
		// one restarts the log (its file then stays at that size).
		if err == nil && log > sqliteWALInlineFrames {
			s.ckInline.Store(true)
		}
	}
}

// afterAppend runs under appendMu after a commit: it kicks the
// checkpointer, or checkpoints inline when the WAL outgrew it.
func (s *sqliteStore) afterAppend(ctx context.Context) {
	s.sinceInline++
	if s.ckInline.Load() || s.sinceInline >= sqliteInlineAppends {
		if s.ckRetry > 0 {
			s.ckRetry--
			return
		}
		var busy, log, done int64
		err := s.wc.QueryRowContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &log, &done)
		if err != nil || busy != 0 || done < log {
			// Not every frame was copied back (a reader holds an older
			// snapshot, or a checkpoint was already running), so the log
			// cannot restart yet: try again a few appends later rather
			// than on every one.
			s.ckRetry = sqliteInlineRetryEvery
			return
		}
		s.ckInline.Store(false)
		s.commits, s.sinceInline = 0, 0
		return
	}
	if s.commits++; s.commits >= sqliteCheckpointEvery {
		s.commits = 0
		select {
		case s.ckKick <- struct{}{}:
		default: // one is pending already
		}
	}
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
	if s.j != nil {
		s.jClose.Do(func() { errs = append(errs, s.closeJournal()) })
	}
	if s.ck != nil {
		s.ckClose.Do(func() { close(s.ckStop) })
		<-s.ckDone
		errs = append(errs, s.ck.Close())
	}
	s.appendMu.Lock()
	if s.wc != nil {
		s.ws.close()
		errs = append(errs, s.wc.Close())
		s.wc = nil
	}
	s.appendMu.Unlock()
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
	s.appendMu.Lock()
	defer s.appendMu.Unlock()
	wc, err := s.writer(ctx)
	if err != nil {
		return fmt.Errorf("store: create key %s: %w", k.ID, err)
	}
	_, err = wc.ExecContext(ctx, `INSERT INTO api_keys (id, name, prefix, hash, roles, created_at, expires_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
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
	s.appendMu.Lock()
	defer s.appendMu.Unlock()
	wc, err := s.writer(ctx)
	if err != nil {
		return fmt.Errorf("store: revoke key %s: %w", id, err)
	}
	res, err := wc.ExecContext(ctx, `UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?`, at.UnixNano(), id)
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

// AppendAudit writes the records to the audit journal (sqlite_journal.go),
// from which the ingester copies them into the table; where the journal is
// not supported it appends to the table itself.
func (s *sqliteStore) AppendAudit(ctx context.Context, build func(head AuditHead) ([]AuditRecord, error)) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("store: audit append: %w", err)
	}
	if s.j != nil {
		return s.appendJournal(ctx, build)
	}
	return s.appendSQLite(ctx, build)
}

// appendSQLite appends to the audit_events table: the ingester's copy from
// the journal, or every append where the journal is not supported. It
// runs BEGIN IMMEDIATE, INSERT per record, COMMIT on the
// pinned writer connection, as prepared statements; a single record on a
// cached head is one INSERT in autocommit mode instead (appendOne), whose
// commit a commit hook confirms. The head is read from
// the table only when this process does not know it (first append, after a
// failure, or when another process appended in between). The statements
// run under a context without cancellation, which spares the driver's
// per-statement interrupt goroutines: lock waits are bounded by
// busy_timeout and ctx is checked before the transaction starts, so a
// commit is never interrupted half-way.
func (s *sqliteStore) appendSQLite(ctx context.Context, build func(head AuditHead) ([]AuditRecord, error)) (err error) {
	ctx = context.WithoutCancel(ctx)
	s.appendMu.Lock()
	defer s.appendMu.Unlock()
	ok := s.headOK
	s.headOK = false // until this transaction commits
	if _, err := s.writer(ctx); err != nil {
		return fmt.Errorf("store: audit append: %w", err)
	}
	if ok && s.fastOK {
		// One record on a known head: a single INSERT in autocommit mode,
		// its own transaction, without the BEGIN and COMMIT steps.
		done, reread, err := s.appendOne(ctx, build)
		if err != nil || done {
			return err
		}
		ok = !reread
		if _, err := s.writer(ctx); err != nil { // appendOne may have dropped it
			return fmt.Errorf("store: audit append: %w", err)
		}
	}
	if _, err := s.ws.begin.ExecContext(ctx); err != nil { // excludes other writers, other processes included
		// The connection may be in an unknown state: start afresh next time.
		s.dropWriter()
		return fmt.Errorf("store: audit append: begin: %w", err)
	}
	defer func() {
		if err != nil {
			if _, rerr := s.ws.rollback.ExecContext(ctx); rerr != nil {
				s.dropWriter()
			}
		}
	}()
	head := s.head
	readHead := func() error {
		head = AuditHead{}
		err := s.ws.head.QueryRowContext(ctx).Scan(&head.Seq, &head.Hash)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("store: audit append: read head: %w", err)
		}
		return nil
	}
	if !ok {
		if err := readHead(); err != nil {
			return err
		}
	}
	var recs []AuditRecord
	for attempt := 0; ; attempt++ {
		if recs, err = build(head); err != nil {
			return err
		}
		if err := checkAppend(head, recs); err != nil {
			return err
		}
		if len(recs) == 0 {
			break
		}
		r := recs[0]
		_, err = s.ws.insert.ExecContext(ctx, r.Seq, r.ID, r.Time.UnixNano(), r.PrevHash, r.Hash, r.Data)
		if err == nil {
			break
		}
		if err = sqliteConflict(err); !errors.Is(err, ErrConflict) || !ok || attempt > 0 {
			return fmt.Errorf("store: audit append seq %d: %w", r.Seq, err)
		}
		// The cached head was stale: another process appended. Its rows
		// are visible to this transaction, which holds the write lock.
		if err := readHead(); err != nil {
			return err
		}
	}
	for _, r := range recs[min(1, len(recs)):] {
		if _, err := s.ws.insert.ExecContext(ctx, r.Seq, r.ID, r.Time.UnixNano(), r.PrevHash, r.Hash, r.Data); err != nil {
			return fmt.Errorf("store: audit append seq %d: %w", r.Seq, sqliteConflict(err))
		}
	}
	if _, err := s.ws.commit.ExecContext(ctx); err != nil {
		return fmt.Errorf("store: audit append: commit: %w", err)
	}
	if n := len(recs); n > 0 {
		head = AuditHead{Seq: recs[n-1].Seq, Hash: recs[n-1].Hash}
	}
	s.appended(ctx, head)
	return nil
}

// appended caches head (the last committed record) as the chain head and
// runs the after-commit work; under appendMu.
func (s *sqliteStore) appended(ctx context.Context, head AuditHead) {
	s.head = AuditHead{Seq: head.Seq, Hash: bytes.Clone(head.Hash)}
	s.headOK = true
	s.afterAppend(ctx)
}

// appendOne is AppendAudit's fast path, under appendMu with the cached head
// and the writer connected. done is false when the batch is not a single
// record; reread is true as well when the transaction path must read the
// head again: the cached one was stale (another process appended, so the
// seq, the primary key, is taken), or the INSERT did not commit because a
// transaction was left open on the connection. The commit hook runs as a
// transaction commits, and a commit that then fails fails the INSERT, so
// success without the hook means no commit: the connection is dropped
// (which rolls the row back) and the caller starts on a fresh one.
func (s *sqliteStore) appendOne(ctx context.Context, build func(head AuditHead) ([]AuditRecord, error)) (done, reread bool, err error) {
	head := s.head
	recs, err := build(head)
	if err != nil {
		return false, false, err
	}
	if err := checkAppend(head, recs); err != nil {
		return false, false, err
	}
	if len(recs) != 1 {
		return false, false, nil
	}
	r := recs[0]
	before := s.wcCommits.Load()
	if _, err := s.ws.insert.ExecContext(ctx, r.Seq, r.ID, r.Time.UnixNano(), r.PrevHash, r.Hash, r.Data); err != nil {
		if errors.Is(sqliteConflict(err), ErrConflict) {
			return false, true, nil
		}
		// The connection may be in an unknown state: start afresh next time.
		s.dropWriter()
		return false, false, fmt.Errorf("store: audit append seq %d: %w", r.Seq, err)
	}
	if s.wcCommits.Load() == before {
		s.dropWriter()
		return false, true, nil
	}
	s.appended(ctx, AuditHead{Seq: r.Seq, Hash: r.Hash})
	return true, false, nil
}

func (s *sqliteStore) ListAudit(ctx context.Context, after int64, limit int) ([]AuditRecord, error) {
	if err := s.syncJournal(ctx); err != nil {
		return nil, err
	}
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
	if err := s.syncJournal(ctx); err != nil {
		return AuditHead{}, err
	}
	return s.tableHead(ctx)
}
