package modelscan

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/bzip2"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"path"
	"regexp"
	"strings"

	"github.com/aigis-dev/aigis/internal/modelscan/lzma"
)

var (
	zipLocalSig = []byte("PK\x03\x04")
	zipEndSig   = []byte("PK\x05\x06")
)

// isZip reports whether the content is a zip archive: by its first bytes, or
// by an end-of-central-directory record that opens (zip with prepended data).
func isZip(r io.ReaderAt, size int64, head []byte) bool {
	if bytes.HasPrefix(head, zipLocalSig) || bytes.HasPrefix(head, zipEndSig) {
		return true
	}
	if size < 22 {
		return false
	}
	tail := int64(65557)
	if tail > size {
		tail = size
	}
	b := make([]byte, tail)
	if _, err := r.ReadAt(b, size-tail); err != nil && !errors.Is(err, io.EOF) {
		return false
	}
	if !bytes.Contains(b, zipEndSig) {
		return false
	}
	zr, err := zip.NewReader(r, size)
	return err == nil && len(zr.File) > 0
}

var (
	torchStorageRE = regexp.MustCompile(`^(?:[^/]+/)?data/\d+$`)
	torchMetaRE    = regexp.MustCompile(`^(?:[^/]+/)?(?:version|\.data/version|byteorder|\.data/serialization_id|\.format_version|\.storage_alignment|\.data/\w+)$`)
)

// zipKind names the container from its member names.
func zipKind(files []*zip.File) string {
	var pkl, constants, code, storage, kerasCfg, kerasMeta, npy, others int
	for _, f := range files {
		n := f.Name
		switch {
		case strings.HasSuffix(n, "/data.pkl") || n == "data.pkl":
			pkl++
		case strings.HasSuffix(n, "constants.pkl"):
			constants++
		case strings.Contains(n, "/code/") || strings.HasPrefix(n, "code/"):
			code++
		case torchStorageRE.MatchString(n):
			storage++
		case n == "config.json":
			kerasCfg++
		case n == "metadata.json":
			kerasMeta++
		case strings.HasSuffix(strings.ToLower(n), ".npy"):
			npy++
		default:
			others++
		}
	}
	switch {
	case pkl > 0 && (constants > 0 || code > 0):
		return "torchscript"
	case pkl > 0:
		return "pytorch-zip"
	case kerasCfg > 0 && kerasMeta > 0:
		return "keras"
	case npy > 0 && others == 0 && pkl == 0 && kerasCfg == 0:
		return "npz"
	}
	return "zip"
}

// unsafeMemberPath reports why an archive member name would escape the
// extraction folder, or "" when it would not.
func unsafeMemberPath(name string) string {
	n := strings.ReplaceAll(name, "\\", "/")
	switch {
	case strings.HasPrefix(n, "/"):
		return "absolute path"
	case len(n) >= 2 && n[1] == ':':
		return "drive-letter path"
	case n == ".." || strings.HasPrefix(n, "../") || strings.Contains(n, "/../") || strings.HasSuffix(n, "/.."):
		return "parent-directory traversal"
	case strings.ContainsRune(n, 0):
		return "NUL byte in name"
	}
	return ""
}

// linkEscapes reports whether a link at member name pointing to target
// resolves outside the archive root.
func linkEscapes(name, target string) bool {
	t := strings.ReplaceAll(target, "\\", "/")
	if strings.HasPrefix(t, "/") || (len(t) >= 2 && t[1] == ':') {
		return true
	}
	joined := path.Join(path.Dir(strings.ReplaceAll(name, "\\", "/")), t)
	return joined == ".." || strings.HasPrefix(joined, "../")
}

func memberName(outer, inner string) string { return outer + "!" + inner }

