package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// sqliteJournal is the open audit journal of one store handle (see
// journal.go for the format). Whoever takes the file lock (which excludes
// other processes) holds mu first: appends, and the ingester, which holds
// ingestMu for a whole ingest and mu and the file lock while it reads the
// file's state and while it empties the file.
type sqliteJournal struct {
	path string
	f    *os.File
	fd   uintptr
	sync bool // fsync after each append (synchronous=full)

	mu    sync.Mutex
	gen   uint64    // the file's generation and size after this
	size  int64     // handle's last append, valid while known
	head  AuditHead // the chain head after that append
	known bool
	buf   []byte
	// failed, once set, makes appends refuse: the journal was found
	// damaged (or forked from the table), or an fsync failed, after which
	// the kernel may have dropped the written pages. It takes an operator
	// (and a restart) to clear. closed: after Close (the file descriptor
	// may already belong to another file).
	failed error
	closed bool

	ingestMu sync.Mutex
	igGen    uint64 // records before igOff of generation igGen are in
	igOff    int64  // the table

	kick     chan struct{}
	stop     chan struct{}
	stopOnce sync.Once
	done     chan struct{}
}

// journalMaxBacklog bounds the journal: past it appends fail (closed)
// instead of growing the file while the copy into the table keeps failing
// (a full disk, a damaged file; every read, /readyz included, reports
// why).
var journalMaxBacklog int64 = 256 << 20 // a variable for the tests

// journalIngestDelay is how long the ingester waits after the first
// append it is told of, so that one SQLite transaction carries a batch.
const journalIngestDelay = 20 * time.Millisecond

// journalLockTimeout bounds the wait for the journal lock while another
// process holds it: the SQLite busy timeout (a variable for the tests).
var journalLockTimeout = sqliteBusyTimeoutMS * time.Millisecond

// journalReadChunk is how much of the journal one read takes.
var journalReadChunk int64 = 4 << 20 // a variable for the tests

// openJournal opens (creating, 0600) the journal beside the database and
// checks its header.
func openJournal(dbPath string, syncFull bool) (*sqliteJournal, error) {
	path := dbPath + "-auditlog"
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("store: open audit journal %s: %w", path, err)
	}
	j := &sqliteJournal{path: path, f: f, fd: f.Fd(), sync: syncFull,
		kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	if err := j.init(); err != nil {
		_ = f.Close()
		return nil, err
	}
	return j, nil
}

// init writes the header of a new (or torn new) file, or checks it.
func (j *sqliteJournal) init() error {
	if err := j.lock(); err != nil {
		return err
	}
	defer j.unlock()
	fi, err := j.f.Stat()
	if err != nil {
		return fmt.Errorf("store: audit journal %s: %w", j.path, err)
	}
	if fi.Size() < journalHeaderSize {
		// New, or its creator died before the header was complete: no
		// record was ever written.
		if _, err := j.f.WriteAt(journalHeader(1), 0); err != nil {
			return fmt.Errorf("store: audit journal %s: write header: %w", j.path, err)
		}
		if j.sync { // the file and its directory entry survive a power loss
			if err := j.f.Sync(); err != nil {
				return fmt.Errorf("store: audit journal %s: %w", j.path, err)
			}
			if err := syncDir(filepath.Dir(j.path)); err != nil {
				return fmt.Errorf("store: audit journal %s: sync directory: %w", j.path, err)
			}
		}
		return nil
	}
	_, _, err = j.state()
	return err
}

var errJournalClosed = errors.New("store: audit journal is closed")

// errJournalMoved ends an unlocked copy pass whose file changed under it.
var errJournalMoved = errors.New("store: audit journal changed during the copy")

// usable says why appends must not go on (under mu).
func (j *sqliteJournal) usable() error {
	if j.closed {
		return errJournalClosed
	}
	return j.failed
}

func (j *sqliteJournal) lock() error {
	if err := lockFile(j.fd); err != nil {
		return fmt.Errorf("store: lock audit journal %s: %w", j.path, err)
	}
	return nil
}

func (j *sqliteJournal) unlock() { _ = unlockFile(j.fd) }

