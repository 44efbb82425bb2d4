package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// chainRecords returns n records continuing head.
func chainRecords(head AuditHead, n int, tag string) []AuditRecord {
	prev := head.Hash
	if head.Seq == 0 {
		prev = make([]byte, 32)
	}
	var recs []AuditRecord
	for i := range n {
		seq := head.Seq + int64(i) + 1
		data := fmt.Appendf(nil, "%s-%d", tag, seq)
		h := sha256.Sum256(append(bytes.Clone(prev), data...))
		recs = append(recs, AuditRecord{Seq: seq, ID: fmt.Sprintf("%s%d", tag, seq), Time: time.Unix(0, 1700000000000000000+seq).UTC(), PrevHash: prev, Hash: h[:], Data: data})
		prev = h[:]
	}
	return recs
}

// appendJ appends n records through AppendAudit (the journal).
func appendJ(t *testing.T, st *sqliteStore, n int, tag string) {
	t.Helper()
	err := st.AppendAudit(context.Background(), func(head AuditHead) ([]AuditRecord, error) {
		return chainRecords(head, n, tag), nil
	})
	if err != nil {
		t.Fatalf("append %s: %v", tag, err)
	}
}

// wantChain checks that the table holds seq 1..n, each continuing the last.
func wantChain(t *testing.T, st *sqliteStore, n int) {
	t.Helper()
	recs, err := st.ListAudit(context.Background(), 0, 10000)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != n {
		t.Fatalf("%d records, want %d", len(recs), n)
	}
	prev := make([]byte, 32)
	for i, r := range recs {
		if r.Seq != int64(i+1) || !bytes.Equal(r.PrevHash, prev) {
			t.Fatalf("record %d (seq %d) does not continue the chain", i, r.Seq)
		}
		prev = r.Hash
	}
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

func TestJournalRecordsRoundTrip(t *testing.T) {
	recs := chainRecords(AuditHead{}, 5, "rt")
	recs[2].Data = nil
	b, err := appendJournalRecords(nil, recs)
	if err != nil {
		t.Fatal(err)
	}
	got, end, torn, err := parseJournal(b)
	if err != nil || torn || end != len(b) || len(got) != len(recs) {
		t.Fatalf("parse: %d records, end %d of %d, torn %v, %v", len(got), end, len(b), torn, err)
	}
	for i := range recs {
		w, g := recs[i], got[i]
		if g.Seq != w.Seq || g.ID != w.ID || !g.Time.Equal(w.Time) || !bytes.Equal(g.PrevHash, w.PrevHash) || !bytes.Equal(g.Hash, w.Hash) || !bytes.Equal(g.Data, w.Data) {
			t.Fatalf("record %d: got %+v, want %+v", i, g, w)
		}
	}
	if _, err := appendJournalRecords(nil, []AuditRecord{{Seq: 1, ID: strings.Repeat("x", journalMaxID+1)}}); err == nil {
		t.Fatal("an over-long id was framed")
	}
}

func TestParseJournalTornAndCorrupt(t *testing.T) {
	recs := chainRecords(AuditHead{}, 3, "tc")
	b, _ := appendJournalRecords(nil, recs)
	one, _ := appendJournalRecords(nil, recs[:1])
	two, _ := appendJournalRecords(nil, recs[:2])
	// Cut anywhere inside the third record: two records, torn.
	for cut := len(two) + 1; cut < len(b); cut++ {
		got, end, torn, err := parseJournal(b[:cut])
		if err != nil || !torn || len(got) != 2 || end != len(two) {
			t.Fatalf("cut at %d: %d records, end %d, torn %v, %v", cut, len(got), end, torn, err)
		}
	}
	// A bad checksum on the last record: a torn write.
	last := bytes.Clone(b)
	last[len(last)-1] ^= 1
	if got, end, torn, err := parseJournal(last); err != nil || !torn || len(got) != 2 || end != len(two) {
		t.Fatalf("bad last checksum: %d records, torn %v, %v", len(got), torn, err)
	}
	// A bad checksum with records after it: corruption, not a torn write.
	mid := bytes.Clone(b)
	mid[len(one)+journalFrameSize+3] ^= 1
	if got, _, _, err := parseJournal(mid); !errors.Is(err, errJournalCorrupt) || len(got) != 1 {
		t.Fatalf("bad middle checksum: %d records, %v", len(got), err)
	}
	// An impossible length.
	huge := bytes.Clone(b)
	huge[0] = 0xff
	if _, _, _, err := parseJournal(huge); !errors.Is(err, errJournalCorrupt) {
		t.Fatalf("huge length: %v", err)
	}
}

func FuzzParseJournal(f *testing.F) {
	b, _ := appendJournalRecords(nil, chainRecords(AuditHead{}, 3, "fz"))
	f.Add(b)
	f.Add(b[:len(b)-3])
	f.Add([]byte{0, 0, 0, 1, 0, 0, 0, 0, 7})
	f.Fuzz(func(t *testing.T, b []byte) {
		recs, end, _, err := parseJournal(b)
		if end < 0 || end > len(b) {
			t.Fatalf("end %d outside 0..%d", end, len(b))
		}
		if err == nil {
			// What parsed re-encodes to the bytes it came from.
			again, err := appendJournalRecords(nil, recs)
			if err != nil || !bytes.Equal(again, b[:end]) {
				t.Fatalf("re-encoding %d records differs (%v)", len(recs), err)
			}
		}
	})
}

// TestJournalEmptiedByIngest: appends land in the journal, the ingester
// copies them into the table and empties the file.
func TestJournalEmptiedByIngest(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.db")
	st := openTestSQLite(t, path)
	if st.j == nil {
		t.Skip("no audit journal on this platform")
	}
	for i := range 10 {
		appendJ(t, st, 1+i%3, "e")
	}
	if fileSize(t, path+"-auditlog") <= journalHeaderSize {
		t.Fatal("the appends did not go to the journal")
	}
	deadline := time.Now().Add(10 * time.Second)
	for fileSize(t, path+"-auditlog") != journalHeaderSize {
		if time.Now().After(deadline) {
			t.Fatal("the background ingester never emptied the journal")
		}
		time.Sleep(time.Millisecond)
	}
	head, err := st.tableHead(context.Background())
	if err != nil || head.Seq != 19 {
		t.Fatalf("table head %d, %v; want 19", head.Seq, err)
	}
	wantChain(t, st, 19)
}

// TestJournalRecoversTornTail: a journal left by a writer that died mid-
// write is copied up to the torn record when the database is next opened,
// and appends continue the chain after it.
func TestJournalRecoversTornTail(t *testing.T) {
	if !journalSupported {
		t.Skip("no audit journal on this platform")
	}
	path := filepath.Join(t.TempDir(), "t.db")
	recs := chainRecords(AuditHead{}, 4, "torn")
	b, _ := appendJournalRecords(journalHeader(7), recs)
	b = b[:len(b)-5] // the fourth record's write never completed
	if err := os.WriteFile(path+"-auditlog", b, 0o600); err != nil {
		t.Fatal(err)
	}
	st := openTestSQLite(t, path)
	if head, err := st.tableHead(context.Background()); err != nil || head.Seq != 3 {
		t.Fatalf("after open the table head is %d (%v), want 3: the journal was not recovered", head.Seq, err)
	}
	if got := fileSize(t, path+"-auditlog"); got != journalHeaderSize {
		t.Fatalf("journal %d bytes after recovery, want the bare header", got)
	}
	appendJ(t, st, 2, "after")
	wantChain(t, st, 5)
}

// TestJournalCorruptFailsClosed: damage in the middle of the journal (not
// a torn final write) stops the store from opening, naming the file,
// instead of dropping acknowledged events.
func TestJournalCorruptFailsClosed(t *testing.T) {
	if !journalSupported {
		t.Skip("no audit journal on this platform")
	}
	dir := t.TempDir()
	recs := chainRecords(AuditHead{}, 3, "bad")
	b, _ := appendJournalRecords(journalHeader(1), recs)
	b[journalHeaderSize+journalFrameSize+2] ^= 0x40
	path := filepath.Join(dir, "c.db")
	if err := os.WriteFile(path+"-auditlog", b, 0o600); err != nil {
		t.Fatal(err)
	}
	st, err := openSQLite(context.Background(), Location{Kind: KindSQLite, Target: path})
	if err == nil {
		_ = st.Close()
		t.Fatal("opened over a corrupt journal")
	}
	if !errors.Is(err, errJournalCorrupt) || !strings.Contains(err.Error(), path+"-auditlog") {
		t.Fatalf("error %q does not say the journal is corrupt and where", err)
	}
	if got, _ := os.ReadFile(path + "-auditlog"); !bytes.Equal(got, b) {
		t.Fatal("the corrupt journal was changed")
	}

	other := filepath.Join(dir, "h.db")
	if err := os.WriteFile(other+"-auditlog", []byte("not a journal at all"), 0o600); err != nil {
		t.Fatal(err)
	}
	if st, err := openSQLite(context.Background(), Location{Kind: KindSQLite, Target: other}); err == nil {
		_ = st.Close()
		t.Fatal("opened over a file that is not a journal")
	}
}

// TestJournalAcrossHandles: two handles on one database stand for two
// processes. A read through one sees what the other appended; and when one
// empties the journal and the other refills it to the very length the
// first last saw, the generation in the header tells the first that its
// cached head is stale (without it, it would fork the chain).
func TestJournalAcrossHandles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.db")
	a, b := openTestSQLite(t, path), openTestSQLite(t, path)
	if a.j == nil {
		t.Skip("no audit journal on this platform")
	}
	a.stopIngester() // no background copy may run between the steps below
	b.stopIngester()
	appendJ(t, a, 1, "a")
	if recs, err := b.ListAudit(context.Background(), 0, 10); err != nil || len(recs) != 1 {
		t.Fatalf("b sees %d records (%v), want a's one", len(recs), err)
	}
	// b's read emptied the journal; b appends one record of the same size.
	appendJ(t, b, 1, "b")
	if fileSize(t, path+"-auditlog") != a.j.size {
		t.Fatalf("journal %d bytes, a last saw %d: the records must be the same size", fileSize(t, path+"-auditlog"), a.j.size)
	}
	appendJ(t, a, 1, "a")
	wantChain(t, a, 3)
}

