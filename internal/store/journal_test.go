package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
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

// tryAppend appends n records through AppendAudit (the journal).
func tryAppend(st *sqliteStore, n int, tag string) error {
	return st.AppendAudit(context.Background(), func(head AuditHead) ([]AuditRecord, error) {
		return chainRecords(head, n, tag), nil
	})
}

// appendJ is tryAppend that must succeed.
func appendJ(t *testing.T, st *sqliteStore, n int, tag string) {
	t.Helper()
	if err := tryAppend(st, n, tag); err != nil {
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

// frames encodes each record as its own frame (its own append), after
// dst.
func frames(dst []byte, recs []AuditRecord) []byte {
	for i := range recs {
		dst, _ = appendJournalRecords(dst, recs[i:i+1])
	}
	return dst
}

func sameRecords(t *testing.T, got, want []AuditRecord) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d records, want %d", len(got), len(want))
	}
	for i := range want {
		w, g := want[i], got[i]
		if g.Seq != w.Seq || g.ID != w.ID || !g.Time.Equal(w.Time) || !bytes.Equal(g.PrevHash, w.PrevHash) || !bytes.Equal(g.Hash, w.Hash) || !bytes.Equal(g.Data, w.Data) {
			t.Fatalf("record %d: got %+v, want %+v", i, g, w)
		}
	}
}

func TestJournalRecordsRoundTrip(t *testing.T) {
	recs := chainRecords(AuditHead{}, 5, "rt")
	recs[2].Data = nil
	for _, b := range [][]byte{frames(nil, recs), func() []byte { b, _ := appendJournalRecords(nil, recs); return b }()} {
		got, end, stop, _, err := parseJournal(b, true)
		if err != nil || stop != stopEnd || end != len(b) {
			t.Fatalf("parse: end %d of %d, stop %v, %v", end, len(b), stop, err)
		}
		sameRecords(t, got, recs)
	}
	if _, err := appendJournalRecords(nil, []AuditRecord{{Seq: 1, ID: strings.Repeat("x", journalMaxID+1)}}); err == nil {
		t.Fatal("an over-long id was framed")
	}
}

func TestParseJournalTornAndCorrupt(t *testing.T) {
	recs := chainRecords(AuditHead{}, 3, "tc")
	b := frames(nil, recs)
	one := frames(nil, recs[:1])
	two := frames(nil, recs[:2])
	// Cut anywhere inside the third frame, at the end of the file: two
	// records, torn; before the end of the file: read more (or look at
	// the rest of the file).
	for cut := len(two) + 1; cut < len(b); cut++ {
		got, end, stop, _, err := parseJournal(b[:cut], true)
		if err != nil || stop != stopTorn || len(got) != 2 || end != len(two) {
			t.Fatalf("cut at %d: %d records, end %d, stop %v, %v", cut, len(got), end, stop, err)
		}
		// (stopZeros while what was read of the frame is zeros so far: a
		// length's leading bytes are.)
		if _, _, stop, _, err := parseJournal(b[:cut], false); err != nil || stop != stopMore && stop != stopZeros {
			t.Fatalf("cut at %d, not the end of the file: stop %v, %v", cut, stop, err)
		}
	}
	// A bad checksum on the last frame, or on one followed only by zeros:
	// a torn write. Zeros right after valid frames: torn too.
	last := bytes.Clone(b)
	last[len(last)-1] ^= 1
	zeroed := append(bytes.Clone(last), make([]byte, 100)...)
	for name, in := range map[string][]byte{"last": last, "zeros after": zeroed, "zero tail": append(bytes.Clone(two), make([]byte, 9)...)} {
		if got, end, stop, _, err := parseJournal(in, true); err != nil || stop != stopTorn || len(got) != 2 || end != len(two) {
			t.Fatalf("%s: %d records, stop %v, %v", name, len(got), stop, err)
		}
	}
	// Not at the end of the file, zeros after a bad frame are judged by
	// the rest of the file.
	if _, end, stop, z, err := parseJournal(zeroed, false); err != nil || stop != stopZeros || end != len(two) || z != len(b) {
		t.Fatalf("zeros after, not at the end of the file: stop %v at %d (end %d), %v", stop, z, end, err)
	}
	// A bad checksum with data after it: corruption, and the records
	// before the damaged frame are still returned.
	mid := bytes.Clone(b)
	mid[len(one)+journalFrameSize+3] ^= 1
	if got, end, stop, _, err := parseJournal(mid, true); err != nil || stop != stopDamaged || end != len(one) || len(got) != 1 {
		t.Fatalf("bad middle checksum: %d records, stop %v at %d, %v", len(got), stop, end, err)
	}
	// A damaged length (its own checksum fails).
	huge := bytes.Clone(b)
	huge[len(one)] ^= 0x40
	if got, _, stop, _, err := parseJournal(huge, true); err != nil || stop != stopDamaged || len(got) != 1 {
		t.Fatalf("damaged length: %d records, stop %v, %v", len(got), stop, err)
	}
	// A frame length over the limit with a valid checksum of its own.
	over := bytes.Clone(b)
	binary.BigEndian.PutUint32(over[len(one):], journalMaxFrame+1)
	binary.BigEndian.PutUint32(over[len(one)+4:], crc32.Checksum(over[len(one):len(one)+4], journalCRC))
	if _, _, _, _, err := parseJournal(over, true); !errors.Is(err, errJournalCorrupt) {
		t.Fatalf("over-long frame: %v", err)
	}
	// Frames that do not continue each other's chain.
	other := frames(bytes.Clone(one), chainRecords(AuditHead{Seq: 1, Hash: bytes.Repeat([]byte{9}, 32)}, 1, "x"))
	if _, _, _, _, err := parseJournal(other, true); !errors.Is(err, errJournalCorrupt) {
		t.Fatalf("unchained frames: %v", err)
	}
}

