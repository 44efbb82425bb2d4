package lzma

import (
	"bytes"
	"compress/bzip2"
	"compress/flate"
	"context"
	"errors"
	"fmt"
	"io"
	"unicode/utf16"
)

// SevenZipMagic opens a 7z archive.
var SevenZipMagic = []byte("7z\xbc\xaf\x27\x1c")

// ErrEncrypted reports an AES-encrypted 7z folder or header.
var ErrEncrypted = errors.New("7z: encrypted content cannot be analysed")

var err7z = errors.New("7z: malformed header")

// Limits bound what Open accepts.
type Limits struct {
	MaxHeader  int64 // largest (decoded) header, default 64 MiB
	MaxEntries int   // most files, default 100000
	MaxFolders int   // most folders, default 100000
	MaxCoders  int   // most coders in a folder, default 4
}

func (l Limits) withDefaults() Limits {
	if l.MaxHeader <= 0 {
		l.MaxHeader = 64 << 20
	}
	if l.MaxEntries <= 0 {
		l.MaxEntries = 100000
	}
	if l.MaxFolders <= 0 {
		l.MaxFolders = 100000
	}
	if l.MaxCoders <= 0 {
		l.MaxCoders = 4
	}
	return l
}

// Coder is one coder of a folder.
type Coder struct {
	ID         []byte
	NumIn      uint64
	NumOut     uint64
	Properties []byte
}

// Method names the coder.
func (c Coder) Method() string {
	switch string(c.ID) {
	case "\x00":
		return "copy"
	case "\x03\x01\x01":
		return "lzma"
	case "\x21":
		return "lzma2"
	case "\x04\x01\x08":
		return "deflate"
	case "\x04\x02\x02":
		return "bzip2"
	case "\x06\xf1\x07\x01":
		return "aes"
	}
	return fmt.Sprintf("%x", c.ID)
}

// Folder is a unit of compressed data: coders applied to packed streams.
type Folder struct {
	Coders      []Coder
	PackedStart int64 // absolute offset of the folder's first packed stream
	PackedSize  int64 // total packed bytes of the folder
	UnpackSize  int64 // size of the folder's final output
	NumStreams  int   // files stored in the folder
	// Chain lists the coders in decoding order with each one's output size
	// (nil when the coders do not form a simple one-in-one-out chain).
	Chain []ChainStep
}

// ChainStep is one decoding step of a folder.
type ChainStep struct {
	Coder      Coder
	UnpackSize int64
}

// chain orders a folder of one-in-one-out coders for decoding: from the
// coder fed by the packed stream to the one producing the final output.
func (f *folderInfo) chain() []ChainStep {
	for _, c := range f.coders {
		if c.NumIn != 1 || c.NumOut != 1 {
			return nil
		}
	}
	if f.numPacked != 1 {
		return nil
	}
	// With one-in-one-out coders, coder j owns in stream j and out stream j.
	last := -1
	for j := range f.coders {
		if !f.bindOut[uint64(j)] {
			last = j
		}
	}
	if last < 0 {
		return nil
	}
	var rev []ChainStep
	seen := map[int]bool{}
	for j := last; ; {
		if seen[j] || j >= len(f.unpackSizes) || f.unpackSizes[j] > 1<<62 {
			return nil
		}
		seen[j] = true
		rev = append(rev, ChainStep{Coder: f.coders[j], UnpackSize: int64(f.unpackSizes[j])})
		out, bound := f.bindIn[uint64(j)]
		if !bound {
			break
		}
		j = int(out)
	}
	if len(rev) != len(f.coders) {
		return nil
	}
	for i, k := 0, len(rev)-1; i < k; i, k = i+1, k-1 {
		rev[i], rev[k] = rev[k], rev[i]
	}
	return rev
}

// Entry is one file of the archive.
type Entry struct {
	Name       string
	Size       int64
	IsDir      bool
	HasStream  bool
	Attributes uint32
	HasAttrib  bool
	Folder     int   // index of the folder holding the data, -1 when none
	Offset     int64 // offset in the folder's output
}

// Mode returns the Unix mode kept in the high 16 bits of the attributes
// (p7zip's extension), or 0.
func (e Entry) Mode() uint32 {
	if e.HasAttrib && e.Attributes&0x8000 != 0 {
		return e.Attributes >> 16
	}
	return 0
}

