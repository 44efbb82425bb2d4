// Package modelscan inspects model artifacts (pickles, PyTorch checkpoints,
// Keras, TensorFlow, ONNX, TFLite, safetensors, GGUF, NumPy, archives) for
// code execution and tampering without loading, unpickling or executing them.
// Formats are recognised by content, not by file extension.
package modelscan

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/aigis-dev/aigis/internal/modelscan/pickle"
)

// Verdicts, from best to worst.
const (
	VerdictClean      = "clean"
	VerdictSuspicious = "suspicious"
	VerdictError      = "error"
	VerdictMalicious  = "malicious"
)

// VerdictRank orders verdicts: clean 0, suspicious 1, error 2, malicious 3;
// -1 for an unknown name.
func VerdictRank(v string) int {
	switch v {
	case VerdictClean:
		return 0
	case VerdictSuspicious:
		return 1
	case VerdictError:
		return 2
	case VerdictMalicious:
		return 3
	}
	return -1
}

// Finding is one observation about a file. Severity is one of info, low,
// medium, high, critical (the names of finding.Severity). Offset is the byte
// offset in the file (or archive member) where it was seen, -1 when unknown.
type Finding struct {
	Rule     string `json:"rule"`
	Severity string `json:"severity"`
	Detail   string `json:"detail"`
	Offset   int64  `json:"offset"`
}

// FileResult is the verdict for one file or archive member. Path of a member
// is "outer!inner/path". Verdict is the worst of the file's own findings and
// of its Members. SHA256 is set only when Options.Hash is true.
type FileResult struct {
	Path     string       `json:"path"`
	Format   string       `json:"format"`
	Verdict  string       `json:"verdict"`
	SHA256   string       `json:"sha256"`
	Size     int64        `json:"size"`
	Findings []Finding    `json:"findings"`
	Error    string       `json:"error,omitempty"`
	Members  []FileResult `json:"-"`
}

// Options configures a Scanner. Zero values take safe defaults.
type Options struct {
	// Allow adds globals to the pickle allowlist: "module.name" or
	// "module.*" for a whole module.
	Allow []string
	// Hash computes the SHA-256 of every top-level file (costs a full read).
	Hash bool
	// MaxDepth bounds archive nesting (default 4).
	MaxDepth int
	// MaxMemberBytes bounds how much of one compressed or streamed member is
	// decompressed into memory for analysis (default 512 MiB).
	MaxMemberBytes int64
	// MaxTotalExpanded bounds the bytes decompressed per top-level file
	// (default 4 GiB).
	MaxTotalExpanded int64
	// MaxRatio is the largest accepted compression ratio of a member (default 200).
	MaxRatio int64
	// MaxMembers bounds the number of archive members examined (default 100000).
	MaxMembers int
	// MaxPickleBytes bounds one pickle stream read into memory (default 1 GiB).
	MaxPickleBytes int64
	// MaxFileTime bounds the analysis of one top-level file, archive members
	// and decompression included (default 10 minutes; hashing is not
	// counted). A file that runs over gets verdict error.
	MaxFileTime time.Duration
}

func (o Options) withDefaults() Options {
	if o.MaxDepth <= 0 {
		o.MaxDepth = 4
	}
	if o.MaxMemberBytes <= 0 {
		o.MaxMemberBytes = 512 << 20
	}
	if o.MaxTotalExpanded <= 0 {
		o.MaxTotalExpanded = 4 << 30
	}
	if o.MaxRatio <= 0 {
		o.MaxRatio = 200
	}
	if o.MaxMembers <= 0 {
		o.MaxMembers = 100000
	}
	if o.MaxPickleBytes <= 0 {
		o.MaxPickleBytes = 1 << 30
	}
	if o.MaxFileTime <= 0 {
		o.MaxFileTime = 10 * time.Minute
	}
	return o
}

// Scanner scans model artifacts. It is safe for concurrent use.
type Scanner struct {
	opts   Options
	policy *pickle.Policy
}

// New returns a Scanner with the given options.
func New(opts Options) *Scanner {
	opts = opts.withDefaults()
	return &Scanner{opts: opts, policy: pickle.NewPolicy(opts.Allow)}
}

// ScanPath scans a file, or every regular file under a folder (symbolic
// links are reported, not followed). Archive members are returned as their
// own results after their container, flattened. The error is non-nil only
// when path itself cannot be read.
func (s *Scanner) ScanPath(ctx context.Context, path string) ([]FileResult, error) {
	// The path given is followed when it is a link; links found inside a
	// folder are reported, not followed.
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("scan %s: %w", path, err)
	}
	if !st.IsDir() {
		if real, err := filepath.EvalSymlinks(path); err == nil && real != path {
			r := s.ScanFile(ctx, real)
			rename(&r, real, path)
			return Flatten([]FileResult{r}), nil
		}
		return Flatten([]FileResult{s.ScanFile(ctx, path)}), nil
	}
	if real, err := filepath.EvalSymlinks(path); err == nil {
		path = real
	}
	var paths []string
	var out []FileResult
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, werr error) error {
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
		if werr != nil {
			out = append(out, FileResult{Path: p, Format: "unknown", Verdict: VerdictError, Error: werr.Error(), Findings: []Finding{}})
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if !d.IsDir() {
			paths = append(paths, p)
		}
		return nil
	})
	// Files are scanned in parallel (bounded by GOMAXPROCS); each file's
	// own limits bound its memory.
	results := make([]FileResult, len(paths))
	var g errgroup.Group
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i, p := range paths {
		g.Go(func() error {
			results[i] = s.ScanFile(ctx, p)
			return nil
		})
	}
	_ = g.Wait()
	out = append(out, results...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	if err != nil {
		return Flatten(out), fmt.Errorf("scan %s: %w", path, err)
	}
	return Flatten(out), nil
}

