package lz4

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
)

// frameOf wraps blocks in an LZ4 frame (FLG version 01 with the given
// extra flags, 64 KiB blocks). A block given with raw=true is stored.
func frameOf(flags byte, contentSize uint64, blocks ...[]byte) []byte {
	b := append([]byte{}, Magic...)
	b = append(b, 0x40|flags, 0x40)
	if flags&0x08 != 0 {
		b = binary.LittleEndian.AppendUint64(b, contentSize)
	}
	b = append(b, 0xAB) // header checksum (not verified)
	for _, blk := range blocks {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(blk)))
		b = append(b, blk...)
		if flags&0x10 != 0 {
			b = append(b, 0, 0, 0, 0)
		}
	}
	b = append(b, 0, 0, 0, 0)
	if flags&0x04 != 0 {
		b = append(b, 1, 2, 3, 4)
	}
	return b
}

func TestDecode(t *testing.T) {
	ctx := context.Background()
	// "abcd", then an overlapping match (offset 4, length 8), then "xyz".
	blk := []byte{0x44, 'a', 'b', 'c', 'd', 4, 0, 0x30, 'x', 'y', 'z'}
	want := "abcdabcdabcdxyz"
	// 20 literals (extension byte), a 30-byte match (extension), 1 literal.
	lit := strings.Repeat("q", 20)
	long := append([]byte{0xFF, 20 - 15}, lit...)
	long = append(long, 1, 0, 30-4-15, 0x10, '!')
	wantLong := lit + strings.Repeat("q", 30) + "!"
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"overlapping match", frameOf(0x20, 0, blk), want},
		{"length extensions", frameOf(0x20, 0, long), wantLong},
		{"content size, block and content checksums", frameOf(0x20|0x08|0x10|0x04, uint64(len(want)), blk), want},
		{"linked blocks", frameOf(0, 0, blk, []byte{0x04, 15, 0, 0x00}), want + want[:8]},
		{"two frames and a skippable frame", append(append(frameOf(0x20, 0, blk), 0x50, 0x2A, 0x4D, 0x18, 2, 0, 0, 0, 9, 9), frameOf(0x20, 0, blk)...), want + want},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := Decode(ctx, c.data, 1<<20)
			if err != nil || string(out) != c.want {
				t.Fatalf("got %q, %v; want %q", out, err, c.want)
			}
		})
	}
	// A stored block: size with the high bit, data as is.
	sf := append([]byte{}, Magic...)
	sf = append(sf, 0x60, 0x40, 0)
	sf = binary.LittleEndian.AppendUint32(sf, 0x80000000|3)
	sf = append(sf, "raw"...)
	sf = append(sf, 0, 0, 0, 0)
	if out, err := Decode(ctx, sf, 1<<20); err != nil || string(out) != "raw" {
		t.Fatalf("stored block: %q %v", out, err)
	}
}

func TestDecodeBounds(t *testing.T) {
	ctx := context.Background()
	// A long overlapping run: 1 literal, then a match of 60,000 bytes.
	ml := 60000 - 4 - 15
	blk := []byte{0x1F, 'z', 1, 0}
	for ; ml >= 255; ml -= 255 {
		blk = append(blk, 255)
	}
	blk = append(blk, byte(ml), 0x00)
	f := frameOf(0x20, 0, blk)
	if out, err := Decode(ctx, f, 1<<20); err != nil || len(out) != 60001 || !bytes.Equal(out, bytes.Repeat([]byte("z"), 60001)) {
		t.Fatalf("run: %d bytes, %v", len(out), err)
	}
	if _, err := Decode(ctx, f, 1000); !errors.Is(err, ErrLimit) {
		t.Fatalf("limit: %v", err)
	}
	if _, err := Decode(ctx, frameOf(0x20|0x08, 1<<40, blk), 1<<20); !errors.Is(err, ErrLimit) {
		t.Fatalf("declared content size: %v", err)
	}
	for n := 0; n < len(f)-4; n++ {
		if _, err := Decode(ctx, f[:n], 1<<20); err == nil {
			t.Fatalf("truncated at %d: no error", n)
		}
	}
	bad := frameOf(0x20, 0, []byte{0x14, 'a', 9, 0, 0x00}) // offset past the start
	if _, err := Decode(ctx, bad, 1<<20); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("bad offset: %v", err)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(frameOf(0x20, 0, []byte{0x44, 'a', 'b', 'c', 'd', 4, 0, 0x30, 'x', 'y', 'z'}))
	f.Add(frameOf(0x08|0x10|0x04, 15, []byte{0x1F, 'z', 1, 0, 255, 3, 0x00}))
	f.Fuzz(func(t *testing.T, b []byte) {
		out, _ := Decode(context.Background(), b, 1<<16)
		if len(out) > 1<<16 {
			t.Fatalf("output %d over the limit", len(out))
		}
	})
}
