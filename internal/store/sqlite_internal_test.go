package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func openTestSQLite(t *testing.T, path string) *sqliteStore {
	t.Helper()
	st, err := openSQLite(t.Context(), Location{Kind: KindSQLite, Target: path})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// appendOne appends one record continuing the head it is given and
// returns that head.
func appendOne(t *testing.T, st *sqliteStore, tag string) AuditHead {
	t.Helper()
	var seen AuditHead
	err := st.appendSQLite(context.Background(), func(head AuditHead) ([]AuditRecord, error) {
		seen = head
		prev := head.Hash
		if head.Seq == 0 {
			prev = make([]byte, 32)
		}
		h := sha256.Sum256(append(append([]byte{}, prev...), tag...))
		return []AuditRecord{{Seq: head.Seq + 1, ID: tag, Time: time.Now(), PrevHash: prev, Hash: h[:], Data: []byte(tag)}}, nil
	})
	if err != nil {
		t.Fatalf("append %s: %v", tag, err)
	}
	return seen
}

// TestSQLiteStaleHeadCache: a store caches the chain head between its
// appends; when another handle (another process) appended meanwhile, the
// append must build on the real head, not fork the chain.
func TestSQLiteStaleHeadCache(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.db")
	a, b := openTestSQLite(t, path), openTestSQLite(t, path)
	appendOne(t, a, "a1")
	appendOne(t, a, "a2") // a now caches head seq 2
	appendOne(t, b, "b3")
	appendOne(t, b, "b4")
	if got := appendOne(t, a, "a5"); got.Seq != 4 {
		t.Fatalf("a built on head seq %d, want 4 (the other handle's)", got.Seq)
	}
	recs, err := a.ListAudit(context.Background(), 0, 100)
	if err != nil || len(recs) != 5 {
		t.Fatalf("%d records, %v", len(recs), err)
	}
	prev := make([]byte, 32)
	for i, r := range recs {
		if r.Seq != int64(i+1) || !bytes.Equal(r.PrevHash, prev) {
			t.Fatalf("record %d (seq %d, %s) does not continue the chain", i, r.Seq, r.ID)
		}
		prev = r.Hash
	}
}

// TestSQLiteCheckpointsOffThePath: the writer does not checkpoint the WAL
// in its commits; the background checkpointer copies the appended pages
// into the database file, and the inline fallback does it synchronously.
func TestSQLiteCheckpointsOffThePath(t *testing.T) {
	dir := t.TempDir()
	size := func(p string) int64 {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}

	path := filepath.Join(dir, "bg.db")
	st := openTestSQLite(t, path)
	base := size(path)
	for i := range sqliteCheckpointEvery * 3 {
		appendOne(t, st, fmt.Sprintf("ev-%04d-%s", i, bytes.Repeat([]byte("x"), 900)))
	}
	deadline := time.Now().Add(20 * time.Second)
	for size(path) <= base {
		if time.Now().After(deadline) {
			t.Fatalf("database file still %d bytes: the WAL was never checkpointed", size(path))
		}
		time.Sleep(10 * time.Millisecond)
	}

	path = filepath.Join(dir, "inline.db")
	st = openTestSQLite(t, path)
	base = size(path)
	for i := range 20 { // far fewer than sqliteCheckpointEvery: no kick
		appendOne(t, st, fmt.Sprintf("ev-%04d-%s", i, bytes.Repeat([]byte("x"), 900)))
	}
	if size(path) != base {
		t.Fatalf("database file grew from %d to %d bytes: the writer checkpointed in its commits", base, size(path))
	}
	st.ckInline.Store(true) // as the checkpointer sets it when it falls behind
	appendOne(t, st, "after")
	if size(path) <= base || st.ckInline.Load() {
		t.Fatalf("inline checkpoint did not run: %d bytes (was %d), flag %v", size(path), base, st.ckInline.Load())
	}
}

// TestSQLiteWriterRecovers: the audit transaction is run by hand on the
// pinned writer connection; if that connection is left in a bad state
// (here: a transaction already open on it), no append may report success
// for a row that did not commit. On the transaction path (head not cached)
// BEGIN IMMEDIATE fails: the append fails, the connection is discarded,
// and the next append works on a fresh one.
func TestSQLiteWriterRecovers(t *testing.T) {
	st := openTestSQLite(t, filepath.Join(t.TempDir(), "w.db"))
	appendOne(t, st, "one")
	if _, err := st.wc.ExecContext(t.Context(), "BEGIN"); err != nil {
		t.Fatal(err)
	}
	st.headOK = false // take the transaction path
	err := st.appendSQLite(context.Background(), func(head AuditHead) ([]AuditRecord, error) {
		t.Fatal("build called although BEGIN IMMEDIATE must fail inside an open transaction")
		return nil, nil
	})
	if err == nil {
		t.Fatal("append inside a stray transaction succeeded")
	}
	if st.wc != nil {
		t.Fatal("the writer connection was kept after a failed BEGIN")
	}
	if got := appendOne(t, st, "two"); got.Seq != 1 {
		t.Fatalf("after recovery built on seq %d, want 1", got.Seq)
	}
	if err := st.CreateKey(t.Context(), APIKey{ID: "k1", Name: "n", Prefix: "p", Hash: make([]byte, 32), CreatedAt: time.Now()}); err != nil {
		t.Fatalf("key write after recovery: %v", err)
	}
	recs, err := st.ListAudit(context.Background(), 0, 10)
	if err != nil || len(recs) != 2 || string(recs[1].Data) != "two" {
		t.Fatalf("records %+v, %v", recs, err)
	}
}

// TestSQLiteFastAppendProvesCommit: the single-INSERT append (cached head)
// runs in autocommit mode; inside a stray transaction the INSERT would
// succeed without committing. The commit hook catches that: the row is
// rolled back with the connection and written again, durably, on a fresh
// one, so what the append reports is what another connection reads.
func TestSQLiteFastAppendProvesCommit(t *testing.T) {
	st := openTestSQLite(t, filepath.Join(t.TempDir(), "w.db"))
	if !st.fastOK {
		t.Fatal("commit hook not installed: the fast path is off")
	}
	appendOne(t, st, "one")
	c0 := st.wcCommits.Load()
	appendOne(t, st, "two") // fast path: one commit, seen by the hook
	if st.wcCommits.Load() != c0+1 {
		t.Fatalf("commit hook counted %d commits for one append", st.wcCommits.Load()-c0)
	}
	old := st.wc
	if _, err := st.wc.ExecContext(t.Context(), "BEGIN"); err != nil {
		t.Fatal(err)
	}
	builds := 0
	err := st.appendSQLite(context.Background(), func(head AuditHead) ([]AuditRecord, error) {
		builds++
		h := sha256.Sum256(append(bytes.Clone(head.Hash), "three"...))
		return []AuditRecord{{Seq: head.Seq + 1, ID: "three", Time: time.Now(), PrevHash: head.Hash, Hash: h[:], Data: []byte("three")}}, nil
	})
	if err != nil {
		t.Fatalf("append after a stray BEGIN: %v", err)
	}
	if st.wc == old {
		t.Fatal("the writer connection with the stray transaction was kept")
	}
	if builds != 2 {
		t.Fatalf("build ran %d times, want 2 (fast path, then the transaction path)", builds)
	}
	recs, err := st.ListAudit(context.Background(), 0, 10) // the reader pool: another connection
	if err != nil || len(recs) != 3 || string(recs[2].Data) != "three" || recs[2].Seq != 3 {
		t.Fatalf("records %+v, %v", recs, err)
	}
}

// TestSQLiteWALBounded: under steady appends the background checkpoints
// keep up but never let the log restart; the WAL file must still stay
// bounded (it grew without limit, about 4 KiB per append, before the writer
// checkpointed inline past sqliteWALInlineFrames).
func TestSQLiteWALBounded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "w.db")
	st := openTestSQLite(t, path)
	const appends = 5 * sqliteWALInlineFrames
	const frame = 4096 + 24
	limit := int64(2*sqliteWALInlineFrames) * frame
	row := bytes.Repeat([]byte("x"), 500)
	for i := range appends {
		appendOne(t, st, fmt.Sprintf("ev-%06d-%s", i, row))
		if i%1024 == 1023 {
			fi, err := os.Stat(path + "-wal")
			if err != nil {
				t.Fatal(err)
			}
			if fi.Size() > limit {
				t.Fatalf("after %d appends the WAL is %d bytes, over %d: it does not restart", i+1, fi.Size(), limit)
			}
		}
	}
}
