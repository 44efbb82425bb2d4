// Package sse reads and writes Server-Sent Events (the text/event-stream
// format used by OpenAI and Anthropic streaming APIs). The reader is bounded:
// a line or an event larger than the configured limit is an error, never an
// unbounded allocation.
package sse

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// Event is one dispatched server-sent event. Data holds the data lines joined
// by "\n" (the trailing newline removed, per the specification).
type Event struct {
	Event string // the "event:" field; empty means "message"
	Data  string
	ID    string
	Retry int // the "retry:" field in milliseconds; 0 when absent
}

// Errors returned by Reader.Next, wrapped with detail; test with errors.Is.
var (
	// ErrTooLarge: a line or an event exceeded the reader's limit.
	ErrTooLarge = errors.New("sse: event too large")
	// ErrBroken: the stream ended inside an event (no terminating blank line).
	ErrBroken = errors.New("sse: broken event framing")
)

// DefaultMaxEventBytes bounds one event (all its lines) when NewReader is
// given a non-positive limit.
const DefaultMaxEventBytes = 1 << 20

// Reader parses an event stream. It is not safe for concurrent use.
type Reader struct {
	r      io.Reader
	buf    []byte // buffered, unconsumed input is buf[off:n]
	off, n int
	eof    bool
	err    error // sticky read error
	max    int

	data    []byte
	hasData bool
	event   []byte
	id      []byte
	retry   int
	size    int // bytes consumed by the current event
	inEvent bool
	failed  error // sticky: once framing failed, the stream is not resumable
}

// NewReader returns a Reader of r that refuses events (and lines) larger than
// maxEventBytes (DefaultMaxEventBytes when <= 0).
func NewReader(r io.Reader, maxEventBytes int) *Reader {
	if maxEventBytes <= 0 {
		maxEventBytes = DefaultMaxEventBytes
	}
	size := 4096
	if maxEventBytes+2 < size {
		size = maxEventBytes + 2
	}
	return &Reader{r: r, buf: make([]byte, size), max: maxEventBytes}
}

// readLine returns the next line without its terminator (\n, \r\n or \r).
// The returned slice is valid until the next call.
func (r *Reader) readLine() ([]byte, error) {
	scanned := 0
	for {
		chunk := r.buf[r.off:r.n]
		if i := bytes.IndexAny(chunk[scanned:], "\r\n"); i >= 0 {
			i += scanned
			line := chunk[:i]
			adv := i + 1
			if chunk[i] == '\r' {
				if i+1 < len(chunk) {
					if chunk[i+1] == '\n' {
						adv++
					}
				} else if !r.eof && r.err == nil {
					// Need one more byte to know whether \r\n follows.
					if err := r.fill(); err != nil {
						return nil, err
					}
					scanned = i
					continue
				}
			}
			r.off += adv
			return line, nil
		}
		scanned = len(chunk)
		if len(chunk) > r.max {
			return nil, fmt.Errorf("%w: line longer than %d bytes", ErrTooLarge, r.max)
		}
		if r.eof || r.err != nil {
			if len(chunk) == 0 {
				if r.err != nil {
					return nil, r.err
				}
				return nil, io.EOF
			}
			// A final line with no terminator.
			r.off = r.n
			return chunk, nil
		}
		if err := r.fill(); err != nil {
			return nil, err
		}
	}
}

// fill reads more input, compacting or growing the buffer within the limit.
func (r *Reader) fill() error {
	if r.off > 0 {
		copy(r.buf, r.buf[r.off:r.n])
		r.n -= r.off
		r.off = 0
	}
	if r.n == len(r.buf) {
		limit := r.max + 2
		if len(r.buf) >= limit {
			return fmt.Errorf("%w: line longer than %d bytes", ErrTooLarge, r.max)
		}
		size := 2 * len(r.buf)
		if size > limit {
			size = limit
		}
		nb := make([]byte, size)
		copy(nb, r.buf[:r.n])
		r.buf = nb
	}
	for tries := 0; tries < 100; tries++ {
		m, err := r.r.Read(r.buf[r.n:])
		r.n += m
		if err == io.EOF {
			r.eof = true
			return nil
		}
		if err != nil {
			r.err = err
			return nil
		}
		if m > 0 {
			return nil
		}
	}
	r.err = io.ErrNoProgress
	return nil
}