// scanZip analyses a zip container (PyTorch, TorchScript, Keras v3, npz,
// or a plain archive) member by member.
func (s *Scanner) scanZip(ctx context.Context, res *FileResult, r io.ReaderAt, size int64, head []byte, sc scanCtx) {
	res.Format = "zip"
	zr, err := zip.NewReader(r, size)
	if err != nil {
		res.fail(fmt.Errorf("zip: %w", err))
		return
	}
	s.registerZipMethods(zr)
	res.Format = zipKind(zr.File)
	if !bytes.HasPrefix(head, zipLocalSig) && !bytes.HasPrefix(head, zipEndSig) {
		res.add("zip.prepended-data", "high", "data precedes the zip archive (polyglot file: loaders that read the start see another format)", 0)
		// What a loader that reads from the start sees.
		sub := scanCtx{depth: sc.depth + 1, budget: sc.budget, noZip: true}
		res.Members = append(res.Members, s.scanWith(ctx, memberName(res.Path, "<prepended>"), r, size, sub))
	}
	if sc.depth >= s.opts.MaxDepth {
		res.fail(fmt.Errorf("archive nesting deeper than %d: not analysed", s.opts.MaxDepth))
		return
	}
	var declared uint64
	names := make(map[string]bool, len(zr.File))
	for i, f := range zr.File {
		if err := ctx.Err(); err != nil {
			res.fail(err)
			return
		}
		if i >= s.opts.MaxMembers {
			res.fail(fmt.Errorf("more than %d members: the rest was not analysed", s.opts.MaxMembers))
			return
		}
		if why := unsafeMemberPath(f.Name); why != "" {
			res.add("archive.path-traversal", "critical", fmt.Sprintf("member %q: %s escapes the extraction folder", printableName(f.Name), why), -1)
		}
		if names[f.Name] {
			res.add("zip.duplicate-name", "medium", fmt.Sprintf("member name %q appears more than once: loaders and scanners may read different copies (all are analysed)", printableName(f.Name)), -1)
		}
		names[f.Name] = true
		if f.Mode()&fs.ModeSymlink != 0 {
			s.zipSymlink(res, f)
			continue
		}
		if f.FileInfo().IsDir() {
			continue
		}
		declared += f.UncompressedSize64
		if declared > uint64(s.opts.MaxTotalExpanded)*4 {
			res.add("archive.bomb", "high", fmt.Sprintf("declared uncompressed size %d exceeds %d bytes", declared, s.opts.MaxTotalExpanded*4), -1)
		}
		if f.Flags&0x20 != 0 {
			res.add("zip.flag-anomaly", "medium", fmt.Sprintf("member %q is flagged as patched data (flags 0x%x)", printableName(f.Name), f.Flags), -1)
		}
		if res.Format == "pytorch-zip" || res.Format == "torchscript" {
			if torchStorageRE.MatchString(f.Name) || torchMetaRE.MatchString(f.Name) {
				continue // raw tensor storage or format metadata: skipped through structure
			}
		}
		m := s.zipMember(ctx, res, f, r, sc)
		if f.Flags&0x1 != 0 || f.Flags&0x40 != 0 {
			if m.Format == "unknown" || m.Error != "" {
				m = errorResult(m.Path, errors.New("encrypted member: cannot be analysed (decrypt it and scan the result)"))
			} else {
				res.add("zip.flag-anomaly", "medium", fmt.Sprintf("member %q is flagged encrypted (flags 0x%x) but holds plain %s data: loaders that ignore the flag read it (scanner evasion)", printableName(f.Name), f.Flags, m.Format), -1)
			}
		}
		if res.Format == "torchscript" && strings.Contains(f.Name, "code/") && strings.HasSuffix(f.Name, ".py") {
			s.torchScriptCode(res, f)
		}
		res.Members = append(res.Members, m)
	}
	if res.Format == "keras" {
		s.kerasFromZip(ctx, res, zr)
	}
}

func printableName(n string) string {
	if len(n) > 200 {
		n = n[:200] + "..."
	}
	return strings.ToValidUTF8(n, "?")
}

