package modelscan

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/aigis-dev/aigis/internal/modelscan/lz4"
	"github.com/aigis-dev/aigis/internal/modelscan/lzma"
)

// scan7z walks a 7z archive: the header is decoded within limits, each
// folder is expanded once into memory (stored folders are read in place),
// and every member is scanned like a zip member.
func (s *Scanner) scan7z(ctx context.Context, res *FileResult, r io.ReaderAt, size int64, sc scanCtx) {
	res.Format = "7z"
	if sc.depth >= s.opts.MaxDepth {
		res.fail(fmt.Errorf("archive nesting deeper than %d: not analysed", s.opts.MaxDepth))
		return
	}
	a, err := lzma.Open(ctx, r, size, lzma.Limits{MaxEntries: s.opts.MaxMembers, MaxFolders: s.opts.MaxMembers})
	if err != nil {
		if errors.Is(err, lzma.ErrEncrypted) {
			res.fail(errors.New("7z: encrypted header: cannot be analysed (decrypt it and scan the result)"))
			return
		}
		res.fail(err)
		return
	}
	names := make(map[string]bool, len(a.Entries))
	cur := -1
	var data io.ReaderAt
	var dataErr error
	for i, e := range a.Entries {
		if err := ctx.Err(); err != nil {
			res.fail(err)
			return
		}
		if i >= s.opts.MaxMembers {
			res.fail(fmt.Errorf("more than %d members: the rest was not analysed", s.opts.MaxMembers))
			return
		}
		if why := unsafeMemberPath(e.Name); why != "" {
			res.add("archive.path-traversal", "critical", fmt.Sprintf("member %q: %s escapes the extraction folder", printableName(e.Name), why), -1)
		}
		if names[e.Name] {
			res.add("archive.duplicate-name", "medium", fmt.Sprintf("member name %q appears more than once: extraction keeps one copy (all are analysed)", printableName(e.Name)), -1)
		}
		names[e.Name] = true
		if e.IsDir || !e.HasStream {
			continue
		}
		if mode := e.Mode() & 0xF000; mode == 0x2000 || mode == 0x6000 || mode == 0x1000 {
			res.add("archive.special-file", "high", fmt.Sprintf("member %q is a device or FIFO", printableName(e.Name)), -1)
			continue
		}
		name := memberName(res.Path, e.Name)
		if e.Folder != cur {
			cur = e.Folder
			data, dataErr = s.sevenZipFolder(ctx, res, a, a.Folders[cur], sc)
		}
		if dataErr != nil {
			res.Members = append(res.Members, errorResult(name, dataErr))
			continue
		}
		if e.Offset < 0 || e.Size < 0 || e.Offset+e.Size > a.Folders[cur].UnpackSize {
			res.Members = append(res.Members, errorResult(name, errors.New("7z member lies outside its folder")))
			continue
		}
		sr := io.NewSectionReader(data, e.Offset, e.Size)
		if e.IsSymlink() {
			target := make([]byte, min(e.Size, 4096))
			n, _ := sr.ReadAt(target, 0)
			t := string(target[:n])
			if linkEscapes(e.Name, t) {
				res.add("archive.link-escape", "critical", fmt.Sprintf("symbolic link %q points outside the archive (%q)", printableName(e.Name), printableName(t)), -1)
			} else {
				res.add("archive.link", "low", fmt.Sprintf("symbolic link %q -> %q", printableName(e.Name), printableName(t)), -1)
			}
			continue
		}
		res.Members = append(res.Members, s.scanWith(ctx, name, sr, e.Size, scanCtx{depth: sc.depth + 1, budget: sc.budget}))
	}
}

