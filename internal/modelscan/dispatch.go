package modelscan

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/aigis-dev/aigis/internal/modelscan/lz4"
	"github.com/aigis-dev/aigis/internal/modelscan/lzma"
	"github.com/aigis-dev/aigis/internal/modelscan/pickle"
)

// modelExtensions are names that promise a model format: content that is
// not recognised under such a name is an error, never clean.
var modelExtensions = map[string]bool{
	".pkl": true, ".pickle": true, ".pt": true, ".pth": true, ".bin": true, ".ckpt": true, ".joblib": true,
	".dill": true, ".sav": true, ".model": true, ".mar": true, ".h5": true, ".hdf5": true, ".keras": true,
	".onnx": true, ".pb": true, ".tflite": true, ".gguf": true, ".safetensors": true, ".npy": true,
	".npz": true, ".pt2": true, ".nemo": true, ".zip": true, ".tar": true, ".tgz": true, ".gz": true,
	".7z": true, ".xz": true, ".lzma": true, ".lz4": true, ".lite": true, ".ggml": true, ".llamafile": true, ".msgpack": true, ".data": true,
}

const headSize = 4096

// readHead reads up to n bytes from the start.
func readHead(r io.ReaderAt, size int64, n int) []byte {
	if size < int64(n) {
		n = int(size)
	}
	if n <= 0 {
		return nil
	}
	b := make([]byte, n)
	m, _ := r.ReadAt(b, 0)
	return b[:m]
}

type scanCtx struct {
	depth  int
	budget *expandBudget
	noZip  bool // the caller already handles the zip view of this content
}

// scan sniffs the content and runs the matching analyzer.
func (s *Scanner) scan(ctx context.Context, name string, r io.ReaderAt, size int64, depth int, budget *expandBudget) FileResult {
	return s.scanWith(ctx, name, r, size, scanCtx{depth: depth, budget: budget})
}

func (s *Scanner) scanWith(ctx context.Context, name string, r io.ReaderAt, size int64, sc scanCtx) (res FileResult) {
	res = FileResult{Path: name, Size: size, Format: "unknown", Findings: []Finding{}}
	defer func() {
		if p := recover(); p != nil {
			res.fail(fmt.Errorf("analyzer failed: %v", p))
		}
		res.finish()
	}()
	if err := ctx.Err(); err != nil {
		res.fail(err)
		return res
	}
	head := readHead(r, size, headSize)
	ext := strings.ToLower(path.Ext(baseName(name)))
	base := strings.ToLower(baseName(name))
	switch {
	case size == 0:
		res.Format = "empty"
		if modelExtensions[ext] {
			res.fail(errors.New("empty file where a model was expected"))
		}
	case !sc.noZip && isZip(r, size, head):
		s.scanZip(ctx, &res, r, size, head, sc)
	case len(head) >= 3 && head[0] == 0x1f && head[1] == 0x8b:
		s.scanGzip(ctx, &res, r, size, sc)
	case isTar(head):
		s.scanTar(ctx, &res, r, size, sc, false)
	case bytes.HasPrefix(head, lzma.SevenZipMagic):
		s.scan7z(ctx, &res, r, size, sc)
	case bytes.HasPrefix(head, lzma.XZMagic):
		s.scanXZ(ctx, &res, r, size, sc, "xz")
	case lzma.IsAloneHeader(head):
		s.scanXZ(ctx, &res, r, size, sc, "lzma")
	case bytes.HasPrefix(head, []byte("BZh")) && len(head) > 3 && head[3] >= '1' && head[3] <= '9':
		s.scanStream(ctx, &res, r, size, sc, "bzip2")
	case isZlib(head):
		s.scanStream(ctx, &res, r, size, sc, "zlib")
	case bytes.HasPrefix(head, lz4.Magic):
		s.scanXZ(ctx, &res, r, size, sc, "lz4")
	case bytes.HasPrefix(head, []byte("\x28\xb5\x2f\xfd")):
		res.Format = "compressed"
		res.fail(errors.New("zstd compression is not supported: decompress and scan the result"))
	case bytes.HasPrefix(head, []byte("GGUF")):
		s.scanGGUF(ctx, &res, r, size)
	case bytes.HasPrefix(head, []byte("\x93NUMPY")):
		s.scanNpy(ctx, &res, r, size)
	case bytes.HasPrefix(head, []byte("\x89HDF\r\n\x1a\n")) || hdf5At(r, size):
		s.scanHDF5(ctx, &res, r, size)
	case len(head) >= 8 && string(head[4:8]) == "TFL3":
		s.scanTFLite(ctx, &res, r, size)
	case looksSafetensors(head, size):
		s.scanSafetensors(ctx, &res, r, size)
	case len(head) >= 2 && head[0] == 0x80 && head[1] <= 5:
		s.scanPickle(ctx, &res, r, size, base)
	case base == "keras_metadata.pb":
		res.Format = "keras-savedmodel-metadata"
		if _, err := s.scanKerasMetadata(ctx, &res, r, size); err != nil {
			res.fail(fmt.Errorf("keras_metadata.pb: %w", err))
		}
	case base == "saved_model.pb" || (ext == ".pb" && looksProtobuf(head)):
		s.scanSavedModel(ctx, &res, r, size)
	case ext == ".onnx" || (looksProtobuf(head) && looksONNX(r, size)):
		s.scanONNX(ctx, &res, r, size, name)
	case ext == ".json" || ext == ".jinja" || ext == ".j2" || base == "chat_template":
		s.scanText(ctx, &res, r, size, base)
	case ext == ".yaml" || ext == ".yml":
		s.scanYAML(ctx, &res, r, size)
	case len(head) > 0 && maybeProto0Pickle(head[0]):
		if !s.tryPickle(ctx, &res, r, size, base) {
			s.unrecognised(&res, ext)
		}
	default:
		s.unrecognised(&res, ext)
	}
	// Members get their own digest (top-level files are hashed by ScanFile).
	// Only content the analysis reads anyway is hashed: tensor storages that
	// were skipped through structure are not members.
	if s.opts.Hash && sc.depth > 0 && !sc.noZip && size > 0 && size <= s.opts.MaxMemberBytes && ctx.Err() == nil {
		h := sha256.New()
		if _, err := io.Copy(h, io.NewSectionReader(r, 0, size)); err == nil {
			res.SHA256 = hex.EncodeToString(h.Sum(nil))
		}
	}
	return res
}

