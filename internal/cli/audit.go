package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/aigis-dev/aigis/internal/audit"
)

func newAuditCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Verify, tail and export the hash-chained audit log",
		Args:  cobra.NoArgs,
	}
	var dsn string
	cmd.PersistentFlags().StringVar(&dsn, "store", "", storeFlagUsage)
	cmd.AddCommand(newAuditVerifyCmd(&dsn), newAuditTailCmd(&dsn), newAuditExportCmd(&dsn))
	return cmd
}

func newAuditVerifyCmd(dsn *string) *cobra.Command {
	var (
		asJSON bool
		head   string
	)
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Check the hash chain; exit 1 and name the events if any was edited, inserted or deleted",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var o audit.VerifyOptions
			if head != "" {
				seq, hash, err := audit.ParseAnchor(head)
				if err != nil {
					return err
				}
				o.AnchorSeq, o.AnchorHash = seq, hash
			}
			st, err := adminOpenStore(cmd, *dsn)
			if err != nil {
				return err
			}
			defer func() { _ = st.Close() }()
			rep, err := audit.VerifyWith(cmd.Context(), st, o)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				if err := enc.Encode(map[string]any{"ok": rep.OK(), "report": rep}); err != nil {
					return err
				}
			} else {
				for _, p := range rep.Problems {
					fmt.Fprintln(out, p.String())
				}
				if rep.Truncated > 0 {
					fmt.Fprintf(out, "... and %d more problems\n", rep.Truncated)
				}
				if rep.OK() {
					fmt.Fprintf(out, "audit chain OK: %d events, head seq %d hash %s\n", rep.Events, rep.HeadSeq, rep.HeadHash)
				} else {
					fmt.Fprintf(out, "audit chain BROKEN: %d problems in %d events\n", len(rep.Problems)+int(rep.Truncated), rep.Events)
				}
			}
			if !rep.OK() {
				return &ExitError{Code: 1}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	cmd.Flags().StringVar(&head, "head", "", "SEQ:HASH of a head recorded earlier (kept outside the database): also detects events deleted at the tail and a chain rewritten up to the head")
	return cmd
}

func newAuditTailCmd(dsn *string) *cobra.Command {
	var (
		n        int
		follow   bool
		interval time.Duration
	)
	cmd := &cobra.Command{
		Use:   "tail [-n N] [--follow]",
		Short: "Print the last events as JSON lines; --follow keeps printing new ones",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if n < 0 {
				return &ExitError{Code: 2, Err: fmt.Errorf("-n must be >= 0")}
			}
			st, err := adminOpenStore(cmd, *dsn)
			if err != nil {
				return err
			}
			defer func() { _ = st.Close() }()
			enc := json.NewEncoder(cmd.OutOrStdout())
			enc.SetEscapeHTML(false)
			head, err := st.LastAudit(cmd.Context())
			if err != nil {
				return err
			}
			after := head.Seq
			var evs []audit.Event
			if n > 0 {
				if evs, err = audit.List(cmd.Context(), st, max(head.Seq-int64(n), 0), n); err != nil {
					return err
				}
			}
			for _, ev := range evs {
				if err := enc.Encode(ev); err != nil {
					return err
				}
			}
			if !follow {
				return nil
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return audit.Follow(ctx, st, after, interval, func(ev audit.Event) error { return enc.Encode(ev) })
		},
	}
	cmd.Flags().IntVarP(&n, "lines", "n", 10, "how many recent events to print")
	cmd.Flags().BoolVarP(&follow, "follow", "f", false, "keep polling for new events")
	cmd.Flags().DurationVar(&interval, "interval", time.Second, "poll interval with --follow")
	return cmd
}

func newAuditExportCmd(dsn *string) *cobra.Command {
	var (
		format  string
		keys    []string
		after   int64
		outPath string
	)
	cmd := &cobra.Command{
		Use:   "export --format jsonl [--decrypt-key [ID:]KEY ...] [--after SEQ] [-o FILE]",
		Short: "Export the audit log as JSON lines, optionally decrypting stored bodies",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if format != "jsonl" {
				return &ExitError{Code: 2, Err: fmt.Errorf("unsupported --format %q: use jsonl", format)}
			}
			opts := audit.ExportOptions{After: after}
			if len(keys) > 0 {
				kr, err := audit.KeyringFromSpecs(keys)
				if err != nil {
					return &ExitError{Code: 2, Err: err}
				}
				opts.Keyring = kr
			}
			st, err := adminOpenStore(cmd, *dsn)
			if err != nil {
				return err
			}
			defer func() { _ = st.Close() }()
			w := cmd.OutOrStdout()
			if outPath != "" && outPath != "-" {
				f, err := os.OpenFile(outPath, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
				if err != nil {
					return fmt.Errorf("open export file: %w", err)
				}
				defer func() { _ = f.Close() }()
				w = f
				n, err := audit.ExportJSONL(cmd.Context(), st, w, opts)
				if err != nil {
					return err
				}
				if err := f.Close(); err != nil {
					return fmt.Errorf("write export file: %w", err)
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "exported %d events to %s\n", n, outPath)
				return nil
			}
			_, err = audit.ExportJSONL(cmd.Context(), st, w, opts)
			return err
		},
	}
	cmd.Flags().StringVar(&format, "format", "jsonl", "output format (jsonl)")
	cmd.Flags().StringArrayVar(&keys, "decrypt-key", nil, "body key as [ID:]KEY (hex or base64 of 32 bytes); repeatable for rotated keys")
	cmd.Flags().Int64Var(&after, "after", 0, "export events after this sequence number")
	cmd.Flags().StringVarP(&outPath, "output", "o", "", "write to FILE (mode 0600) instead of stdout")
	return cmd
}