// lockedState is state under mu and the file lock. The flock belongs to
// the open file, not to a goroutine: every user of it in this process
// holds mu, or one's unlock would release another's lock.
func (j *sqliteJournal) lockedState() (uint64, int64, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return 0, 0, errJournalClosed
	}
	if err := j.lock(); err != nil {
		return 0, 0, err
	}
	defer j.unlock()
	return j.state()
}

// state reads the generation and the size; under the file lock.
func (j *sqliteJournal) state() (uint64, int64, error) {
	var hdr [journalHeaderSize]byte
	if _, err := j.f.ReadAt(hdr[:], 0); err != nil {
		return 0, 0, fmt.Errorf("store: audit journal %s: read header: %w", j.path, err)
	}
	gen, err := parseJournalHeader(hdr[:])
	if err != nil {
		return 0, 0, fmt.Errorf("%w (%s; it is not an aigis audit journal: move it aside)", err, j.path)
	}
	fi, err := j.f.Stat()
	if err != nil {
		return 0, 0, fmt.Errorf("store: audit journal %s: %w", j.path, err)
	}
	return gen, fi.Size(), nil
}

// scan reads the frames in [from, to) in chunks and hands each chunk's
// records to fn (the records before a damaged frame too, so that they are
// not lost with it). It returns the end of the last whole frame: less than
// to only when the file ends in a torn write.
func (j *sqliteJournal) scan(from, to int64, fn func([]AuditRecord) error) (int64, error) {
	off, chunk := from, int64(journalReadChunk)
	for off < to {
		n := min(to-off, chunk)
		b := make([]byte, n)
		if _, err := j.f.ReadAt(b, off); err != nil {
			return off, fmt.Errorf("store: read audit journal %s at %d: %w", j.path, off, err)
		}
		recs, end, stop, zeroFrom, perr := parseJournal(b, off+n >= to)
		if len(recs) > 0 {
			if err := fn(recs); err != nil {
				return off, err
			}
		}
		if perr != nil {
			return off + int64(end), fmt.Errorf("%w (%s, chunk at %d; the records before it are kept; move the file aside to start a new journal: the records after it are lost)", perr, j.path, off)
		}
		base := off
		off += int64(end)
		switch stop {
		case stopTorn:
			return off, nil
		case stopZeros:
			zero, err := j.zerosTo(base+int64(zeroFrom), to)
			if err != nil {
				return off, err
			}
			if zero {
				return off, nil // a torn final write
			}
			fallthrough // data after the zeros: torn only if no valid frame is there
		case stopDamaged:
			later, err := j.frameAfter(off+1, to)
			if err != nil {
				return off, err
			}
			if !later {
				return off, nil // the damage is in the last append: torn
			}
			return off, fmt.Errorf("%w: a damaged frame at %d of %s has valid frames after it (the records before it are kept; move the file aside to start a new journal: the records from it on are lost)", errJournalCorrupt, off, j.path)
		case stopMore:
			if end == 0 {
				// One frame longer than the chunk: read more, up to the
				// longest frame and a byte beyond, so that its checksum
				// is judged with what follows it.
				chunk = min(2*chunk, journalFrameSize+journalMaxFrame+1)
			}
		}
	}
	return off, nil
}

// frameAfter reports whether a valid frame starts anywhere in [from, to).
// Only damage makes it run; it reads the rest of the file once, checking
// a 4-byte checksum at each offset, and a payload where that one holds.
func (j *sqliteJournal) frameAfter(from, to int64) (bool, error) {
	const window = 1 << 20
	buf := make([]byte, window+journalFrameSize)
	for off := from; off < to; off += window {
		n := min(to-off, int64(len(buf)))
		b := buf[:n]
		if _, err := j.f.ReadAt(b, off); err != nil {
			return false, fmt.Errorf("store: read audit journal %s at %d: %w", j.path, off, err)
		}
		for i := 0; i < int(min(n, window)); i++ {
			if i+journalFrameSize > len(b) || crc32.Checksum(b[i:i+4], journalCRC) != binary.BigEndian.Uint32(b[i+4:]) {
				continue
			}
			size := int64(binary.BigEndian.Uint32(b[i:]))
			if size > journalMaxFrame || off+int64(i)+journalFrameSize+size > to {
				continue
			}
			frame := make([]byte, journalFrameSize+size)
			if _, err := j.f.ReadAt(frame, off+int64(i)); err != nil {
				return false, fmt.Errorf("store: read audit journal %s at %d: %w", j.path, off+int64(i), err)
			}
			if validFrameAt(frame) {
				return true, nil
			}
		}
	}
	return false, nil
}

