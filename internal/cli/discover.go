package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/aigis-dev/aigis/guard"
	"github.com/aigis-dev/aigis/internal/discover"
	"github.com/aigis-dev/aigis/internal/discover/render"
	"github.com/aigis-dev/aigis/internal/finding"
	"github.com/aigis-dev/aigis/internal/modelscan"
	"github.com/aigis-dev/aigis/internal/report"
)

func newDiscoverCmd() *cobra.Command {
	var (
		format, failOn, baseline, output string
		includeDeps, host, noGitignore   bool
		noDLP, noModelScan, listRules    bool
		workers                          int
		maxFileSize                      int64
	)
	cmd := &cobra.Command{
		Use:   "discover [PATH ...]",
		Short: "Inventory AI assets (AI-BOM) and report AI posture findings",
		Long: `Walk directories and inventory AI assets: SDKs and frameworks, LLM endpoints and
model names, model files (by content), Hugging Face model folders, datasets,
MCP server configs and cloud AI resources in IaC (Terraform, ARM, Bicep,
CloudFormation, Kubernetes). Report posture findings mapped to MITRE ATLAS and
OWASP (LLM 2025, Agentic 2026, MCP) with Checkov / Azure Policy equivalents.

Exit codes: 0 ok; 2 a finding at or above --fail-on; 1 any error (bad flags,
unreadable baseline, unknown format).`,
		RunE: func(cmd *cobra.Command, args []string) error {
			out := cmd.OutOrStdout()
			if output != "" {
				f, err := os.Create(output)
				if err != nil {
					return fmt.Errorf("create output file: %w", err)
				}
				defer f.Close()
				out = f
			}
			if listRules {
				return render.Rules(out, format)
			}
			opts := discover.Options{IncludeDeps: includeDeps, NoGitignore: noGitignore, Host: host, Workers: workers, MaxFileSize: maxFileSize}
			if !noDLP {
				if e, err := guard.New(guard.DefaultPolicy()); err == nil {
					opts.Classifier = guardClassifier{e}
				} else {
					fmt.Fprintln(cmd.ErrOrStderr(), "aigis: DLP guard unavailable, using the built-in dataset classifier:", err)
				}
			}
			if !noModelScan {
				opts.ModelScanner = modelScanAdapter{modelscan.New(modelscan.Options{})}
			}
			var min finding.Severity
			if failOn != "" {
				s, err := finding.ParseSeverity(failOn)
				if err != nil {
					return &ExitError{Code: 1, Err: fmt.Errorf("--fail-on: %w", err)}
				}
				min = s
			}
			res, err := discover.New(opts).Scan(cmd.Context(), args...)
			if err != nil {
				return err
			}
			if baseline != "" {
				b, err := discover.LoadBaseline(baseline)
				if err != nil {
					return &ExitError{Code: 1, Err: err}
				}
				res.Findings = b.New(res.Findings)
			}
			for _, w := range res.Warnings {
				fmt.Fprintf(cmd.ErrOrStderr(), "aigis: warning: %s: %s\n", orDash(w.File), w.Message)
			}
			meta := render.Meta{ToolVersion: Version, Subject: strings.Join(args, " "), Timestamp: time.Now()}
			if err := render.Write(out, format, res, meta); err != nil {
				if errors.Is(err, render.ErrUnknownFormat) {
					return &ExitError{Code: 1, Err: err}
				}
				return err
			}
			if failOn != "" && report.FailOn(res.Findings, min) {
				return &ExitError{Code: 2, Err: fmt.Errorf("findings at or above %s", min)}
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&format, "format", "f", "table", "output: table, json, sarif, cyclonedx, markdown")
	fl.StringVar(&failOn, "fail-on", "", "exit 2 when a finding has this severity or higher (info, low, medium, high, critical)")
	fl.StringVar(&baseline, "baseline", "", "a previous --format json report: report only findings not in it")
	fl.StringVarP(&output, "output", "o", "", "write the report to this file instead of stdout")
	fl.BoolVar(&includeDeps, "include-deps", false, "also walk node_modules, vendor, .venv, site-packages, .git, ...")
	fl.BoolVar(&host, "host", false, "also read user-level MCP configs (Claude Desktop/Code, Cursor, Windsurf, VS Code, Gemini CLI, ...)")
	fl.BoolVar(&noGitignore, "no-gitignore", false, "do not honour .gitignore files")
	fl.BoolVar(&noDLP, "no-dlp", false, "classify datasets with the built-in patterns instead of the guard DLP engine")
	fl.BoolVar(&noModelScan, "no-model-scan", false, "do not run the model scanner on model files found")
	fl.BoolVar(&listRules, "list-rules", false, "print the posture checks (table or json) and exit")
	fl.IntVar(&workers, "workers", 0, "parallel file workers (default: GOMAXPROCS)")
	fl.Int64Var(&maxFileSize, "max-file-size", 0, "bytes read from one text file (default 4 MiB)")
	return cmd
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// guardClassifier adapts the guard DLP engine to discover.DataClassifier.
type guardClassifier struct{ e *guard.Engine }

func (g guardClassifier) Classify(ctx context.Context, sample string) (discover.Classification, error) {
	r := g.e.Inspect(ctx, sample, guard.InspectOptions{Direction: guard.Input})
	seen := map[string]bool{}
	var ents []string
	for _, f := range r.Findings {
		if !seen[f.Type] {
			seen[f.Type] = true
			ents = append(ents, f.Type)
		}
	}
	sort.Strings(ents)
	label := r.MaxLabel()
	if label == "" {
		label = guard.LabelPublic
	}
	return discover.Classification{Label: label, Entities: ents}, nil
}

// modelScanAdapter adapts the model scanner to discover.ModelScanner.
type modelScanAdapter struct{ s *modelscan.Scanner }

func (m modelScanAdapter) ScanModel(ctx context.Context, path string) (discover.ModelVerdict, error) {
	r := m.s.ScanFile(ctx, path)
	if r.Error != "" && r.Verdict == modelscan.VerdictError {
		return discover.ModelVerdict{}, errors.New(r.Error)
	}
	v := discover.ModelVerdict{Format: r.Format, Verdict: r.Verdict}
	for _, f := range r.Findings {
		sev, _ := finding.ParseSeverity(f.Severity)
		v.Findings = append(v.Findings, finding.Finding{ID: f.Rule, Title: f.Detail, Severity: sev})
	}
	return v, nil
}
