// Package lzma decodes LZMA, LZMA2, .xz, .lzma (LZMA_alone) and the 7z
// container for model scanning. It is a bounded, in-memory decoder: the
// output buffer is the dictionary (no allocation follows a declared
// dictionary size), every output is capped by a caller-given limit, the
// context is checked while decoding, and malformed input gives an error,
// never a panic. It follows the LZMA specification (LzmaSpec.cpp) and the
// .xz and 7z format descriptions.
package lzma

import (
	"context"
	"errors"
	"fmt"
)

// Errors.
var (
	ErrCorrupt   = errors.New("lzma: corrupt data")
	ErrTruncated = errors.New("lzma: truncated input")
	ErrLimit     = errors.New("lzma: output exceeds the limit")
)

const (
	numStates          = 12
	numPosBitsMax      = 4
	numLenToPosStates  = 4
	numAlignBits       = 4
	startPosModelIndex = 4
	endPosModelIndex   = 14
	numFullDistances   = 1 << (endPosModelIndex >> 1)
	matchMinLen        = 2
	probInit           = 1024
)

// rangeDec is the LZMA range decoder over an in-memory input.
type rangeDec struct {
	src       []byte
	pos       int
	rng, code uint32
	err       error
}

func (rc *rangeDec) byte() byte {
	if rc.pos >= len(rc.src) {
		rc.err = ErrTruncated
		return 0
	}
	b := rc.src[rc.pos]
	rc.pos++
	return b
}

func (rc *rangeDec) init() error {
	rc.rng = 0xFFFFFFFF
	rc.code = 0
	if rc.byte() != 0 {
		return ErrCorrupt
	}
	for i := 0; i < 4; i++ {
		rc.code = rc.code<<8 | uint32(rc.byte())
	}
	if rc.err != nil {
		return rc.err
	}
	if rc.code == rc.rng {
		return ErrCorrupt
	}
	return nil
}

func (rc *rangeDec) normalize() {
	if rc.rng < 1<<24 {
		rc.rng <<= 8
		rc.code = rc.code<<8 | uint32(rc.byte())
	}
}

func (rc *rangeDec) bit(p *uint16) uint32 {
	bound := (rc.rng >> 11) * uint32(*p)
	var b uint32
	if rc.code < bound {
		rc.rng = bound
		*p += (2048 - *p) >> 5
	} else {
		rc.rng -= bound
		rc.code -= bound
		*p -= *p >> 5
		b = 1
	}
	rc.normalize()
	return b
}

func (rc *rangeDec) direct(n uint) uint32 {
	var res uint32
	for ; n > 0; n-- {
		rc.rng >>= 1
		rc.code -= rc.rng
		t := 0 - (rc.code >> 31)
		rc.code += rc.rng & t
		if rc.code == rc.rng {
			rc.err = ErrCorrupt
		}
		rc.normalize()
		res = res<<1 + t + 1
	}
	return res
}

func (rc *rangeDec) tree(probs []uint16, numBits uint) uint32 {
	m := uint32(1)
	for i := uint(0); i < numBits; i++ {
		m = m<<1 + rc.bit(&probs[m])
	}
	return m - 1<<numBits
}

func (rc *rangeDec) reverse(probs []uint16, numBits uint) uint32 {
	m, sym := uint32(1), uint32(0)
	for i := uint(0); i < numBits; i++ {
		b := rc.bit(&probs[m])
		m = m<<1 + b
		sym |= b << i
	}
	return sym
}

type lenDec struct {
	choice, choice2 uint16
	low, mid        [1 << numPosBitsMax][1 << 3]uint16
	high            [1 << 8]uint16
}

func (l *lenDec) reset() {
	l.choice, l.choice2 = probInit, probInit
	for i := range l.low {
		for j := range l.low[i] {
			l.low[i][j], l.mid[i][j] = probInit, probInit
		}
	}
	for i := range l.high {
		l.high[i] = probInit
	}
}

func (l *lenDec) decode(rc *rangeDec, posState uint32) uint32 {
	if rc.bit(&l.choice) == 0 {
		return rc.tree(l.low[posState][:], 3)
	}
	if rc.bit(&l.choice2) == 0 {
		return 8 + rc.tree(l.mid[posState][:], 3)
	}
	return 16 + rc.tree(l.high[:], 8)
}

// Props are the lc/lp/pb literal and position parameters.
type Props struct{ LC, LP, PB uint }

// DecodeProps splits the LZMA properties byte.
func DecodeProps(b byte) (Props, error) {
	if b >= 9*5*5 {
		return Props{}, fmt.Errorf("lzma: invalid properties byte 0x%02x", b)
	}
	d := uint(b)
	return Props{LC: d % 9, LP: (d / 9) % 5, PB: d / 45}, nil
}