// IsSymlink reports a Unix symbolic link entry (its data is the target).
func (e Entry) IsSymlink() bool { return e.Mode()&0xF000 == 0xA000 }

// Archive is a parsed 7z archive.
type Archive struct {
	Folders []Folder
	Entries []Entry
	Notes   []string // anomalies seen while parsing
	r       io.ReaderAt
	size    int64
}

type hreader struct {
	b   []byte
	pos int
}

func (h *hreader) byte() (byte, error) {
	if h.pos >= len(h.b) {
		return 0, err7z
	}
	c := h.b[h.pos]
	h.pos++
	return c, nil
}

func (h *hreader) bytes(n uint64) ([]byte, error) {
	if n > uint64(len(h.b)-h.pos) {
		return nil, err7z
	}
	b := h.b[h.pos : h.pos+int(n)]
	h.pos += int(n)
	return b, nil
}

func (h *hreader) num() (uint64, error) {
	first, err := h.byte()
	if err != nil {
		return 0, err
	}
	var v uint64
	mask := byte(0x80)
	for i := 0; i < 8; i++ {
		if first&mask == 0 {
			high := uint64(first & (mask - 1))
			return v | high<<(8*i), nil
		}
		c, err := h.byte()
		if err != nil {
			return 0, err
		}
		v |= uint64(c) << (8 * i)
		mask >>= 1
	}
	return v, nil
}

// count reads a number used as a count and bounds it by max.
func (h *hreader) count(max int) (int, error) {
	v, err := h.num()
	if err != nil {
		return 0, err
	}
	if v > uint64(max) || v > uint64(len(h.b)) && v > 1<<20 {
		return 0, fmt.Errorf("7z: count %d over the limit", v)
	}
	return int(v), nil
}

func (h *hreader) bits(n int) ([]bool, error) {
	out := make([]bool, n)
	var c byte
	var err error
	for i := 0; i < n; i++ {
		if i%8 == 0 {
			if c, err = h.byte(); err != nil {
				return nil, err
			}
		}
		out[i] = c&(0x80>>(i%8)) != 0
	}
	return out, nil
}

func (h *hreader) optBits(n int) ([]bool, error) {
	all, err := h.byte()
	if err != nil {
		return nil, err
	}
	if all != 0 {
		out := make([]bool, n)
		for i := range out {
			out[i] = true
		}
		return out, nil
	}
	return h.bits(n)
}

func (h *hreader) digests(n int) error {
	def, err := h.optBits(n)
	if err != nil {
		return err
	}
	for _, d := range def {
		if d {
			if _, err := h.bytes(4); err != nil {
				return err
			}
		}
	}
	return nil
}

type streamsInfo struct {
	packPos   uint64
	packSizes []uint64
	folders   []folderInfo
}

type folderInfo struct {
	coders      []Coder
	bindOut     map[uint64]bool
	bindIn      map[uint64]uint64 // in stream -> the out stream feeding it
	numPacked   int
	unpackSizes []uint64
	numStreams  int
	subSizes    []uint64
}

func (f *folderInfo) unpackSize() uint64 {
	for i := len(f.unpackSizes) - 1; i >= 0; i-- {
		if !f.bindOut[uint64(i)] {
			return f.unpackSizes[i]
		}
	}
	return 0
}

func (a *Archive) readStreamsInfo(h *hreader, lim Limits) (*streamsInfo, error) {
	si := &streamsInfo{}
	for {
		id, err := h.num()
		if err != nil {
			return nil, err
		}
		switch id {
		case 0x00:
			return si, nil
		case 0x06: // PackInfo
			if si.packPos, err = h.num(); err != nil {
				return nil, err
			}
			n, err := h.count(lim.MaxFolders * lim.MaxCoders)
			if err != nil {
				return nil, err
			}
			si.packSizes = make([]uint64, n)
			for {
				pid, err := h.num()
				if err != nil {
					return nil, err
				}
				if pid == 0 {
					break
				}
				switch pid {
				case 0x09:
					for i := range si.packSizes {
						if si.packSizes[i], err = h.num(); err != nil {
							return nil, err
						}
					}
				case 0x0A:
					if err := h.digests(n); err != nil {
						return nil, err
					}
				default:
					return nil, err7z
				}
			}
		case 0x07: // UnpackInfo
			if err := a.readUnpackInfo(h, si, lim); err != nil {
				return nil, err
			}
		case 0x08: // SubStreamsInfo
			if err := readSubStreams(h, si, lim); err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("7z: unexpected property 0x%x in streams info", id)
		}
	}
}

