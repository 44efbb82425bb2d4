// Package storetest is the conformance suite every store implementation
// passes, plus helpers that give tests an isolated SQLite file or PostgreSQL
// schema and raw SQL access for tamper tests.
package storetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/aigis-dev/aigis/internal/store"
)

// PostgresEnv names the environment variable holding the PostgreSQL DSN for
// integration tests, e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable.
const PostgresEnv = "AIGIS_TEST_POSTGRES"

// SQLiteDSN returns the path of a fresh SQLite file in t's temp dir.
func SQLiteDSN(t testing.TB) string {
	t.Helper()
	return filepath.Join(t.TempDir(), "aigis.db")
}

// PostgresDSN creates a schema of its own in the database named by
// AIGIS_TEST_POSTGRES and returns a DSN whose search_path selects it; the
// schema is dropped when t ends. It skips t when the variable is unset.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	base := os.Getenv(PostgresEnv)
	if base == "" {
		t.Skipf("PostgreSQL tests skipped: set %s to a DSN such as postgres://postgres@127.0.0.1:5432/test?sslmode=disable", PostgresEnv)
	}
	var rb [6]byte
	_, _ = rand.Read(rb[:])
	schema := "aigis_test_" + hex.EncodeToString(rb[:])
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("connect to %s: %v", PostgresEnv, err)
	}
	defer func() { _ = conn.Close(context.Background()) }()
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create test schema: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Errorf("cleanup: connect: %v", err)
			return
		}
		defer func() { _ = c.Close(context.Background()) }()
		if _, err := c.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("cleanup: drop schema %s: %v", schema, err)
		}
	})
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + "search_path=" + schema
}

// Exec runs raw SQL against the database behind dsn (as an attacker with
// write access would), bypassing the store. Use literals, not parameters.
func Exec(t testing.TB, dsn, query string) {
	t.Helper()
	loc, err := store.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if loc.Kind == store.KindPostgres {
		conn, err := pgx.Connect(ctx, loc.Target)
		if err != nil {
			t.Fatalf("raw exec: connect: %v", err)
		}
		defer func() { _ = conn.Close(context.Background()) }()
		if _, err := conn.Exec(ctx, query); err != nil {
			t.Fatalf("raw exec %q: %v", query, err)
		}
		return
	}
	db, err := sql.Open("sqlite", loc.Target+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatalf("raw exec: open: %v", err)
	}
	defer func() { _ = db.Close() }()
	if _, err := db.ExecContext(ctx, query); err != nil {
		t.Fatalf("raw exec %q: %v", query, err)
	}
}

// DropAuditGuards removes the append-only triggers, as an attacker with
// write access to the database could, so tamper tests can edit rows.
func DropAuditGuards(t testing.TB, dsn string) {
	t.Helper()
	loc, err := store.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	if loc.Kind == store.KindPostgres {
		Exec(t, dsn, "DROP TRIGGER audit_events_append_only ON audit_events")
		return
	}
	Exec(t, dsn, "DROP TRIGGER audit_events_no_update")
	Exec(t, dsn, "DROP TRIGGER audit_events_no_delete")
}

// Run runs the conformance suite. newDSN returns the DSN of a fresh, empty,
// isolated store for each call.
func Run(t *testing.T, newDSN func(t testing.TB) string) {
	t.Run("Keys", func(t *testing.T) { testKeys(t, open(t, newDSN(t))) })
	t.Run("KeyConflicts", func(t *testing.T) { testKeyConflicts(t, open(t, newDSN(t))) })
	t.Run("Revoke", func(t *testing.T) { testRevoke(t, open(t, newDSN(t))) })
	t.Run("AuditAppendList", func(t *testing.T) { testAuditAppendList(t, open(t, newDSN(t))) })
	t.Run("AuditRejectsBadRecords", func(t *testing.T) { testAuditRejects(t, open(t, newDSN(t))) })
	t.Run("AuditConcurrentAppend", func(t *testing.T) { testAuditConcurrent(t, newDSN(t)) })
	t.Run("AuditAppendOnly", func(t *testing.T) { testAppendOnly(t, newDSN(t)) })
	t.Run("ReopenAndConcurrentMigrate", func(t *testing.T) { testReopen(t, newDSN(t)) })
}