func (s *Scanner) zipSymlink(res *FileResult, f *zip.File) {
	target := ""
	if f.UncompressedSize64 <= 4096 {
		if rc, err := f.Open(); err == nil {
			b, _ := io.ReadAll(io.LimitReader(rc, 4096))
			rc.Close()
			target = string(b)
		}
	}
	if linkEscapes(f.Name, target) {
		res.add("archive.link-escape", "critical", fmt.Sprintf("symbolic link %q points outside the archive (%q)", printableName(f.Name), printableName(target)), -1)
	} else {
		res.add("archive.link", "low", fmt.Sprintf("symbolic link %q -> %q", printableName(f.Name), printableName(target)), -1)
	}
}

// zipMember scans one member, reading stored data in place and
// decompressing deflated data into memory within the budget. CRC errors do
// not stop the analysis (PyTorch ignores them); they are reported.
func (s *Scanner) zipMember(ctx context.Context, res *FileResult, f *zip.File, r io.ReaderAt, sc scanCtx) FileResult {
	name := memberName(res.Path, f.Name)
	sub := scanCtx{depth: sc.depth + 1, budget: sc.budget}
	off, err := f.DataOffset()
	if err != nil {
		return errorResult(name, fmt.Errorf("zip member: %w", err))
	}
	switch f.Method {
	case zip.Store:
		n := int64(f.CompressedSize64)
		if off < 0 || n < 0 || off+n > sizeOf(r, off+n) {
			return errorResult(name, errors.New("zip member extends past the end of the archive"))
		}
		sr := io.NewSectionReader(r, off, n)
		if n <= 64<<20 && f.Flags&0x1 == 0 {
			if crc, err := crcOf(sr); err == nil && crc != f.CRC32 {
				res.add("zip.crc-mismatch", "medium", fmt.Sprintf("member %q CRC-32 %08x differs from the recorded %08x (tampering or scanner evasion)", printableName(f.Name), crc, f.CRC32), off)
			}
		}
		return s.scanWith(ctx, name, sr, n, sub)
	case zip.Deflate, zipBzip2, zipLZMA:
		if f.CompressedSize64 > 0 && f.UncompressedSize64 > 1<<20 && f.UncompressedSize64/f.CompressedSize64 > uint64(s.opts.MaxRatio) {
			res.add("archive.compression-ratio", "high", fmt.Sprintf("member %q declares a compression ratio of %d (limit %d): possible compression bomb; not expanded", printableName(f.Name), f.UncompressedSize64/f.CompressedSize64, s.opts.MaxRatio), off)
			return errorResult(name, errors.New("compression ratio over the limit: not expanded"))
		}
		limit := s.opts.MaxMemberBytes
		if f.UncompressedSize64 > uint64(limit) {
			return errorResult(name, fmt.Errorf("member expands to %d bytes, over the %d-byte analysis limit: extract and scan it", f.UncompressedSize64, limit))
		}
		fr := s.zipDecompressor(f)(io.NewSectionReader(r, off, int64(f.CompressedSize64)))
		defer fr.Close()
		b, err := io.ReadAll(io.LimitReader(fr, limit+1))
		if err != nil && len(b) == 0 {
			if f.Flags&0x1 != 0 {
				return errorResult(name, errors.New("encrypted member: cannot be analysed"))
			}
			return errorResult(name, fmt.Errorf("zip method %d: %w", f.Method, err))
		}
		if int64(len(b)) > limit {
			res.add("archive.bomb", "high", fmt.Sprintf("member %q expands beyond %d bytes", printableName(f.Name), limit), off)
			return errorResult(name, errors.New("member expands beyond the analysis limit"))
		}
		if berr := sc.budget.take(int64(len(b))); berr != nil {
			res.add("archive.bomb", "high", "archive expands beyond the per-file decompression budget", off)
			return errorResult(name, berr)
		}
		if uint64(len(b)) != f.UncompressedSize64 {
			res.add("zip.size-mismatch", "medium", fmt.Sprintf("member %q expands to %d bytes, not the recorded %d", printableName(f.Name), len(b), f.UncompressedSize64), off)
		}
		if crc32.ChecksumIEEE(b) != f.CRC32 && f.Flags&0x1 == 0 {
			res.add("zip.crc-mismatch", "medium", fmt.Sprintf("member %q CRC-32 differs from the recorded value (tampering or scanner evasion)", printableName(f.Name)), off)
		}
		return s.scanWith(ctx, name, bytes.NewReader(b), int64(len(b)), sub)
	default:
		return errorResult(name, fmt.Errorf("zip compression method %d is not supported", f.Method))
	}
}