func (s *Scanner) unrecognised(res *FileResult, ext string) {
	res.Format = "unknown"
	res.Findings = res.Findings[:0]
	if modelExtensions[ext] {
		res.fail(fmt.Errorf("content is not a recognised model format although the name ends in %s", ext))
	}
}

func baseName(name string) string {
	if i := strings.LastIndexByte(name, '!'); i >= 0 {
		name = name[i+1:]
	}
	name = strings.ReplaceAll(name, "\\", "/")
	return path.Base(name)
}

// maybeProto0Pickle reports whether b can open a protocol 0/1 pickle.
func maybeProto0Pickle(b byte) bool {
	return strings.IndexByte("(c]}NILFSVXTUKJMGiP)", b) >= 0
}

// readAll reads size bytes of r into memory, bounded by max.
func readAll(r io.ReaderAt, size, max int64) ([]byte, error) {
	if size > max {
		return nil, fmt.Errorf("%d bytes exceed the in-memory analysis limit of %d bytes", size, max)
	}
	if br, ok := r.(*bytes.Reader); ok && br.Size() == size {
		b := make([]byte, size)
		_, err := br.ReadAt(b, 0)
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, err
		}
		return b, nil
	}
	b := make([]byte, size)
	n, err := r.ReadAt(b, 0)
	if err != nil && !(errors.Is(err, io.EOF) && int64(n) == size) {
		return nil, fmt.Errorf("read: %w", err)
	}
	return b, nil
}

func (s *Scanner) pickleLimits() pickle.Limits {
	return pickle.Limits{}
}

// scanPickle analyses a pickle stream (including legacy PyTorch files,
// whose raw storages follow the pickles). It reads a growing prefix, so a
// multi-gigabyte legacy checkpoint costs only its pickles.
func (s *Scanner) scanPickle(ctx context.Context, res *FileResult, r io.ReaderAt, size int64, base string) {
	res.Format = "pickle"
	lim := s.pickleLimits()
	if base == "storages" || base == "tensors" {
		lim.Lenient = true
	}
	window := min(size, 64<<20)
	for {
		data, err := readAll(r, window, window)
		if err != nil {
			res.fail(fmt.Errorf("pickle: %w", err))
			return
		}
		if pickle.IsLegacyTorch(data) {
			res.Format = "pytorch-legacy"
		}
		pr := pickle.Analyze(ctx, data, 0, s.policy, lim)
		if window < size && (pr.Err != nil && errors.Is(pr.Err, pickle.ErrTruncated) || pr.Err == nil && pr.End == int64(len(data))) {
			if window >= s.opts.MaxPickleBytes {
				addPickleResult(res, pr)
				res.fail(fmt.Errorf("pickle stream continues past the %d-byte analysis limit", s.opts.MaxPickleBytes))
				return
			}
			window = min(size, window*4, s.opts.MaxPickleBytes)
			continue
		}
		addPickleResult(res, pr)
		return
	}
}

// tryPickle analyses content that might be a protocol 0/1 pickle; it reports
// false (and records nothing) when the content is not a pickle.
func (s *Scanner) tryPickle(ctx context.Context, res *FileResult, r io.ReaderAt, size int64, base string) bool {
	if size > s.opts.MaxPickleBytes {
		return false
	}
	data, err := readAll(r, size, s.opts.MaxPickleBytes)
	if err != nil {
		return false
	}
	pr := pickle.Analyze(ctx, data, 0, s.policy, s.pickleLimits())
	ext := path.Ext(base)
	pickleName := ext == ".pkl" || ext == ".pickle" || ext == ".pt" || ext == ".pth" || ext == ".bin" || ext == ".ckpt" || ext == ".joblib" || ext == ".dill" || ext == ".sav"
	if pr.Err != nil && errors.Is(pr.Err, pickle.ErrNotPickle) && len(pr.Globals) == 0 {
		return false
	}
	if pr.Pickles == 0 && !pickleName {
		// Text that happens to open with a protocol-0 opcode letter
		// ("class ...", "import ...") is a pickle only if it reaches a
		// dangerous global before failing.
		dangerous := false
		for _, g := range pr.Globals {
			dangerous = dangerous || g.Class == pickle.Dangerous
		}
		if !dangerous {
			return false
		}
	}
	res.Format = "pickle"
	addPickleResult(res, pr)
	return true
}

func addPickleResult(res *FileResult, pr *pickle.Result) {
	for _, f := range pr.Findings {
		res.add(f.Rule, f.Severity, f.Detail, f.Offset)
	}
	if pr.Err != nil {
		res.fail(fmt.Errorf("malformed pickle: %w", pr.Err))
	}
}

// le64 reads a little-endian uint64 at off.
func le64(r io.ReaderAt, off int64) (uint64, error) {
	var b [8]byte
	if _, err := r.ReadAt(b[:], off); err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint64(b[:]), nil
}
