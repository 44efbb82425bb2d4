package discover

import (
	"bytes"
	"context"
	"io"
	"path"
	"path/filepath"
	"strings"

	"github.com/aigis-dev/aigis/internal/discover/iac"
)

const sniffSize = 64 << 10 // bytes read first from every file

type worker struct {
	s   *Scanner
	c   *collector
	buf []byte
	low []byte
}

func newWorker(s *Scanner, c *collector) *worker {
	return &worker{s: s, c: c, buf: make([]byte, 0, sniffSize)}
}

// sourceExts are files scanned line by line for imports, endpoints, model
// names, keys and code checks (after the prefilter).
var sourceExts = map[string]string{
	".py": "python", ".pyi": "python", ".ipynb": "notebook",
	".js": "js", ".mjs": "js", ".cjs": "js", ".ts": "js", ".tsx": "js", ".jsx": "js", ".mts": "js", ".cts": "js",
	".go": "go", ".java": "java", ".kt": "java", ".scala": "java", ".cs": "csharp",
	".rb": "other", ".rs": "other", ".php": "other", ".swift": "other", ".sh": "other", ".ps1": "other",
	".yaml": "config", ".yml": "config", ".json": "config", ".toml": "config", ".ini": "config", ".cfg": "config",
	".conf": "config", ".properties": "config", ".env": "config", ".tf": "config", ".bicep": "config", ".tfvars": "config",
}

func (w *worker) process(ctx context.Context, j fileJob) {
	f, err := openScanFile(j.abs)
	if err != nil {
		w.c.warn(j.rel, "cannot open: %v", err)
		return
	}
	defer f.Close()
	head := w.buf[:0]
	n, err := io.ReadFull(f, head[:min(cap(head), sniffSize)])
	head = head[:n]
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		w.c.warn(j.rel, "cannot read: %v", err)
		return
	}
	name := path.Base(j.rel)
	lower := strings.ToLower(name)
	ext := path.Ext(lower)
	if lower == ".env" || strings.HasPrefix(lower, ".env.") {
		ext = ".env"
	}

	if format := sniffModel(head, lower, j.size); format != "" {
		w.modelFile(ctx, j, f, head, format)
		return
	}
	if isDatasetFile(j.rel, ext) || bytes.HasPrefix(head, []byte("PAR1")) {
		w.dataset(ctx, j, head, ext)
		if ext != ".json" {
			return
		}
	}
	if looksBinary(head) {
		if isManifest(lower) || isMCPConfigPath(j.rel) || ext == ".tf" || ext == ".bicep" {
			w.c.warn(j.rel, "binary content in a file named like a manifest or config: not parsed")
		}
		return
	}
	interesting := isManifest(lower) || sourceExts[ext] != "" || isMCPConfigPath(j.rel) || ext == ".template" ||
		lower == "dockerfile" || lower == "readme.md" || lower == "config.json"
	if !interesting {
		return
	}
	data := head
	if int64(n) < j.size {
		if j.size > w.s.opts.MaxFileSize {
			if isManifest(lower) || isIaCExt(ext) || isMCPConfigPath(j.rel) {
				w.c.warn(j.rel, "file is larger than %d bytes: not parsed", w.s.opts.MaxFileSize)
			}
			// still scan the first part for signals
		} else {
			// read the rest into the worker's reusable buffer, sized from
			// the stat (+1 byte, to notice a file that grew meanwhile)
			want := int(j.size) + 1
			if cap(head) < want {
				grown := make([]byte, n, want+want/4)
				copy(grown, head)
				head = grown
			}
			m, err := io.ReadFull(f, head[n:want])
			if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
				w.c.warn(j.rel, "cannot read: %v", err)
				return
			}
			data = head[:n+m]
		}
	}
	w.buf = data[:0] // keep the grown buffer
	complete := int64(len(data)) >= j.size

	if isManifest(lower) && complete {
		w.manifest(j.rel, lower, data)
	}
	if isMCPConfigPath(j.rel) && complete {
		w.mcpConfig(j.rel, data, "repository")
	}
	if complete {
		w.iac(j.rel, lower, ext, data)
	}
	if lower == "config.json" || lower == "readme.md" {
		w.hfCandidate(j.rel, lower, data)
	}
	if lang := sourceExts[ext]; lang != "" || lower == "dockerfile" {
		if lang == "" {
			lang = "config"
		}
		w.code(j.rel, lang, data)
	}
}

func isIaCExt(ext string) bool {
	switch ext {
	case ".tf", ".bicep", ".json", ".yaml", ".yml", ".template":
		return true
	}
	return false
}

// looksBinary reports a NUL byte in the first 8 KiB.
func looksBinary(b []byte) bool {
	return bytes.IndexByte(b[:min(len(b), 8192)], 0) >= 0
}

// iac parses IaC files; parse errors become warnings naming the file.
func (w *worker) iac(rel, lower, ext string, data []byte) {
	dir := path.Dir(rel)
	switch ext {
	case ".tf":
		tf, err := iac.ParseTerraform(rel, data)
		if err != nil {
			w.c.warn(rel, "%v", err)
			return
		}
		w.c.mu.Lock()
		w.c.tfByDir[dir] = append(w.c.tfByDir[dir], tf)
		w.c.mu.Unlock()
		return
	case ".bicep":
		rs, err := iac.ParseBicep(rel, data)
		if err != nil {
			w.c.warn(rel, "%v", err)
		}
		w.addResources(dir, rs)
		return
	case ".json", ".template":
		if !iac.JSONWorthParsing(data) {
			return
		}
		rs, err := iac.ParseJSON(rel, data)
		if err != nil {
			w.c.warn(rel, "%v", err) // its top-level keys said ARM, CloudFormation or Kubernetes
			return
		}
		w.addResources(dir, rs)
	case ".yaml", ".yml":
		if !bytes.Contains(data, []byte("Resources:")) && !bytes.Contains(data, []byte("apiVersion:")) && !bytes.Contains(data, []byte("AWSTemplateFormatVersion")) {
			return
		}
		rs, err := iac.ParseYAML(rel, data)
		if err != nil {
			w.c.warn(rel, "%v", err)
		}
		w.addResources(dir, rs)
	}
}

func (w *worker) addResources(dir string, rs []iac.Resource) {
	if len(rs) == 0 {
		return
	}
	w.c.mu.Lock()
	w.c.resByDir[dir] = append(w.c.resByDir[dir], rs...)
	w.c.mu.Unlock()
}

func relJoin(dir, name string) string {
	if dir == "." || dir == "" {
		return name
	}
	return filepath.ToSlash(path.Join(dir, name))
}
