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
// length), then one frame per append:
//
//	length uint32 | crc32c(length) uint32 | crc32c(payload) uint32 | payload
//	payload: records, each  length uint32 | seq int64 | time_ns int64 |
//	         len(id) uint16 | id | len(prev) uint8 | prev |
//	         len(hash) uint8 | hash | data
//
// The file is read back as hostile input. Damage is judged per append: a
// frame that is cut short at the end of the file, or is followed only by
// zero bytes (what a power loss can leave where a write had extended the
// file), or whose length or checksum fails with nothing but zeros after
// it, is a write that never completed (that append never returned) and is
// dropped; any other damage is corruption.
const (
	journalMagic      = "AIGISAJ3"
	journalHeaderSize = 16
	journalFrameSize  = 12
	// journalMaxFrame bounds one frame's payload; a larger append is split
	// into several frames.
	journalMaxFrame = 64 << 20
	journalMaxID    = 1024
	// journalRecordFixed is a record's size without id, hashes and data.
	journalRecordFixed = 4 + 8 + 8 + 2 + 1 + 1
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

// appendJournalRecords appends recs to dst as one frame (several when they
// exceed journalMaxFrame).
func appendJournalRecords(dst []byte, recs []AuditRecord) ([]byte, error) {
	start := -1
	closeFrame := func() {
		if start >= 0 {
			p := dst[start+journalFrameSize:]
			binary.BigEndian.PutUint32(dst[start:], uint32(len(p)))
			binary.BigEndian.PutUint32(dst[start+4:], crc32.Checksum(dst[start:start+4], journalCRC))
			binary.BigEndian.PutUint32(dst[start+8:], crc32.Checksum(p, journalCRC))
		}
	}
	for _, r := range recs {
		if len(r.ID) > journalMaxID || len(r.PrevHash) > 255 || len(r.Hash) > 255 {
			return dst, fmt.Errorf("store: audit record seq %d: id or hash too long", r.Seq)
		}
		n := journalRecordFixed + len(r.ID) + len(r.PrevHash) + len(r.Hash) + len(r.Data)
		if n > journalMaxFrame {
			return dst, fmt.Errorf("store: audit record seq %d is %d bytes, over the %d-byte limit", r.Seq, n, journalMaxFrame)
		}
		if start < 0 || len(dst)-start-journalFrameSize+n > journalMaxFrame {
			closeFrame()
			start = len(dst)
			dst = append(dst, make([]byte, journalFrameSize)...)
		}
		dst = binary.BigEndian.AppendUint32(dst, uint32(n))
		dst = binary.BigEndian.AppendUint64(dst, uint64(r.Seq))
		dst = binary.BigEndian.AppendUint64(dst, uint64(r.Time.UnixNano()))
		dst = binary.BigEndian.AppendUint16(dst, uint16(len(r.ID)))
		dst = append(dst, r.ID...)
		dst = append(dst, byte(len(r.PrevHash)))
		dst = append(dst, r.PrevHash...)
		dst = append(dst, byte(len(r.Hash)))
		dst = append(dst, r.Hash...)
		dst = append(dst, r.Data...)
	}
	closeFrame()
	return dst, nil
}

// parseStop says why parseJournal stopped before the end of its input.
type parseStop int

const (
	stopEnd   parseStop = iota // every byte consumed
	stopTorn                   // the rest is a write that never completed
	stopMore                   // the frame at end reaches past b: read more
	stopZeros                  // torn if the file holds only zeros from zeroFrom on, else corrupt
	// stopDamaged: the frame at end fails a checksum and data follows it:
	// torn if no valid frame starts anywhere after it (the damage is in
	// the last append: a power loss can lose a page in the middle of it),
	// else corrupt.
	stopDamaged
)

// parseJournal decodes the frames in b (bytes of the journal after its
// header, from a frame boundary; atEOF says b reaches the end of the
// file). It returns the records, how many bytes of b their frames span,
// and why it stopped. The records share no memory with b; when err is set
// the records before the damage are still returned.
func parseJournal(b []byte, atEOF bool) (recs []AuditRecord, end int, stop parseStop, zeroFrom int, err error) {
	// torn decides a damaged or short frame followed by zeros from z.
	torn := func(z int) (parseStop, int) {
		if atEOF {
			return stopTorn, 0
		}
		return stopZeros, z
	}
	for end < len(b) {
		rest := b[end:]
		if len(rest) < journalFrameSize && !atEOF {
			// Before the zero test: a length's leading bytes are zeros.
			return recs, end, stopMore, 0, nil
		}
		if allZero(rest) {
			stop, zeroFrom = torn(end)
			return recs, end, stop, zeroFrom, nil
		}
		if len(rest) < journalFrameSize {
			if atEOF {
				return recs, end, stopTorn, 0, nil
			}
			return recs, end, stopMore, 0, nil
		}
		if crc32.Checksum(rest[:4], journalCRC) != binary.BigEndian.Uint32(rest[4:]) {
			if allZero(rest[4:]) {
				stop, zeroFrom = torn(end + 4)
				return recs, end, stop, zeroFrom, nil
			}
			return recs, end, stopDamaged, 0, nil
		}
		n := int(binary.BigEndian.Uint32(rest))
		if n > journalMaxFrame {
			return recs, end, stopEnd, 0, fmt.Errorf("%w: frame at offset %d claims %d bytes", errJournalCorrupt, end, n)
		}
		if len(rest) < journalFrameSize+n {
			if atEOF {
				return recs, end, stopTorn, 0, nil
			}
			return recs, end, stopMore, 0, nil
		}
		payload := rest[journalFrameSize : journalFrameSize+n]
		if crc32.Checksum(payload, journalCRC) != binary.BigEndian.Uint32(rest[8:]) {
			if allZero(rest[journalFrameSize+n:]) {
				stop, zeroFrom = torn(end + journalFrameSize + n)
				return recs, end, stop, zeroFrom, nil
			}
			return recs, end, stopDamaged, 0, nil
		}
		for len(payload) > 0 {
			r, size, ok := decodeJournalRecord(payload)
			if !ok {
				return recs, end, stopEnd, 0, fmt.Errorf("%w: malformed record in the frame at offset %d", errJournalCorrupt, end)
			}
			if k := len(recs); k > 0 && (r.Seq != recs[k-1].Seq+1 || !bytes.Equal(r.PrevHash, recs[k-1].Hash)) {
				return recs, end, stopEnd, 0, fmt.Errorf("%w: the frame at offset %d (seq %d) does not continue seq %d", errJournalCorrupt, end, r.Seq, recs[k-1].Seq)
			}
			recs = append(recs, r)
			payload = payload[size:]
		}
		end += journalFrameSize + n
	}
	return recs, end, stopEnd, 0, nil
}

// validFrameAt reports whether b starts with a frame whose length and
// payload checksums hold (b may end early: then it is not one).
func validFrameAt(b []byte) bool {
	if len(b) < journalFrameSize || crc32.Checksum(b[:4], journalCRC) != binary.BigEndian.Uint32(b[4:]) {
		return false
	}
	n := int(binary.BigEndian.Uint32(b))
	return n <= journalMaxFrame && len(b) >= journalFrameSize+n &&
		crc32.Checksum(b[journalFrameSize:journalFrameSize+n], journalCRC) == binary.BigEndian.Uint32(b[8:])
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// decodeJournalRecord decodes the record at the start of p and returns its
// size.
func decodeJournalRecord(p []byte) (AuditRecord, int, bool) {
	var r AuditRecord
	if len(p) < journalRecordFixed {
		return r, 0, false
	}
	size := int(binary.BigEndian.Uint32(p))
	if size < journalRecordFixed || size > len(p) {
		return r, 0, false
	}
	q := p[4:size]
	r.Seq = int64(binary.BigEndian.Uint64(q))
	r.Time = time.Unix(0, int64(binary.BigEndian.Uint64(q[8:]))).UTC()
	idLen := int(binary.BigEndian.Uint16(q[16:]))
	q = q[18:]
	if idLen > journalMaxID || len(q) < idLen+1 {
		return r, 0, false
	}
	r.ID = string(q[:idLen])
	q = q[idLen:]
	var ok bool
	if r.PrevHash, q, ok = journalBytes(q); !ok {
		return r, 0, false
	}
	if r.Hash, q, ok = journalBytes(q); !ok {
		return r, 0, false
	}
	r.Data = append([]byte{}, q...)
	return r, size, r.Seq > 0
}

// journalBytes reads a one-byte length and that many bytes (copied).
func journalBytes(p []byte) ([]byte, []byte, bool) {
	if len(p) < 1 || len(p) < 1+int(p[0]) {
		return nil, p, false
	}
	n := int(p[0])
	return append([]byte{}, p[1:1+n]...), p[1+n:], true
}