func (a *Archive) readUnpackInfo(h *hreader, si *streamsInfo, lim Limits) error {
	if id, err := h.num(); err != nil || id != 0x0B {
		return err7z
	}
	n, err := h.count(lim.MaxFolders)
	if err != nil {
		return err
	}
	if ext, err := h.byte(); err != nil || ext != 0 {
		return errors.New("7z: external folder data is not supported")
	}
	si.folders = make([]folderInfo, n)
	for i := range si.folders {
		f := &si.folders[i]
		nc, err := h.count(lim.MaxCoders)
		if err != nil {
			return err
		}
		if nc == 0 {
			return err7z
		}
		var totalIn, totalOut uint64
		for j := 0; j < nc; j++ {
			flags, err := h.byte()
			if err != nil {
				return err
			}
			if flags&0xC0 != 0 {
				return errors.New("7z: alternative coder methods are not supported")
			}
			id, err := h.bytes(uint64(flags & 0x0F))
			if err != nil {
				return err
			}
			c := Coder{ID: append([]byte(nil), id...), NumIn: 1, NumOut: 1}
			if flags&0x10 != 0 {
				if c.NumIn, err = h.num(); err != nil {
					return err
				}
				if c.NumOut, err = h.num(); err != nil {
					return err
				}
				if c.NumIn > 8 || c.NumOut > 8 {
					return err7z
				}
			}
			if flags&0x20 != 0 {
				ps, err := h.num()
				if err != nil {
					return err
				}
				p, err := h.bytes(ps)
				if err != nil {
					return err
				}
				c.Properties = append([]byte(nil), p...)
			}
			totalIn += c.NumIn
			totalOut += c.NumOut
			f.coders = append(f.coders, c)
		}
		if totalOut == 0 || totalIn < totalOut-1 {
			return err7z
		}
		f.bindOut = map[uint64]bool{}
		f.bindIn = map[uint64]uint64{}
		for j := uint64(0); j < totalOut-1; j++ {
			in, err := h.num()
			if err != nil {
				return err
			}
			out, err := h.num()
			if err != nil {
				return err
			}
			if in >= totalIn || out >= totalOut {
				return err7z
			}
			f.bindOut[out] = true
			f.bindIn[in] = out
		}
		f.numPacked = int(totalIn - (totalOut - 1))
		if f.numPacked > 1 {
			for j := 0; j < f.numPacked; j++ {
				if _, err := h.num(); err != nil {
					return err
				}
			}
		}
		f.unpackSizes = make([]uint64, totalOut)
		f.numStreams = 1
	}
	if id, err := h.num(); err != nil || id != 0x0C {
		return err7z
	}
	for i := range si.folders {
		for j := range si.folders[i].unpackSizes {
			if si.folders[i].unpackSizes[j], err = h.num(); err != nil {
				return err
			}
		}
	}
	for {
		id, err := h.num()
		if err != nil {
			return err
		}
		switch id {
		case 0:
			return nil
		case 0x0A:
			if err := h.digests(n); err != nil {
				return err
			}
		default:
			return err7z
		}
	}
}