// state is the LZMA decoder state; out is the whole output so far and the
// dictionary starts at dictStart (LZMA2 dictionary resets move it).
type state struct {
	ctx       context.Context
	out       []byte
	limit     int64
	dictStart int
	dictSize  uint32

	p        Props
	literal  []uint16
	posSlot  [numLenToPosStates][1 << 6]uint16
	posDec   [1 + numFullDistances - endPosModelIndex]uint16
	align    [1 << numAlignBits]uint16
	isMatch  [numStates << numPosBitsMax]uint16
	isRep    [numStates]uint16
	isRepG0  [numStates]uint16
	isRepG1  [numStates]uint16
	isRepG2  [numStates]uint16
	isRep0L  [numStates << numPosBitsMax]uint16
	lenD     lenDec
	repLenD  lenDec
	st       uint32
	reps     [4]uint32
	checkCtr int
}

func newState(ctx context.Context, limit int64, sizeHint int64) *state {
	hint := min(max(sizeHint, 0), limit, 64<<20)
	return &state{ctx: ctx, limit: limit, out: make([]byte, 0, hint)}
}

func (s *state) setProps(p Props) error {
	if p.LC > 8 || p.LP > 4 || p.PB > 4 {
		return ErrCorrupt
	}
	s.p = p
	n := 0x300 << (p.LC + p.LP)
	if cap(s.literal) >= n {
		s.literal = s.literal[:n]
	} else {
		s.literal = make([]uint16, n)
	}
	return nil
}

func fill(p []uint16) {
	for i := range p {
		p[i] = probInit
	}
}

func (s *state) resetState() {
	fill(s.literal)
	for i := range s.posSlot {
		fill(s.posSlot[i][:])
	}
	fill(s.posDec[:])
	fill(s.align[:])
	fill(s.isMatch[:])
	fill(s.isRep[:])
	fill(s.isRepG0[:])
	fill(s.isRepG1[:])
	fill(s.isRepG2[:])
	fill(s.isRep0L[:])
	s.lenD.reset()
	s.repLenD.reset()
	s.st = 0
	s.reps = [4]uint32{}
}

func (s *state) put(b byte) error {
	if int64(len(s.out)) >= s.limit {
		return ErrLimit
	}
	s.out = append(s.out, b)
	return nil
}

// dictLen is the number of bytes a match may reach back to.
func (s *state) dictLen() int { return len(s.out) - s.dictStart }

func (s *state) copyMatch(dist uint32, n int) error {
	if int64(len(s.out))+int64(n) > s.limit {
		return ErrLimit
	}
	src := len(s.out) - int(dist) - 1
	if int(dist)+1 >= n { // source and destination do not overlap
		s.out = append(s.out, s.out[src:src+n]...)
		return nil
	}
	for i := 0; i < n; i++ {
		s.out = append(s.out, s.out[src+i])
	}
	return nil
}

func (s *state) decodeLiteral(rc *rangeDec) error {
	var prev uint32
	if s.dictLen() > 0 {
		prev = uint32(s.out[len(s.out)-1])
	}
	pos := uint32(s.dictLen())
	litState := ((pos & (1<<s.p.LP - 1)) << s.p.LC) + (prev >> (8 - s.p.LC))
	probs := s.literal[0x300*litState : 0x300*litState+0x300]
	sym := uint32(1)
	if s.st >= 7 {
		if int(s.reps[0]) >= s.dictLen() {
			return ErrCorrupt
		}
		match := uint32(s.out[len(s.out)-int(s.reps[0])-1])
		for sym < 0x100 {
			mb := (match >> 7) & 1
			match <<= 1
			b := rc.bit(&probs[((1+mb)<<8)+sym])
			sym = sym<<1 | b
			if mb != b {
				break
			}
		}
	}
	for sym < 0x100 {
		sym = sym<<1 | rc.bit(&probs[sym])
	}
	return s.put(byte(sym))
}

func (s *state) decodeDistance(rc *rangeDec, l uint32) uint32 {
	ls := min(l, numLenToPosStates-1)
	slot := rc.tree(s.posSlot[ls][:], 6)
	if slot < 4 {
		return slot
	}
	nd := uint(slot>>1) - 1
	dist := (2 | slot&1) << nd
	if slot < endPosModelIndex {
		return dist + rc.reverse(s.posDec[dist-slot:], nd)
	}
	dist += rc.direct(nd-numAlignBits) << numAlignBits
	return dist + rc.reverse(s.align[:], numAlignBits)
}