func sizeOf(r io.ReaderAt, want int64) int64 {
	type sizer interface{ Size() int64 }
	if s, ok := r.(sizer); ok {
		return s.Size()
	}
	return want
}

func crcOf(r io.Reader) (uint32, error) {
	h := crc32.NewIEEE()
	if _, err := io.Copy(h, r); err != nil {
		return 0, err
	}
	return h.Sum32(), nil
}

// isTar recognises ustar/GNU headers and old-style tar by header checksum.
func isTar(head []byte) bool {
	if len(head) < 512 {
		return false
	}
	if string(head[257:262]) == "ustar" {
		return true
	}
	// Old tar: verify the header checksum.
	var sum int64
	for i := 0; i < 512; i++ {
		if i >= 148 && i < 156 {
			sum += ' '
		} else {
			sum += int64(head[i])
		}
	}
	field := strings.TrimSpace(strings.Trim(string(head[148:156]), "\x00 "))
	if field == "" {
		return false
	}
	var want int64
	for _, c := range field {
		if c < '0' || c > '7' {
			return false
		}
		want = want*8 + int64(c-'0')
	}
	return want == sum && head[0] != 0
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// scanTar walks a tar archive; member data is read in place.
func (s *Scanner) scanTar(ctx context.Context, res *FileResult, r io.ReaderAt, size int64, sc scanCtx, _ bool) {
	res.Format = "tar"
	if sc.depth >= s.opts.MaxDepth {
		res.fail(fmt.Errorf("archive nesting deeper than %d: not analysed", s.opts.MaxDepth))
		return
	}
	cr := &countingReader{r: io.NewSectionReader(r, 0, size)}
	tr := tar.NewReader(cr)
	names := map[string]bool{}
	for i := 0; ; i++ {
		if err := ctx.Err(); err != nil {
			res.fail(err)
			return
		}
		if i >= s.opts.MaxMembers {
			res.fail(fmt.Errorf("more than %d members: the rest was not analysed", s.opts.MaxMembers))
			return
		}
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			res.fail(fmt.Errorf("tar: %w", err))
			return
		}
		if why := unsafeMemberPath(h.Name); why != "" {
			res.add("archive.path-traversal", "critical", fmt.Sprintf("member %q: %s escapes the extraction folder", printableName(h.Name), why), cr.n)
		}
		names[path.Base(h.Name)] = true
		switch h.Typeflag {
		case tar.TypeSymlink, tar.TypeLink:
			if linkEscapes(h.Name, h.Linkname) {
				res.add("archive.link-escape", "critical", fmt.Sprintf("link %q points outside the archive (%q)", printableName(h.Name), printableName(h.Linkname)), cr.n)
			} else {
				res.add("archive.link", "low", fmt.Sprintf("link %q -> %q", printableName(h.Name), printableName(h.Linkname)), cr.n)
			}
			continue
		case tar.TypeReg, tar.TypeRegA, tar.TypeGNUSparse:
		case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
			res.add("archive.special-file", "high", fmt.Sprintf("member %q is a device or FIFO", printableName(h.Name)), cr.n)
			continue
		default:
			continue
		}
		if h.Size < 0 || h.Size > size-cr.n {
			res.fail(fmt.Errorf("tar member %q declares %d bytes past the end of the archive", printableName(h.Name), h.Size))
			return
		}
		off := cr.n
		res.Members = append(res.Members, s.scanWith(ctx, memberName(res.Path, h.Name), io.NewSectionReader(r, off, h.Size), h.Size, scanCtx{depth: sc.depth + 1, budget: sc.budget}))
	}
	if names["pickle"] && names["storages"] && names["sys_info"] {
		res.Format = "pytorch-legacy-tar"
	}
}

