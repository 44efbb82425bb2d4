package audit

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"github.com/aigis-dev/aigis/internal/store"
)

// ProblemKind classifies a chain violation.
type ProblemKind string

// Chain violations Verify reports.
const (
	// Edited: the stored event no longer matches its hash, or its hash was
	// recomputed so that the next event no longer links to it.
	Edited ProblemKind = "edited"
	// Inserted: an event that does not belong to the chain (it links to
	// nothing, or has an impossible sequence number).
	Inserted ProblemKind = "inserted"
	// Deleted: sequence numbers missing from the chain.
	Deleted ProblemKind = "deleted"
)

// Problem is one violation, naming the events involved.
type Problem struct {
	Kind    ProblemKind `json:"kind"`
	Seq     int64       `json:"seq"`                // the event, or the first missing sequence number
	LastSeq int64       `json:"last_seq,omitempty"` // Deleted: the last missing sequence number
	ID      string      `json:"id,omitempty"`       // the event id when known
	Detail  string      `json:"detail"`
}

func (p Problem) String() string {
	switch {
	case p.Kind == Deleted && p.LastSeq > p.Seq:
		return fmt.Sprintf("deleted: events seq %d-%d (%d events): %s", p.Seq, p.LastSeq, p.LastSeq-p.Seq+1, p.Detail)
	case p.Kind == Deleted:
		return fmt.Sprintf("deleted: event seq %d: %s", p.Seq, p.Detail)
	default:
		return fmt.Sprintf("%s: event seq %d id %s: %s", p.Kind, p.Seq, p.ID, p.Detail)
	}
}

// maxProblems bounds the problems a report lists.
const maxProblems = 10000

// Report is the result of Verify.
type Report struct {
	Events   int64     `json:"events"`    // records read
	HeadSeq  int64     `json:"head_seq"`  // last sequence number read
	HeadHash string    `json:"head_hash"` // its hash (hex): record it elsewhere to anchor the chain
	Problems []Problem `json:"problems"`
	// Truncated counts problems beyond the first maxProblems.
	Truncated int64 `json:"truncated,omitempty"`
}

// OK reports whether the chain verified without problems.
func (r Report) OK() bool { return len(r.Problems) == 0 && r.Truncated == 0 }

func (r *Report) add(p Problem) {
	if len(r.Problems) >= maxProblems {
		r.Truncated++
		return
	}
	r.Problems = append(r.Problems, p)
}

type recInfo struct {
	seq        int64
	id         string
	prev, hash []byte
	selfOK     bool
	why        string // when !selfOK
}

// Verify walks the whole chain in sequence order and reports every edited,
// inserted and deleted event. A chain hash without a secret cannot stop
// someone with write access from rewriting the whole chain from some point
// to the head; compare Report.HeadHash with a copy kept elsewhere for that.
func Verify(ctx context.Context, st store.Audit) (Report, error) {
	return VerifyWith(ctx, st, VerifyOptions{})
}

// VerifyOptions anchors a verification to a head recorded earlier.
type VerifyOptions struct {
	// AnchorSeq and AnchorHash are a head printed by an earlier verify (or
	// `audit tail`) and kept where the database's writers cannot change it.
	// With them, Verify also reports what the chain alone cannot show:
	// events deleted at the tail (the chain now ends before AnchorSeq) and
	// a chain rewritten consistently up to or past the anchor (the event at
	// AnchorSeq no longer has AnchorHash). AnchorSeq 0 means no anchor.
	AnchorSeq  int64
	AnchorHash []byte
}