// sevenZipFolder returns the folder's output: in place when stored, else
// expanded within the member limit, the ratio limit and the budget.
func (s *Scanner) sevenZipFolder(ctx context.Context, res *FileResult, a *lzma.Archive, f lzma.Folder, sc scanCtx) (io.ReaderAt, error) {
	if sr, ok := a.StoredSection(f); ok {
		return sr, nil
	}
	if f.PackedSize > 0 && f.UnpackSize > 1<<20 && f.UnpackSize/f.PackedSize > s.opts.MaxRatio {
		res.add("archive.compression-ratio", "high", fmt.Sprintf("7z folder declares a compression ratio of %d (limit %d): possible compression bomb; not expanded", f.UnpackSize/f.PackedSize, s.opts.MaxRatio), f.PackedStart)
		return nil, errors.New("compression ratio over the limit: not expanded")
	}
	limit := min(s.opts.MaxMemberBytes, sc.budget.left)
	if f.UnpackSize > limit {
		return nil, fmt.Errorf("7z folder expands to %d bytes, over the %d-byte analysis limit: extract and scan it", f.UnpackSize, limit)
	}
	b, err := a.DecodeFolder(ctx, f, limit)
	if err != nil {
		if errors.Is(err, lzma.ErrEncrypted) {
			return nil, errors.New("encrypted member: cannot be analysed (decrypt it and scan the result)")
		}
		return nil, fmt.Errorf("7z: %w", err)
	}
	if err := sc.budget.take(int64(len(b))); err != nil {
		res.add("archive.bomb", "high", "archive expands beyond the per-file decompression budget", f.PackedStart)
		return nil, err
	}
	return bytes.NewReader(b), nil
}

// scanXZ decompresses an .xz, .lzma (LZMA_alone) or LZ4 frame stream:
// joblib's "xz", "lzma" and "lz4" compressors.
func (s *Scanner) scanXZ(ctx context.Context, res *FileResult, r io.ReaderAt, size int64, sc scanCtx, format string) {
	res.Format = format
	if sc.depth >= s.opts.MaxDepth {
		res.fail(fmt.Errorf("archive nesting deeper than %d: not analysed", s.opts.MaxDepth))
		return
	}
	limit := min(s.opts.MaxMemberBytes, sc.budget.left)
	src, err := readAll(r, size, limit)
	if err != nil {
		res.fail(fmt.Errorf("%s: %w", format, err))
		return
	}
	var b []byte
	switch format {
	case "xz":
		b, err = lzma.DecodeXZ(ctx, src, limit)
	case "lz4":
		b, err = lz4.Decode(ctx, src, limit)
	default:
		b, err = lzma.DecodeAlone(ctx, src, limit)
	}
	if errors.Is(err, lzma.ErrLimit) || errors.Is(err, lz4.ErrLimit) {
		res.add("archive.bomb", "high", fmt.Sprintf("%s stream expands beyond %d bytes (ratio over %d:1)", format, limit, limit/max(size, 1)), 0)
		res.fail(fmt.Errorf("%s stream expands beyond the analysis limit: not analysed", format))
		return
	}
	if err != nil {
		res.fail(fmt.Errorf("%s: %w", format, err))
		if len(b) == 0 {
			return
		}
	}
	if size > 0 && int64(len(b)) > 1<<20 && int64(len(b))/size > s.opts.MaxRatio {
		res.add("archive.compression-ratio", "high", fmt.Sprintf("%s compression ratio %d exceeds %d", format, int64(len(b))/size, s.opts.MaxRatio), 0)
	}
	_ = sc.budget.take(int64(len(b)))
	inner := baseName(res.Path)
	for _, ext := range []string{".xz", ".lzma", ".lz4"} {
		if len(inner) > len(ext) && inner[len(inner)-len(ext):] == ext {
			inner = inner[:len(inner)-len(ext)]
		}
	}
	if inner == baseName(res.Path) {
		inner += ".raw"
	}
	res.Members = append(res.Members, s.scanWith(ctx, memberName(res.Path, inner), bytes.NewReader(b), int64(len(b)), scanCtx{depth: sc.depth + 1, budget: sc.budget}))
}
