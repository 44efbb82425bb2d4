package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/aigis-dev/aigis/internal/config"
	"github.com/aigis-dev/aigis/internal/gateway/guardengine"
)

func newConfigCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Work with aigis configuration files",
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "validate FILE",
		Short: "Check a configuration file: exit 0 when valid, 1 with one error per line on stderr",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := config.LoadWith(args[0], config.Options{CheckPolicy: guardengine.CheckPolicy})
			if err != nil {
				var es config.Errors
				if errors.As(err, &es) {
					for _, e := range es {
						fmt.Fprintln(cmd.ErrOrStderr(), e.Error())
					}
					return &ExitError{Code: 1}
				}
				return &ExitError{Code: 1, Err: err}
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "%s: ok\n", args[0])
			return err
		},
	})
	return cmd
}