func open(t testing.TB, dsn string) store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

func hashOf(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

func newKey(id string, created time.Time) store.APIKey {
	return store.APIKey{ID: id, Name: "name " + id, Prefix: "aig_" + id, Hash: hashOf(id), Roles: []string{"dev", "ops"}, CreatedAt: created}
}

func sameKey(t testing.TB, got, want store.APIKey) {
	t.Helper()
	if got.ID != want.ID || got.Name != want.Name || got.Prefix != want.Prefix || !bytes.Equal(got.Hash, want.Hash) ||
		strings.Join(got.Roles, ",") != strings.Join(want.Roles, ",") || !got.CreatedAt.Equal(want.CreatedAt) ||
		!sameTime(got.ExpiresAt, want.ExpiresAt) || !sameTime(got.RevokedAt, want.RevokedAt) {
		t.Fatalf("key mismatch:\n got  %+v\n want %+v", got, want)
	}
}

func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Equal(*b)
}

func testKeys(t *testing.T, st store.Store) {
	ctx := context.Background()
	if ks, err := st.ListKeys(ctx); err != nil || len(ks) != 0 {
		t.Fatalf("empty ListKeys = %v, %v", ks, err)
	}
	base := time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.UTC)
	exp := base.Add(30 * 24 * time.Hour)
	a := newKey("a", base)
	a.ExpiresAt = &exp
	b := newKey("b", base.Add(time.Second))
	b.Roles = nil
	for _, k := range []store.APIKey{b, a} {
		if err := st.CreateKey(ctx, k); err != nil {
			t.Fatalf("CreateKey %s: %v", k.ID, err)
		}
	}
	got, err := st.GetKey(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	sameKey(t, got, a)
	got, err = st.GetKeyByHash(ctx, hashOf("b"))
	if err != nil {
		t.Fatal(err)
	}
	b.Roles = []string{}
	sameKey(t, got, b)
	if _, err := st.GetKey(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetKey unknown: %v, want ErrNotFound", err)
	}
	if _, err := st.GetKeyByHash(ctx, hashOf("nope")); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetKeyByHash unknown: %v, want ErrNotFound", err)
	}
	ks, err := st.ListKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ks) != 2 || ks[0].ID != "a" || ks[1].ID != "b" {
		t.Fatalf("ListKeys order = %+v, want a then b (oldest first)", ks)
	}
}

func testKeyConflicts(t *testing.T, st store.Store) {
	ctx := context.Background()
	k := newKey("k1", time.Now())
	if err := st.CreateKey(ctx, k); err != nil {
		t.Fatal(err)
	}
	dupID := newKey("k1", time.Now())
	dupID.Hash = hashOf("other")
	if err := st.CreateKey(ctx, dupID); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("duplicate id: %v, want ErrConflict", err)
	}
	dupHash := newKey("k2", time.Now())
	dupHash.Hash = k.Hash
	if err := st.CreateKey(ctx, dupHash); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("duplicate hash: %v, want ErrConflict", err)
	}
	if err := st.CreateKey(ctx, store.APIKey{ID: "nohash"}); err == nil {
		t.Fatal("key without hash accepted")
	}
}

func testRevoke(t *testing.T, st store.Store) {
	ctx := context.Background()
	now := time.Now().UTC()
	if err := st.CreateKey(ctx, newKey("r", now)); err != nil {
		t.Fatal(err)
	}
	at := now.Add(time.Minute)
	if err := st.RevokeKey(ctx, "r", at); err != nil {
		t.Fatal(err)
	}
	if err := st.RevokeKey(ctx, "r", at.Add(time.Hour)); err != nil {
		t.Fatalf("second revoke: %v", err)
	}
	k, err := st.GetKeyByHash(ctx, hashOf("r"))
	if err != nil {
		t.Fatal(err)
	}
	if k.RevokedAt == nil || !k.RevokedAt.Equal(at) {
		t.Fatalf("RevokedAt = %v, want first revocation %v", k.RevokedAt, at)
	}
	if k.Active(now) {
		t.Fatal("revoked key reported active")
	}
	if err := st.RevokeKey(ctx, "nope", at); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("revoke unknown: %v, want ErrNotFound", err)
	}
}

