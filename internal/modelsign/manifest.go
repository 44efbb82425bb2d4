// Package modelsign signs and verifies model artifacts in the OpenSSF model
// signing (OMS) v1.0 format: an in-toto Statement whose predicate lists a
// sha256 digest per file (or per byte-range shard), signed in a DSSE envelope
// inside a Sigstore bundle (model.sig).
package modelsign

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// DefaultIgnore lists the top-level paths every signer and verifier excludes.
var DefaultIgnore = []string{".git", ".gitattributes", ".github", ".gitignore"}

// Serialization methods.
const (
	MethodFiles  = "files"
	MethodShards = "shards"
)

// DefaultShardSize is the spec's default byte-range size for shard serialization.
const DefaultShardSize int64 = 1_000_000_000

// maxFiles bounds how many files one model may hold.
const maxFiles = 1_000_000

// Resource is one signed file (or byte range of a file).
type Resource struct {
	Name      string `json:"name"`
	Algorithm string `json:"algorithm"`
	Digest    string `json:"digest"`
}

// Serialization records how the manifest was built.
type Serialization struct {
	Method        string   `json:"method"`
	HashType      string   `json:"hash_type"`
	ShardSize     int64    `json:"shard_size,omitempty"`
	AllowSymlinks bool     `json:"allow_symlinks"`
	IgnorePaths   []string `json:"ignore_paths,omitempty"`
}

// HashOptions configure enumeration and hashing.
type HashOptions struct {
	Method      string   // MethodFiles (default) or MethodShards
	ShardSize   int64    // for MethodShards; DefaultShardSize when 0
	IgnorePaths []string // exact relative paths from the model root (besides DefaultIgnore)
	Workers     int      // parallel hashers; GOMAXPROCS when 0
}

// Manifest is the hashed content of a model.
type Manifest struct {
	Resources     []Resource // sorted by name
	Serialization Serialization
	SingleFile    bool
}

// canonicalIgnore validates and normalizes one ignore entry.
func canonicalIgnore(p string) (string, error) {
	if p == "" {
		return "", errors.New("empty ignore path")
	}
	if strings.ContainsAny(p, "*?[") {
		return "", fmt.Errorf("ignore path %q: glob characters are not allowed", p)
	}
	if strings.HasPrefix(p, "/") {
		return "", fmt.Errorf("ignore path %q must be relative to the model root", p)
	}
	c := path.Clean(p)
	if c == ".." || strings.HasPrefix(c, "../") {
		return "", fmt.Errorf("ignore path %q leaves the model root", p)
	}
	return c, nil
}

// ignoreSet matches exact relative paths and their subtrees.
type ignoreSet map[string]struct{}

func (s ignoreSet) match(rel string) bool {
	for p := rel; ; {
		if _, ok := s[p]; ok {
			return true
		}
		i := strings.LastIndexByte(p, '/')
		if i < 0 {
			return false
		}
		p = p[:i]
	}
}

type fileEntry struct {
	rel  string // canonical name
	abs  string
	size int64
}

// enumerate lists the regular files of root (a directory or a single file),
// excluding ignored paths. Symbolic links are refused (allow_symlinks=false).
func enumerate(root string, ignore ignoreSet) ([]fileEntry, bool, error) {
	st, err := os.Lstat(root)
	if err != nil {
		return nil, false, fmt.Errorf("model path: %w", err)
	}
	if st.Mode()&fs.ModeSymlink != 0 {
		return nil, false, fmt.Errorf("model path %s is a symbolic link; symlinks are not allowed", root)
	}
	if st.Mode().IsRegular() {
		name := filepath.Base(root)
		if !utf8.ValidString(name) {
			return nil, true, fmt.Errorf("file name %q is not valid UTF-8", name)
		}
		return []fileEntry{{rel: name, abs: root, size: st.Size()}}, true, nil
	}
	if !st.IsDir() {
		return nil, false, fmt.Errorf("model path %s is neither a file nor a directory", root)
	}
	var out []fileEntry
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == root {
			return nil
		}
		relOS, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		rel := filepath.ToSlash(relOS)
		if !utf8.ValidString(rel) {
			return fmt.Errorf("path %q is not valid UTF-8 and cannot be signed", rel)
		}
		if ignore.match(rel) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			return fmt.Errorf("%s is a symbolic link; symlinks are not allowed in a signed model", rel)
		case d.IsDir():
			return nil
		case !d.Type().IsRegular():
			return fmt.Errorf("%s is not a regular file", rel)
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if len(out) >= maxFiles {
			return fmt.Errorf("model has more than %d files", maxFiles)
		}
		out = append(out, fileEntry{rel: rel, abs: p, size: info.Size()})
		return nil
	})
	if err != nil {
		return nil, false, fmt.Errorf("enumerating %s: %w", root, err)
	}
	return out, false, nil
}