// zerosTo reports whether the journal holds only zero bytes in [from, to).
func (j *sqliteJournal) zerosTo(from, to int64) (bool, error) {
	b := make([]byte, min(to-from, journalReadChunk))
	for off := from; off < to; {
		n := min(to-off, int64(len(b)))
		if _, err := j.f.ReadAt(b[:n], off); err != nil {
			return false, fmt.Errorf("store: read audit journal %s at %d: %w", j.path, off, err)
		}
		if !allZero(b[:n]) {
			return false, nil
		}
		off += n
	}
	return true, nil
}

// appendJournal is AppendAudit with the journal: build continues the head
// (the last record in the journal, or the table's head when the journal is
// empty), and the records are written to the journal in one write under
// the file lock.
func (s *sqliteStore) appendJournal(ctx context.Context, build func(head AuditHead) ([]AuditRecord, error)) error {
	j := s.j
	j.mu.Lock()
	defer j.mu.Unlock()
	if err := j.usable(); err != nil {
		return fmt.Errorf("store: audit append: %w", err)
	}
	if err := j.lock(); err != nil {
		j.known = false
		return fmt.Errorf("store: audit append: %w", err)
	}
	defer j.unlock()
	gen, size, err := j.state()
	if err != nil {
		j.known = false
		return fmt.Errorf("store: audit append: %w", err)
	}
	if !j.known || gen != j.gen || size != j.size {
		// Another process appended or emptied the file, or this is the
		// first append: find the head again. When the file only grew
		// since this handle's last append, what it wrote before is
		// unchanged: read only what was added.
		from := int64(journalHeaderSize)
		if j.known && gen == j.gen && size > j.size {
			from = j.size
		}
		j.known = false
		head, end, err := s.journalHead(ctx, from, size)
		if errors.Is(err, errJournalCorrupt) {
			j.failed = err
		}
		if err != nil {
			return fmt.Errorf("store: audit append: %w", err)
		}
		if end < size { // a writer died mid-write: that append never returned
			if err := j.f.Truncate(end); err != nil {
				return fmt.Errorf("store: audit append: trim torn journal write: %w", err)
			}
			size = end
		}
		j.head = head
	}
	if size > journalMaxBacklog {
		return fmt.Errorf("store: audit append: the audit journal %s holds %d bytes not yet copied into the database (limit %d); the copy is failing: see the error a read of the audit log reports", j.path, size, journalMaxBacklog)
	}
	recs, err := build(j.head)
	if err != nil {
		return err
	}
	if err := checkAppend(j.head, recs); err != nil {
		return err
	}
	if len(recs) == 0 {
		return nil
	}
	buf, err := appendJournalRecords(j.buf[:0], recs)
	if err != nil {
		return err
	}
	if _, err := j.f.WriteAt(buf, size); err != nil {
		j.known = false
		_ = j.f.Truncate(size) // best effort; a torn tail is trimmed later anyway
		return fmt.Errorf("store: audit append: write journal %s: %w", j.path, err)
	}
	if j.sync {
		if err := j.f.Sync(); err != nil {
			// Take the records back (best effort), so that an append
			// reported as failed does not show up in the log later, and
			// refuse further appends: after a failed fsync the kernel may
			// have dropped pages that later ones would seem to follow.
			j.known = false
			_ = j.f.Truncate(size)
			j.failed = fmt.Errorf("store: sync audit journal %s failed (%w); restart once the disk is healthy", j.path, err)
			return fmt.Errorf("store: audit append: %w", j.failed)
		}
	}
	last := recs[len(recs)-1]
	j.gen, j.size, j.known = gen, size+int64(len(buf)), true
	j.head = AuditHead{Seq: last.Seq, Hash: last.Hash}
	if cap(buf) <= 1<<20 {
		j.buf = buf
	}
	select {
	case j.kick <- struct{}{}:
	default: // the ingester has been told already
	}
	return nil
}