// ParseAnchor reads a head written as SEQ:HASH (hex), as verify prints it.
func ParseAnchor(s string) (seq int64, hash []byte, err error) {
	a, b, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok {
		return 0, nil, fmt.Errorf("audit: anchor %q: want SEQ:HASH, e.g. 1042:9f86d0...", truncate(s, 80))
	}
	seq, err = strconv.ParseInt(a, 10, 64)
	if err != nil || seq < 1 {
		return 0, nil, fmt.Errorf("audit: anchor: sequence number %q is not a positive integer", truncate(a, 24))
	}
	hash, err = hex.DecodeString(b)
	if err != nil || len(hash) != sha256.Size {
		return 0, nil, fmt.Errorf("audit: anchor: hash must be %d hex characters", 2*sha256.Size)
	}
	return seq, hash, nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// VerifyWith is Verify, checked against an anchor when o sets one.
func VerifyWith(ctx context.Context, st store.Audit, o VerifyOptions) (Report, error) {
	var (
		anchorSeen bool
		rep        Report
		last       *recInfo // last record accepted into the chain
		held       *recInfo // record awaiting one record of look-ahead
	)
	process := func(r, next *recInfo) {
		if r.seq < 1 {
			rep.add(Problem{Kind: Inserted, Seq: r.seq, ID: r.id, Detail: "sequence number below 1"})
			return
		}
		wantSeq, wantPrev := int64(1), genesisHash[:]
		if last != nil {
			wantSeq, wantPrev = last.seq+1, last.hash
		}
		gap := r.seq > wantSeq
		if gap {
			detail := "missing from the chain"
			if last != nil {
				detail = fmt.Sprintf("missing between seq %d and seq %d", last.seq, r.seq)
			}
			rep.add(Problem{Kind: Deleted, Seq: wantSeq, LastSeq: r.seq - 1, Detail: detail})
		}
		linkOK := !gap && bytes.Equal(r.prev, wantPrev)
		switch {
		case !r.selfOK && !linkOK && !gap:
			rep.add(Problem{Kind: Inserted, Seq: r.seq, ID: r.id, Detail: r.why + fmt.Sprintf("; prev_hash does not link to seq %d", wantSeq-1)})
			return
		case !r.selfOK && last != nil && bytes.Equal(r.hash, last.hash):
			rep.add(Problem{Kind: Inserted, Seq: r.seq, ID: r.id, Detail: r.why + fmt.Sprintf("; hash copied from seq %d", last.seq)})
			return
		case !r.selfOK && next != nil && next.seq == r.seq+1 && !bytes.Equal(next.prev, r.hash):
			rep.add(Problem{Kind: Inserted, Seq: r.seq, ID: r.id, Detail: r.why + fmt.Sprintf("; seq %d does not link to it: it replaced the original event", next.seq)})
			return
		case !r.selfOK:
			rep.add(Problem{Kind: Edited, Seq: r.seq, ID: r.id, Detail: r.why})
		case !linkOK && !gap:
			if next != nil && next.seq == r.seq+1 && bytes.Equal(next.prev, r.hash) {
				// r is part of the chain that follows; its predecessor was
				// rewritten (hash recomputed) after r was appended.
				pid := ""
				if last != nil {
					pid = last.id
				}
				rep.add(Problem{Kind: Edited, Seq: wantSeq - 1, ID: pid, Detail: fmt.Sprintf("event rewritten with a recomputed hash: seq %d no longer links to it", r.seq)})
			} else {
				rep.add(Problem{Kind: Inserted, Seq: r.seq, ID: r.id, Detail: fmt.Sprintf("prev_hash does not link to seq %d", wantSeq-1)})
				return
			}
		}
		last = r
	}
	const page = 1000
	var after int64 = -1 << 62
	for {
		recs, err := st.ListAudit(ctx, after, page)
		if err != nil {
			return rep, fmt.Errorf("audit: verify: %w", err)
		}
		for i := range recs {
			r := inspect(&recs[i])
			rep.Events++
			rep.HeadSeq, rep.HeadHash = recs[i].Seq, hex.EncodeToString(recs[i].Hash)
			if o.AnchorSeq > 0 && recs[i].Seq == o.AnchorSeq && !anchorSeen {
				anchorSeen = true
				if !bytes.Equal(recs[i].Hash, o.AnchorHash) {
					rep.add(Problem{Kind: Edited, Seq: recs[i].Seq, ID: recs[i].ID,
						Detail: "hash differs from the recorded head: the chain was rewritten at or before this event"})
				}
			}
			if held != nil {
				process(held, r)
			}
			held = r
		}
		if len(recs) < page {
			break
		}
		after = recs[len(recs)-1].Seq
		if err := ctx.Err(); err != nil {
			return rep, fmt.Errorf("audit: verify: %w", err)
		}
	}
	if held != nil {
		process(held, nil)
	}
	if o.AnchorSeq > 0 && !anchorSeen {
		from := rep.HeadSeq + 1
		switch {
		case o.AnchorSeq > rep.HeadSeq:
			rep.add(Problem{Kind: Deleted, Seq: from, LastSeq: o.AnchorSeq,
				Detail: fmt.Sprintf("deleted at the tail: the chain ends at seq %d, the recorded head is seq %d", rep.HeadSeq, o.AnchorSeq)})
		default: // inside the chain but missing: the gap is already reported
			rep.add(Problem{Kind: Deleted, Seq: o.AnchorSeq, Detail: "the recorded head is missing from the chain"})
		}
	}
	return rep, nil
}

// inspect checks a record against itself: its hash over its contents, and
// its id column against the id inside the event.
func inspect(rec *store.AuditRecord) *recInfo {
	r := &recInfo{seq: rec.Seq, id: rec.ID, prev: rec.PrevHash, hash: rec.Hash, selfOK: true}
	h := chainHash(rec.Seq, rec.PrevHash, rec.Data)
	// A full decode: a row readers cannot decode is not one aigis wrote.
	switch ev, err := decodeEvent(rec.Data); {
	case !bytes.Equal(h[:], rec.Hash):
		r.selfOK, r.why = false, "stored hash does not match the event's contents"
	case err != nil:
		r.selfOK, r.why = false, "event data does not decode"
	case ev.ID != rec.ID:
		r.selfOK, r.why = false, fmt.Sprintf("id column %q differs from the event's id %q", rec.ID, ev.ID)
	}
	return r
}