// TestJournalBacklogBounded: while nothing copies the journal into the
// table, appends fail once the journal passes its limit, and work again
// once a read has copied it.
func TestJournalBacklogBounded(t *testing.T) {
	st := openTestSQLite(t, filepath.Join(t.TempDir(), "b.db"))
	if st.j == nil {
		t.Skip("no audit journal on this platform")
	}
	st.stopIngester()
	old := journalMaxBacklog
	journalMaxBacklog = 4096
	t.Cleanup(func() { journalMaxBacklog = old })
	n := 0
	for ; n < 1000; n++ {
		err := st.AppendAudit(context.Background(), func(head AuditHead) ([]AuditRecord, error) {
			return chainRecords(head, 1, "bl"), nil
		})
		if err != nil {
			if !strings.Contains(err.Error(), "not yet copied") {
				t.Fatalf("append %d: %v", n, err)
			}
			break
		}
	}
	if n == 0 || n == 1000 {
		t.Fatalf("%d appends before the limit", n)
	}
	wantChain(t, st, n) // the read copies the journal
	appendJ(t, st, 1, "again")
	wantChain(t, st, n+1)
}

// TestJournalLockBounded: while another process holds the journal lock
// (here: another open file description of it, as another process has),
// an append fails after the busy timeout instead of hanging.
func TestJournalLockBounded(t *testing.T) {
	old := journalLockTimeout
	journalLockTimeout = 300 * time.Millisecond
	t.Cleanup(func() { journalLockTimeout = old })
	path := filepath.Join(t.TempDir(), "l.db")
	st := openTestSQLite(t, path)
	if st.j == nil {
		t.Skip("no audit journal on this platform")
	}
	other, err := os.OpenFile(path+"-auditlog", os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if err := lockFile(other.Fd()); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err = st.AppendAudit(context.Background(), func(head AuditHead) ([]AuditRecord, error) {
		return chainRecords(head, 1, "lk"), nil
	})
	if err == nil || !strings.Contains(err.Error(), "another process has held it") {
		t.Fatalf("append while the lock is held elsewhere: %v", err)
	}
	if waited := time.Since(start); waited < journalLockTimeout {
		t.Fatalf("gave up after %v, before the busy timeout", waited)
	}
	if err := unlockFile(other.Fd()); err != nil {
		t.Fatal(err)
	}
	appendJ(t, st, 1, "after")
	wantChain(t, st, 1)
}

// TestJournalDamageFailsClosed covers damage a torn write cannot leave: a
// changed length in a middle record (it would otherwise read as a short
// file, dropping every record after it), while a run of zeros to the end
// (what a power loss can leave) is a torn write and the records before it
// are kept.
func TestJournalDamageFailsClosed(t *testing.T) {
	if !journalSupported {
		t.Skip("no audit journal on this platform")
	}
	recs := chainRecords(AuditHead{}, 5, "d")
	one, _ := appendJournalRecords(nil, recs[:1])

	flipped, _ := appendJournalRecords(journalHeader(1), recs)
	flipped[journalHeaderSize+len(one)+1] ^= 0x10 // record 2's length, now past the end
	path := filepath.Join(t.TempDir(), "len.db")
	if err := os.WriteFile(path+"-auditlog", flipped, 0o600); err != nil {
		t.Fatal(err)
	}
	if st, err := openSQLite(context.Background(), Location{Kind: KindSQLite, Target: path}); err == nil {
		_ = st.Close()
		t.Fatal("opened over a journal with a damaged record length")
	} else if !errors.Is(err, errJournalCorrupt) {
		t.Fatalf("damaged length: %v", err)
	}

	zeros, _ := appendJournalRecords(journalHeader(1), recs[:2])
	zeros = append(zeros, make([]byte, 4096)...)
	path = filepath.Join(t.TempDir(), "zero.db")
	if err := os.WriteFile(path+"-auditlog", zeros, 0o600); err != nil {
		t.Fatal(err)
	}
	st := openTestSQLite(t, path)
	wantChain(t, st, 2)
	appendJ(t, st, 1, "z")
	wantChain(t, st, 3)
}

// TestJournalForkRefused: journal records that do not continue the
// table's chain (another seq 3 than the table's) are refused, and appends
// stop, instead of the table taking a record that links to a hash it does
// not hold.
func TestJournalForkRefused(t *testing.T) {
	st := openTestSQLite(t, filepath.Join(t.TempDir(), "f.db"))
	if st.j == nil {
		t.Skip("no audit journal on this platform")
	}
	st.stopIngester()
	appendJ(t, st, 3, "a")
	wantChain(t, st, 3) // copied into the table; the journal is empty
	fork := chainRecords(AuditHead{Seq: 2, Hash: bytes.Repeat([]byte{7}, 32)}, 2, "fork")
	buf, _ := appendJournalRecords(nil, fork)
	st.j.mu.Lock()
	if _, err := st.j.f.WriteAt(buf, journalHeaderSize); err != nil {
		t.Fatal(err)
	}
	st.j.mu.Unlock()
	if _, err := st.ListAudit(context.Background(), 0, 10); !errors.Is(err, errJournalCorrupt) || !strings.Contains(err.Error(), "forked") {
		t.Fatalf("read over a forked journal: %v", err)
	}
	if head, err := st.tableHead(context.Background()); err != nil || head.Seq != 3 {
		t.Fatalf("table head %d (%v): the fork was copied", head.Seq, err)
	}
	if err := st.AppendAudit(context.Background(), func(h AuditHead) ([]AuditRecord, error) { return chainRecords(h, 1, "b"), nil }); err == nil {
		t.Fatal("append accepted after the journal was found forked")
	}
}

// TestJournalCorruptionStopsAppends: once the copy into the table finds
// the journal damaged, appends fail instead of piling up behind it.
func TestJournalCorruptionStopsAppends(t *testing.T) {
	st := openTestSQLite(t, filepath.Join(t.TempDir(), "s.db"))
	if st.j == nil {
		t.Skip("no audit journal on this platform")
	}
	st.stopIngester()
	appendJ(t, st, 3, "a")
	st.j.mu.Lock()
	var x [1]byte
	off := int64(journalHeaderSize + journalFrameSize + 3) // the first record's payload
	_, _ = st.j.f.ReadAt(x[:], off)
	x[0] ^= 1
	_, _ = st.j.f.WriteAt(x[:], off) // same size: the handle's cached state still matches
	st.j.mu.Unlock()
	if _, err := st.ListAudit(context.Background(), 0, 10); !errors.Is(err, errJournalCorrupt) {
		t.Fatalf("read over a damaged journal: %v", err)
	}
	err := st.AppendAudit(context.Background(), func(h AuditHead) ([]AuditRecord, error) { return chainRecords(h, 1, "b"), nil })
	if !errors.Is(err, errJournalCorrupt) {
		t.Fatalf("append after the damage was found: %v", err)
	}
}

// TestJournalClosedHandle: after Close, an append fails at once and
// touches no file descriptor (its number may belong to another file by
// then, whose lock it would release).
func TestJournalClosedHandle(t *testing.T) {
	dir := t.TempDir()
	a, err := openSQLite(context.Background(), Location{Kind: KindSQLite, Target: filepath.Join(dir, "a.db")})
	if err != nil {
		t.Fatal(err)
	}
	if a.j == nil {
		_ = a.Close()
		t.Skip("no audit journal on this platform")
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	c := openTestSQLite(t, filepath.Join(dir, "c.db"))
	if err := a.AppendAudit(context.Background(), func(h AuditHead) ([]AuditRecord, error) { return chainRecords(h, 1, "x"), nil }); !errors.Is(err, errJournalClosed) {
		t.Fatalf("append on a closed store: %v", err)
	}
	if _, err := a.LastAudit(context.Background()); err == nil {
		t.Fatal("read on a closed store succeeded")
	}
	appendJ(t, c, 1, "c")
	wantChain(t, c, 1)
}
