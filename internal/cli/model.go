package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/aigis-dev/aigis/internal/finding"
	"github.com/aigis-dev/aigis/internal/modelscan"
	"github.com/aigis-dev/aigis/internal/report"
)

// newModelCmd groups the model-artifact commands: scan, sign, verify.
func newModelCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "model",
		Short: "Scan model artifacts without loading them; sign and verify them",
	}
	cmd.AddCommand(newModelScanCmd(), newModelSignCmd(), newModelVerifyCmd())
	return cmd
}

func newModelScanCmd() *cobra.Command {
	var (
		format, failOn, allowFile string
		allow                     []string
		hash                      bool
		fileTimeout               time.Duration
	)
	cmd := &cobra.Command{
		Use:   "scan PATH...",
		Short: "Scan model files, folders and archives for code execution and tampering",
		Long: `Scan model artifacts (pickle, PyTorch, joblib, NumPy, Keras, TensorFlow SavedModel,
TFLite, ONNX, safetensors, GGUF, tokenizer chat templates; zip/tar/gzip/7z archives and
bzip2/zlib/xz/lzma/lz4 streams) without loading or executing them. Formats are
recognised by content.

Verdicts: clean, suspicious, malicious, error (could not be analysed; never clean).
Exit codes: 0 nothing at or above --fail-on; 2 a verdict at or above --fail-on;
1 usage or I/O errors, or a file that could not be analysed.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			threshold := modelscan.VerdictRank(failOn)
			if failOn != modelscan.VerdictSuspicious && failOn != modelscan.VerdictMalicious {
				return &ExitError{Code: 1, Err: fmt.Errorf("--fail-on %q: want suspicious or malicious", failOn)}
			}
			switch format {
			case "table", "json", "sarif":
			default:
				return &ExitError{Code: 1, Err: fmt.Errorf("--format %q: want table, json or sarif", format)}
			}
			if allowFile != "" {
				extra, err := modelscan.LoadAllowlist(allowFile)
				if err != nil {
					return &ExitError{Code: 1, Err: err}
				}
				allow = append(allow, extra...)
			}
			if fileTimeout < 0 {
				return &ExitError{Code: 1, Err: fmt.Errorf("--file-timeout %v: want a positive duration", fileTimeout)}
			}
			s := modelscan.New(modelscan.Options{Allow: allow, Hash: hash, MaxFileTime: fileTimeout})
			var results []modelscan.FileResult
			var ioErrs []error
			for _, p := range args {
				rs, err := s.ScanPath(cmd.Context(), p)
				results = append(results, rs...)
				if err != nil {
					ioErrs = append(ioErrs, err)
				}
			}
			out := cmd.OutOrStdout()
			var err error
			switch format {
			case "json":
				err = writeModelJSON(out, results)
			case "sarif":
				var fs []finding.Finding
				for _, r := range results {
					fs = append(fs, r.AsFindings()...)
				}
				err = report.SARIF(out, report.Tool{Name: "aigis model scan", Version: Version, InformationURI: "https://github.com/aigis-dev/aigis"}, fs)
			default:
				err = writeModelTable(out, results)
			}
			if err != nil {
				return &ExitError{Code: 1, Err: fmt.Errorf("write report: %w", err)}
			}
			worst, errored := 0, 0
			for _, r := range results {
				if v := modelscan.VerdictRank(r.Verdict); v > worst && r.Verdict != modelscan.VerdictError {
					worst = v
				}
				if r.Verdict == modelscan.VerdictError {
					errored++
				}
			}
			if worst >= threshold {
				return &ExitError{Code: 2, Err: fmt.Errorf("verdict %s at or above --fail-on %s", rankName(worst), failOn)}
			}
			if len(ioErrs) > 0 {
				return &ExitError{Code: 1, Err: errors.Join(ioErrs...)}
			}
			if errored > 0 {
				return &ExitError{Code: 1, Err: fmt.Errorf("%d file(s) could not be analysed (verdict error): they are not known to be safe", errored)}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&format, "format", "table", "output format: table, json or sarif")
	f.StringVar(&failOn, "fail-on", "malicious", "exit 2 when a verdict is at or above this: suspicious or malicious")
	f.StringSliceVar(&allow, "allow", nil, "extra allowlisted pickle global (module.name or module.*); repeatable")
	f.StringVar(&allowFile, "allowlist", "", "YAML file with extra allowlisted globals (allow: [module.name, ...])")
	f.BoolVar(&hash, "hash", true, "compute the SHA-256 of every file (a full read; --hash=false scans faster)")
	f.DurationVar(&fileTimeout, "file-timeout", 10*time.Minute, "time limit for analysing one file, archive members included (hashing not counted); over it the verdict is error")
	return cmd
}

func rankName(r int) string {
	for _, v := range []string{modelscan.VerdictClean, modelscan.VerdictSuspicious, modelscan.VerdictError, modelscan.VerdictMalicious} {
		if modelscan.VerdictRank(v) == r {
			return v
		}
	}
	return "unknown"
}

type modelJSONFinding struct {
	Rule     string `json:"rule"`
	Severity string `json:"severity"`
	Detail   string `json:"detail"`
	Offset   int64  `json:"offset"`
}

type modelJSONFile struct {
	Path     string             `json:"path"`
	Format   string             `json:"format"`
	Verdict  string             `json:"verdict"`
	SHA256   string             `json:"sha256"`
	Size     int64              `json:"size"`
	Error    string             `json:"error,omitempty"`
	Findings []modelJSONFinding `json:"findings"`
}

func writeModelJSON(w io.Writer, results []modelscan.FileResult) error {
	doc := struct {
		Files []modelJSONFile `json:"files"`
	}{Files: []modelJSONFile{}}
	for _, r := range results {
		f := modelJSONFile{Path: r.Path, Format: r.Format, Verdict: r.Verdict, SHA256: r.SHA256, Size: r.Size, Error: r.Error, Findings: []modelJSONFinding{}}
		for _, x := range r.Findings {
			f.Findings = append(f.Findings, modelJSONFinding(x))
		}
		doc.Files = append(doc.Files, f)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

func writeModelTable(w io.Writer, results []modelscan.FileResult) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "VERDICT\tFORMAT\tPATH\tTOP FINDING")
	counts := map[string]int{}
	for _, r := range results {
		counts[r.Verdict]++
		top := ""
		best := -1
		for _, f := range r.Findings {
			sev, err := finding.ParseSeverity(f.Severity)
			if err == nil && int(sev) > best {
				best, top = int(sev), f.Severity+": "+f.Detail
			}
		}
		if r.Error != "" && (top == "" || best < int(finding.High)) {
			top = "error: " + r.Error
		}
		if len(top) > 160 {
			top = top[:157] + "..."
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", strings.ToUpper(r.Verdict), r.Format, r.Path, top)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\n%d files: %d malicious, %d suspicious, %d error, %d clean\n", len(results),
		counts[modelscan.VerdictMalicious], counts[modelscan.VerdictSuspicious], counts[modelscan.VerdictError], counts[modelscan.VerdictClean])
	return err
}
