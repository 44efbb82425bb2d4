package modelsign

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"
)

// SignOptions configure Sign.
type SignOptions struct {
	Hash HashOptions
	// Key signs the statement.
	Key crypto.Signer
	// CertificateChain, when set, makes a certificate-method bundle: the leaf
	// (whose key must be Key's public key) first, then intermediates.
	CertificateChain []*x509.Certificate
	// SubjectName overrides the subject name (default: the model path's basename).
	SubjectName string
}

// Sign hashes the model at root and returns the bundle JSON to write as model.sig.
func Sign(ctx context.Context, root string, o SignOptions) ([]byte, *Manifest, error) {
	if o.Key == nil {
		return nil, nil, errors.New("a signing key is required")
	}
	if len(o.CertificateChain) > 0 && !samePublicKey(o.Key.Public(), o.CertificateChain[0].PublicKey) {
		return nil, nil, errors.New("the first certificate of the chain does not hold the signing key's public key")
	}
	m, err := Hash(ctx, root, o.Hash)
	if err != nil {
		return nil, nil, err
	}
	payload, err := statementJSON(root, o.SubjectName, m)
	if err != nil {
		return nil, nil, err
	}
	sig, err := sign(o.Key, dsse.PAE(PayloadType, payload))
	if err != nil {
		return nil, nil, fmt.Errorf("signing: %w", err)
	}
	b := Bundle{
		MediaType: BundleMediaType,
		DSSEEnvelope: &dsse.Envelope{
			PayloadType: PayloadType,
			Payload:     base64.StdEncoding.EncodeToString(payload),
			Signatures:  []dsse.Signature{{Sig: base64.StdEncoding.EncodeToString(sig)}},
		},
	}
	b.VerificationMaterial.TlogEntries = []json.RawMessage{}
	if len(o.CertificateChain) > 0 {
		chain := &CertificateChain{}
		for _, c := range o.CertificateChain {
			chain.Certificates = append(chain.Certificates, RawBytes{RawBytes: base64.StdEncoding.EncodeToString(c.Raw)})
		}
		b.VerificationMaterial.X509CertificateChain = chain
	} else {
		hint, err := KeyHint(o.Key.Public())
		if err != nil {
			return nil, nil, err
		}
		b.VerificationMaterial.PublicKey = &PublicKeyID{Hint: hint}
	}
	out, err := json.MarshalIndent(b, "", "  ")
	if err != nil {
		return nil, nil, err
	}
	return append(out, '\n'), m, nil
}

func statementJSON(root, subjectName string, m *Manifest) ([]byte, error) {
	rd, err := RootDigest(m.Resources)
	if err != nil {
		return nil, err
	}
	if subjectName == "" {
		subjectName = filepath.Base(filepath.Clean(root))
	}
	pred, err := json.Marshal(Predicate{Resources: m.Resources, Serialization: m.Serialization})
	if err != nil {
		return nil, err
	}
	st := Statement{
		Type:          StatementType,
		Subject:       []Subject{{Name: subjectName, Digest: map[string]string{"sha256": rd}}},
		PredicateType: PredicateType,
		Predicate:     pred,
	}
	return json.MarshalIndent(st, "", "  ")
}