// run decodes until want bytes were produced (want >= 0) or, when want < 0
// or allowMarker, an end marker is met. It reports whether a marker ended
// the data.
func (s *state) run(rc *rangeDec, want int64, allowMarker bool) (bool, error) {
	end := int64(len(s.out)) + want
	pbMask := uint32(1)<<s.p.PB - 1
	for {
		if want >= 0 && int64(len(s.out)) >= end {
			if !allowMarker || rc.code == 0 {
				return false, nil
			}
		}
		if rc.err != nil {
			return false, rc.err
		}
		if s.checkCtr++; s.checkCtr&0xFFFF == 0 && s.ctx != nil {
			if err := s.ctx.Err(); err != nil {
				return false, err
			}
		}
		posState := uint32(s.dictLen()) & pbMask
		if rc.bit(&s.isMatch[s.st<<numPosBitsMax+posState]) == 0 {
			if want >= 0 && int64(len(s.out)) >= end {
				return false, ErrCorrupt
			}
			if err := s.decodeLiteral(rc); err != nil {
				return false, err
			}
			switch {
			case s.st < 4:
				s.st = 0
			case s.st < 10:
				s.st -= 3
			default:
				s.st -= 6
			}
			continue
		}
		var l uint32
		if rc.bit(&s.isRep[s.st]) != 0 {
			if want >= 0 && int64(len(s.out)) >= end || s.dictLen() == 0 {
				return false, ErrCorrupt
			}
			if rc.bit(&s.isRepG0[s.st]) == 0 {
				if rc.bit(&s.isRep0L[s.st<<numPosBitsMax+posState]) == 0 {
					if s.st < 7 {
						s.st = 9
					} else {
						s.st = 11
					}
					if int(s.reps[0]) >= s.dictLen() {
						return false, ErrCorrupt
					}
					if err := s.put(s.out[len(s.out)-int(s.reps[0])-1]); err != nil {
						return false, err
					}
					continue
				}
			} else {
				var d uint32
				if rc.bit(&s.isRepG1[s.st]) == 0 {
					d = s.reps[1]
				} else {
					if rc.bit(&s.isRepG2[s.st]) == 0 {
						d = s.reps[2]
					} else {
						d = s.reps[3]
						s.reps[3] = s.reps[2]
					}
					s.reps[2] = s.reps[1]
				}
				s.reps[1] = s.reps[0]
				s.reps[0] = d
			}
			l = s.repLenD.decode(rc, posState)
			if s.st < 7 {
				s.st = 8
			} else {
				s.st = 11
			}
		} else {
			s.reps[3], s.reps[2], s.reps[1] = s.reps[2], s.reps[1], s.reps[0]
			l = s.lenD.decode(rc, posState)
			if s.st < 7 {
				s.st = 7
			} else {
				s.st = 10
			}
			s.reps[0] = s.decodeDistance(rc, l)
			if s.reps[0] == 0xFFFFFFFF {
				if !allowMarker || rc.err != nil || rc.code != 0 {
					return false, ErrCorrupt
				}
				if want >= 0 && int64(len(s.out)) != end {
					return false, ErrCorrupt
				}
				return true, nil
			}
			if want >= 0 && int64(len(s.out)) >= end {
				return false, ErrCorrupt
			}
		}
		if rc.err != nil {
			return false, rc.err
		}
		if int(s.reps[0]) >= s.dictLen() || (s.dictSize > 0 && s.reps[0] >= s.dictSize && s.dictSize >= 4096) {
			return false, ErrCorrupt
		}
		n := int64(l + matchMinLen)
		short := false
		if want >= 0 && int64(len(s.out))+n > end {
			n = end - int64(len(s.out))
			short = true
		}
		if err := s.copyMatch(s.reps[0], int(n)); err != nil {
			return false, err
		}
		if short {
			return false, ErrCorrupt
		}
	}
}

// DecodeLZMA decodes a raw LZMA stream (as in 7z and zip). unpackSize < 0
// means unknown (an end marker is required). The output is capped at limit.
func DecodeLZMA(ctx context.Context, src []byte, propsByte byte, dictSize uint32, unpackSize, limit int64) ([]byte, error) {
	p, err := DecodeProps(propsByte)
	if err != nil {
		return nil, err
	}
	if unpackSize > limit {
		return nil, ErrLimit
	}
	s := newState(ctx, limit, unpackSize)
	s.dictSize = dictSize
	if err := s.setProps(p); err != nil {
		return nil, err
	}
	s.resetState()
	rc := &rangeDec{src: src}
	if err := rc.init(); err != nil {
		return nil, err
	}
	if _, err := s.run(rc, unpackSize, true); err != nil {
		return s.out, err
	}
	return s.out, nil
}

// DecodeAlone decodes the .lzma (LZMA_alone) format: properties byte,
// 32-bit dictionary size, 64-bit uncompressed size (all ones: unknown).
func DecodeAlone(ctx context.Context, src []byte, limit int64) ([]byte, error) {
	if len(src) < 13 {
		return nil, ErrTruncated
	}
	dict := uint32(src[1]) | uint32(src[2])<<8 | uint32(src[3])<<16 | uint32(src[4])<<24
	var size uint64
	for i := 0; i < 8; i++ {
		size |= uint64(src[5+i]) << (8 * i)
	}
	us := int64(-1)
	if size != ^uint64(0) {
		if size > uint64(limit) {
			return nil, ErrLimit
		}
		us = int64(size)
	}
	return DecodeLZMA(ctx, src[13:], src[0], dict, us, limit)
}