func readSubStreams(h *hreader, si *streamsInfo, lim Limits) error {
	id, err := h.num()
	if err != nil {
		return err
	}
	if id == 0x0D {
		for i := range si.folders {
			if si.folders[i].numStreams, err = h.count(lim.MaxEntries); err != nil {
				return err
			}
		}
		if id, err = h.num(); err != nil {
			return err
		}
	}
	total := 0
	for i := range si.folders {
		f := &si.folders[i]
		total += f.numStreams
		if total > lim.MaxEntries {
			return errors.New("7z: too many streams")
		}
		if f.numStreams == 0 {
			continue
		}
		f.subSizes = make([]uint64, f.numStreams)
		var sum uint64
		if id == 0x09 {
			for j := 0; j < f.numStreams-1; j++ {
				if f.subSizes[j], err = h.num(); err != nil {
					return err
				}
				sum += f.subSizes[j]
				if sum < f.subSizes[j] {
					return err7z
				}
			}
		}
		us := f.unpackSize()
		if sum > us {
			return errors.New("7z: substream sizes exceed the folder size")
		}
		f.subSizes[f.numStreams-1] = us - sum
	}
	if id == 0x09 {
		if id, err = h.num(); err != nil {
			return err
		}
	}
	for id != 0 {
		if id != 0x0A {
			return err7z
		}
		// Digests for streams whose CRC is not known from the folder.
		n := 0
		for _, f := range si.folders {
			n += f.numStreams
		}
		if err := h.digests(n); err != nil {
			return err
		}
		if id, err = h.num(); err != nil {
			return err
		}
	}
	return nil
}

func (a *Archive) folders(si *streamsInfo) ([]Folder, error) {
	out := make([]Folder, 0, len(si.folders))
	off := int64(32) + int64(min(si.packPos, uint64(a.size)))
	if si.packPos > uint64(a.size) {
		return nil, errors.New("7z: packed data starts past the end of the file")
	}
	p := 0
	for i := range si.folders {
		f := &si.folders[i]
		var ps int64
		for j := 0; j < f.numPacked; j++ {
			if p >= len(si.packSizes) {
				return nil, errors.New("7z: folder refers to a missing packed stream")
			}
			if si.packSizes[p] > uint64(a.size) {
				return nil, errors.New("7z: packed stream larger than the file")
			}
			ps += int64(si.packSizes[p])
			p++
		}
		us := f.unpackSize()
		if us > 1<<62 {
			return nil, errors.New("7z: gigantic declared size")
		}
		out = append(out, Folder{Coders: f.coders, PackedStart: off, PackedSize: ps, UnpackSize: int64(us), NumStreams: f.numStreams, Chain: f.chain()})
		off += ps
		if off > a.size {
			return nil, errors.New("7z: packed data extends past the end of the file")
		}
	}
	return out, nil
}

// Open parses the archive structure (the header is decoded within the
// limits; file data is not read).
func Open(ctx context.Context, r io.ReaderAt, size int64, lim Limits) (*Archive, error) {
	lim = lim.withDefaults()
	a := &Archive{r: r, size: size}
	if size < 32 {
		return nil, ErrTruncated
	}
	sh := make([]byte, 32)
	if _, err := r.ReadAt(sh, 0); err != nil {
		return nil, err
	}
	if !bytes.HasPrefix(sh, SevenZipMagic) {
		return nil, errors.New("7z: not a 7z archive")
	}
	var off, hsz uint64
	for i := 0; i < 8; i++ {
		off |= uint64(sh[12+i]) << (8 * i)
		hsz |= uint64(sh[20+i]) << (8 * i)
	}
	if off > uint64(size) || hsz > uint64(size) || 32+off+hsz > uint64(size) {
		return nil, errors.New("7z: header lies past the end of the file (truncated archive)")
	}
	if hsz == 0 {
		return a, nil // empty archive
	}
	if int64(hsz) > lim.MaxHeader {
		return nil, fmt.Errorf("7z: header of %d bytes exceeds the limit", hsz)
	}
	hb := make([]byte, hsz)
	if _, err := r.ReadAt(hb, int64(32+off)); err != nil {
		return nil, err
	}
	for round := 0; ; round++ {
		if round > 4 {
			return nil, errors.New("7z: header encoded too many times")
		}
		h := &hreader{b: hb}
		id, err := h.num()
		if err != nil {
			return nil, err
		}
		switch id {
		case 0x01:
			if err := a.readHeader(h, lim); err != nil {
				return nil, err
			}
			return a, nil
		case 0x17:
			si, err := a.readStreamsInfo(h, lim)
			if err != nil {
				return nil, err
			}
			fs, err := a.folders(si)
			if err != nil {
				return nil, err
			}
			if len(fs) == 0 {
				return nil, err7z
			}
			if fs[0].UnpackSize > lim.MaxHeader {
				return nil, fmt.Errorf("7z: encoded header expands to %d bytes, over the limit", fs[0].UnpackSize)
			}
			if hb, err = a.decodeFolder(ctx, fs[0], lim.MaxHeader); err != nil {
				return nil, fmt.Errorf("7z header: %w", err)
			}
		default:
			return nil, fmt.Errorf("7z: unexpected header type 0x%x", id)
		}
	}
}