// scanGzip decompresses a gzip stream.
func (s *Scanner) scanGzip(ctx context.Context, res *FileResult, r io.ReaderAt, size int64, sc scanCtx) {
	res.Format = "gzip"
	zr, err := gzip.NewReader(io.NewSectionReader(r, 0, size))
	if err != nil {
		res.fail(fmt.Errorf("gzip: %w", err))
		return
	}
	defer zr.Close()
	inner := strings.TrimSuffix(strings.TrimSuffix(baseName(res.Path), ".gz"), ".tgz")
	if zr.Name != "" {
		inner = zr.Name
	} else if strings.HasSuffix(strings.ToLower(res.Path), ".tgz") {
		inner += ".tar"
	}
	s.scanDecompressed(ctx, res, zr, size, inner, sc)
}

// scanStream decompresses zlib (joblib's default compressor) or bzip2.
func (s *Scanner) scanStream(ctx context.Context, res *FileResult, r io.ReaderAt, size int64, sc scanCtx, format string) {
	res.Format = format
	var rd io.Reader
	src := io.NewSectionReader(r, 0, size)
	switch format {
	case "zlib":
		zr, err := zlib.NewReader(src)
		if err != nil {
			res.fail(fmt.Errorf("zlib: %w", err))
			return
		}
		defer zr.Close()
		rd = zr
	default:
		rd = bzip2.NewReader(src)
	}
	inner := strings.TrimSuffix(strings.TrimSuffix(baseName(res.Path), ".z"), ".bz2")
	if inner == baseName(res.Path) {
		inner += ".raw"
	}
	s.scanDecompressed(ctx, res, rd, size, inner, sc)
}

// scanDecompressed expands a stream into memory within the limits and
// scans the result as a member.
func (s *Scanner) scanDecompressed(ctx context.Context, res *FileResult, rd io.Reader, size int64, inner string, sc scanCtx) {
	if sc.depth >= s.opts.MaxDepth {
		res.fail(fmt.Errorf("archive nesting deeper than %d: not analysed", s.opts.MaxDepth))
		return
	}
	limit := s.opts.MaxMemberBytes
	if sc.budget.left < limit {
		limit = sc.budget.left
	}
	b, err := io.ReadAll(io.LimitReader(rd, limit+1))
	if int64(len(b)) > limit {
		res.add("archive.bomb", "high", fmt.Sprintf("%s stream expands beyond %d bytes (ratio over %d:1)", res.Format, limit, limit/max(size, 1)), 0)
		res.fail(fmt.Errorf("%s stream expands beyond the analysis limit: not analysed", res.Format))
		return
	}
	if err != nil {
		res.fail(fmt.Errorf("%s: %w", res.Format, err))
		if len(b) == 0 {
			return
		}
	}
	if size > 0 && int64(len(b)) > 1<<20 && int64(len(b))/size > s.opts.MaxRatio {
		res.add("archive.compression-ratio", "high", fmt.Sprintf("%s compression ratio %d exceeds %d", res.Format, int64(len(b))/size, s.opts.MaxRatio), 0)
	}
	_ = sc.budget.take(int64(len(b)))
	res.Members = append(res.Members, s.scanWith(ctx, memberName(res.Path, inner), bytes.NewReader(b), int64(len(b)), scanCtx{depth: sc.depth + 1, budget: sc.budget}))
}

// isZlib recognises a zlib header (deflate, valid check bits).
func isZlib(head []byte) bool {
	return len(head) >= 2 && head[0] == 0x78 && (uint16(head[0])<<8|uint16(head[1]))%31 == 0
}

