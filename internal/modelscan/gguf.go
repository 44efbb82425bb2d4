package modelscan

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
)

// GGUF value types.
const (
	ggufU8 = iota
	ggufI8
	ggufU16
	ggufI16
	ggufU32
	ggufI32
	ggufF32
	ggufBool
	ggufString
	ggufArray
	ggufU64
	ggufI64
	ggufF64
)

var ggufScalarSize = map[uint32]int64{ggufU8: 1, ggufI8: 1, ggufU16: 2, ggufI16: 2, ggufU32: 4, ggufI32: 4, ggufF32: 4, ggufBool: 1, ggufU64: 8, ggufI64: 8, ggufF64: 8}

// ggmlTypes maps a ggml tensor type to (block bytes, elements per block).
var ggmlTypes = map[uint32][2]int64{
	0: {4, 1}, 1: {2, 1}, 2: {18, 32}, 3: {20, 32}, 6: {22, 32}, 7: {24, 32}, 8: {34, 32}, 9: {36, 32},
	10: {84, 256}, 11: {110, 256}, 12: {144, 256}, 13: {176, 256}, 14: {210, 256}, 15: {292, 256},
	16: {66, 256}, 17: {74, 256}, 18: {98, 256}, 19: {50, 256}, 20: {18, 32}, 21: {110, 256}, 22: {82, 256},
	23: {136, 256}, 24: {1, 1}, 25: {2, 1}, 26: {4, 1}, 27: {8, 1}, 28: {8, 1}, 29: {56, 256}, 30: {2, 1},
	34: {54, 256}, 35: {66, 256},
}

// GGUF limits.
const (
	ggufMaxKV      = 1 << 20
	ggufMaxTensors = 1 << 22
	ggufMaxString  = 64 << 20
	ggufMaxDims    = 8
)

type ggufReader struct {
	br   *bufio.Reader
	off  int64
	size int64
	v1   bool
}

func (g *ggufReader) read(p []byte) error {
	n, err := io.ReadFull(g.br, p)
	g.off += int64(n)
	if err != nil {
		return fmt.Errorf("truncated at offset %d: %w", g.off, err)
	}
	return nil
}

func (g *ggufReader) u32() (uint32, error) {
	var b [4]byte
	err := g.read(b[:])
	return binary.LittleEndian.Uint32(b[:]), err
}

func (g *ggufReader) u64() (uint64, error) {
	var b [8]byte
	err := g.read(b[:])
	return binary.LittleEndian.Uint64(b[:]), err
}

func (g *ggufReader) count() (uint64, error) {
	if g.v1 {
		v, err := g.u32()
		return uint64(v), err
	}
	return g.u64()
}

func (g *ggufReader) skip(n int64) error {
	if n < 0 || n > g.size-g.off {
		return fmt.Errorf("value of %d bytes at offset %d runs past the end of the file", n, g.off)
	}
	d, err := g.br.Discard(int(n))
	g.off += int64(d)
	return err
}

// str reads a string; keep=false skips its bytes.
func (g *ggufReader) str(keep bool, max int64) (string, error) {
	n, err := g.count()
	if err != nil {
		return "", err
	}
	if n > uint64(g.size-g.off) || n > ggufMaxString {
		return "", fmt.Errorf("string of %d bytes at offset %d exceeds the file or the %d-byte limit", n, g.off, ggufMaxString)
	}
	if !keep || int64(n) > max {
		return "", g.skip(int64(n))
	}
	b := make([]byte, n)
	err = g.read(b)
	return string(b), err
}

// value reads (and mostly skips) one value of type t; strings are returned
// when wantString is true.
func (g *ggufReader) value(t uint32, wantString bool, depth int) (str string, num uint64, err error) {
	if sz, ok := ggufScalarSize[t]; ok {
		var b [8]byte
		if err := g.read(b[:sz]); err != nil {
			return "", 0, err
		}
		return "", binary.LittleEndian.Uint64(b[:]), nil
	}
	switch t {
	case ggufString:
		s, err := g.str(wantString, ggufMaxString)
		return s, 0, err
	case ggufArray:
		if depth > 2 {
			return "", 0, errors.New("arrays nested deeper than 2")
		}
		et, err := g.u32()
		if err != nil {
			return "", 0, err
		}
		n, err := g.count()
		if err != nil {
			return "", 0, err
		}
		if sz, ok := ggufScalarSize[et]; ok {
			if n > uint64(g.size-g.off)/uint64(sz) {
				return "", 0, fmt.Errorf("array of %d items at offset %d runs past the end of the file", n, g.off)
			}
			return "", n, g.skip(int64(n) * sz)
		}
		min := uint64(8)
		if g.v1 {
			min = 4
		}
		if et != ggufString && et != ggufArray {
			return "", 0, fmt.Errorf("array of unknown type %d", et)
		}
		if n > uint64(g.size-g.off)/min {
			return "", 0, fmt.Errorf("array of %d items at offset %d runs past the end of the file", n, g.off)
		}
		for i := uint64(0); i < n; i++ {
			if _, _, err := g.value(et, false, depth+1); err != nil {
				return "", 0, err
			}
		}
		return "", n, nil
	}
	return "", 0, fmt.Errorf("unknown value type %d at offset %d", t, g.off)
}

// GGUFInfo is what ScanGGUF learned about a file.
type GGUFInfo struct {
	Version   uint32
	Tensors   uint64
	KV        uint64
	Templates map[string]string
}

