package sse

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func readAll(t *testing.T, r *Reader) ([]Event, error) {
	t.Helper()
	var evs []Event
	for {
		ev, err := r.Next()
		if err != nil {
			if err == io.EOF {
				return evs, nil
			}
			return evs, err
		}
		evs = append(evs, ev)
	}
}

func TestReaderFraming(t *testing.T) {
	in := ": comment\r\n" +
		"event: message_start\r\n" +
		"id: 7\r\n" +
		"data: {\"a\":1}\r\n\r\n" +
		"data:first\n" +
		"data: second\n" +
		"data\n" +
		"unknown: x\n" +
		"retry: 250\n\n" +
		"event: only-name\n\n" + // no data: not dispatched
		"data: cr-only\r\r" +
		"data: [DONE]\n\n"
	for _, name := range []string{"whole", "one byte at a time"} {
		var src io.Reader = strings.NewReader(in)
		if name != "whole" {
			src = iotest.OneByteReader(src)
		}
		evs, err := readAll(t, NewReader(src, 64))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		want := []Event{
			{Event: "message_start", ID: "7", Data: `{"a":1}`},
			{ID: "7", Data: "first\nsecond\n", Retry: 250},
			{ID: "7", Data: "cr-only"},
			{ID: "7", Data: "[DONE]"},
		}
		if len(evs) != len(want) {
			t.Fatalf("%s: got %d events: %+v", name, len(evs), evs)
		}
		for i := range want {
			if evs[i] != want[i] {
				t.Errorf("%s: event %d = %+v, want %+v", name, i, evs[i], want[i])
			}
		}
	}
}

func TestReaderErrors(t *testing.T) {
	_, err := readAll(t, NewReader(strings.NewReader("data: {\"partial\""), 0))
	if !errors.Is(err, ErrBroken) {
		t.Fatalf("unterminated event: %v", err)
	}
	_, err = readAll(t, NewReader(strings.NewReader("data: "+strings.Repeat("x", 100)+"\n\n"), 50))
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("long line: %v", err)
	}
	r := NewReader(strings.NewReader(strings.Repeat("data: 0123456789\n", 10)+"\n"), 50)
	if _, err = r.Next(); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("large event: %v", err)
	}
	if _, err2 := r.Next(); err2 != err {
		t.Fatalf("error not sticky: %v", err2)
	}
	_, err = readAll(t, NewReader(strings.NewReader(strings.Repeat("x", 1000)), 50))
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("no newline at all: %v", err)
	}
	boom := errors.New("boom")
	_, err = readAll(t, NewReader(io.MultiReader(strings.NewReader("data: a\n\n"), iotest.ErrReader(boom)), 0))
	if !errors.Is(err, boom) {
		t.Fatalf("read error: %v", err)
	}
	evs, err := readAll(t, NewReader(strings.NewReader(""), 0))
	if err != nil || len(evs) != 0 {
		t.Fatalf("empty stream: %v %v", evs, err)
	}
}

func TestWriteRoundTrip(t *testing.T) {
	evs := []Event{
		{Event: "content_block_delta", Data: `{"x":"y"}`},
		{Data: "multi\nline\r\nwith cr\rend"},
		{Event: "bad\nname", ID: "1\r2", Data: "", Retry: 5},
	}
	var wire []byte
	for _, ev := range evs {
		wire = AppendEvent(wire, ev)
	}
	wire = AppendData(wire, []byte("[DONE]"))
	got, err := readAll(t, NewReader(strings.NewReader(string(wire)), 0))
	if err != nil {
		t.Fatal(err)
	}
	want := []Event{
		{Event: "content_block_delta", Data: `{"x":"y"}`},
		{Data: "multi\nline\nwith cr\nend"},
		{Event: "badname", ID: "12", Data: "", Retry: 5},
		{ID: "12", Data: "[DONE]"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("event %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

// FuzzReader: the reader never panics, never returns more than the limit,
// and what AppendEvent writes reads back the same.
func FuzzReader(f *testing.F) {
	f.Add("data: a\n\n", 64)
	f.Add("event: x\r\ndata: {}\r\n\r\n: c\n\ndata: [DONE]\n\n", 16)
	f.Add("data: a\rdata: b\r\r", 8)
	f.Add("data", 1)
	f.Fuzz(func(t *testing.T, in string, limit int) {
		limit = limit%4096 + 1
		if limit < 1 {
			limit = -limit + 1
		}
		r := NewReader(iotest.HalfReader(strings.NewReader(in)), limit)
		for i := 0; i < len(in)+2; i++ {
			ev, err := r.Next()
			if err != nil {
				break
			}
			if len(ev.Data) > limit || len(ev.Event) > limit {
				t.Fatalf("event larger than limit %d: %+v", limit, ev)
			}
			// Round trip what we read.
			back, err := NewReader(strings.NewReader(string(AppendEvent(nil, ev))), 0).Next()
			if err != nil {
				t.Fatalf("re-read: %v", err)
			}
			if back.Data != ev.Data || back.Event != ev.Event {
				t.Fatalf("round trip %+v -> %+v", ev, back)
			}
		}
	})
}

func BenchmarkReader(b *testing.B) {
	var wire []byte
	for range 16 {
		wire = AppendData(wire, []byte(`{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"hello world"},"finish_reason":null}]}`))
	}
	b.SetBytes(int64(len(wire)))
	b.ReportAllocs()
	rd := strings.NewReader("")
	for b.Loop() {
		rd.Reset(string(wire))
		r := NewReader(rd, 0)
		for {
			if _, err := r.Next(); err != nil {
				break
			}
		}
	}
}
