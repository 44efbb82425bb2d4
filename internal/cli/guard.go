package cli

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/aigis-dev/aigis/guard"
	"github.com/aigis-dev/aigis/guard/injection"
	"github.com/aigis-dev/aigis/guard/orgpatterns"
)

// Exit codes of `aigis guard`.
const (
	guardExitBlocked  = 2 // at least one text was blocked
	guardExitRedacted = 3 // at least one text was redacted, none blocked
)

// maxGuardInputBytes bounds a whole (non-JSONL) input.
const maxGuardInputBytes = 64 << 20

// newGuardCmd builds `aigis guard`: inspect text for PII, secrets,
// organisation patterns and prompt injection.
func newGuardCmd() *cobra.Command {
	var (
		policyFile   string
		direction    string
		mode         string
		asJSON       bool
		asJSONL      bool
		maxLineBytes int
	)
	cmd := &cobra.Command{
		Use:   "guard [FILE|-]",
		Short: "Inspect text for PII, secrets, organisation data and prompt injection",
		Long: `Inspect text (a file, or stdin with - or no argument) and print the verdict,
the findings (type, detector, code-point span, score, label) and the redacted text.
Findings never include the matched values.

With --jsonl each input line is {"id", "text", "mode"?} and each output line is
{"id", "verdict", "labels", "findings": [{"type","detector","start","end","score"}],
"redacted", "injection": {"detected","score","signals"}}; a line that cannot be
decoded yields {"id": null, "error": "..."} and processing continues.

Without --policy every detector runs at its default threshold, every finding is
masked and reported, and prompt-injection detection runs at balanced on input.

Exit codes: 0 every text allowed; 1 error (bad flags, policy, unreadable input,
or an undecodable JSONL line); 2 at least one text blocked; 3 at least one text
redacted and none blocked.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if asJSON && asJSONL {
				return errors.New("--json and --jsonl are exclusive")
			}
			dir := guard.Direction(direction)
			if dir != guard.Input && dir != guard.Output {
				return fmt.Errorf("--direction %q: want input or output", direction)
			}
			md := injection.Mode(mode)
			if md != injection.ModeUser && md != injection.ModeDocument {
				return fmt.Errorf("--mode %q: want user or document", mode)
			}
			pol := guard.DefaultPolicy()
			if policyFile != "" {
				b, err := readFileLimited(policyFile, guard.MaxPolicyBytes)
				if err != nil {
					return fmt.Errorf("read policy: %w", err)
				}
				if pol, err = guard.ParsePolicy(b); err != nil {
					return err
				}
			}
			eng, err := guard.New(pol)
			if err != nil {
				return err
			}
			in := cmd.InOrStdin()
			if len(args) == 1 && args[0] != "-" {
				f, err := os.Open(args[0])
				if err != nil {
					return fmt.Errorf("open input: %w", err)
				}
				defer f.Close()
				in = f
			}
			opts := guard.InspectOptions{Direction: dir, Mode: md}
			out := cmd.OutOrStdout()
			var worst guard.Verdict
			if asJSONL {
				var bad int
				worst, bad, err = guardJSONL(cmd, eng, in, out, opts, maxLineBytes)
				if err != nil {
					return err
				}
				if bad > 0 {
					return &ExitError{Code: 1, Err: fmt.Errorf("%d input line(s) could not be decoded", bad)}
				}
			} else {
				b, err := io.ReadAll(io.LimitReader(in, maxGuardInputBytes+1))
				if err != nil {
					return fmt.Errorf("read input: %w", err)
				}
				if len(b) > maxGuardInputBytes {
					return fmt.Errorf("input exceeds %d bytes; split it or use --jsonl", maxGuardInputBytes)
				}
				res := eng.Inspect(cmd.Context(), string(b), opts)
				worst = res.Verdict
				if asJSON {
					enc := json.NewEncoder(out)
					enc.SetEscapeHTML(false)
					enc.SetIndent("", "  ")
					if err := enc.Encode(res); err != nil {
						return err
					}
				} else if err := printGuardResult(out, res); err != nil {
					return err
				}
			}
			switch worst {
			case guard.Block:
				return &ExitError{Code: guardExitBlocked}
			case guard.Redact:
				return &ExitError{Code: guardExitRedacted}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&policyFile, "policy", "", "guard policy YAML (default: every detector, mask, injection at balanced)")
	f.StringVar(&direction, "direction", "input", "input (to the model) or output (from the model)")
	f.StringVar(&mode, "mode", "user", "default injection mode: user or document")
	f.BoolVar(&asJSON, "json", false, "print the result as JSON")
	f.BoolVar(&asJSONL, "jsonl", false, "read and write JSON lines")
	f.IntVar(&maxLineBytes, "max-line-bytes", guard.MaxBatchLineBytes, "longest accepted JSONL input line")
	cmd.AddCommand(newGuardEDMCmd(), newGuardEvalCmd())
	return cmd
}

func guardJSONL(cmd *cobra.Command, eng *guard.Engine, in io.Reader, out io.Writer, opts guard.InspectOptions, maxLine int) (guard.Verdict, int, error) {
	rd := bufio.NewReaderSize(in, 64<<10)
	w := bufio.NewWriter(out)
	defer w.Flush()
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	worst := guard.Allow
	bad := 0
	lineNo := 0
	for {
		line, tooLong, err := readLine(rd, maxLine)
		if err == io.EOF && len(line) == 0 && !tooLong {
			break
		}
		if err != nil && err != io.EOF {
			return worst, bad, fmt.Errorf("read input line %d: %w", lineNo+1, err)
		}
		lineNo++
		var rec any
		if tooLong {
			bad++
			rec = guardLineError{ID: nil, Error: fmt.Sprintf("line %d exceeds %d bytes", lineNo, maxLine)}
		} else if len(trimSpace(line)) == 0 {
			if err == io.EOF {
				break
			}
			continue
		} else if it, derr := guard.DecodeBatchLine(line); derr != nil {
			bad++
			rec = guardLineError{ID: nil, Error: fmt.Sprintf("line %d: %v", lineNo, derr)}
		} else {
			o := opts
			if it.Mode != "" {
				o.Mode = it.Mode
			}
			res := eng.Inspect(cmd.Context(), it.Text, o)
			rec = guard.NewBatchResult(it.ID, res)
			if res.Verdict == guard.Block || res.Verdict == guard.Redact && worst == guard.Allow {
				worst = res.Verdict
			}
		}
		if err := enc.Encode(rec); err != nil {
			return worst, bad, fmt.Errorf("write output: %w", err)
		}
		if err == io.EOF {
			break
		}
	}
	return worst, bad, nil
}

// guardLineError is the output line for an input line that could not be decoded.
type guardLineError struct {
	ID    any    `json:"id"`
	Error string `json:"error"`
}

// readLine reads one '\n'-terminated line of at most max bytes; a longer line
// is consumed and reported with tooLong.
func readLine(rd *bufio.Reader, max int) (line []byte, tooLong bool, err error) {
	for {
		chunk, isPrefix, e := rd.ReadLine()
		if !tooLong {
			if len(line)+len(chunk) > max {
				tooLong = true
				line = nil
			} else {
				line = append(line, chunk...)
			}
		}
		if e != nil {
			return line, tooLong, e
		}
		if !isPrefix {
			return line, tooLong, nil
		}
	}
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t' || b[0] == '\r') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

func printGuardResult(w io.Writer, r guard.Result) error {
	fmt.Fprintf(w, "verdict: %s\n", r.Verdict)
	if len(r.Labels) > 0 {
		fmt.Fprintf(w, "labels: %v\n", r.Labels)
	}
	for _, reason := range r.Reasons {
		fmt.Fprintf(w, "reason: %s\n", reason)
	}
	if r.Injection != nil {
		fmt.Fprintf(w, "injection: detected=%t score=%.3f signals=%v\n", r.Injection.Detected, r.Injection.Score, r.Injection.Signals)
	}
	if len(r.Findings) > 0 {
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "TYPE\tDETECTOR\tSTART\tEND\tSCORE\tLABEL\tACTION")
		for _, f := range r.Findings {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%.2f\t%s\t%s\n", f.Type, f.Detector, f.Start, f.End, f.Score, f.Label, f.Action)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	fmt.Fprintln(w, "---")
	_, err := fmt.Fprintln(w, r.Redacted)
	return err
}

func readFileLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s exceeds %d bytes", path, limit)
	}
	return b, nil
}

// newGuardEDMCmd builds `aigis guard edm build`.
func newGuardEDMCmd() *cobra.Command {
	edm := &cobra.Command{
		Use:   "edm",
		Short: "Exact data match: build salted-hash indexes of sensitive values",
	}
	var inPath, outPath string
	build := &cobra.Command{
		Use:   "build --in values.txt --out edm.json",
		Short: "Hash one value per line (normalized, salted) into an EDM index; no plaintext is stored",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if inPath == "" || outPath == "" {
				return errors.New("--in and --out are required")
			}
			in, err := os.Open(inPath)
			if err != nil {
				return fmt.Errorf("open values: %w", err)
			}
			defer in.Close()
			tmp := outPath + ".tmp"
			out, err := os.OpenFile(tmp, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
			if err != nil {
				return fmt.Errorf("create index: %w", err)
			}
			n, err := orgpatterns.BuildEDM(in, out)
			if cerr := out.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				os.Remove(tmp)
				return err
			}
			if err := os.Rename(tmp, outPath); err != nil {
				return fmt.Errorf("write index: %w", err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "indexed %d distinct values into %s\n", n, outPath)
			return nil
		},
	}
	build.Flags().StringVar(&inPath, "in", "", "file with one sensitive value per line")
	build.Flags().StringVar(&outPath, "out", "", "index file to write (JSON, salted SHA-256 hashes)")
	edm.AddCommand(build)
	return edm
}