// journalHead returns the chain head and the end of the journal's valid
// records: the last record in [from, size), else (from is then the
// start) the table's head, or this handle's cached head (records before
// from are the ones it knows). Under mu and the file lock.
func (s *sqliteStore) journalHead(ctx context.Context, from, size int64) (AuditHead, int64, error) {
	var head AuditHead
	found := false
	end, err := s.j.scan(from, size, func(recs []AuditRecord) error {
		// Chunks are checked inside (parseJournal); here, across them
		// and onto what this handle last wrote.
		prev, check := head, found
		if !found && from > journalHeaderSize {
			prev, check = s.j.head, true
		}
		if check && (recs[0].Seq != prev.Seq+1 || !bytes.Equal(recs[0].PrevHash, prev.Hash)) {
			return fmt.Errorf("%w: the record of seq %d in %s does not continue seq %d", errJournalCorrupt, recs[0].Seq, s.j.path, prev.Seq)
		}
		r := recs[len(recs)-1]
		head, found = AuditHead{Seq: r.Seq, Hash: r.Hash}, true
		return nil
	})
	if err != nil || found {
		return head, end, err
	}
	if from > journalHeaderSize {
		return s.j.head, end, nil
	}
	head, err = s.tableHead(ctx)
	return head, end, err
}

// tableHead reads the last record of the audit_events table.
func (s *sqliteStore) tableHead(ctx context.Context) (AuditHead, error) {
	var head AuditHead
	err := s.r.QueryRowContext(ctx, auditHeadQuery).Scan(&head.Seq, &head.Hash)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return AuditHead{}, fmt.Errorf("store: audit head: %w", err)
	}
	return head, nil
}

// ingest copies the journal's records into the table and empties the
// journal. Most of the copy runs without the file lock, so appends go on;
// what was appended meanwhile is copied under the lock, and then the file
// is emptied. Safe to run in several processes at once: the table's
// primary key and the head check skip records already copied.
func (s *sqliteStore) ingest(ctx context.Context) error {
	j := s.j
	j.ingestMu.Lock()
	defer j.ingestMu.Unlock()
	ctx = context.WithoutCancel(ctx) // as appendSQLite: no interrupt half-way
	gen, size, err := j.lockedState()
	if err != nil {
		return err
	}
	if gen != j.igGen {
		j.igGen, j.igOff = gen, journalHeaderSize
	}
	if size > j.igOff {
		// Unlocked, so that appends go on while the SQLite transaction
		// runs; the locked pass below copies only what came meanwhile. A
		// failure here (the file emptied by another process meanwhile)
		// is only noted: the locked pass decides.
		// Each chunk is copied only if, once read, the file is still the
		// one measured: same generation (not emptied and refilled) and no
		// shorter (no failed append taken back).
		end, err := j.scan(j.igOff, size, func(recs []AuditRecord) error {
			g, sz, err := j.lockedState()
			if err != nil || g != gen || sz < size {
				return errJournalMoved
			}
			return s.ingestRecords(ctx, recs)
		})
		if err == nil {
			j.igOff = end
		}
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return errJournalClosed
	}
	if err := j.lock(); err != nil {
		return err
	}
	defer j.unlock()
	gen2, size2, err := j.state()
	if err != nil {
		return err
	}
	if gen2 != j.igGen {
		j.igGen, j.igOff = gen2, journalHeaderSize
	}
	if size2 <= journalHeaderSize {
		return nil
	}
	if _, err := j.scan(j.igOff, size2, func(recs []AuditRecord) error { return s.ingestRecords(ctx, recs) }); err != nil {
		if errors.Is(err, errJournalCorrupt) {
			j.failed = err // appends stop too: nothing may pile up behind the damage
		}
		return err
	}
	// Every record is in the table (a torn tail is dropped with the rest).
	// The new generation goes first: a crash between the two steps leaves
	// records that are copied again (and skipped), never a refilled file
	// under the old generation, which a handle's cached state could match.
	mine := j.known && j.gen == gen2 && j.size == size2 // this handle made the last append
	j.known = false
	if _, err := j.f.WriteAt(journalHeader(gen2+1), 0); err != nil {
		return fmt.Errorf("store: audit journal %s: write header: %w", j.path, err)
	}
	if err := j.f.Truncate(journalHeaderSize); err != nil {
		return fmt.Errorf("store: empty audit journal %s: %w", j.path, err)
	}
	if mine { // its head is still the head
		j.gen, j.size, j.known = gen2+1, journalHeaderSize, true
	}
	j.igGen, j.igOff = gen2+1, journalHeaderSize
	return nil
}

