package modelsign

import (
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"
)

// VerifyOptions configure Verify. Exactly one trust source applies, chosen by
// the bundle's method: PublicKey for key bundles, Roots for certificate
// bundles (and, for Sigstore bundles, the Fulcio roots when supplied).
type VerifyOptions struct {
	PublicKey    crypto.PublicKey
	PublicKeyPEM []byte // the key file's text, for v1.1.0 key hints
	Roots        []*x509.Certificate
	// RekorKeys are transparency-log public keys, for Sigstore bundles: with
	// them the signed entry timestamp, the entry's binding to the bundle and
	// the inclusion proof are checked. Without them a Sigstore bundle is
	// never trusted (its integration time would be unauthenticated).
	RekorKeys []crypto.PublicKey
	// Identity and Issuer, for Sigstore bundles: the expected certificate
	// subject (email or URI SAN) and OIDC issuer.
	Identity, Issuer string
	// IgnorePaths are extra exact relative paths to exclude.
	IgnorePaths []string
	// SignaturePath is excluded from hashing when it lies inside the model.
	SignaturePath       string
	IgnoreUnsignedFiles bool
	Workers             int
	Now                 func() time.Time
}

// Result says what was verified and what differs.
type Result struct {
	Method        Method   `json:"method"`
	PredicateType string   `json:"predicate_type"`
	Subject       string   `json:"subject"`
	Signer        string   `json:"signer,omitempty"`
	Checked       []string `json:"checked"`
	NotChecked    []string `json:"not_checked,omitempty"`
	Modified      []string `json:"modified,omitempty"`
	Added         []string `json:"added,omitempty"`
	Removed       []string `json:"removed,omitempty"`
	Files         int      `json:"files"`
	// Trusted is true only when the signer was authenticated against the
	// supplied key or roots (false for a Sigstore bundle without its trust root).
	Trusted bool `json:"trusted"`
}

// OK reports whether the signature is trusted and every file matches.
func (r *Result) OK() bool {
	return r.Trusted && len(r.Modified) == 0 && len(r.Added) == 0 && len(r.Removed) == 0
}

// ErrVerification marks a failed signature or statement check (as opposed to
// an I/O problem).
var ErrVerification = errors.New("verification failed")

func vfail(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrVerification, fmt.Sprintf(format, a...))
}