func (a *Archive) readHeader(h *hreader, lim Limits) error {
	var main *streamsInfo
	for {
		id, err := h.num()
		if err != nil {
			return err
		}
		switch id {
		case 0x00:
			return a.layout(main)
		case 0x02: // ArchiveProperties
			for {
				t, err := h.num()
				if err != nil {
					return err
				}
				if t == 0 {
					break
				}
				n, err := h.num()
				if err != nil {
					return err
				}
				if _, err := h.bytes(n); err != nil {
					return err
				}
			}
		case 0x03: // AdditionalStreamsInfo
			if _, err := a.readStreamsInfo(h, lim); err != nil {
				return err
			}
		case 0x04:
			if main, err = a.readStreamsInfo(h, lim); err != nil {
				return err
			}
			if a.Folders, err = a.folders(main); err != nil {
				return err
			}
		case 0x05:
			if err := a.readFiles(h, lim); err != nil {
				return err
			}
		default:
			return fmt.Errorf("7z: unexpected property 0x%x in header", id)
		}
	}
}

func (a *Archive) readFiles(h *hreader, lim Limits) error {
	n, err := h.count(lim.MaxEntries)
	if err != nil {
		return err
	}
	a.Entries = make([]Entry, n)
	var empty, emptyFile []bool
	for {
		t, err := h.num()
		if err != nil {
			return err
		}
		if t == 0 {
			break
		}
		sz, err := h.num()
		if err != nil {
			return err
		}
		data, err := h.bytes(sz)
		if err != nil {
			return err
		}
		p := &hreader{b: data}
		switch t {
		case 0x0E:
			if empty, err = p.bits(n); err != nil {
				return err
			}
		case 0x0F:
			ne := 0
			for _, e := range empty {
				if e {
					ne++
				}
			}
			if emptyFile, err = p.bits(ne); err != nil {
				return err
			}
		case 0x11:
			if ext, err := p.byte(); err != nil || ext != 0 {
				return errors.New("7z: external names are not supported")
			}
			names, err := utf16Names(p.b[p.pos:], n)
			if err != nil {
				return err
			}
			for i := range a.Entries {
				a.Entries[i].Name = names[i]
			}
		case 0x15:
			def, err := p.optBits(n)
			if err != nil {
				return err
			}
			if ext, err := p.byte(); err != nil || ext != 0 {
				return errors.New("7z: external attributes are not supported")
			}
			for i, d := range def {
				if d {
					b, err := p.bytes(4)
					if err != nil {
						return err
					}
					a.Entries[i].Attributes = le32(b)
					a.Entries[i].HasAttrib = true
				}
			}
		}
	}
	ei := 0
	for i := range a.Entries {
		e := &a.Entries[i]
		e.Folder = -1
		e.HasStream = i >= len(empty) || !empty[i]
		if !e.HasStream {
			isFile := ei < len(emptyFile) && emptyFile[ei]
			ei++
			e.IsDir = !isFile
		}
		if e.HasAttrib && e.Attributes&0x10 != 0 {
			e.IsDir = true
		}
	}
	return nil
}

func utf16Names(b []byte, n int) ([]string, error) {
	out := make([]string, 0, n)
	var cur []uint16
	for i := 0; i+1 < len(b) && len(out) < n; i += 2 {
		c := uint16(b[i]) | uint16(b[i+1])<<8
		if c == 0 {
			out = append(out, string(utf16.Decode(cur)))
			cur = cur[:0]
			continue
		}
		cur = append(cur, c)
	}
	if len(out) != n {
		return nil, errors.New("7z: file names truncated")
	}
	return out, nil
}

