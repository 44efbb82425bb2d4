// Package lz4 decodes the LZ4 frame format (what Python's lz4.frame, and
// so joblib's "lz4" compressor, writes) into a bounded in-memory buffer.
// Checksums are not verified; malformed input gives an error, never a
// panic.
package lz4

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
)

// Magic opens an LZ4 frame.
var Magic = []byte{0x04, 0x22, 0x4D, 0x18}

// Errors.
var (
	ErrCorrupt   = errors.New("lz4: corrupt data")
	ErrTruncated = errors.New("lz4: truncated input")
	ErrLimit     = errors.New("lz4: output exceeds the limit")
)

// Decode decodes one or more concatenated LZ4 frames (skippable frames
// are skipped), producing at most limit bytes.
func Decode(ctx context.Context, src []byte, limit int64) ([]byte, error) {
	if len(src) == 0 {
		return nil, ErrTruncated
	}
	out := make([]byte, 0, min(int64(len(src))*3, limit, 64<<20))
	pos := 0
	for frames := 0; pos < len(src); frames++ {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		if len(src)-pos < 4 {
			return out, ErrTruncated
		}
		magic := binary.LittleEndian.Uint32(src[pos:])
		if magic&0xFFFFFFF0 == 0x184D2A50 { // skippable frame
			if len(src)-pos < 8 {
				return out, ErrTruncated
			}
			n := int64(binary.LittleEndian.Uint32(src[pos+4:]))
			if n > int64(len(src)-pos-8) {
				return out, ErrTruncated
			}
			pos += 8 + int(n)
			continue
		}
		if magic != 0x184D2204 {
			if frames == 0 {
				return out, errors.New("lz4: not an LZ4 frame")
			}
			return out, fmt.Errorf("lz4: trailing data at offset %d", pos)
		}
		var err error
		if out, pos, err = frame(ctx, src, pos+4, out, limit); err != nil {
			return out, err
		}
	}
	return out, nil
}

func frame(ctx context.Context, src []byte, pos int, out []byte, limit int64) ([]byte, int, error) {
	if len(src)-pos < 3 {
		return out, pos, ErrTruncated
	}
	flg, bd := src[pos], src[pos+1]
	if flg>>6 != 1 || flg&0x02 != 0 || bd&0x8F != 0 {
		return out, pos, errors.New("lz4: unsupported frame descriptor")
	}
	maxBlock := 1 << (8 + 2*int(bd>>4&7))
	if bd>>4&7 < 4 {
		return out, pos, errors.New("lz4: invalid block size")
	}
	pos += 2
	if flg&0x08 != 0 { // content size
		if len(src)-pos < 8 {
			return out, pos, ErrTruncated
		}
		if binary.LittleEndian.Uint64(src[pos:]) > uint64(limit) {
			return out, pos, ErrLimit
		}
		pos += 8
	}
	if flg&0x01 != 0 { // dictionary id: an external dictionary is needed
		return out, pos, errors.New("lz4: frames that need a dictionary are not supported")
	}
	pos++ // header checksum
	for {
		if err := ctx.Err(); err != nil {
			return out, pos, err
		}
		if len(src)-pos < 4 {
			return out, pos, ErrTruncated
		}
		bs := binary.LittleEndian.Uint32(src[pos:])
		pos += 4
		if bs == 0 { // end mark
			break
		}
		raw := bs&0x80000000 != 0
		n := int(bs & 0x7FFFFFFF)
		if n > maxBlock || n > len(src)-pos {
			return out, pos, ErrTruncated
		}
		blk := src[pos : pos+n]
		pos += n
		if flg&0x10 != 0 {
			pos += 4
		}
		if raw {
			if int64(len(out))+int64(n) > limit {
				return out, pos, ErrLimit
			}
			out = append(out, blk...)
			continue
		}
		var err error
		if out, err = Block(blk, out, limit); err != nil {
			return out, pos, err
		}
	}
	if flg&0x04 != 0 {
		pos += 4
	}
	if pos > len(src) {
		return out, pos, ErrTruncated
	}
	return out, pos, nil
}

// Block decodes one LZ4 block, appending to out; matches may reach back
// into earlier output (linked blocks).
func Block(src, out []byte, limit int64) ([]byte, error) {
	pos := 0
	for {
		if pos >= len(src) {
			return out, ErrTruncated
		}
		tok := src[pos]
		pos++
		lit := int(tok >> 4)
		if lit == 15 {
			for {
				if pos >= len(src) {
					return out, ErrTruncated
				}
				b := src[pos]
				pos++
				lit += int(b)
				if lit > len(src) {
					return out, ErrCorrupt
				}
				if b != 255 {
					break
				}
			}
		}
		if lit > len(src)-pos {
			return out, ErrTruncated
		}
		if int64(len(out))+int64(lit) > limit {
			return out, ErrLimit
		}
		out = append(out, src[pos:pos+lit]...)
		pos += lit
		if pos == len(src) { // the last sequence has literals only
			return out, nil
		}
		if len(src)-pos < 2 {
			return out, ErrTruncated
		}
		off := int(src[pos]) | int(src[pos+1])<<8
		pos += 2
		if off == 0 || off > len(out) {
			return out, ErrCorrupt
		}
		ml := int(tok&15) + 4
		if tok&15 == 15 {
			for {
				if pos >= len(src) {
					return out, ErrTruncated
				}
				b := src[pos]
				pos++
				ml += int(b)
				if int64(ml) > limit {
					return out, ErrLimit
				}
				if b != 255 {
					break
				}
			}
		}
		if int64(len(out))+int64(ml) > limit {
			return out, ErrLimit
		}
		start := len(out) - off
		if off >= ml {
			out = append(out, out[start:start+ml]...)
		} else {
			for i := 0; i < ml; i++ {
				out = append(out, out[start+i])
			}
		}
	}
}