// Verify checks the bundle's signature and the model at root against it.
func Verify(ctx context.Context, root string, bundle []byte, o VerifyOptions) (*Result, error) {
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	b, method, err := ParseBundle(bundle)
	if err != nil {
		return nil, vfail("%v", err)
	}
	res := &Result{Method: method}
	payload, err := b.Payload()
	if err != nil {
		return nil, vfail("%v", err)
	}
	var st Statement
	if err := json.Unmarshal(payload, &st); err != nil {
		return nil, vfail("payload is not an in-toto statement: %v", err)
	}
	if st.Type != StatementType {
		return nil, vfail("statement _type %q, want %q", st.Type, StatementType)
	}
	res.PredicateType = st.PredicateType
	legacy := st.PredicateType == LegacyPredicateType
	if st.PredicateType != PredicateType && !legacy {
		return nil, vfail("predicateType %q is not an OMS model signature", st.PredicateType)
	}
	sig, err := b.Signature()
	if err != nil {
		return nil, vfail("%v", err)
	}
	pae := dsse.PAE(PayloadType, payload)
	var hashOverride crypto.Hash
	if legacy {
		pae = compatPAE(PayloadType, payload)
		hashOverride = crypto.SHA256
	}

	// 1. Who signed, and does the signature hold?
	switch method {
	case MethodKey:
		if err := verifyKeyBundle(b, o, pae, sig, hashOverride, res); err != nil {
			return nil, err
		}
	case MethodCertificate:
		if err := verifyCertBundle(b, o, pae, sig, hashOverride, now(), res); err != nil {
			return nil, err
		}
	case MethodSigstore:
		if err := verifySigstoreBundle(b, o, pae, payload, sig, hashOverride, res); err != nil {
			return nil, err
		}
	}

	// 2. What was signed?
	var want []Resource
	var ser Serialization
	if legacy {
		for _, s := range st.Subject {
			want = append(want, Resource{Name: s.Name, Algorithm: "sha256", Digest: s.Digest["sha256"]})
		}
		ser = Serialization{Method: MethodFiles, HashType: "sha256"}
		res.Subject = "(v0.1 digests)"
	} else {
		var p Predicate
		if err := json.Unmarshal(st.Predicate, &p); err != nil {
			return nil, vfail("predicate is malformed: %v", err)
		}
		if len(st.Subject) != 1 {
			return nil, vfail("statement has %d subjects, want 1", len(st.Subject))
		}
		want, ser = p.Resources, p.Serialization
		res.Subject = st.Subject[0].Name
		rd, err := RootDigest(want)
		if err != nil {
			return nil, vfail("%v", err)
		}
		if got := st.Subject[0].Digest["sha256"]; got != rd {
			return nil, vfail("subject digest %s does not match the resources (%s)", got, rd)
		}
		res.Checked = append(res.Checked, "subject root digest")
	}
	if ser.HashType != "sha256" {
		return nil, vfail("hash_type %q is not supported (sha256 only)", ser.HashType)
	}
	if ser.AllowSymlinks {
		return nil, vfail("allow_symlinks=true is not supported: symlinked models cannot be verified safely")
	}
	for _, r := range want {
		if r.Algorithm != "" && r.Algorithm != "sha256" {
			return nil, vfail("resource %s uses algorithm %q", r.Name, r.Algorithm)
		}
	}

	// 3. Re-hash the model the same way and compare.
	ignore := slices.Clone(ser.IgnorePaths)
	ignore = append(ignore, o.IgnorePaths...)
	if o.SignaturePath != "" {
		if rel, ok := relInside(root, o.SignaturePath); ok {
			ignore = append(ignore, rel)
		}
	}
	m, err := Hash(ctx, root, HashOptions{Method: ser.Method, ShardSize: ser.ShardSize, IgnorePaths: ignore, Workers: o.Workers})
	if err != nil {
		return nil, err
	}
	if m.SingleFile {
		// A single-file model is named "." by older signers and by its base name now.
		for i := range want {
			if want[i].Name == "." {
				want[i].Name = m.Resources[0].Name
			}
		}
	}
	compare(res, want, m.Resources, ser.Method == MethodShards, o.IgnoreUnsignedFiles)
	res.Files = len(m.Resources)
	res.Checked = append(res.Checked, fmt.Sprintf("%d resources re-hashed (%s)", len(want), ser.Method))
	return res, nil
}