// ParseGGUF validates the header, metadata and tensor table of a GGUF file.
func ParseGGUF(ctx context.Context, r io.ReaderAt, size int64) (GGUFInfo, []Finding, error) {
	var info GGUFInfo
	var fs []Finding
	g := &ggufReader{br: bufio.NewReaderSize(io.NewSectionReader(r, 0, size), 1<<20), size: size}
	var magic [4]byte
	if err := g.read(magic[:]); err != nil || string(magic[:]) != "GGUF" {
		return info, nil, errors.New("gguf: bad magic")
	}
	v, err := g.u32()
	if err != nil {
		return info, nil, err
	}
	info.Version = v
	switch v {
	case 1:
		g.v1 = true
	case 2, 3:
	default:
		return info, nil, fmt.Errorf("gguf: unsupported version %d", v)
	}
	if info.Tensors, err = g.count(); err != nil {
		return info, nil, err
	}
	if info.KV, err = g.count(); err != nil {
		return info, nil, err
	}
	if info.Tensors > ggufMaxTensors || info.KV > ggufMaxKV {
		return info, nil, fmt.Errorf("gguf: %d tensors / %d metadata keys exceed the limits", info.Tensors, info.KV)
	}
	info.Templates = map[string]string{}
	alignment := uint64(32)
	for i := uint64(0); i < info.KV; i++ {
		if i&1023 == 0 && ctx.Err() != nil {
			return info, fs, ctx.Err()
		}
		key, err := g.str(true, 1<<16)
		if err != nil {
			return info, fs, fmt.Errorf("gguf: key %d: %w", i, err)
		}
		t, err := g.u32()
		if err != nil {
			return info, fs, err
		}
		isTpl := strings.HasPrefix(key, "tokenizer.chat_template")
		s, num, err := g.value(t, isTpl || t == ggufString, 0)
		if err != nil {
			return info, fs, fmt.Errorf("gguf: key %q: %w", printableName(key), err)
		}
		switch {
		case isTpl && t == ggufString:
			info.Templates[key] = s
		case key == "general.alignment":
			if t != ggufU32 || num == 0 || num&(num-1) != 0 || num > 1<<20 {
				return info, fs, fmt.Errorf("gguf: general.alignment %d is not a power of two", num)
			}
			alignment = num & math.MaxUint32
		case t == ggufString && s != "":
			for _, h := range matchText(s, metadataRules) {
				if h.severity != "low" {
					fs = append(fs, Finding{Rule: "gguf.metadata", Severity: h.severity, Detail: fmt.Sprintf("metadata %q holds %s: %s", printableName(key), h.what, h.match), Offset: -1})
				}
			}
		}
	}
	type tensor struct {
		name      string
		off, size uint64
	}
	var tensors []tensor
	for i := uint64(0); i < info.Tensors; i++ {
		name, err := g.str(true, 1<<12)
		if err != nil {
			return info, fs, fmt.Errorf("gguf: tensor %d: %w", i, err)
		}
		nd, err := g.u32()
		if err != nil {
			return info, fs, err
		}
		if nd == 0 || nd > ggufMaxDims {
			return info, fs, fmt.Errorf("gguf: tensor %q has %d dimensions", printableName(name), nd)
		}
		elems := uint64(1)
		for d := uint32(0); d < nd; d++ {
			dim, err := g.count()
			if err != nil {
				return info, fs, err
			}
			if dim != 0 && elems > (1<<62)/dim {
				return info, fs, fmt.Errorf("gguf: tensor %q shape overflows", printableName(name))
			}
			elems *= dim
		}
		typ, err := g.u32()
		if err != nil {
			return info, fs, err
		}
		off, err := g.u64()
		if err != nil {
			return info, fs, err
		}
		var nbytes uint64
		if bt, ok := ggmlTypes[typ]; ok {
			nbytes = (elems + uint64(bt[1]) - 1) / uint64(bt[1]) * uint64(bt[0])
		} else {
			fs = append(fs, Finding{Rule: "gguf.tensor-type", Severity: "low", Detail: fmt.Sprintf("tensor %q has unknown ggml type %d", printableName(name), typ), Offset: -1})
		}
		if off%alignment != 0 {
			fs = append(fs, Finding{Rule: "gguf.alignment", Severity: "medium", Detail: fmt.Sprintf("tensor %q offset %d is not aligned to %d", printableName(name), off, alignment), Offset: -1})
		}
		tensors = append(tensors, tensor{name, off, nbytes})
	}
	dataStart := (uint64(g.off) + alignment - 1) / alignment * alignment
	if dataStart > uint64(size) && info.Tensors > 0 {
		return info, fs, errors.New("gguf: tensor data section starts past the end of the file")
	}
	dataSize := uint64(size) - min(dataStart, uint64(size))
	sort.Slice(tensors, func(i, j int) bool { return tensors[i].off < tensors[j].off })
	var prevEnd uint64
	for i, t := range tensors {
		if t.off > dataSize || t.size > dataSize-t.off {
			return info, fs, fmt.Errorf("gguf: tensor %q [%d, +%d) lies outside the %d-byte data section (truncated or corrupt)", printableName(t.name), t.off, t.size, dataSize)
		}
		if i > 0 && t.off < prevEnd {
			fs = append(fs, Finding{Rule: "gguf.overlap", Severity: "medium", Detail: fmt.Sprintf("tensor %q overlaps the previous tensor", printableName(t.name)), Offset: -1})
		}
		prevEnd = max(prevEnd, t.off+t.size)
	}
	return info, fs, nil
}

func (s *Scanner) scanGGUF(ctx context.Context, res *FileResult, r io.ReaderAt, size int64) {
	res.Format = "gguf"
	info, fs, err := ParseGGUF(ctx, r, size)
	res.Findings = append(res.Findings, fs...)
	keys := make([]string, 0, len(info.Templates))
	for k := range info.Templates {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, f := range CheckChatTemplate(info.Templates[k]) {
			f.Detail = k + ": " + f.Detail
			res.Findings = append(res.Findings, f)
		}
	}
	if err != nil {
		res.fail(err)
	}
}
