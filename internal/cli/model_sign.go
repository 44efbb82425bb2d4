package cli

import (
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/aigis-dev/aigis/internal/modelsign"
)

const maxSmallFile = 16 << 20

// defaultSignaturePath is MODEL/model.sig for a folder and MODEL.sig for a file.
func defaultSignaturePath(model string) string {
	if st, err := os.Stat(model); err == nil && !st.IsDir() {
		return model + ".sig"
	}
	return filepath.Join(model, "model.sig")
}

// ignoreRel turns --ignore-paths values into paths relative to the model
// root: relative values are taken as such; paths that exist under the model
// (e.g. MODEL/ignore-me) are made relative.
func ignoreRel(model string, paths []string) []string {
	out := make([]string, 0, len(paths))
	absModel, _ := filepath.Abs(model)
	for _, p := range paths {
		if ap, err := filepath.Abs(p); err == nil {
			if rel, err := filepath.Rel(absModel, ap); err == nil && !strings.HasPrefix(rel, "..") && rel != "." {
				if _, err := os.Lstat(ap); err == nil {
					out = append(out, filepath.ToSlash(rel))
					continue
				}
			}
		}
		out = append(out, filepath.ToSlash(p))
	}
	return out
}

func newModelSignCmd() *cobra.Command {
	var keyPath, chainPath, sigPath string
	var ignore []string
	var shardSize int64
	var workers int
	cmd := &cobra.Command{
		Use:   "sign MODEL --key PRIVATE.pem [--certificate-chain CHAIN.pem] [--signature model.sig]",
		Short: "Sign a model folder or file (OpenSSF model signing v1.0, Sigstore bundle)",
		Long: `Hashes every file of the model (in parallel) and writes an OpenSSF model-signing
bundle: an in-toto statement listing each file's sha256, signed in a DSSE envelope.
Keys: PEM ECDSA P-256/P-384/P-521 or Ed25519 (PKCS#8 or SEC 1). With
--certificate-chain the bundle carries the chain (leaf first) instead of a key hint.
.git, .gitignore, .gitattributes, .github and the signature file are never signed.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			model := args[0]
			if keyPath == "" {
				return errors.New("--key is required")
			}
			raw, err := modelsign.ReadFileLimited(keyPath, maxSmallFile)
			if err != nil {
				return err
			}
			key, err := modelsign.ParsePrivateKey(raw)
			if err != nil {
				return fmt.Errorf("%s: %w", keyPath, err)
			}
			opts := modelsign.SignOptions{Key: key}
			if chainPath != "" {
				raw, err := modelsign.ReadFileLimited(chainPath, maxSmallFile)
				if err != nil {
					return err
				}
				if opts.CertificateChain, err = modelsign.ParseCertificates(raw); err != nil {
					return fmt.Errorf("%s: %w", chainPath, err)
				}
			}
			if sigPath == "" {
				sigPath = defaultSignaturePath(model)
			}
			ign := ignoreRel(model, ignore)
			if rel, ok := relUnder(model, sigPath); ok {
				ign = append(ign, rel)
			}
			opts.Hash = modelsign.HashOptions{IgnorePaths: ign, Workers: workers}
			if shardSize > 0 {
				opts.Hash.Method, opts.Hash.ShardSize = modelsign.MethodShards, shardSize
			}
			bundle, m, err := modelsign.Sign(cmd.Context(), model, opts)
			if err != nil {
				return err
			}
			if err := os.WriteFile(sigPath, bundle, 0o644); err != nil {
				return fmt.Errorf("writing signature: %w", err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "signed %d resources of %s -> %s\n", len(m.Resources), model, sigPath)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&keyPath, "key", "", "PEM private key (required)")
	f.StringVar(&chainPath, "certificate-chain", "", "PEM certificate chain, signing certificate first")
	f.StringVar(&sigPath, "signature", "", "where to write the bundle (default MODEL/model.sig, or MODEL.sig for a file)")
	f.StringSliceVar(&ignore, "ignore-paths", nil, "paths (relative to the model root) to leave out")
	f.Int64Var(&shardSize, "shard-size", 0, "use shard serialization with this many bytes per shard (0: one digest per file)")
	f.IntVar(&workers, "workers", 0, "parallel hashers (default: number of CPUs)")
	return cmd
}

func relUnder(root, p string) (string, bool) {
	ar, err1 := filepath.Abs(root)
	ap, err2 := filepath.Abs(p)
	if err1 != nil || err2 != nil {
		return "", false
	}
	rel, err := filepath.Rel(ar, ap)
	if err != nil || rel == "." || strings.HasPrefix(rel, "..") {
		return "", false
	}
	return filepath.ToSlash(rel), true
}

func newModelVerifyCmd() *cobra.Command {
	var keyPath, caPath, sigPath, identity, issuer, rekorPath, trustRootPath string
	var ignore []string
	var ignoreUnsigned, asJSON bool
	var workers int
	cmd := &cobra.Command{
		Use:   "verify MODEL --signature model.sig (--key PUBLIC.pem | --ca CA.pem)",
		Short: "Verify a model against its OpenSSF model-signing bundle",
		Long: `Checks the bundle's signature (key, certificate chain or Sigstore), then re-hashes
the model and names every file that was modified, added or removed.
Exit status: 0 when the signer is trusted and every file matches; 1 otherwise.
Sigstore (keyless) bundles are checked offline with the trust material you
supply: --trust-root (a Sigstore trusted_root.json) or --ca (Fulcio root and
intermediate) plus --rekor-key (the Rekor log key). Then the DSSE signature, the
certificate identity (--identity) and OIDC issuer (--issuer), the Rekor signed
entry timestamp, the entry's binding to the bundle, the inclusion proof and its
signed checkpoint, and the Fulcio chain at the logged time are all verified.
Without the Fulcio roots, the log key, --identity or --issuer the bundle is
never trusted (exit 1), and the output lists what was not checked. RFC 3161
timestamps are not checked (the Rekor timestamp is used).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			model := args[0]
			if sigPath == "" {
				sigPath = defaultSignaturePath(model)
			}
			bundle, err := modelsign.ReadFileLimited(sigPath, maxSmallFile)
			if err != nil {
				return fmt.Errorf("reading signature: %w", err)
			}
			o := modelsign.VerifyOptions{SignaturePath: sigPath, IgnorePaths: ignoreRel(model, ignore),
				IgnoreUnsignedFiles: ignoreUnsigned, Identity: identity, Issuer: issuer, Workers: workers}
			if keyPath != "" {
				raw, err := modelsign.ReadFileLimited(keyPath, maxSmallFile)
				if err != nil {
					return err
				}
				if o.PublicKey, err = modelsign.ParsePublicKey(raw); err != nil {
					return fmt.Errorf("%s: %w", keyPath, err)
				}
				o.PublicKeyPEM = raw
			}
			if caPath != "" {
				raw, err := modelsign.ReadFileLimited(caPath, maxSmallFile)
				if err != nil {
					return err
				}
				var roots []*x509.Certificate
				if roots, err = modelsign.ParseCertificates(raw); err != nil {
					return fmt.Errorf("%s: %w", caPath, err)
				}
				o.Roots = roots
			}
			if rekorPath != "" {
				raw, err := modelsign.ReadFileLimited(rekorPath, maxSmallFile)
				if err != nil {
					return err
				}
				if o.RekorKeys, err = modelsign.ParsePublicKeys(raw); err != nil {
					return fmt.Errorf("%s: %w", rekorPath, err)
				}
			}
			if trustRootPath != "" {
				raw, err := modelsign.ReadFileLimited(trustRootPath, maxSmallFile)
				if err != nil {
					return err
				}
				tr, err := modelsign.ParseTrustedRoot(raw)
				if err != nil {
					return fmt.Errorf("%s: %w", trustRootPath, err)
				}
				o.Roots = append(o.Roots, tr.Certificates...)
				o.RekorKeys = append(o.RekorKeys, tr.RekorKeys...)
			}
			res, err := modelsign.Verify(cmd.Context(), model, bundle, o)
			if err != nil {
				return &ExitError{Code: 1, Err: err}
			}
			out := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				if err := enc.Encode(struct {
					*modelsign.Result
					OK bool `json:"ok"`
				}{res, res.OK()}); err != nil {
					return err
				}
			} else {
				fmt.Fprintf(out, "method:  %s\nsigner:  %s\nsubject: %s\n", res.Method, res.Signer, res.Subject)
				for _, c := range res.Checked {
					fmt.Fprintf(out, "checked:     %s\n", c)
				}
				for _, c := range res.NotChecked {
					fmt.Fprintf(out, "NOT checked: %s\n", c)
				}
				for _, p := range res.Modified {
					fmt.Fprintf(out, "MODIFIED: %s\n", p)
				}
				for _, p := range res.Added {
					fmt.Fprintf(out, "ADDED:    %s\n", p)
				}
				for _, p := range res.Removed {
					fmt.Fprintf(out, "REMOVED:  %s\n", p)
				}
			}
			if !res.OK() {
				return &ExitError{Code: 1, Err: errors.New("verification failed")}
			}
			if !asJSON {
				fmt.Fprintf(out, "OK: %d files verified\n", res.Files)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&sigPath, "signature", "", "the bundle (default MODEL/model.sig, or MODEL.sig for a file)")
	f.StringVar(&keyPath, "key", "", "PEM public key, for key-signed bundles")
	f.StringVar(&caPath, "ca", "", "PEM CA certificate(s) the signing certificate must chain to (Fulcio roots for Sigstore bundles)")
	f.StringVar(&rekorPath, "rekor-key", "", "Sigstore: PEM public key(s) of the Rekor transparency log")
	f.StringVar(&trustRootPath, "trust-root", "", "Sigstore: trusted_root.json (Fulcio CAs and Rekor keys)")
	f.StringVar(&identity, "identity", "", "Sigstore: expected certificate identity (email or URI)")
	f.StringVar(&issuer, "issuer", "", "Sigstore: expected OIDC issuer")
	f.StringSliceVar(&ignore, "ignore-paths", nil, "extra paths (relative to the model root) to leave out")
	f.BoolVar(&ignoreUnsigned, "ignore-unsigned-files", false, "do not fail on files that the signature does not list")
	f.BoolVar(&asJSON, "json", false, "print the result as JSON")
	f.IntVar(&workers, "workers", 0, "parallel hashers (default: number of CPUs)")
	return cmd
}
