package audit

import (
	"bufio"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/aigis-dev/aigis/internal/store"
)

// fromRecord decodes a stored record and sets its chain fields.
func fromRecord(rec store.AuditRecord) (Event, error) {
	ev, err := decodeEvent(rec.Data)
	if err != nil {
		return Event{}, fmt.Errorf("audit: event seq %d: %w", rec.Seq, err)
	}
	ev.Seq = rec.Seq
	ev.PrevHash = hex.EncodeToString(rec.PrevHash)
	ev.Hash = hex.EncodeToString(rec.Hash)
	return ev, nil
}

// List returns up to limit events with Seq > after, in chain order; a store
// returns at most one page (10,000) per call, so page on with the last Seq.
func List(ctx context.Context, st store.Audit, after int64, limit int) ([]Event, error) {
	recs, err := st.ListAudit(ctx, after, limit)
	if err != nil {
		return nil, fmt.Errorf("audit: list: %w", err)
	}
	out := make([]Event, 0, len(recs))
	for _, r := range recs {
		ev, err := fromRecord(r)
		if err != nil {
			return nil, err
		}
		out = append(out, ev)
	}
	return out, nil
}

// Last returns the last n events (fewer if the log is shorter), oldest first.
func Last(ctx context.Context, st store.Audit, n int) ([]Event, error) {
	if n <= 0 {
		return nil, nil
	}
	head, err := st.LastAudit(ctx)
	if err != nil {
		return nil, fmt.Errorf("audit: tail: %w", err)
	}
	return List(ctx, st, max(head.Seq-int64(n), 0), n)
}

// Follow calls fn for every event with Seq > after, in order, then polls
// every interval for new ones until ctx ends (returning nil) or fn fails.
func Follow(ctx context.Context, st store.Audit, after int64, interval time.Duration, fn func(Event) error) error {
	if interval <= 0 {
		interval = time.Second
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		for {
			evs, err := List(ctx, st, after, 1000)
			if err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return err
			}
			for _, ev := range evs {
				if err := fn(ev); err != nil {
					return err
				}
				after = ev.Seq
			}
			if len(evs) < 1000 {
				break
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// ExportOptions configures ExportJSONL.
type ExportOptions struct {
	After int64 // export events with Seq > After
	// Keyring, when set, decrypts stored bodies into request_body and
	// response_body (as strings). Events whose key is not in the ring are
	// exported with their ciphertext only.
	Keyring *Keyring
}

// exportLine is one JSONL line: the event with its chain fields, plus the
// decrypted bodies when a keyring was given.
type exportLine struct {
	*Event
	RequestBody  *string `json:"request_body,omitempty"`
	ResponseBody *string `json:"response_body,omitempty"`
}

// ExportJSONL writes one JSON event per line, in chain order, and returns
// how many it wrote.
func ExportJSONL(ctx context.Context, st store.Audit, w io.Writer, opts ExportOptions) (int64, error) {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	var n int64
	after := opts.After
	for {
		evs, err := List(ctx, st, after, 1000)
		if err != nil {
			return n, err
		}
		for i := range evs {
			ev := &evs[i]
			line := exportLine{Event: ev}
			if opts.Keyring != nil && ev.Bodies != nil {
				if err := opts.Keyring.Decrypt(ev); err == nil {
					if ev.RequestBody != nil {
						s := string(ev.RequestBody)
						line.RequestBody = &s
					}
					if ev.ResponseBody != nil {
						s := string(ev.ResponseBody)
						line.ResponseBody = &s
					}
				} else if !errors.Is(err, ErrUnknownKey) {
					return n, err
				}
			}
			if err := enc.Encode(line); err != nil {
				return n, fmt.Errorf("audit: export: %w", err)
			}
			n++
			after = ev.Seq
		}
		if len(evs) < 1000 {
			break
		}
	}
	if err := bw.Flush(); err != nil {
		return n, fmt.Errorf("audit: export: %w", err)
	}
	return n, nil
}
