package discover

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
)

// depDirs are dependency, vendored and tool folders skipped unless
// Options.IncludeDeps.
var depDirs = map[string]bool{
	"node_modules": true, "vendor": true, ".venv": true, "venv": true, "site-packages": true,
	"dist-packages": true, ".git": true, "__pycache__": true, ".tox": true, "bower_components": true,
	".terraform": true, ".mypy_cache": true, ".pytest_cache": true, ".gradle": true, ".hg": true, ".svn": true,
	"jspm_packages": true, ".yarn": true, ".pnpm-store": true, ".cache": true,
}

const (
	maxWalkDepth    = 128
	maxGitignore    = 1 << 20
	maxEntriesInDir = 1 << 20
)

type fileJob struct {
	abs  string
	rel  string // slash path used in results
	size int64
}

type walker struct {
	s        *Scanner
	c        *collector
	jobs     chan<- fileJob
	prefix   string
	rootReal string
	visited  map[string]bool
}

func (s *Scanner) walk(ctx context.Context, root, prefix string, jobs chan<- fileJob, c *collector) error {
	st, err := os.Stat(root)
	if err != nil {
		return fmt.Errorf("discover: cannot read %s: %w", root, err)
	}
	if !st.IsDir() {
		atomic.AddInt64(&c.res.Stats.Files, 1)
		atomic.AddInt64(&c.res.Stats.Bytes, st.Size())
		rel := prefix + filepath.Base(root)
		if prefix == "" {
			rel = filepath.ToSlash(filepath.Base(root))
		}
		select {
		case jobs <- fileJob{abs: root, rel: rel, size: st.Size()}:
		case <-ctx.Done():
		}
		return nil
	}
	real, err := filepath.EvalSymlinks(root)
	if err != nil {
		real = root
	}
	w := &walker{s: s, c: c, jobs: jobs, prefix: prefix, rootReal: real, visited: map[string]bool{}}
	var rules []ignoreRule
	if !s.opts.NoGitignore {
		rules = outerIgnoreRules(root)
	}
	w.dir(ctx, root, real, "", rules, 0)
	return nil
}

// dir walks one directory; real is its path with symlinks resolved (the
// key for loop detection), computed only when a link was followed.
func (w *walker) dir(ctx context.Context, abs, real, rel string, rules []ignoreRule, depth int) {
	if ctx.Err() != nil {
		return
	}
	if depth > maxWalkDepth {
		w.c.warn(w.prefix+rel, "directory nesting deeper than %d: not descended", maxWalkDepth)
		return
	}
	if w.visited[real] {
		w.c.warn(w.prefix+rel, "directory already visited (symlink loop or duplicate link): skipped")
		return
	}
	w.visited[real] = true
	f, err := os.Open(abs)
	if err != nil {
		w.c.warn(w.prefix+rel, "cannot open directory: %v", err)
		return
	}
	entries, err := f.ReadDir(maxEntriesInDir)
	f.Close()
	if err != nil && err != io.EOF {
		w.c.warn(w.prefix+rel, "cannot list directory: %v", err)
	}
	if !w.s.opts.NoGitignore && hasEntry(entries, ".gitignore") {
		if data, err := readBounded(filepath.Join(abs, ".gitignore"), maxGitignore); err == nil {
			rules = append(rules[:len(rules):len(rules)], parseGitignore(rel, data)...)
		}
	}
	for _, e := range entries {
		name := e.Name()
		childAbs := filepath.Join(abs, name)
		childRel := name
		if rel != "" {
			childRel = rel + "/" + name
		}
		typ := e.Type()
		isDir := e.IsDir()
		childReal := filepath.Join(real, name)
		var size int64 = -1
		if typ&os.ModeSymlink != 0 {
			st, err := os.Stat(childAbs)
			if err != nil {
				w.c.warn(w.prefix+childRel, "broken symlink: %v", err)
				continue
			}
			target, err := filepath.EvalSymlinks(childAbs)
			if err != nil || !within(target, w.rootReal) {
				atomic.AddInt64(&w.c.res.Stats.SkippedFiles, 1)
				continue // never leave the scanned tree through a link
			}
			childReal = target
			isDir = st.IsDir()
			if !isDir && !st.Mode().IsRegular() {
				continue
			}
			size = st.Size()
		} else if !isDir && !typ.IsRegular() {
			continue // devices, sockets, pipes
		}
		if isDir {
			if !w.s.opts.IncludeDeps && depDirs[name] {
				atomic.AddInt64(&w.c.res.Stats.SkippedDirs, 1)
				continue
			}
			if ignored(rules, childRel, true) {
				atomic.AddInt64(&w.c.res.Stats.SkippedDirs, 1)
				continue
			}
			w.dir(ctx, childAbs, childReal, childRel, rules, depth+1)
			continue
		}
		if ignored(rules, childRel, false) {
			atomic.AddInt64(&w.c.res.Stats.SkippedFiles, 1)
			continue
		}
		if size < 0 {
			info, err := e.Info()
			if err != nil {
				continue
			}
			size = info.Size()
		}
		atomic.AddInt64(&w.c.res.Stats.Files, 1)
		atomic.AddInt64(&w.c.res.Stats.Bytes, size)
		select {
		case w.jobs <- fileJob{abs: childAbs, rel: w.prefix + childRel, size: size}:
		case <-ctx.Done():
			return
		}
	}
}

func within(p, root string) bool {
	if p == root {
		return true
	}
	return strings.HasPrefix(p, strings.TrimSuffix(root, string(filepath.Separator))+string(filepath.Separator))
}

// readBounded reads at most max bytes of a file; an error when it is larger.
func readBounded(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, max)
	}
	return data, nil
}

// hasEntry reports whether a directory listing holds name (saves an open
// per directory that has no .gitignore).
func hasEntry(entries []os.DirEntry, name string) bool {
	for _, e := range entries {
		if e.Name() == name {
			return true
		}
	}
	return false
}