func FuzzParseJournal(f *testing.F) {
	recs := chainRecords(AuditHead{}, 3, "fz")
	b := frames(nil, recs)
	f.Add(b, true)
	f.Add(b[:len(b)-3], false)
	one, _ := appendJournalRecords(nil, recs)
	f.Add(one, true)
	f.Add([]byte{0, 0, 0, 1, 0, 0, 0, 0, 7}, true)
	f.Fuzz(func(t *testing.T, b []byte, atEOF bool) {
		recs, end, stop, zeroFrom, err := parseJournal(b, atEOF)
		if end < 0 || end > len(b) || zeroFrom < 0 || zeroFrom > len(b) {
			t.Fatalf("end %d, zeroFrom %d outside 0..%d", end, zeroFrom, len(b))
		}
		if err == nil && stop == stopEnd && end != len(b) {
			t.Fatalf("stopped at %d of %d without saying why", end, len(b))
		}
		if atEOF && (stop == stopMore || stop == stopZeros) {
			t.Fatalf("at the end of the file, stop %v", stop)
		}
		if len(recs) > 0 {
			// What parsed encodes again, as one frame, to the same records.
			again, err := appendJournalRecords(nil, recs)
			if err != nil {
				t.Fatal(err)
			}
			got, _, _, _, err := parseJournal(again, true)
			if err != nil {
				t.Fatal(err)
			}
			sameRecords(t, got, recs)
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
	b := frames(journalHeader(7), recs)
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
	b := frames(journalHeader(1), recs)
	one := frames(nil, recs[:1])
	b[journalHeaderSize+len(one)+journalFrameSize+2] ^= 0x40 // in the second of three frames
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
	// The record before the damage made it into the table: moving the
	// journal aside, as the error says, loses only what followed it.
	if err := os.Rename(path+"-auditlog", path+"-auditlog.damaged"); err != nil {
		t.Fatal(err)
	}
	wantChain(t, openTestSQLite(t, path), 1)

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
		if err := tryAppend(st, 1, "bl"); err != nil {
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
	err = tryAppend(st, 1, "lk")
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
	one := frames(nil, recs[:1])

	flipped := frames(journalHeader(1), recs)
	flipped[journalHeaderSize+len(one)+1] ^= 0x10 // frame 2's length, now past the end
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

	zeros := frames(journalHeader(1), recs[:2])
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
	if err := tryAppend(st, 1, "b"); err == nil {
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
	for range 3 {
		appendJ(t, st, 1, "a") // three appends: three frames
	}
	st.j.mu.Lock()
	var x [1]byte
	off := int64(journalHeaderSize + journalFrameSize + 3) // the first frame's payload
	_, _ = st.j.f.ReadAt(x[:], off)
	x[0] ^= 1
	_, _ = st.j.f.WriteAt(x[:], off) // same size: the handle's cached state still matches
	st.j.mu.Unlock()
	if _, err := st.ListAudit(context.Background(), 0, 10); !errors.Is(err, errJournalCorrupt) {
		t.Fatalf("read over a damaged journal: %v", err)
	}
	err := tryAppend(st, 1, "b")
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
	if err := tryAppend(a, 1, "x"); !errors.Is(err, errJournalClosed) {
		t.Fatalf("append on a closed store: %v", err)
	}
	if _, err := a.LastAudit(context.Background()); err == nil {
		t.Fatal("read on a closed store succeeded")
	}
	appendJ(t, c, 1, "c")
	wantChain(t, c, 1)
}

// TestJournalZeroRuns: a run of zeros to the end of the file (a power loss
// after the file was extended) is a torn write however long it is; zeros
// followed by data are damage, and the scan ends either way (it once
// re-read a zero run longer than a frame forever).
func TestJournalZeroRuns(t *testing.T) {
	if !journalSupported {
		t.Skip("no audit journal on this platform")
	}
	recs := chainRecords(AuditHead{}, 3, "zr")
	gap := int64(journalFrameSize + journalMaxFrame + 4096) // sparse: cheap to make
	for _, tc := range []struct {
		name      string
		dataAfter bool
	}{{"zeros to the end", false}, {"zeros then data", true}} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "z.db")
			b := frames(journalHeader(1), recs[:2])
			if err := os.WriteFile(path+"-auditlog", b, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Truncate(path+"-auditlog", int64(len(b))+gap); err != nil {
				t.Fatal(err)
			}
			if tc.dataAfter {
				f, err := os.OpenFile(path+"-auditlog", os.O_WRONLY|os.O_APPEND, 0)
				if err != nil {
					t.Fatal(err)
				}
				_, err = f.Write(frames(nil, recs[2:]))
				if cerr := f.Close(); err == nil {
					err = cerr
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			done := make(chan error, 1)
			go func() {
				st, err := openSQLite(context.Background(), Location{Kind: KindSQLite, Target: path})
				if err == nil {
					recs, lerr := st.ListAudit(context.Background(), 0, 10)
					if lerr == nil && len(recs) != 2 {
						lerr = fmt.Errorf("%d records kept, want 2", len(recs))
					}
					err = errors.Join(lerr, st.Close())
				}
				done <- err
			}()
			select {
			case err := <-done:
				if tc.dataAfter && !errors.Is(err, errJournalCorrupt) {
					t.Fatalf("zeros then data: %v, want corruption", err)
				}
				if !tc.dataAfter && err != nil {
					t.Fatalf("zeros to the end: %v", err)
				}
			case <-time.After(30 * time.Second):
				t.Fatal("open did not finish: the scan loops")
			}
		})
	}
}

// TestJournalFailedRefusesReads: a journal that refuses appends (after a
// failed fsync) fails reads too, so /readyz reports the node unready.
func TestJournalFailedRefusesReads(t *testing.T) {
	st := openTestSQLite(t, filepath.Join(t.TempDir(), "r.db"))
	if st.j == nil {
		t.Skip("no audit journal on this platform")
	}
	appendJ(t, st, 1, "ok")
	st.j.mu.Lock()
	st.j.failed = errors.New("store: sync audit journal failed (test)")
	st.j.mu.Unlock()
	if _, err := st.LastAudit(context.Background()); err == nil || !strings.Contains(err.Error(), "sync audit journal failed") {
		t.Fatalf("read on a failed journal: %v", err)
	}
}

// TestJournalScanChunkBoundaries: the scan reads the journal in chunks;
// wherever a chunk ends inside a frame (in its length's leading zero bytes
// too), a healthy journal reads whole.
func TestJournalScanChunkBoundaries(t *testing.T) {
	if !journalSupported {
		t.Skip("no audit journal on this platform")
	}
	path := filepath.Join(t.TempDir(), "k.db")
	recs := chainRecords(AuditHead{}, 6, "k")
	b := frames(journalHeader(1), recs)
	if err := os.WriteFile(path+"-auditlog", b, 0o600); err != nil {
		t.Fatal(err)
	}
	j, err := openJournal(path, false)
	if err != nil {
		t.Fatal(err)
	}
	defer j.f.Close()
	old := journalReadChunk
	t.Cleanup(func() { journalReadChunk = old })
	for chunk := int64(1); chunk <= int64(len(b)); chunk++ {
		journalReadChunk = chunk
		var got []AuditRecord
		end, err := j.scan(journalHeaderSize, int64(len(b)), func(r []AuditRecord) error { got = append(got, r...); return nil })
		if err != nil || end != int64(len(b)) || len(got) != len(recs) {
			t.Fatalf("chunk %d: %d records, end %d of %d, %v", chunk, len(got), end, len(b), err)
		}
	}
}

// TestJournalTornLastAppendHeaderLost: a power loss that zeroes the start
// of the last append (its frame header) while later bytes of it survive
// leaves no valid frame after the damage: a torn write, not corruption.
func TestJournalTornLastAppendHeaderLost(t *testing.T) {
	if !journalSupported {
		t.Skip("no audit journal on this platform")
	}
	path := filepath.Join(t.TempDir(), "h.db")
	recs := chainRecords(AuditHead{}, 4, "hl")
	b := frames(journalHeader(1), recs[:3])
	last, _ := appendJournalRecords(nil, recs[3:])
	clear(last[:journalFrameSize+8])
	if err := os.WriteFile(path+"-auditlog", append(b, last...), 0o600); err != nil {
		t.Fatal(err)
	}
	// Whatever the read chunk, the scan calls it torn after three records.
	j, err := openJournal(path, false)
	if err != nil {
		t.Fatal(err)
	}
	size := int64(len(b) + len(last))
	old := journalReadChunk
	for chunk := int64(1); chunk <= size; chunk++ {
		journalReadChunk = chunk
		n := 0
		end, err := j.scan(journalHeaderSize, size, func(r []AuditRecord) error { n += len(r); return nil })
		if err != nil || n != 3 || end != int64(len(b)) {
			journalReadChunk = old
			t.Fatalf("chunk %d: %d records, end %d, %v", chunk, n, end, err)
		}
	}
	journalReadChunk = old
	_ = j.f.Close()
	st := openTestSQLite(t, path)
	wantChain(t, st, 3)
}

// TestJournalSymlinkSharesJournal: a database opened through a symlink
// and through its real name uses one journal (SQLite follows the link;
// two journals would fork the chain).
func TestJournalSymlinkSharesJournal(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real.db")
	a := openTestSQLite(t, real)
	if a.j == nil {
		t.Skip("no audit journal on this platform")
	}
	link := filepath.Join(dir, "link.db")
	if err := os.Symlink(real, link); err != nil {
		t.Skip("no symlinks here:", err)
	}
	b := openTestSQLite(t, link)
	a.stopIngester()
	b.stopIngester()
	appendJ(t, a, 1, "a")
	appendJ(t, b, 1, "b")
	wantChain(t, b, 2)
	if _, err := os.Stat(link + "-auditlog"); !os.IsNotExist(err) {
		t.Fatalf("a second journal beside the link: %v", err)
	}
}

// TestJournalHeadAfterOthersAppend: a handle that emptied the journal
// keeps its cached head only if its own append was the last one; here the
// other handle appended after it (a mistake there forks the chain).
func TestJournalHeadAfterOthersAppend(t *testing.T) {
	path := filepath.Join(t.TempDir(), "o.db")
	a, b := openTestSQLite(t, path), openTestSQLite(t, path)
	if a.j == nil {
		t.Skip("no audit journal on this platform")
	}
	a.stopIngester()
	b.stopIngester()
	appendJ(t, a, 1, "a")
	appendJ(t, b, 1, "b")
	if _, err := a.LastAudit(context.Background()); err != nil { // a empties the journal
		t.Fatal(err)
	}
	appendJ(t, a, 1, "a")
	wantChain(t, a, 3)
}

// TestJournalAppendTrimsTornTail: a writer that died mid-write (here: a
// frame header claiming more bytes than follow) leaves a torn tail; the
// next append writes over it, not after it, and the chain reads whole.
func TestJournalAppendTrimsTornTail(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.db")
	st := openTestSQLite(t, path)
	if st.j == nil {
		t.Skip("no audit journal on this platform")
	}
	st.stopIngester()
	appendJ(t, st, 1, "a")
	next, _ := appendJournalRecords(nil, chainRecords(AuditHead{Seq: 1, Hash: bytes.Repeat([]byte{1}, 32)}, 1, "dead"))
	f, err := os.OpenFile(path+"-auditlog", os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.Write(next[:len(next)/2]) // the other writer's half-done append
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	appendJ(t, st, 1, "b")
	wantChain(t, st, 2)
}

// TestJournalBytesGauge: the backlog gauge shows appends waiting in the
// journal and falls back to 0 once a read copied them.
func TestJournalBytesGauge(t *testing.T) {
	st := openTestSQLite(t, filepath.Join(t.TempDir(), "g.db"))
	if st.j == nil {
		t.Skip("no audit journal on this platform")
	}
	st.stopIngester()
	if n := st.AuditJournalBytes(); n != 0 {
		t.Fatalf("empty journal: %d bytes", n)
	}
	appendJ(t, st, 2, "g")
	if n := st.AuditJournalBytes(); n <= 0 {
		t.Fatalf("after an append: %d bytes", n)
	}
	wantChain(t, st, 2)
	if n := st.AuditJournalBytes(); n != 0 {
		t.Fatalf("after the copy: %d bytes", n)
	}
}