// IsAloneHeader reports whether b opens a .lzma (LZMA_alone) stream as
// written by xz, Python's lzma (FORMAT_ALONE) and joblib: the usual
// properties byte 0x5D, a range coder start, and either the "]\x00" prefix
// joblib itself detects (any dictionary size it implies is accepted by the
// decoder, so it must be accepted here too) or a dictionary size xz writes.
func IsAloneHeader(b []byte) bool {
	if len(b) < 14 || b[0] != 0x5D || b[13] != 0 {
		return false
	}
	if b[1] == 0 {
		return true
	}
	dict := uint32(b[1]) | uint32(b[2])<<8 | uint32(b[3])<<16 | uint32(b[4])<<24
	if dict < 4096 {
		return false
	}
	// xz writes 2^n or 2^n + 2^(n-1).
	for n := uint(12); n < 32; n++ {
		if dict == 1<<n || dict == 1<<n|1<<(n-1) {
			return true
		}
	}
	return dict == 0xFFFFFFFF
}

// lzma2 decodes an LZMA2 stream from src, appending to s.out. It returns
// the number of input bytes consumed (up to and including the end byte).
func lzma2(s *state, src []byte, dictProp byte) (int, error) {
	if dictProp > 40 {
		return 0, fmt.Errorf("lzma2: invalid dictionary size property %d", dictProp)
	}
	if dictProp == 40 {
		s.dictSize = 0xFFFFFFFF
	} else {
		s.dictSize = (2 | uint32(dictProp)&1) << (dictProp/2 + 11)
	}
	pos := 0
	needDictReset, needProps := true, true
	for {
		if pos >= len(src) {
			return pos, ErrTruncated
		}
		if s.ctx != nil {
			if err := s.ctx.Err(); err != nil {
				return pos, err
			}
		}
		c := src[pos]
		pos++
		switch {
		case c == 0:
			return pos, nil
		case c == 1 || c == 2:
			if pos+2 > len(src) {
				return pos, ErrTruncated
			}
			n := int(src[pos])<<8 | int(src[pos+1]) + 1
			pos += 2
			if c == 1 {
				s.dictStart = len(s.out)
				needDictReset = false
			} else if needDictReset {
				return pos, ErrCorrupt
			}
			if pos+n > len(src) {
				return pos, ErrTruncated
			}
			if int64(len(s.out))+int64(n) > s.limit {
				return pos, ErrLimit
			}
			s.out = append(s.out, src[pos:pos+n]...)
			pos += n
		case c >= 0x80:
			if pos+4 > len(src) {
				return pos, ErrTruncated
			}
			unpacked := int64(c&0x1F)<<16 | int64(src[pos])<<8 | int64(src[pos+1]) + 1
			packed := int(src[pos+2])<<8 | int(src[pos+3]) + 1
			pos += 4
			reset := (c >> 5) & 3
			if reset == 3 {
				s.dictStart = len(s.out)
				needDictReset = false
			} else if needDictReset {
				return pos, ErrCorrupt
			}
			if reset >= 2 {
				if pos >= len(src) {
					return pos, ErrTruncated
				}
				p, err := DecodeProps(src[pos])
				if err != nil {
					return pos, err
				}
				pos++
				if p.LC+p.LP > 4 {
					return pos, ErrCorrupt
				}
				if err := s.setProps(p); err != nil {
					return pos, err
				}
				needProps = false
			} else if needProps {
				return pos, ErrCorrupt
			}
			if reset >= 1 {
				s.resetState()
			}
			if pos+packed > len(src) {
				return pos, ErrTruncated
			}
			if int64(len(s.out))+unpacked > s.limit {
				return pos, ErrLimit
			}
			rc := &rangeDec{src: src[pos : pos+packed]}
			if err := rc.init(); err != nil {
				return pos, err
			}
			if _, err := s.run(rc, unpacked, false); err != nil {
				return pos, err
			}
			pos += packed
		default:
			return pos, fmt.Errorf("lzma2: invalid control byte 0x%02x", c)
		}
	}
}

// DecodeLZMA2 decodes a raw LZMA2 stream (as in 7z) with the given
// dictionary-size property byte.
func DecodeLZMA2(ctx context.Context, src []byte, dictProp byte, limit, sizeHint int64) ([]byte, error) {
	s := newState(ctx, limit, sizeHint)
	_, err := lzma2(s, src, dictProp)
	return s.out, err
}