func (r *Reader) reset() {
	r.data = r.data[:0]
	r.hasData = false
	r.event = r.event[:0]
	r.retry = 0
	r.size = 0
	r.inEvent = false
}

// Next returns the next event that carries data. Comment lines and events
// without data are skipped (per the specification, they dispatch nothing; an
// "id:" is remembered). It returns io.EOF at a clean end of stream, an error
// wrapping ErrBroken when the stream ends inside an event, ErrTooLarge when
// the limit is exceeded, or the underlying read error. After an error every
// later call returns the same error.
func (r *Reader) Next() (Event, error) {
	if r.failed != nil {
		return Event{}, r.failed
	}
	ev, err := r.next()
	if err != nil {
		r.failed = err
	}
	return ev, err
}

func (r *Reader) next() (Event, error) {
	for {
		line, err := r.readLine()
		if err != nil {
			if err == io.EOF {
				if r.inEvent {
					r.reset()
					return Event{}, fmt.Errorf("%w: stream ended inside an event", ErrBroken)
				}
				return Event{}, io.EOF
			}
			return Event{}, err
		}
		if len(line) == 0 {
			if r.hasData {
				ev := Event{Event: string(r.event), Data: string(r.data), ID: string(r.id), Retry: r.retry}
				r.reset()
				return ev, nil
			}
			r.reset()
			continue
		}
		r.size += len(line) + 1
		if r.size > r.max {
			r.reset()
			return Event{}, fmt.Errorf("%w: event larger than %d bytes", ErrTooLarge, r.max)
		}
		if line[0] == ':' {
			continue // comment
		}
		r.inEvent = true
		field, value := line, []byte(nil)
		if i := bytes.IndexByte(line, ':'); i >= 0 {
			field, value = line[:i], line[i+1:]
			if len(value) > 0 && value[0] == ' ' {
				value = value[1:]
			}
		}
		switch string(field) {
		case "data":
			if r.hasData {
				r.data = append(r.data, '\n')
			}
			r.data = append(r.data, value...)
			r.hasData = true
		case "event":
			r.event = append(r.event[:0], value...)
		case "id":
			if bytes.IndexByte(value, 0) < 0 {
				r.id = append(r.id[:0], value...)
			}
		case "retry":
			if n, err := strconv.Atoi(string(value)); err == nil && n >= 0 {
				r.retry = n
			}
		}
	}
}

// AppendEvent appends the wire form of ev to dst: optional "event:" and "id:"
// lines, one "data:" line per line of Data, and the blank line that
// dispatches it. Carriage returns and newlines in Event and ID are dropped.
func AppendEvent(dst []byte, ev Event) []byte {
	if ev.Event != "" {
		dst = append(dst, "event: "...)
		dst = appendField(dst, ev.Event)
		dst = append(dst, '\n')
	}
	if ev.ID != "" {
		dst = append(dst, "id: "...)
		dst = appendField(dst, ev.ID)
		dst = append(dst, '\n')
	}
	if ev.Retry > 0 {
		dst = append(dst, "retry: "...)
		dst = strconv.AppendInt(dst, int64(ev.Retry), 10)
		dst = append(dst, '\n')
	}
	data := ev.Data
	for {
		dst = append(dst, "data: "...)
		i := indexLineBreak(data)
		if i < 0 {
			dst = append(dst, data...)
			dst = append(dst, '\n')
			break
		}
		dst = append(dst, data[:i]...)
		dst = append(dst, '\n')
		if data[i] == '\r' && i+1 < len(data) && data[i+1] == '\n' {
			i++
		}
		data = data[i+1:]
	}
	return append(dst, '\n')
}

// AppendData appends a data-only event ("data: <data>\n\n"), the form OpenAI
// chat completion chunks use. data must not contain line breaks (JSON never does).
func AppendData(dst []byte, data []byte) []byte {
	dst = append(dst, "data: "...)
	dst = append(dst, data...)
	return append(dst, '\n', '\n')
}

func indexLineBreak(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' || s[i] == '\r' {
			return i
		}
	}
	return -1
}

func appendField(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if s[i] != '\n' && s[i] != '\r' {
			dst = append(dst, s[i])
		}
	}
	return dst
}

// Write writes ev to w in wire form.
func Write(w io.Writer, ev Event) error {
	_, err := w.Write(AppendEvent(nil, ev))
	return err
}
