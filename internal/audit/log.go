package audit

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aigis-dev/aigis/internal/store"
)

// ErrClosed is returned by Append after Close.
var ErrClosed = errors.New("audit: log is closed")

// Options configures a Log.
type Options struct {
	// Keyring, when set, turns on body storage: Event.RequestBody and
	// ResponseBody are encrypted with its current key. When nil, bodies are
	// never stored.
	Keyring *Keyring
	// MaxBatch bounds how many events one transaction carries (default 512).
	MaxBatch int
	// CommitTimeout bounds one append transaction (default 10s) on
	// PostgreSQL. The SQLite store does not interrupt a commit: its lock
	// waits are bounded by the busy timeout (10 s).
	CommitTimeout time.Duration
	// Now is the clock for events without a time (default time.Now).
	Now func() time.Time
}

// Log appends events to the hash chain with group commit. It is safe for
// concurrent use; create one per process and Close it on shutdown.
//
// Group commit without a background goroutine: the appender that finds no
// commit in progress becomes the leader and commits its event at once (a
// lone appender pays for no hand-off); appenders that arrive during a commit
// queue up, and when the commit ends the leader hands the lead to the first
// of them, which commits the whole queue in one transaction.
type Log struct {
	st   store.Audit
	opts Options

	mu      sync.Mutex
	queue   []*pending
	leading bool // a leader is committing or has been handed the lead
	closed  bool
	idle    *sync.Cond // signalled when leading becomes false
}

type pending struct {
	id     string
	time   time.Time
	data   []byte
	result chan appendResult // buffered(1): the outcome, or a hand-off of the lead
}

type appendResult struct {
	lead       bool // this appender now leads: commit the queue
	seq        int64
	prev, hash []byte
	err        error
}

// NewLog returns a Log over st.
func NewLog(st store.Audit, opts Options) *Log {
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 512
	}
	if opts.CommitTimeout <= 0 {
		opts.CommitTimeout = 10 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	l := &Log{st: st, opts: opts}
	l.idle = sync.NewCond(&l.mu)
	return l
}

// Verify checks the chain this Log appends to; see the package function
// Verify.
func (l *Log) Verify(ctx context.Context) (Report, error) { return Verify(ctx, l.st) }

// BodiesEnabled reports whether Append stores (encrypted) bodies.
func (l *Log) BodiesEnabled() bool { return l.opts.Keyring != nil }

// Append adds ev to the chain and returns once it is durably committed
// (nil) or failed. It sets ev.ID and ev.Time when empty, encrypts or drops
// the plaintext bodies, and on success sets ev.Seq, ev.PrevHash and ev.Hash.
// The caller must not touch ev while Append runs. ctx is checked before the
// event is queued; once queued, Append waits for the commit, which
// Options.CommitTimeout bounds, so that no queued event is left behind.
func (l *Log) Append(ctx context.Context, ev *Event) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("audit: append: %w", err)
	}
	if ev.ID == "" {
		ev.ID = NewID()
	}
	if ev.Time.IsZero() {
		ev.Time = l.opts.Now()
	}
	ev.Time = ev.Time.UTC().Round(0)
	if l.opts.Keyring != nil && (ev.RequestBody != nil || ev.ResponseBody != nil) {
		if err := l.opts.Keyring.seal(ev); err != nil {
			return err
		}
	} else {
		ev.Bodies = nil
		ev.RequestBody, ev.ResponseBody = nil, nil
	}
	data, err := canonical(ev)
	if err != nil {
		return err
	}
	p := &pending{id: ev.ID, time: ev.Time, data: data, result: make(chan appendResult, 1)}

	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return ErrClosed
	}
	l.queue = append(l.queue, p)
	lead := !l.leading
	l.leading = true
	l.mu.Unlock()

	var r appendResult
	if !lead {
		r = <-p.result
		lead = r.lead
	}
	if lead {
		l.lead()
		r = <-p.result
	}
	if r.err != nil {
		return r.err
	}
	ev.Seq = r.seq
	ev.PrevHash = hex.EncodeToString(r.prev)
	ev.Hash = hex.EncodeToString(r.hash)
	return nil
}

// lead commits the queue (up to MaxBatch) and passes the lead on to the
// first appender still queued, or gives it up.
func (l *Log) lead() {
	l.mu.Lock()
	n := min(len(l.queue), l.opts.MaxBatch)
	batch := make([]*pending, n)
	copy(batch, l.queue)
	l.queue = append(l.queue[:0], l.queue[n:]...)
	l.mu.Unlock()

	l.commit(batch)

	l.mu.Lock()
	if len(l.queue) > 0 {
		l.queue[0].result <- appendResult{lead: true}
	} else {
		l.leading = false
		l.idle.Broadcast()
	}
	l.mu.Unlock()
}

// Close waits for the commits in progress and makes later Appends fail
// with ErrClosed. It does not close the store.
func (l *Log) Close() error {
	l.mu.Lock()
	l.closed = true
	for l.leading {
		l.idle.Wait()
	}
	l.mu.Unlock()
	return nil
}

// commit writes batch in one transaction and answers every appender.
func (l *Log) commit(batch []*pending) {
	ctx, cancel := context.WithTimeout(context.Background(), l.opts.CommitTimeout)
	defer cancel()
	results := make([]appendResult, len(batch))
	err := l.st.AppendAudit(ctx, func(head store.AuditHead) ([]store.AuditRecord, error) {
		prev := head.Hash
		if head.Seq == 0 {
			prev = genesisHash[:]
		}
		recs := make([]store.AuditRecord, len(batch))
		for i, p := range batch {
			seq := head.Seq + int64(i) + 1
			h := chainHash(seq, prev, p.data)
			recs[i] = store.AuditRecord{Seq: seq, ID: p.id, Time: p.time, PrevHash: prev, Hash: h[:], Data: p.data}
			results[i] = appendResult{seq: seq, prev: prev, hash: recs[i].Hash}
			prev = recs[i].Hash
		}
		return recs, nil
	})
	for i, p := range batch {
		if err != nil {
			p.result <- appendResult{err: fmt.Errorf("audit: commit %d events: %w", len(batch), err)}
			continue
		}
		p.result <- results[i]
	}
}

// genesisHash is the PrevHash of the first event.
var genesisHash [sha256.Size]byte

// chainHash is SHA-256 over a domain label, the sequence number, the
// previous hash and the canonical event bytes.
func chainHash(seq int64, prev, data []byte) [sha256.Size]byte {
	h := sha256.New()
	var hdr [len(chainDomain) + 8]byte
	copy(hdr[:], chainDomain)
	binary.BigEndian.PutUint64(hdr[len(chainDomain):], uint64(seq))
	h.Write(hdr[:])
	h.Write(prev)
	h.Write(data)
	var out [sha256.Size]byte
	h.Sum(out[:0])
	return out
}

const chainDomain = "aigis/audit/chain/v1\x00"