// Flatten returns the results with every member listed after its container
// (depth first); Members of the returned results are nil.
func Flatten(rs []FileResult) []FileResult {
	var out []FileResult
	var walk func(r FileResult)
	walk = func(r FileResult) {
		ms := r.Members
		r.Members = nil
		out = append(out, r)
		for _, m := range ms {
			walk(m)
		}
	}
	for _, r := range rs {
		walk(r)
	}
	return out
}

// ScanFile scans one file. A symbolic link is reported (never followed).
func (s *Scanner) ScanFile(ctx context.Context, path string) FileResult {
	st, err := os.Lstat(path)
	if err != nil {
		return errorResult(path, fmt.Errorf("stat: %w", err))
	}
	if st.Mode()&fs.ModeSymlink != 0 {
		target, _ := os.Readlink(path)
		r := FileResult{Path: path, Format: "symlink", Findings: []Finding{}}
		r.add("file.symlink", "low", fmt.Sprintf("symbolic link to %q not followed; scan its target directly", target), -1)
		r.finish()
		return r
	}
	if !st.Mode().IsRegular() {
		r := FileResult{Path: path, Format: "special", Findings: []Finding{}}
		r.add("file.special", "low", "not a regular file; skipped", -1)
		r.finish()
		return r
	}
	f, err := os.Open(path)
	if err != nil {
		return errorResult(path, fmt.Errorf("open: %w", err))
	}
	defer f.Close()
	res := s.ScanReader(context.WithValue(ctx, onDiskKey{}, path), path, f, st.Size())
	if s.opts.Hash {
		h := sha256.New()
		if _, err := io.Copy(h, io.NewSectionReader(f, 0, st.Size())); err != nil {
			res.add("file.read", "info", "hashing failed: "+err.Error(), -1)
		} else {
			res.SHA256 = hex.EncodeToString(h.Sum(nil))
		}
	}
	return res
}

// onDiskKey marks, in the context, the path of the top-level file being
// scanned when it is a file on disk (ScanFile), so that analyzers may look
// at its folder (ONNX external data behind symbolic links).
type onDiskKey struct{}

// ScanReader scans content of the given size read through r; name is used
// for reporting and as a weak hint (content decides the format).
func (s *Scanner) ScanReader(ctx context.Context, name string, r io.ReaderAt, size int64) FileResult {
	budget := &expandBudget{left: s.opts.MaxTotalExpanded}
	ctx, cancel := context.WithTimeout(ctx, s.opts.MaxFileTime)
	defer cancel()
	res := s.scan(ctx, name, r, size, 0, budget)
	if errors.Is(ctx.Err(), context.DeadlineExceeded) && res.Error == "" {
		res.fail(fmt.Errorf("analysis ran past the %v per-file time limit", s.opts.MaxFileTime))
		res.finish()
	}
	return res
}

// expandBudget tracks bytes decompressed for one top-level file.
type expandBudget struct{ left int64 }

var errBudget = errors.New("decompression budget exhausted (possible compression bomb)")

func (b *expandBudget) take(n int64) error {
	if n > b.left {
		b.left = 0
		return errBudget
	}
	b.left -= n
	return nil
}

func errorResult(path string, err error) FileResult {
	r := FileResult{Path: path, Format: "unknown", Findings: []Finding{}}
	r.fail(err)
	r.finish()
	return r
}

func (r *FileResult) add(rule, severity, detail string, offset int64) {
	r.Findings = append(r.Findings, Finding{Rule: rule, Severity: severity, Detail: detail, Offset: offset})
}

// fail records that the file could not be (fully) analysed.
func (r *FileResult) fail(err error) {
	if r.Error == "" {
		r.Error = err.Error()
	} else {
		r.Error += "; " + err.Error()
	}
}

// finish computes the verdict from findings, error and members.
func (r *FileResult) finish() {
	if r.Findings == nil {
		r.Findings = []Finding{}
	}
	v := VerdictClean
	for _, f := range r.Findings {
		switch f.Severity {
		case "critical":
			v = worse(v, VerdictMalicious)
		case "high", "medium":
			v = worse(v, VerdictSuspicious)
		}
	}
	if r.Error != "" {
		v = worse(v, VerdictError)
	}
	for _, m := range r.Members {
		v = worse(v, m.Verdict)
	}
	r.Verdict = v
}

func worse(a, b string) string {
	if VerdictRank(b) > VerdictRank(a) {
		return b
	}
	return a
}

// rename replaces the path prefix old with new in r and its members.
func rename(r *FileResult, old, new string) {
	if strings.HasPrefix(r.Path, old) {
		r.Path = new + strings.TrimPrefix(r.Path, old)
	}
	for i := range r.Members {
		rename(&r.Members[i], old, new)
	}
}
