// Package lzmatest builds small 7z archives for tests: member data is
// stored or wrapped in LZMA2 "uncompressed" chunks (a valid LZMA2 stream
// that needs no encoder), optionally behind the BCJ x86 filter, optionally
// with an encoded (LZMA2-wrapped) header, as 7-Zip writes it.
package lzmatest

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"unicode/utf16"
)

// File is one member.
type File struct {
	Name string
	Data []byte
	Dir  bool
	Mode uint32 // Unix mode kept in the attributes' high bits (0: none)
}

// Options select the coders.
type Options struct {
	Coder         string // "copy" (default) or "lzma2"
	BCJ           bool   // add a BCJ x86 coder (identity on data without E8/E9 bytes)
	Solid         bool   // one folder for all files
	EncodedHeader bool
}

func num(v uint64) []byte {
	switch {
	case v < 0x80:
		return []byte{byte(v)}
	case v < 0x4000:
		return []byte{0x80 | byte(v>>8), byte(v)}
	case v < 0x200000:
		return []byte{0xC0 | byte(v>>16), byte(v), byte(v >> 8)}
	}
	b := []byte{0xFF}
	return binary.LittleEndian.AppendUint64(b, v)
}

// LZMA2Stored wraps data in LZMA2 uncompressed chunks.
func LZMA2Stored(data []byte) []byte {
	var out []byte
	first := true
	for len(data) > 0 || first {
		n := min(len(data), 65536)
		c := byte(2)
		if first {
			c = 1
		}
		if n == 0 {
			break
		}
		out = append(out, c, byte((n-1)>>8), byte(n-1))
		out = append(out, data[:n]...)
		data = data[n:]
		first = false
	}
	return append(out, 0)
}

type folder struct {
	packed []byte
	size   uint64
	subs   []uint64
}

func coderBytes(o Options, outSize uint64) (coders []byte, sizes []uint64) {
	var c []byte
	n := 1
	if o.BCJ {
		// Coder 0 BCJ (final output), coder 1 the codec; bind BCJ's input
		// (in 0) to the codec's output (out 1); the packed stream feeds in 1.
		n = 2
		c = append(c, 0x04, 0x03, 0x03, 0x01, 0x03)
	}
	if o.Coder == "lzma2" {
		c = append(c, 0x21, 0x21, 0x01, 0x10)
	} else {
		c = append(c, 0x01, 0x00)
	}
	out := append(num(uint64(n)), c...)
	if o.BCJ {
		out = append(out, num(0)...)
		out = append(out, num(1)...)
		return out, []uint64{outSize, outSize}
	}
	return out, []uint64{outSize}
}

func streamsInfo(packPos uint64, fs []folder, o Options, sub bool) []byte {
	var b []byte
	b = append(b, 0x06)
	b = append(b, num(packPos)...)
	b = append(b, num(uint64(len(fs)))...)
	b = append(b, 0x09)
	for _, f := range fs {
		b = append(b, num(uint64(len(f.packed)))...)
	}
	b = append(b, 0x00)
	b = append(b, 0x07, 0x0B)
	b = append(b, num(uint64(len(fs)))...)
	b = append(b, 0x00)
	var sizes []uint64
	for _, f := range fs {
		c, s := coderBytes(o, f.size)
		b = append(b, c...)
		sizes = append(sizes, s...)
	}
	b = append(b, 0x0C)
	for _, s := range sizes {
		b = append(b, num(s)...)
	}
	b = append(b, 0x00)
	if sub {
		b = append(b, 0x08, 0x0D)
		for _, f := range fs {
			b = append(b, num(uint64(len(f.subs)))...)
		}
		b = append(b, 0x09)
		for _, f := range fs {
			for i := 0; i+1 < len(f.subs); i++ {
				b = append(b, num(f.subs[i])...)
			}
		}
		b = append(b, 0x00)
	}
	return append(b, 0x00)
}

func pack(data []byte, o Options) []byte {
	if o.Coder == "lzma2" {
		return LZMA2Stored(data)
	}
	return append([]byte(nil), data...)
}

func bits(v []bool) []byte {
	out := make([]byte, (len(v)+7)/8)
	for i, b := range v {
		if b {
			out[i/8] |= 0x80 >> (i % 8)
		}
	}
	return out
}

// SevenZip builds the archive.
func SevenZip(files []File, o Options) []byte {
	var fs []folder
	var solid folder
	var empty, emptyFile []bool
	anyEmpty := false
	for _, f := range files {
		if f.Dir || len(f.Data) == 0 {
			empty = append(empty, true)
			emptyFile = append(emptyFile, !f.Dir)
			anyEmpty = true
			continue
		}
		empty = append(empty, false)
		if o.Solid {
			solid.packed = append(solid.packed, f.Data...)
			solid.subs = append(solid.subs, uint64(len(f.Data)))
			continue
		}
		fs = append(fs, folder{packed: pack(f.Data, o), size: uint64(len(f.Data)), subs: []uint64{uint64(len(f.Data))}})
	}
	if o.Solid && len(solid.subs) > 0 {
		solid.size = uint64(len(solid.packed))
		solid.packed = pack(solid.packed, o)
		fs = append(fs, solid)
	}
	var packed []byte
	for _, f := range fs {
		packed = append(packed, f.packed...)
	}
	h := []byte{0x01}
	if len(fs) > 0 {
		h = append(h, 0x04)
		h = append(h, streamsInfo(0, fs, o, true)...)
	}
	h = append(h, 0x05)
	h = append(h, num(uint64(len(files)))...)
	if anyEmpty {
		eb := bits(empty)
		h = append(h, 0x0E)
		h = append(h, num(uint64(len(eb)))...)
		h = append(h, eb...)
		fb := bits(emptyFile)
		h = append(h, 0x0F)
		h = append(h, num(uint64(len(fb)))...)
		h = append(h, fb...)
	}
	var names []byte
	names = append(names, 0)
	for _, f := range files {
		for _, u := range utf16.Encode([]rune(f.Name)) {
			names = binary.LittleEndian.AppendUint16(names, u)
		}
		names = append(names, 0, 0)
	}
	h = append(h, 0x11)
	h = append(h, num(uint64(len(names)))...)
	h = append(h, names...)
	attrs := []byte{1, 0}
	for _, f := range files {
		a := uint32(0x20)
		if f.Dir {
			a = 0x10
		}
		if f.Mode != 0 {
			a |= 0x8000 | f.Mode<<16
		}
		attrs = binary.LittleEndian.AppendUint32(attrs, a)
	}
	h = append(h, 0x15)
	h = append(h, num(uint64(len(attrs)))...)
	h = append(h, attrs...)
	h = append(h, 0x00, 0x00)
	if o.EncodedHeader {
		enc := LZMA2Stored(h)
		hf := []folder{{packed: enc, size: uint64(len(h))}}
		ho := Options{Coder: "lzma2"}
		hdr := append([]byte{0x17}, streamsInfo(uint64(len(packed)), hf, ho, false)...)
		packed = append(packed, enc...)
		h = hdr
	}
	var out bytes.Buffer
	out.Write([]byte("7z\xbc\xaf\x27\x1c\x00\x04"))
	start := make([]byte, 20)
	binary.LittleEndian.PutUint64(start[0:], uint64(len(packed)))
	binary.LittleEndian.PutUint64(start[8:], uint64(len(h)))
	binary.LittleEndian.PutUint32(start[16:], crc32.ChecksumIEEE(h))
	out.Write(binary.LittleEndian.AppendUint32(nil, crc32.ChecksumIEEE(start)))
	out.Write(start)
	out.Write(packed)
	out.Write(h)
	return out.Bytes()
}
