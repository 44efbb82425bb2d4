package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"time"
)

// The SQLite store's audit journal (<database>-auditlog) is a write-ahead
// file for audit records: an append writes the records there, one pwrite
// under an advisory lock, and returns; a background ingester copies them
// into the audit_events table in batches and empties the file. A write to
// the page cache survives the death of the process as a SQLite WAL commit
// with synchronous=NORMAL does (with synchronous=full the journal is
// fsynced as well), so an acknowledged event is never lost, while the
// request path skips SQLite's transaction, locks and page writes.
//
// Layout: a 16-byte header (journalMagic, then the generation, a big-endian
// uint64 bumped each time the file is emptied, so that a handle that
// cached the file's state notices it was emptied and refilled to the same
// length), then records:
//
//	length uint32 | crc32c(length) uint32 | crc32c(payload) uint32 | payload
//	payload: seq int64 | time_ns int64 | len(id) uint16 | id |
//	         len(prev) uint8 | prev | len(hash) uint8 | hash | data
//
// The file is read back as hostile input: lengths are bounded and
// checked (a damaged length is corruption, not a short file), checksums
// checked, and a record cut short at the end (a writer killed mid-write:
// that append never returned), a final record whose payload checksum
// fails, or a run of zero bytes to the end (what a power loss can leave
// where a write had extended the file) is ignored and later overwritten.
const (
	journalMagic      = "AIGISAJ2"
	journalHeaderSize = 16
	journalFrameSize  = 12
	// journalMaxRecord bounds one record's payload (events with encrypted
	// bodies included; the gateway's body limits are far below).
	journalMaxRecord = 64 << 20
	journalMaxID     = 1024
)

var journalCRC = crc32.MakeTable(crc32.Castagnoli)

// errJournalCorrupt marks a journal whose content is damaged before its
// end: not a torn final write but bytes changed or lost in the middle.
var errJournalCorrupt = errors.New("store: audit journal is corrupt")

func journalHeader(gen uint64) []byte {
	b := make([]byte, journalHeaderSize)
	copy(b, journalMagic)
	binary.BigEndian.PutUint64(b[8:], gen)
	return b
}

// parseJournalHeader returns the generation in a header.
func parseJournalHeader(b []byte) (uint64, error) {
	if len(b) < journalHeaderSize || string(b[:8]) != journalMagic {
		return 0, fmt.Errorf("%w: bad header", errJournalCorrupt)
	}
	return binary.BigEndian.Uint64(b[8:journalHeaderSize]), nil
}

// appendJournalRecords appends the framed records to dst.
func appendJournalRecords(dst []byte, recs []AuditRecord) ([]byte, error) {
	for _, r := range recs {
		if len(r.ID) > journalMaxID || len(r.PrevHash) > 255 || len(r.Hash) > 255 {
			return dst, fmt.Errorf("store: audit record seq %d: id or hash too long", r.Seq)
		}
		n := 8 + 8 + 2 + len(r.ID) + 1 + len(r.PrevHash) + 1 + len(r.Hash) + len(r.Data)
		if n > journalMaxRecord {
			return dst, fmt.Errorf("store: audit record seq %d is %d bytes, over the %d-byte limit", r.Seq, n, journalMaxRecord)
		}
		start := len(dst)
		dst = binary.BigEndian.AppendUint32(dst, uint32(n))
		dst = binary.BigEndian.AppendUint32(dst, crc32.Checksum(dst[start:start+4], journalCRC))
		dst = append(dst, 0, 0, 0, 0) // payload checksum, below
		dst = binary.BigEndian.AppendUint64(dst, uint64(r.Seq))
		dst = binary.BigEndian.AppendUint64(dst, uint64(r.Time.UnixNano()))
		dst = binary.BigEndian.AppendUint16(dst, uint16(len(r.ID)))
		dst = append(dst, r.ID...)
		dst = append(dst, byte(len(r.PrevHash)))
		dst = append(dst, r.PrevHash...)
		dst = append(dst, byte(len(r.Hash)))
		dst = append(dst, r.Hash...)
		dst = append(dst, r.Data...)
		binary.BigEndian.PutUint32(dst[start+8:], crc32.Checksum(dst[start+journalFrameSize:], journalCRC))
	}
	return dst, nil
}

// parseJournal decodes the records in b (the bytes after the header, from
// a record boundary). It returns the records and how many bytes of b they
// span. A record cut short by the end of b, a final record whose payload
// checksum fails, or zero bytes up to the end of b end the valid part
// (torn is true: a write that never completed); any other damage is
// errJournalCorrupt. The records share no memory with b.
func parseJournal(b []byte) (recs []AuditRecord, end int, torn bool, err error) {
	for end < len(b) {
		rest := b[end:]
		if allZero(rest) {
			return recs, end, true, nil
		}
		if len(rest) < journalFrameSize {
			return recs, end, true, nil
		}
		if crc32.Checksum(rest[:4], journalCRC) != binary.BigEndian.Uint32(rest[4:]) {
			return recs, end, false, fmt.Errorf("%w: damaged record length at offset %d", errJournalCorrupt, end)
		}
		n := int(binary.BigEndian.Uint32(rest))
		if n > journalMaxRecord {
			return recs, end, false, fmt.Errorf("%w: record at offset %d claims %d bytes", errJournalCorrupt, end, n)
		}
		if len(rest) < journalFrameSize+n {
			return recs, end, true, nil
		}
		payload := rest[journalFrameSize : journalFrameSize+n]
		if crc32.Checksum(payload, journalCRC) != binary.BigEndian.Uint32(rest[8:]) {
			if len(rest) == journalFrameSize+n {
				return recs, end, true, nil
			}
			return recs, end, false, fmt.Errorf("%w: checksum mismatch at offset %d", errJournalCorrupt, end)
		}
		r, ok := decodeJournalPayload(payload)
		if !ok {
			return recs, end, false, fmt.Errorf("%w: malformed record at offset %d", errJournalCorrupt, end)
		}
		if k := len(recs); k > 0 && (r.Seq != recs[k-1].Seq+1 || !bytes.Equal(r.PrevHash, recs[k-1].Hash)) {
			return recs, end, false, fmt.Errorf("%w: record at offset %d (seq %d) does not continue seq %d", errJournalCorrupt, end, r.Seq, recs[k-1].Seq)
		}
		recs = append(recs, r)
		end += journalFrameSize + n
	}
	return recs, end, false, nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

func decodeJournalPayload(p []byte) (AuditRecord, bool) {
	var r AuditRecord
	if len(p) < 8+8+2 {
		return r, false
	}
	r.Seq = int64(binary.BigEndian.Uint64(p))
	r.Time = time.Unix(0, int64(binary.BigEndian.Uint64(p[8:]))).UTC()
	idLen := int(binary.BigEndian.Uint16(p[16:]))
	p = p[18:]
	if idLen > journalMaxID || len(p) < idLen+1 {
		return r, false
	}
	r.ID = string(p[:idLen])
	p = p[idLen:]
	var ok bool
	if r.PrevHash, p, ok = journalBytes(p); !ok {
		return r, false
	}
	if r.Hash, p, ok = journalBytes(p); !ok {
		return r, false
	}
	r.Data = append([]byte{}, p...)
	return r, r.Seq > 0
}

// journalBytes reads a one-byte length and that many bytes (copied).
func journalBytes(p []byte) ([]byte, []byte, bool) {
	if len(p) < 1 || len(p) < 1+int(p[0]) {
		return nil, p, false
	}
	n := int(p[0])
	return append([]byte{}, p[1:1+n]...), p[1+n:], true
}