// torchScriptRules flag TorchScript sources that reach native libraries,
// files or Python.
var torchScriptRules = []textRule{
	{regexp.MustCompile(`\bload_library\b|\bops\.load_library\b`), "critical", "loads a native library"},
	{regexp.MustCompile(`\b(?:__import__|os\.system|os\.popen|subprocess\.|exec\(|eval\()`), "critical", "Python code execution"},
	{regexp.MustCompile(`\baten::from_file\b|\bops\.aten\.from_file\b|torch\.from_file\b|\bops\.aten\.save\b`), "high", "reads or writes files"},
}

// torchScriptCode checks a TorchScript source member.
func (s *Scanner) torchScriptCode(res *FileResult, f *zip.File) {
	if f.UncompressedSize64 > 16<<20 {
		return
	}
	rc, err := f.Open()
	if err != nil {
		return
	}
	b, _ := io.ReadAll(io.LimitReader(rc, 16<<20))
	rc.Close()
	for _, h := range matchText(string(b), torchScriptRules) {
		res.add("torchscript.code", h.severity, fmt.Sprintf("%s: %s (%s)", printableName(f.Name), h.what, h.match), -1)
	}
}

// Zip methods Python's zipfile also reads (numpy .npz, Keras .keras and
// joblib archives are opened with zipfile): bzip2 and LZMA.
const (
	zipBzip2 = 12
	zipLZMA  = 14
)

// zipDecompressor returns the decompressor for a member's method.
func (s *Scanner) zipDecompressor(f *zip.File) func(io.Reader) io.ReadCloser {
	switch f.Method {
	case zipBzip2:
		return func(r io.Reader) io.ReadCloser { return io.NopCloser(bzip2.NewReader(r)) }
	case zipLZMA:
		limit, size := s.opts.MaxMemberBytes, int64(-1)
		if f.Flags&0x2 == 0 { // no end marker: the recorded size ends the data
			size = int64(min(f.UncompressedSize64, uint64(limit)+1))
		}
		return func(r io.Reader) io.ReadCloser { return zipLZMAReader(r, limit, size) }
	}
	return flate.NewReader
}

// registerZipMethods lets zip.File.Open read bzip2 and LZMA members.
func (s *Scanner) registerZipMethods(zr *zip.Reader) {
	zr.RegisterDecompressor(zipBzip2, func(r io.Reader) io.ReadCloser { return io.NopCloser(bzip2.NewReader(r)) })
	limit := s.opts.MaxMemberBytes
	zr.RegisterDecompressor(zipLZMA, func(r io.Reader) io.ReadCloser { return zipLZMAReader(r, limit, -1) })
}

// zipLZMAReader decodes a zip LZMA member (APPNOTE 5.8.8: 2-byte version,
// 2-byte properties size, properties, then raw LZMA with or without an end
// marker) into memory within limit.
func zipLZMAReader(r io.Reader, limit, size int64) io.ReadCloser {
	src, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return io.NopCloser(iotest{err})
	}
	if int64(len(src)) > limit {
		return io.NopCloser(iotest{lzma.ErrLimit})
	}
	if len(src) < 4 {
		return io.NopCloser(iotest{lzma.ErrTruncated})
	}
	psz := int(src[2]) | int(src[3])<<8
	if psz < 5 || 4+psz > len(src) {
		return io.NopCloser(iotest{errors.New("zip lzma: bad properties")})
	}
	p := src[4 : 4+psz]
	dict := uint32(p[1]) | uint32(p[2])<<8 | uint32(p[3])<<16 | uint32(p[4])<<24
	out, err := lzma.DecodeLZMA(context.Background(), src[4+psz:], p[0], dict, size, limit)
	if err != nil && len(out) == 0 {
		return io.NopCloser(iotest{err})
	}
	return io.NopCloser(bytes.NewReader(out))
}

// iotest is a reader that fails with err.
type iotest struct{ err error }

func (e iotest) Read([]byte) (int, error) { return 0, e.err }
