// Package cli builds the aigis command line. One file per command; flag
// parsing and output only, the logic lives in the packages it calls.
package cli

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

// Version is set at build time with -ldflags "-X github.com/aigis-dev/aigis/internal/cli.Version=...".
var Version = "dev"

// ExitError carries a specific exit code out of a command (for --fail-on and
// verdict-driven exit codes). Its message, if any, is printed to stderr.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

// NewRoot returns the aigis root command wired to the given streams.
func NewRoot(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:           "aigis",
		Short:         "aigis: discover, protect and detect for AI systems",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.AddCommand(
		newServeCmd(),
		newMockLLMCmd(),
		newKeysCmd(),
		newAuditCmd(),
		newConfigCmd(),
		newGuardCmd(),
		newDiscoverCmd(),
		newModelCmd(),
		newVersionCmd(),
	)
	return root
}

// Main runs the CLI and returns the process exit code: 0 success, the code of
// an ExitError, 1 for any other error (printed to stderr).
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := NewRoot(stdin, stdout, stderr)
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return 0
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		if ee.Err != nil {
			fmt.Fprintln(stderr, "aigis:", ee.Err)
		}
		return ee.Code
	}
	fmt.Fprintln(stderr, "aigis:", err)
	return 1
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the aigis version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintln(cmd.OutOrStdout(), "aigis", Version)
			return err
		},
	}
}

// notYet is a placeholder body for commands still being built.
func notYet(name string) *cobra.Command {
	return &cobra.Command{
		Use:   name,
		Short: name + " (not built yet)",
		RunE: func(*cobra.Command, []string) error {
			return fmt.Errorf("%s is not available in this build", name)
		},
	}
}