// records builds n chain-shaped records after head (hashes are arbitrary
// here: the store does not interpret them).
func records(head store.AuditHead, n int, tag string) []store.AuditRecord {
	out := make([]store.AuditRecord, n)
	prev := head.Hash
	if prev == nil {
		prev = make([]byte, 32)
	}
	for i := range out {
		seq := head.Seq + int64(i) + 1
		h := sha256.Sum256(fmt.Appendf(nil, "%s-%d-%x", tag, seq, prev))
		out[i] = store.AuditRecord{Seq: seq, ID: fmt.Sprintf("%s-%d", tag, seq), Time: time.Unix(0, seq*1000).UTC(),
			PrevHash: prev, Hash: h[:], Data: fmt.Appendf(nil, `{"seq":%d}`, seq)}
		prev = h[:]
	}
	return out
}

func appendN(t testing.TB, st store.Store, n int, tag string) []store.AuditRecord {
	t.Helper()
	var got []store.AuditRecord
	err := st.AppendAudit(context.Background(), func(head store.AuditHead) ([]store.AuditRecord, error) {
		got = records(head, n, tag)
		return got, nil
	})
	if err != nil {
		t.Fatalf("AppendAudit: %v", err)
	}
	return got
}

func testAuditAppendList(t *testing.T, st store.Store) {
	ctx := context.Background()
	head, err := st.LastAudit(ctx)
	if err != nil || head.Seq != 0 || head.Hash != nil {
		t.Fatalf("empty head = %+v, %v", head, err)
	}
	first := appendN(t, st, 3, "a")
	second := appendN(t, st, 2, "b")
	if second[0].Seq != 4 || !bytes.Equal(second[0].PrevHash, first[2].Hash) {
		t.Fatalf("second batch did not continue from the head: %+v", second[0])
	}
	head, err = st.LastAudit(ctx)
	if err != nil || head.Seq != 5 || !bytes.Equal(head.Hash, second[1].Hash) {
		t.Fatalf("head = %+v, %v; want seq 5", head, err)
	}
	all, err := st.ListAudit(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	want := append(first, second...)
	if len(all) != len(want) {
		t.Fatalf("ListAudit returned %d records, want %d", len(all), len(want))
	}
	for i := range want {
		g, w := all[i], want[i]
		if g.Seq != w.Seq || g.ID != w.ID || !g.Time.Equal(w.Time) || !bytes.Equal(g.PrevHash, w.PrevHash) || !bytes.Equal(g.Hash, w.Hash) || !bytes.Equal(g.Data, w.Data) {
			t.Fatalf("record %d: got %+v want %+v", i, g, w)
		}
	}
	page, err := st.ListAudit(ctx, 2, 2)
	if err != nil || len(page) != 2 || page[0].Seq != 3 || page[1].Seq != 4 {
		t.Fatalf("ListAudit(after 2, limit 2) = %+v, %v", page, err)
	}
	if page, err := st.ListAudit(ctx, 5, 10); err != nil || len(page) != 0 {
		t.Fatalf("ListAudit past the head = %+v, %v", page, err)
	}
}

func testAuditRejects(t *testing.T, st store.Store) {
	ctx := context.Background()
	appendN(t, st, 1, "x")
	errBuild := errors.New("build failed")
	if err := st.AppendAudit(ctx, func(store.AuditHead) ([]store.AuditRecord, error) { return nil, errBuild }); !errors.Is(err, errBuild) {
		t.Fatalf("build error: got %v", err)
	}
	// A batch that skips a sequence number is refused, and nothing of it is written.
	err := st.AppendAudit(ctx, func(head store.AuditHead) ([]store.AuditRecord, error) {
		recs := records(head, 2, "gap")
		recs[1].Seq++
		return recs, nil
	})
	if err == nil {
		t.Fatal("non-contiguous batch accepted")
	}
	// A batch whose records the store would have to renumber is refused.
	err = st.AppendAudit(ctx, func(head store.AuditHead) ([]store.AuditRecord, error) {
		recs := records(head, 1, "stale")
		recs[0].Seq = head.Seq // collides with the head
		return recs, nil
	})
	if err == nil {
		t.Fatal("batch colliding with the head accepted")
	}
	head, err := st.LastAudit(ctx)
	if err != nil || head.Seq != 1 {
		t.Fatalf("head after rejected batches = %+v, %v; want seq 1", head, err)
	}
}

func testAuditConcurrent(t *testing.T, dsn string) {
	// Two handles on one database stand for two processes or replicas.
	a, b := open(t, dsn), open(t, dsn)
	const workers, each = 8, 10
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		st := a
		if w%2 == 1 {
			st = b
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				err := st.AppendAudit(context.Background(), func(head store.AuditHead) ([]store.AuditRecord, error) {
					return records(head, 1+i%3, fmt.Sprintf("w%d-%d", w, i)), nil
				})
				if err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent AppendAudit: %v", err)
	}
	all, err := a.ListAudit(context.Background(), 0, 10000)
	if err != nil {
		t.Fatal(err)
	}
	wantN := 0
	for i := range each {
		wantN += workers * (1 + i%3)
	}
	if len(all) != wantN {
		t.Fatalf("got %d records, want %d", len(all), wantN)
	}
	prev := make([]byte, 32)
	for i, r := range all {
		if r.Seq != int64(i+1) || !bytes.Equal(r.PrevHash, prev) {
			t.Fatalf("record %d (seq %d) does not continue the chain", i, r.Seq)
		}
		prev = r.Hash
	}
}

func testAppendOnly(t *testing.T, dsn string) {
	st := open(t, dsn)
	appendN(t, st, 2, "ao")
	// Reading makes the rows land in the table (SQLite copies them from
	// its journal first), so the statements below have rows to hit.
	if recs, err := st.ListAudit(context.Background(), 0, 10); err != nil || len(recs) != 2 {
		t.Fatalf("list: %d records, %v", len(recs), err)
	}
	loc, _ := store.ParseDSN(dsn)
	// The store refuses updates and deletes of audit rows (triggers).
	for _, q := range []string{"UPDATE audit_events SET id = 'changed' WHERE seq = 1", "DELETE FROM audit_events WHERE seq = 2"} {
		if err := rawExecErr(loc, q); err == nil {
			t.Fatalf("%q succeeded; audit rows must be append-only", q)
		}
	}
}

func rawExecErr(loc store.Location, query string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if loc.Kind == store.KindPostgres {
		conn, err := pgx.Connect(ctx, loc.Target)
		if err != nil {
			return err
		}
		defer func() { _ = conn.Close(context.Background()) }()
		_, err = conn.Exec(ctx, query)
		return err
	}
	db, err := sql.Open("sqlite", loc.Target+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return err
	}
	defer func() { _ = db.Close() }()
	_, err = db.ExecContext(ctx, query)
	return err
}

func testReopen(t *testing.T, dsn string) {
	// Several handles migrating at once (replicas starting together).
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st, err := store.Open(context.Background(), dsn)
			if err != nil {
				errs <- err
				return
			}
			errs <- st.Close()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("concurrent Open: %v", err)
		}
	}
	st := open(t, dsn)
	if err := st.CreateKey(context.Background(), newKey("persist", time.Now())); err != nil {
		t.Fatal(err)
	}
	appendN(t, st, 2, "p")
	_ = st.Close()
	st2 := open(t, dsn)
	if _, err := st2.GetKey(context.Background(), "persist"); err != nil {
		t.Fatalf("key lost across reopen: %v", err)
	}
	if head, err := st2.LastAudit(context.Background()); err != nil || head.Seq != 2 {
		t.Fatalf("audit head after reopen = %+v, %v", head, err)
	}
}