// buildIgnore combines the defaults with the given entries and returns the
// set plus the sorted list to record.
func buildIgnore(extra []string) (ignoreSet, []string, error) {
	set := ignoreSet{}
	for _, p := range DefaultIgnore {
		set[p] = struct{}{}
	}
	for _, p := range extra {
		c, err := canonicalIgnore(p)
		if err != nil {
			return nil, nil, err
		}
		set[c] = struct{}{}
	}
	list := make([]string, 0, len(set))
	for p := range set {
		list = append(list, p)
	}
	slices.Sort(list)
	return set, list, nil
}

type job struct {
	entry      fileEntry
	start, end int64
	sharded    bool
	idx        int
}

// Hash enumerates and hashes the model at root in parallel: files (or shards
// of files) are spread over Workers goroutines.
func Hash(ctx context.Context, root string, o HashOptions) (*Manifest, error) {
	method := o.Method
	if method == "" {
		method = MethodFiles
	}
	if method != MethodFiles && method != MethodShards {
		return nil, fmt.Errorf("unknown serialization method %q (want files or shards)", method)
	}
	shard := o.ShardSize
	if method == MethodShards {
		if shard == 0 {
			shard = DefaultShardSize
		}
		if shard < 0 {
			return nil, fmt.Errorf("shard size must be positive, got %d", shard)
		}
	} else {
		shard = 0
	}
	set, list, err := buildIgnore(o.IgnorePaths)
	if err != nil {
		return nil, err
	}
	files, single, err := enumerate(root, set)
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("model %s has no files to sign after exclusions", root)
	}
	var jobs []job
	for _, f := range files {
		if method == MethodFiles {
			jobs = append(jobs, job{entry: f, end: f.size})
			continue
		}
		for s := int64(0); s < f.size; s += shard {
			jobs = append(jobs, job{entry: f, start: s, end: min(s+shard, f.size), sharded: true})
		}
	}
	for i := range jobs {
		jobs[i].idx = i
	}
	res := make([]Resource, len(jobs))
	if err := runJobs(ctx, jobs, o.Workers, func(j job) error {
		d, err := hashRange(ctx, j.entry.abs, j.start, j.end, !j.sharded)
		if err != nil {
			return err
		}
		name := j.entry.rel
		if j.sharded {
			name = fmt.Sprintf("%s:%d:%d", j.entry.rel, j.start, j.end)
		}
		res[j.idx] = Resource{Name: name, Algorithm: "sha256", Digest: d}
		return nil
	}); err != nil {
		return nil, err
	}
	slices.SortFunc(res, func(a, b Resource) int { return strings.Compare(a.Name, b.Name) })
	return &Manifest{
		Resources:  res,
		SingleFile: single,
		Serialization: Serialization{
			Method: method, HashType: "sha256", ShardSize: shard, AllowSymlinks: false, IgnorePaths: list,
		},
	}, nil
}

func runJobs(ctx context.Context, jobs []job, workers int, fn func(job) error) error {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, len(jobs))
	ch := make(chan job)
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
	)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range ch {
				if err := fn(j); err != nil {
					once.Do(func() { first = err; cancel() })
				}
			}
		}()
	}
	for _, j := range jobs {
		select {
		case ch <- j:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	close(ch)
	wg.Wait()
	if first != nil {
		return first
	}
	return ctx.Err()
}

// ctxReader stops a long hash when the context is cancelled.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// hashRange returns the hex sha256 of bytes [start,end) of the file; with
// whole set it hashes the file to its end and checks it did not change size.
func hashRange(ctx context.Context, name string, start, end int64, whole bool) (string, error) {
	f, err := os.Open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	var r io.Reader = io.NewSectionReader(f, start, end-start)
	if whole {
		r = f
	}
	buf := make([]byte, 1<<20)
	n, err := io.CopyBuffer(h, ctxReader{ctx, r}, buf)
	if err != nil {
		return "", fmt.Errorf("hashing %s: %w", name, err)
	}
	if n != end-start {
		return "", fmt.Errorf("hashing %s: read %d bytes, expected %d (file changed while hashing)", name, n, end-start)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// RootDigest is the subject digest: sha256 over the raw resource digests in
// name order.
func RootDigest(res []Resource) (string, error) {
	h := sha256.New()
	for _, r := range res {
		b, err := hex.DecodeString(r.Digest)
		if err != nil {
			return "", fmt.Errorf("resource %s: digest is not hex: %w", r.Name, err)
		}
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// shardPath splits "name:start:end" into its file name and range.
func shardPath(name string) (file string, start, end int64, ok bool) {
	i := strings.LastIndexByte(name, ':')
	if i <= 0 {
		return "", 0, 0, false
	}
	j := strings.LastIndexByte(name[:i], ':')
	if j <= 0 {
		return "", 0, 0, false
	}
	s, err1 := strconv.ParseInt(name[j+1:i], 10, 64)
	e, err2 := strconv.ParseInt(name[i+1:], 10, 64)
	if err1 != nil || err2 != nil || s < 0 || e <= s {
		return "", 0, 0, false
	}
	return name[:j], s, e, true
}