func compare(res *Result, want, got []Resource, shards, ignoreUnsigned bool) {
	name := func(n string) string {
		if shards {
			if f, _, _, ok := shardPath(n); ok {
				return f
			}
		}
		return n
	}
	g := make(map[string]string, len(got))
	for _, r := range got {
		g[r.Name] = r.Digest
	}
	w := make(map[string]string, len(want))
	mod, rem, add := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, r := range want {
		w[r.Name] = r.Digest
		d, ok := g[r.Name]
		switch {
		case !ok:
			rem[name(r.Name)] = true
		case !strings.EqualFold(d, r.Digest):
			mod[name(r.Name)] = true
		}
	}
	for _, r := range got {
		if _, ok := w[r.Name]; !ok && !ignoreUnsigned {
			add[name(r.Name)] = true
		}
	}
	// With shards, a file that changed size shows up as added and removed
	// ranges of the same file: report it once, as modified.
	for f := range add {
		if rem[f] {
			mod[f] = true
			delete(add, f)
			delete(rem, f)
		}
	}
	res.Modified, res.Added, res.Removed = sortedKeys(mod), sortedKeys(add), sortedKeys(rem)
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func relInside(root, p string) (string, bool) {
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

func verifyKeyBundle(b *Bundle, o VerifyOptions, pae, sig []byte, h crypto.Hash, res *Result) error {
	if o.PublicKey == nil {
		return vfail("this bundle was signed with a key: pass the public key (--key)")
	}
	pk := b.VerificationMaterial.PublicKey
	if pk.Hint != "" {
		hint, err := KeyHint(o.PublicKey)
		if err != nil {
			return err
		}
		fileHint := ""
		if len(o.PublicKeyPEM) > 0 {
			s := sha256.Sum256(o.PublicKeyPEM)
			fileHint = hex.EncodeToString(s[:])
		}
		if !strings.EqualFold(pk.Hint, hint) && !strings.EqualFold(pk.Hint, fileHint) {
			return vfail("key mismatch: the bundle names key %s, the given key is %s", pk.Hint, hint)
		}
		res.Checked = append(res.Checked, "key hint matches the given key")
	} else {
		raw, err := base64.StdEncoding.DecodeString(pk.RawBytes)
		if err != nil {
			return vfail("publicKey.rawBytes is not base64")
		}
		var embedded crypto.PublicKey
		if k, err := ParsePublicKey(raw); err == nil {
			embedded = k
		} else if k, err := x509.ParsePKIXPublicKey(raw); err == nil {
			embedded = k
		} else {
			return vfail("publicKey.rawBytes holds no usable key")
		}
		if !samePublicKey(embedded, o.PublicKey) {
			return vfail("key mismatch: the bundle's key is not the given key")
		}
		res.Checked = append(res.Checked, "bundle key equals the given key")
	}
	if err := verifySig(o.PublicKey, pae, sig, h); err != nil {
		return vfail("%v", err)
	}
	res.Checked = append(res.Checked, "DSSE signature ("+keyDetails(o.PublicKey)+")")
	res.Signer = "key " + mustHint(o.PublicKey)
	res.Trusted = true
	return nil
}

func mustHint(k crypto.PublicKey) string {
	h, _ := KeyHint(k)
	return h
}

func parseDERChain(certs []RawBytes) ([]*x509.Certificate, error) {
	if len(certs) > 10 {
		return nil, errors.New("certificate chain longer than 10")
	}
	var out []*x509.Certificate
	for i, c := range certs {
		der, err := base64.StdEncoding.DecodeString(c.RawBytes)
		if err != nil {
			return nil, fmt.Errorf("certificate %d is not base64", i)
		}
		x, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, fmt.Errorf("certificate %d: %v", i, err)
		}
		out = append(out, x)
	}
	return out, nil
}

func verifyCertBundle(b *Bundle, o VerifyOptions, pae, sig []byte, h crypto.Hash, now time.Time, res *Result) error {
	if len(o.Roots) == 0 {
		return vfail("this bundle was signed with a certificate: pass the trusted CA certificate(s) (--ca)")
	}
	chain, err := parseDERChain(b.VerificationMaterial.X509CertificateChain.Certificates)
	if err != nil {
		return vfail("%v", err)
	}
	leaf := chain[0]
	roots, inter := x509.NewCertPool(), x509.NewCertPool()
	for _, r := range o.Roots {
		roots.AddCert(r)
	}
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: now, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		return vfail("certificate chain does not lead to the given CA: %v", err)
	}
	res.Checked = append(res.Checked, "certificate chain to the given CA, leaf within its validity period")
	if err := verifySig(leaf.PublicKey, pae, sig, h); err != nil {
		return vfail("%v", err)
	}
	res.Checked = append(res.Checked, "DSSE signature with the leaf certificate's key")
	res.Signer = certName(leaf)
	res.Trusted = true
	return nil
}

// maxTlogEntries bounds the transparency-log entries of one bundle.
const maxTlogEntries = 8

// Fulcio certificate extensions carrying the OIDC issuer.
var (
	oidIssuerV1 = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 1}
	oidIssuerV2 = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 8}
)

func fulcioIssuer(c *x509.Certificate) string {
	for _, e := range c.Extensions {
		if e.Id.Equal(oidIssuerV2) {
			var s string
			if _, err := asn1.Unmarshal(e.Value, &s); err == nil {
				return s
			}
		}
	}
	for _, e := range c.Extensions {
		if e.Id.Equal(oidIssuerV1) {
			return string(e.Value)
		}
	}
	return ""
}

func certIdentities(c *x509.Certificate) []string {
	ids := slices.Clone(c.EmailAddresses)
	for _, u := range c.URIs {
		ids = append(ids, u.String())
	}
	return ids
}

func certName(c *x509.Certificate) string {
	if ids := certIdentities(c); len(ids) > 0 {
		return strings.Join(ids, ",")
	}
	return c.Subject.String()
}