// ingestRecords inserts the records the table does not hold yet.
func (s *sqliteStore) ingestRecords(ctx context.Context, recs []AuditRecord) error {
	var gap error
	build := func(head AuditHead) ([]AuditRecord, error) {
		i := 0
		for i < len(recs) && recs[i].Seq <= head.Seq {
			i++
		}
		switch {
		case i > 0 && recs[i-1].Seq == head.Seq && !bytes.Equal(recs[i-1].Hash, head.Hash):
			gap = fmt.Errorf("%w: journal record seq %d differs from the table's (%s): the chain forked", errJournalCorrupt, head.Seq, s.j.path)
		case i < len(recs) && recs[i].Seq != head.Seq+1:
			gap = fmt.Errorf("%w: journal record seq %d does not follow the table's last record %d (%s)", errJournalCorrupt, recs[i].Seq, head.Seq, s.j.path)
		case i < len(recs) && head.Seq > 0 && !bytes.Equal(recs[i].PrevHash, head.Hash):
			gap = fmt.Errorf("%w: journal record seq %d does not link to the table's record %d (%s): the chain forked", errJournalCorrupt, recs[i].Seq, head.Seq, s.j.path)
		default:
			return recs[i:], nil
		}
		return nil, gap
	}
	err := s.appendSQLite(ctx, build)
	if err != nil && errors.Is(err, gap) {
		// The writer's cached head may be behind the table (another
		// process copied records meanwhile): read it in the transaction.
		s.appendMu.Lock()
		s.headOK = false
		s.appendMu.Unlock()
		err = s.appendSQLite(ctx, build)
	}
	return err
}

// ingester runs ingest a little after appends, until stop.
func (s *sqliteStore) ingester() {
	j := s.j
	defer close(j.done)
	t := time.NewTimer(time.Hour)
	t.Stop()
	for {
		select {
		case <-j.stop:
			return
		case <-j.kick:
		}
		t.Reset(journalIngestDelay)
		select {
		case <-j.stop:
			t.Stop()
			return
		case <-t.C:
		}
		// A failure is retried after the next append; reads (and so
		// /readyz) run the copy themselves and report it.
		_ = s.ingest(context.Background())
	}
}

// syncJournal copies the journal into the table before a read, so that a
// read sees every append that returned, in any process.
func (s *sqliteStore) syncJournal(ctx context.Context) error {
	if s.j == nil {
		return nil
	}
	if err := s.ingest(ctx); err != nil {
		return fmt.Errorf("store: audit journal: %w", err)
	}
	// A journal that refuses appends (a failed fsync) makes reads, and so
	// /readyz, fail too: the node must not report ready.
	s.j.mu.Lock()
	err := s.j.failed
	s.j.mu.Unlock()
	return err
}

// stopIngester stops the background ingester and waits for it.
func (s *sqliteStore) stopIngester() {
	s.j.stopOnce.Do(func() { close(s.j.stop) })
	<-s.j.done
}

// closeJournal stops the ingester, copies what is left and closes the file.
func (s *sqliteStore) closeJournal() error {
	j := s.j
	s.stopIngester()
	err := s.ingest(context.Background())
	j.mu.Lock()
	defer j.mu.Unlock()
	j.closed = true
	return errors.Join(err, j.f.Close())
}

// syncDir fsyncs a directory (where the platform allows it).
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// AuditJournalBytes is how many bytes wait in the audit journal to be
// copied into the table (0 without a journal): a gauge for operators. It
// holds the last ~journalIngestDelay of appends, and grows toward
// journalMaxBacklog only while the copy is failing.
func (s *sqliteStore) AuditJournalBytes() int64 {
	if s.j == nil {
		return 0
	}
	fi, err := s.j.f.Stat() // an *os.File refuses once closed
	if err != nil || fi.Size() < journalHeaderSize {
		return 0
	}
	return fi.Size() - journalHeaderSize
}
