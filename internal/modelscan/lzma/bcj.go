package lzma

// x86Decode reverses the BCJ x86 branch-call-jump filter in place over a
// whole buffer that starts at stream position 0 (xz's simple/x86.c). The
// last four bytes are never converted, as in the streaming decoder at the
// end of the stream.
func x86Decode(buf []byte) {
	maskToAllowed := [8]bool{true, true, true, false, true, false, false, false}
	maskToBit := [8]uint32{0, 1, 2, 2, 3, 3, 3, 3}
	test := func(b byte) bool { return b == 0 || b == 0xFF }
	if len(buf) < 5 {
		return
	}
	var prevMask uint32
	prevPos := ^uint32(4) // (uint32)-5
	limit := len(buf) - 5
	for i := 0; i <= limit; {
		b := buf[i]
		if b != 0xE8 && b != 0xE9 {
			i++
			continue
		}
		offset := uint32(i) - prevPos
		prevPos = uint32(i)
		if offset > 5 {
			prevMask = 0
		} else {
			for k := uint32(0); k < offset; k++ {
				prevMask &= 0x77
				prevMask <<= 1
			}
		}
		b = buf[i+4]
		if test(b) && maskToAllowed[(prevMask>>1)&7] && prevMask>>1 < 0x10 {
			src := uint32(b)<<24 | uint32(buf[i+3])<<16 | uint32(buf[i+2])<<8 | uint32(buf[i+1])
			var dest uint32
			for {
				dest = src - (uint32(i) + 5)
				if prevMask == 0 {
					break
				}
				idx := maskToBit[prevMask>>1]
				b = byte(dest >> (24 - idx*8))
				if !test(b) {
					break
				}
				src = dest ^ (1<<(32-idx*8) - 1)
			}
			buf[i+4] = ^byte(((dest >> 24) & 1) - 1)
			buf[i+3] = byte(dest >> 16)
			buf[i+2] = byte(dest >> 8)
			buf[i+1] = byte(dest)
			i += 5
			prevMask = 0
		} else {
			i++
			prevMask |= 1
			if test(b) {
				prevMask |= 0x10
			}
		}
	}
}