func verifySigstoreBundle(b *Bundle, o VerifyOptions, pae, payload, sig []byte, h crypto.Hash, res *Result) error {
	chain, err := parseDERChain([]RawBytes{*b.VerificationMaterial.Certificate})
	if err != nil {
		return vfail("%v", err)
	}
	leaf := chain[0]
	if err := verifySig(leaf.PublicKey, pae, sig, h); err != nil {
		return vfail("%v", err)
	}
	res.Checked = append(res.Checked, "DSSE signature with the Fulcio certificate's key")
	issuer := fulcioIssuer(leaf)
	res.Signer = certName(leaf) + " (issuer " + issuer + ")"
	if o.Identity != "" {
		if !slices.Contains(certIdentities(leaf), o.Identity) {
			return vfail("certificate identity %v is not %q", certIdentities(leaf), o.Identity)
		}
		res.Checked = append(res.Checked, "certificate identity "+o.Identity)
	}
	if o.Issuer != "" {
		if issuer != o.Issuer {
			return vfail("certificate OIDC issuer %q is not %q", issuer, o.Issuer)
		}
		res.Checked = append(res.Checked, "OIDC issuer "+o.Issuer)
	}
	// The transparency log authenticates when the signature was made, which
	// is the time the short-lived Fulcio certificate must be valid at.
	entries := b.VerificationMaterial.TlogEntries
	if len(entries) > maxTlogEntries {
		return vfail("bundle has %d transparency log entries (at most %d)", len(entries), maxTlogEntries)
	}
	var integrated time.Time
	logOK := false
	if len(o.RekorKeys) > 0 {
		for i, raw := range entries {
			r, err := verifyTlogEntry(raw, o.RekorKeys, payload, sig, leaf)
			if err != nil {
				return vfail("transparency log entry %d: %v", i, err)
			}
			if integrated.IsZero() || r.integrated.Before(integrated) {
				integrated = r.integrated
			}
			res.Checked = append(res.Checked, fmt.Sprintf("Rekor entry %d: signed entry timestamp (integrated %s), entry binds this payload, signature and certificate", i, r.integrated.UTC().Format(time.RFC3339)))
			if r.proof {
				res.Checked = append(res.Checked, fmt.Sprintf("Rekor entry %d: inclusion proof to a checkpoint signed by the log", i))
			} else {
				res.NotChecked = append(res.NotChecked, fmt.Sprintf("Rekor entry %d: inclusion proof (none in the bundle; the signed entry timestamp is the log's promise)", i))
			}
		}
		logOK = true
	} else {
		t, err := tlogTime(entries[0])
		if err != nil {
			return vfail("transparency log entry: %v", err)
		}
		integrated = t
		res.NotChecked = append(res.NotChecked,
			"Rekor signed entry timestamp, entry binding and inclusion proof (no log key supplied: pass --rekor-key or --trust-root); the integration time used for the certificate check is unauthenticated")
	}
	chainOK := false
	if len(o.Roots) > 0 {
		roots := x509.NewCertPool()
		inter := x509.NewCertPool()
		for _, r := range o.Roots {
			if r.IsCA && r.Subject.String() == r.Issuer.String() {
				roots.AddCert(r)
			} else {
				inter.AddCert(r)
			}
		}
		if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: integrated, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning}}); err != nil {
			return vfail("Fulcio certificate does not chain to the given roots at the log time %s: %v", integrated.Format(time.RFC3339), err)
		}
		res.Checked = append(res.Checked, "Fulcio certificate chain at the log's integrated time "+integrated.UTC().Format(time.RFC3339))
		chainOK = true
	} else {
		res.NotChecked = append(res.NotChecked, "Fulcio certificate chain (no Sigstore trust root supplied: pass --trust-root, or --ca with the Fulcio root and intermediate)")
	}
	if o.Identity == "" || o.Issuer == "" {
		res.NotChecked = append(res.NotChecked, "signer identity and issuer (pass --identity and --issuer)")
	}
	res.Trusted = chainOK && logOK && o.Identity != "" && o.Issuer != ""
	if len(b.VerificationMaterial.TimestampVerificationData) > 0 && string(b.VerificationMaterial.TimestampVerificationData) != "null" {
		res.NotChecked = append(res.NotChecked, "RFC 3161 timestamps (the Rekor signed entry timestamp is used instead)")
	}
	return nil
}

func tlogTime(raw json.RawMessage) (time.Time, error) {
	var e struct {
		IntegratedTime json.Number `json:"integratedTime"`
	}
	if err := json.Unmarshal(raw, &e); err != nil {
		return time.Time{}, err
	}
	sec, err := e.IntegratedTime.Int64()
	if err != nil || sec <= 0 {
		return time.Time{}, errors.New("no integratedTime")
	}
	return time.Unix(sec, 0), nil
}

// ReadFileLimited reads a small file (keys, certificates, signatures) with a size cap.
func ReadFileLimited(name string, limit int64) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.Size() > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes", name, limit)
	}
	return io.ReadAll(io.LimitReader(f, limit+1))
}
