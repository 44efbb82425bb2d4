// Package discover inventories AI assets (SDKs and frameworks, LLM endpoints
// and model names, model files, Hugging Face model folders, datasets, MCP
// servers, cloud AI resources and model-serving workloads) in directory
// trees and reports posture findings mapped to MITRE ATLAS and OWASP.
//
// One walker feeds files to parallel workers; each file goes to the
// catalogers interested in it (by name, then by content); IaC resources are
// grouped per directory and checked together at the end.
package discover

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/aigis-dev/aigis/internal/discover/iac"
	"github.com/aigis-dev/aigis/internal/finding"
)

// Asset kinds.
const (
	KindSDK          = "sdk"              // AI SDK or framework dependency / import
	KindEndpoint     = "llm-endpoint"     // LLM API host referenced in code or config
	KindModelName    = "model-name"       // model id referenced in code or config
	KindModelFile    = "model-file"       // model artifact recognised by content
	KindHFModel      = "hf-model"         // Hugging Face model folder
	KindDataset      = "dataset"          // training or evaluation data
	KindMCPServer    = "mcp-server"       // MCP server configured for a client
	KindCloudAI      = "cloud-ai"         // cloud AI service declared in IaC
	KindModelServing = "model-serving"    // model-serving workload (Kubernetes)
	KindModelDeploy  = "model-deployment" // model deployment declared in IaC
)

// Asset is one inventoried AI asset.
type Asset struct {
	Kind       string            `json:"kind"`
	Name       string            `json:"name"`
	Version    string            `json:"version,omitempty"`
	File       string            `json:"file,omitempty"`
	Line       int               `json:"line,omitempty"`
	Evidence   string            `json:"evidence,omitempty"`
	Properties map[string]string `json:"properties,omitempty"`
}

// Warning names a file the scan could not fully read; the scan goes on.
type Warning struct {
	File    string `json:"file"`
	Message string `json:"message"`
}

// Stats counts what the walk saw.
type Stats struct {
	Files        int64 `json:"files"`
	Bytes        int64 `json:"bytes"`
	SkippedDirs  int64 `json:"skipped_dirs"`
	SkippedFiles int64 `json:"skipped_files"`
}

// Result is the outcome of a scan.
type Result struct {
	Assets   []Asset           `json:"assets"`
	Findings []finding.Finding `json:"findings"`
	Warnings []Warning         `json:"warnings,omitempty"`
	Stats    Stats             `json:"stats"`
}

// Classification is what a DataClassifier says about a text sample.
type Classification struct {
	Label    string   // sensitivity label, e.g. public, internal, confidential, restricted
	Entities []string // entity types found (EMAIL_ADDRESS, US_SSN, ...)
}

// DataClassifier classifies dataset samples (the guard DLP engine fits).
type DataClassifier interface {
	Classify(ctx context.Context, sample string) (Classification, error)
}

// ModelVerdict is what a ModelScanner says about a model file.
type ModelVerdict struct {
	Format   string
	Verdict  string // e.g. safe, suspicious, malicious
	Findings []finding.Finding
}

// ModelScanner inspects a model artifact without loading it (internal/modelscan fits).
type ModelScanner interface {
	ScanModel(ctx context.Context, path string) (ModelVerdict, error)
}

// Options configure a Scanner. Zero values mean the defaults.
type Options struct {
	IncludeDeps  bool           // walk node_modules, vendor, .venv, site-packages, ...
	NoGitignore  bool           // do not honour .gitignore files
	MaxFileSize  int64          // bytes read from a text file (default 4 MiB); larger files are only sniffed
	MaxHashSize  int64          // model files larger than this get no sha256 (default 8 GiB)
	Workers      int            // default GOMAXPROCS
	Host         bool           // also read user-level MCP client configs under HomeDir
	HomeDir      string         // default os.UserHomeDir()
	Classifier   DataClassifier // optional
	ModelScanner ModelScanner   // optional
}

// Scanner runs discovery scans. It is safe for concurrent use.
type Scanner struct {
	opts   Options
	checks []iac.Check
	pre    *prefilter
}

// New returns a Scanner with defaults filled in.
func New(opts Options) *Scanner {
	if opts.MaxFileSize <= 0 {
		opts.MaxFileSize = 4 << 20
	}
	if opts.MaxHashSize <= 0 {
		opts.MaxHashSize = 8 << 30
	}
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	return &Scanner{opts: opts, checks: iac.Checks(), pre: newPrefilter()}
}

// collector gathers results from workers.
type collector struct {
	mu       sync.Mutex
	res      Result
	tfByDir  map[string][]*iac.TerraformFile
	resByDir map[string][]iac.Resource
	hfDirs   map[string]*hfInfo
}

func (c *collector) asset(a Asset) {
	c.mu.Lock()
	c.res.Assets = append(c.res.Assets, a)
	c.mu.Unlock()
}

