package lzma

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/crc32"
)

// XZMagic opens an .xz stream.
var XZMagic = []byte("\xfd7zXZ\x00")

var errXZ = errors.New("xz: malformed stream")

// checkSize is the size of the block check for each check type.
var checkSize = [16]int{0, 4, 4, 4, 8, 8, 8, 16, 16, 16, 32, 32, 32, 64, 64, 64}

func vli(b []byte, pos int) (uint64, int, error) {
	var v uint64
	for i := 0; i < 9; i++ {
		if pos+i >= len(b) {
			return 0, pos, ErrTruncated
		}
		c := b[pos+i]
		v |= uint64(c&0x7F) << (7 * i)
		if c&0x80 == 0 {
			if c == 0 && i > 0 {
				return 0, pos, errXZ
			}
			return v, pos + i + 1, nil
		}
	}
	return 0, pos, errXZ
}

// DecodeXZ decodes an .xz file (one or more concatenated streams, stream
// padding allowed) whose blocks use the LZMA2 filter alone. Other filter
// chains (BCJ, delta) are reported as unsupported. Block checks are not
// verified (the loader's result does not depend on them for this purpose:
// a mismatch makes the loader fail, never load something else).
func DecodeXZ(ctx context.Context, src []byte, limit int64) ([]byte, error) {
	s := newState(ctx, limit, int64(len(src))*4)
	pos := 0
	streams := 0
	for pos < len(src) {
		if streams > 0 {
			// Stream padding: multiples of four zero bytes.
			for pos+4 <= len(src) && bytes.Equal(src[pos:pos+4], []byte{0, 0, 0, 0}) {
				pos += 4
			}
			if pos == len(src) {
				break
			}
		}
		if len(src)-pos < 12 || !bytes.Equal(src[pos:pos+6], XZMagic) {
			if streams == 0 {
				return nil, errXZ
			}
			return s.out, fmt.Errorf("xz: trailing garbage at offset %d", pos)
		}
		flags := src[pos+6 : pos+8]
		if crc32.ChecksumIEEE(flags) != le32(src[pos+8:]) || flags[0] != 0 || flags[1] > 0x0F {
			return s.out, fmt.Errorf("xz: bad stream header at offset %d", pos)
		}
		ck := checkSize[flags[1]]
		pos += 12
		streams++
		for {
			if pos >= len(src) {
				return s.out, ErrTruncated
			}
			if src[pos] == 0 { // index
				var err error
				pos, err = skipIndex(src, pos)
				if err != nil {
					return s.out, err
				}
				if len(src)-pos < 12 || string(src[pos+10:pos+12]) != "YZ" {
					return s.out, errors.New("xz: bad stream footer")
				}
				pos += 12
				break
			}
			hsz := (int(src[pos]) + 1) * 4
			if pos+hsz > len(src) {
				return s.out, ErrTruncated
			}
			hdr := src[pos : pos+hsz]
			if crc32.ChecksumIEEE(hdr[:hsz-4]) != le32(hdr[hsz-4:]) {
				return s.out, errors.New("xz: block header CRC mismatch")
			}
			dictProp, bcj, err := blockFilters(hdr[:hsz-4])
			if err != nil {
				return s.out, err
			}
			pos += hsz
			start := pos
			// Each block starts with a fresh LZMA2 decoder (dictionary reset).
			blockStart := len(s.out)
			n, err := lzma2(s, src[pos:], dictProp)
			if err != nil {
				return s.out, fmt.Errorf("xz block: %w", err)
			}
			if bcj {
				x86Decode(s.out[blockStart:])
			}
			pos += n
			for (pos-start)%4 != 0 {
				if pos >= len(src) {
					return s.out, ErrTruncated
				}
				pos++
			}
			pos += ck
			if pos > len(src) {
				return s.out, ErrTruncated
			}
		}
	}
	return s.out, nil
}

// blockFilters parses a block header (without its CRC) and returns the
// LZMA2 dictionary property when LZMA2 is the only filter.
func blockFilters(h []byte) (byte, bool, error) {
	if len(h) < 2 {
		return 0, false, errXZ
	}
	flags := h[1]
	if flags&0x3C != 0 {
		return 0, false, errXZ
	}
	nf := int(flags&3) + 1
	pos := 2
	var err error
	if flags&0x40 != 0 {
		if _, pos, err = vli(h, pos); err != nil {
			return 0, false, err
		}
	}
	if flags&0x80 != 0 {
		if _, pos, err = vli(h, pos); err != nil {
			return 0, false, err
		}
	}
	bcj := false
	for k := 0; k < nf; k++ {
		id, np, err := vli(h, pos)
		if err != nil {
			return 0, false, err
		}
		psz, np, err := vli(h, np)
		if err != nil {
			return 0, false, err
		}
		if psz > uint64(len(h)-np) {
			return 0, false, errXZ
		}
		pos = np + int(psz)
		switch {
		case k == nf-1 && id == 0x21:
			if psz != 1 {
				return 0, false, errXZ
			}
			return h[np], bcj, nil
		case k == 0 && nf == 2 && id == 0x04 && psz == 0:
			bcj = true
		default:
			return 0, false, fmt.Errorf("xz: filter chain with filter 0x%x is not supported", id)
		}
	}
	return 0, false, errXZ
}

func skipIndex(src []byte, pos int) (int, error) {
	start := pos
	pos++
	n, pos, err := vli(src, pos)
	if err != nil {
		return pos, err
	}
	if n > uint64(len(src)) {
		return pos, errXZ
	}
	for i := uint64(0); i < 2*n; i++ {
		if _, pos, err = vli(src, pos); err != nil {
			return pos, err
		}
	}
	for (pos-start)%4 != 0 {
		pos++
	}
	pos += 4
	if pos > len(src) {
		return pos, ErrTruncated
	}
	return pos, nil
}

func le32(b []byte) uint32 {
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}