// layout assigns each file with data to its folder and offset.
func (a *Archive) layout(si *streamsInfo) error {
	if si == nil {
		for _, e := range a.Entries {
			if e.HasStream {
				return errors.New("7z: files with data but no streams")
			}
		}
		return nil
	}
	fi, sub := 0, 0
	var off int64
	for i := range a.Entries {
		e := &a.Entries[i]
		if !e.HasStream {
			continue
		}
		for fi < len(a.Folders) && sub >= si.folders[fi].numStreams {
			fi++
			sub = 0
			off = 0
		}
		if fi >= len(a.Folders) {
			return errors.New("7z: more files with data than streams")
		}
		f := &si.folders[fi]
		size := int64(f.unpackSize())
		if f.subSizes != nil {
			size = int64(f.subSizes[sub])
		}
		e.Folder, e.Offset, e.Size = fi, off, size
		off += size
		sub++
	}
	if len(a.Entries) == 0 && len(a.Folders) > 0 {
		a.Notes = append(a.Notes, "packed data without file entries")
	}
	return nil
}

// StoredSection returns the folder's data in place when it is stored
// without compression (copy coder), so that large members are not read into
// memory.
func (a *Archive) StoredSection(f Folder) (*io.SectionReader, bool) {
	if len(f.Coders) != 1 || f.Coders[0].Method() != "copy" || f.PackedSize != f.UnpackSize {
		return nil, false
	}
	return io.NewSectionReader(a.r, f.PackedStart, f.PackedSize), true
}

// DecodeFolder returns the folder's output, at most limit bytes.
func (a *Archive) DecodeFolder(ctx context.Context, f Folder, limit int64) ([]byte, error) {
	return a.decodeFolder(ctx, f, limit)
}

func (a *Archive) decodeFolder(ctx context.Context, f Folder, limit int64) ([]byte, error) {
	if f.UnpackSize > limit {
		return nil, ErrLimit
	}
	for _, c := range f.Coders {
		if c.Method() == "aes" {
			return nil, ErrEncrypted
		}
	}
	if f.Chain == nil || len(f.Chain) > 2 {
		names := ""
		for _, c := range f.Coders {
			names += c.Method() + " "
		}
		return nil, fmt.Errorf("7z: coder graph [%s] is not supported", names[:len(names)-1])
	}
	if f.PackedSize > limit+limit/2+(1<<20) {
		return nil, ErrLimit
	}
	data := make([]byte, f.PackedSize)
	if _, err := a.r.ReadAt(data, f.PackedStart); err != nil && !(errors.Is(err, io.EOF) && f.PackedSize == 0) {
		return nil, err
	}
	for _, st := range f.Chain {
		if st.UnpackSize > limit {
			return nil, ErrLimit
		}
		out, err := decodeStep(ctx, st, data, limit)
		if err != nil {
			return out, err
		}
		if int64(len(out)) != st.UnpackSize {
			return out, fmt.Errorf("7z: %s coder produced %d bytes, not the declared %d", st.Coder.Method(), len(out), st.UnpackSize)
		}
		data = out
	}
	return data, nil
}

func decodeStep(ctx context.Context, st ChainStep, src []byte, limit int64) ([]byte, error) {
	c := st.Coder
	switch c.Method() {
	case "copy":
		return src, nil
	case "lzma":
		if len(c.Properties) < 5 {
			return nil, err7z
		}
		return DecodeLZMA(ctx, src, c.Properties[0], le32(c.Properties[1:]), st.UnpackSize, limit)
	case "lzma2":
		if len(c.Properties) < 1 {
			return nil, err7z
		}
		return DecodeLZMA2(ctx, src, c.Properties[0], limit, st.UnpackSize)
	case "deflate":
		return readLimited(flate.NewReader(bytes.NewReader(src)), limit)
	case "bzip2":
		return readLimited(bzip2.NewReader(bytes.NewReader(src)), limit)
	case "03030103", "04": // BCJ x86 (7z and xz ids)
		if len(c.Properties) != 0 {
			return nil, errors.New("7z: BCJ with a start offset is not supported")
		}
		out := append([]byte(nil), src...)
		x86Decode(out)
		return out, nil
	}
	return nil, fmt.Errorf("7z: coder %s is not supported", c.Method())
}

func readLimited(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if int64(len(b)) > limit {
		return b[:limit], ErrLimit
	}
	return b, err
}