func (c *collector) finding(f finding.Finding) {
	if f.ATLAS == nil {
		f.ATLAS = []string{}
	}
	if f.OWASP == nil {
		f.OWASP = []string{}
	}
	if f.Equivalents == nil {
		f.Equivalents = []string{}
	}
	c.mu.Lock()
	c.res.Findings = append(c.res.Findings, f)
	c.mu.Unlock()
}

func (c *collector) warn(file, format string, a ...any) {
	c.mu.Lock()
	c.res.Warnings = append(c.res.Warnings, Warning{File: file, Message: fmt.Sprintf(format, a...)})
	c.mu.Unlock()
}

// Scan walks roots (files or directories) and returns the inventory and
// findings. Paths in the result are relative to the root they were found
// under, slash-separated (prefixed by the root when several roots are given).
// It returns an error only when a root cannot be read at all or ctx ends.
func (s *Scanner) Scan(ctx context.Context, roots ...string) (*Result, error) {
	if len(roots) == 0 {
		roots = []string{"."}
	}
	c := &collector{tfByDir: map[string][]*iac.TerraformFile{}, resByDir: map[string][]iac.Resource{}, hfDirs: map[string]*hfInfo{}}
	jobs := make(chan fileJob, 256)
	var wg sync.WaitGroup
	for i := 0; i < s.opts.Workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := newWorker(s, c)
			for j := range jobs {
				if ctx.Err() != nil {
					continue
				}
				w.process(ctx, j)
			}
		}()
	}
	var walkErr error
	for _, root := range roots {
		prefix := ""
		if len(roots) > 1 {
			prefix = filepath.ToSlash(filepath.Clean(root)) + "/"
		}
		if err := s.walk(ctx, root, prefix, jobs, c); err != nil {
			walkErr = errors.Join(walkErr, err)
		}
	}
	close(jobs)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("discover scan cancelled: %w", err)
	}
	if walkErr != nil && c.res.Stats.Files == 0 {
		return nil, walkErr
	}
	if walkErr != nil {
		c.warn("", "%v", walkErr)
	}
	if s.opts.Host {
		s.scanHost(ctx, c)
	}
	s.finishIaC(c)
	s.finishHF(c)
	res := c.res
	sortResult(&res)
	return &res, nil
}

// finishIaC resolves Terraform modules and runs the IaC checks per directory.
func (s *Scanner) finishIaC(c *collector) {
	dirs := map[string]bool{}
	for d := range c.tfByDir {
		dirs[d] = true
	}
	for d := range c.resByDir {
		dirs[d] = true
	}
	for d := range dirs {
		files := c.tfByDir[d]
		sort.Slice(files, func(i, j int) bool { return tfPath(files[i]) < tfPath(files[j]) })
		rs := append(iac.TerraformModule(files), c.resByDir[d]...)
		set := &iac.Set{Resources: rs}
		for _, f := range iac.Evaluate(s.checks, set) {
			c.finding(f)
		}
		for _, ar := range iac.AIResources(rs) {
			kind := KindCloudAI
			if ar.Format == iac.Kubernetes && ar.Service != "KServe" {
				kind = KindModelServing
			}
			if strings.HasSuffix(ar.Type, "_deployment") || strings.HasSuffix(ar.Type, "/deployments") {
				kind = KindModelDeploy
			}
			props := map[string]string{"service": ar.Service, "type": ar.Type, "format": ar.Format, "resource": ar.Address()}
			for k, v := range ar.Props {
				props[k] = v
			}
			version := props["model.version"]
			if version == "" {
				version = props["properties.model.version"]
			}
			c.asset(Asset{Kind: kind, Name: ar.Address(), Version: version, File: ar.File, Line: ar.Line, Evidence: ar.Service, Properties: props})
		}
	}
}

func tfPath(f *iac.TerraformFile) string { return f.Path() }

func sortResult(r *Result) {
	sort.SliceStable(r.Assets, func(i, j int) bool {
		a, b := r.Assets[i], r.Assets[j]
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		return a.Version < b.Version
	})
	r.Assets = dedupAssets(r.Assets)
	sort.SliceStable(r.Findings, func(i, j int) bool {
		a, b := r.Findings[i], r.Findings[j]
		if a.Severity != b.Severity {
			return a.Severity > b.Severity
		}
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.ID != b.ID {
			return a.ID < b.ID
		}
		return a.Resource < b.Resource
	})
	sort.SliceStable(r.Warnings, func(i, j int) bool { return r.Warnings[i].File < r.Warnings[j].File })
	if r.Assets == nil {
		r.Assets = []Asset{}
	}
	if r.Findings == nil {
		r.Findings = []finding.Finding{}
	}
}

func dedupAssets(as []Asset) []Asset {
	out := as[:0]
	seen := map[string]bool{}
	for _, a := range as {
		k := a.Kind + "\x00" + a.Name + "\x00" + a.Version + "\x00" + a.File + "\x00" + fmt.Sprint(a.Line)
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, a)
	}
	return out
}

func homeDir(o Options) string {
	if o.HomeDir != "" {
		return o.HomeDir
	}
	h, _ := os.UserHomeDir()
	return h
}
