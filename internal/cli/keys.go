package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/aigis-dev/aigis/internal/apikey"
	"github.com/aigis-dev/aigis/internal/store"
)

// adminOpenStore opens the store named by --store, or the default store
// (the one `aigis serve --demo` writes) when the flag is empty.
func adminOpenStore(cmd *cobra.Command, dsn string) (store.Store, error) {
	if dsn == "" {
		var err error
		if dsn, err = store.DefaultDSN(); err != nil {
			return nil, err
		}
	}
	return store.Open(cmd.Context(), dsn)
}

const storeFlagUsage = "store DSN: postgres://..., sqlite://PATH or a file path (default: the demo's SQLite file, see AIGIS_DATA_DIR)"

func newKeysCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "keys",
		Short: "Create, list and revoke gateway API keys",
		Args:  cobra.NoArgs,
	}
	var dsn string
	cmd.PersistentFlags().StringVar(&dsn, "store", "", storeFlagUsage)
	cmd.AddCommand(newKeysCreateCmd(&dsn), newKeysListCmd(&dsn), newKeysRevokeCmd(&dsn))
	return cmd
}

func newKeysCreateCmd(dsn *string) *cobra.Command {
	var (
		name    string
		roles   []string
		expires string
		asJSON  bool
	)
	cmd := &cobra.Command{
		Use:   "create --name NAME --role ROLE [--role ROLE2] [--expires 720h|30d]",
		Short: "Create an API key and print its secret (shown only once)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ttl, err := apikey.ParseTTL(expires)
			if err != nil {
				return &ExitError{Code: 2, Err: err}
			}
			secret, key, err := apikey.Generate(name, roles, ttl)
			if err != nil {
				return &ExitError{Code: 2, Err: err}
			}
			st, err := adminOpenStore(cmd, *dsn)
			if err != nil {
				return err
			}
			defer func() { _ = st.Close() }()
			if err := st.CreateKey(cmd.Context(), key); err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				return enc.Encode(map[string]any{"key": key, "secret": secret})
			}
			exp := "never"
			if key.ExpiresAt != nil {
				exp = key.ExpiresAt.Format(time.RFC3339)
			}
			_, err = fmt.Fprintf(out, "created key %s (%s), roles %s, expires %s\n%s\n\nThe secret is shown only this once; store it now.\n",
				key.ID, key.Name, strings.Join(key.Roles, ","), exp, secret)
			return err
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "key name (who or what uses it)")
	cmd.Flags().StringArrayVar(&roles, "role", nil, "role granted to the key (repeatable)")
	cmd.Flags().StringVar(&expires, "expires", "", "lifetime, e.g. 720h or 30d (default: never expires)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the key and secret as JSON")
	_ = cmd.MarkFlagRequired("name")
	_ = cmd.MarkFlagRequired("role")
	return cmd
}

func newKeysListCmd(dsn *string) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List API keys (never their secrets)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := adminOpenStore(cmd, *dsn)
			if err != nil {
				return err
			}
			defer func() { _ = st.Close() }()
			keys, err := st.ListKeys(cmd.Context())
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				if keys == nil {
					keys = []store.APIKey{}
				}
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				return enc.Encode(keys)
			}
			now := time.Now()
			tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tNAME\tPREFIX\tROLES\tCREATED\tEXPIRES\tSTATUS")
			for _, k := range keys {
				exp := "never"
				if k.ExpiresAt != nil {
					exp = k.ExpiresAt.Format(time.RFC3339)
				}
				status := "active"
				switch {
				case k.RevokedAt != nil:
					status = "revoked " + k.RevokedAt.Format(time.RFC3339)
				case !k.Active(now):
					status = "expired"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s…\t%s\t%s\t%s\t%s\n", k.ID, k.Name, k.Prefix, strings.Join(k.Roles, ","),
					k.CreatedAt.Format(time.RFC3339), exp, status)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newKeysRevokeCmd(dsn *string) *cobra.Command {
	return &cobra.Command{
		Use:   "revoke ID",
		Short: "Revoke an API key (gateways stop accepting it within their key-cache TTL, 2s by default)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := adminOpenStore(cmd, *dsn)
			if err != nil {
				return err
			}
			defer func() { _ = st.Close() }()
			err = st.RevokeKey(cmd.Context(), args[0], time.Now())
			if errors.Is(err, store.ErrNotFound) {
				return &ExitError{Code: 1, Err: fmt.Errorf("no key with id %q (see aigis keys list)", args[0])}
			}
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "revoked key %s\n", args[0])
			return err
		},
	}
}
