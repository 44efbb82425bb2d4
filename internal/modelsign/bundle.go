package modelsign

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"
)

// Media and predicate types.
const (
	BundleMediaType     = "application/vnd.dev.sigstore.bundle.v0.3+json"
	PayloadType         = "application/vnd.in-toto+json"
	StatementType       = "https://in-toto.io/Statement/v1"
	PredicateType       = "https://model_signing/signature/v1.0"
	LegacyPredicateType = "https://model_signing/Digests/v0.1" // v0.2.0, verify only
)

// maxBundleSize bounds a signature file.
const maxBundleSize = 16 << 20

// Bundle is the Sigstore bundle subset OMS uses.
type Bundle struct {
	MediaType            string               `json:"mediaType"`
	VerificationMaterial VerificationMaterial `json:"verificationMaterial"`
	DSSEEnvelope         *dsse.Envelope       `json:"dsseEnvelope"`
}

// VerificationMaterial carries exactly one of PublicKey, X509CertificateChain
// or Certificate, plus transparency-log data for Sigstore bundles.
type VerificationMaterial struct {
	PublicKey                 *PublicKeyID      `json:"publicKey,omitempty"`
	X509CertificateChain      *CertificateChain `json:"x509CertificateChain,omitempty"`
	Certificate               *RawBytes         `json:"certificate,omitempty"`
	TlogEntries               []json.RawMessage `json:"tlogEntries"`
	TimestampVerificationData json.RawMessage   `json:"timestampVerificationData,omitempty"`
}

// PublicKeyID identifies the key: a hint (v1.1.0+) or the PEM itself (older).
type PublicKeyID struct {
	Hint       string `json:"hint,omitempty"`
	RawBytes   string `json:"rawBytes,omitempty"`
	KeyDetails string `json:"keyDetails,omitempty"`
}

// CertificateChain is leaf first, then intermediates.
type CertificateChain struct {
	Certificates []RawBytes `json:"certificates"`
}

// RawBytes is base64 DER.
type RawBytes struct {
	RawBytes string `json:"rawBytes"`
}

// Statement is an in-toto Statement v1 with the OMS predicate.
type Statement struct {
	Type          string          `json:"_type"`
	Subject       []Subject       `json:"subject"`
	PredicateType string          `json:"predicateType"`
	Predicate     json.RawMessage `json:"predicate"`
}

// Subject names the model and its root digest.
type Subject struct {
	Name        string            `json:"name"`
	Digest      map[string]string `json:"digest"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// Predicate is the OMS v1.0 predicate.
type Predicate struct {
	Resources     []Resource    `json:"resources"`
	Serialization Serialization `json:"serialization"`
}

// Method is how a bundle was signed.
type Method string

// Signing methods.
const (
	MethodKey         Method = "key"
	MethodCertificate Method = "certificate"
	MethodSigstore    Method = "sigstore"
)

// ParseBundle decodes and structurally validates a bundle.
func ParseBundle(data []byte) (*Bundle, Method, error) {
	if len(data) == 0 {
		return nil, "", errors.New("signature file is empty")
	}
	if len(data) > maxBundleSize {
		return nil, "", fmt.Errorf("signature file is larger than %d bytes", maxBundleSize)
	}
	var b Bundle
	dec := json.NewDecoder(strings.NewReader(string(data)))
	if err := dec.Decode(&b); err != nil {
		return nil, "", fmt.Errorf("signature file is not a JSON Sigstore bundle: %w", err)
	}
	if !strings.HasPrefix(b.MediaType, "application/vnd.dev.sigstore.bundle") {
		return nil, "", fmt.Errorf("unsupported bundle mediaType %q", b.MediaType)
	}
	if b.DSSEEnvelope == nil {
		return nil, "", errors.New("bundle has no dsseEnvelope")
	}
	if b.DSSEEnvelope.PayloadType != PayloadType {
		return nil, "", fmt.Errorf("DSSE payloadType %q, want %q", b.DSSEEnvelope.PayloadType, PayloadType)
	}
	if len(b.DSSEEnvelope.Signatures) != 1 {
		return nil, "", fmt.Errorf("bundle has %d signatures, want exactly 1", len(b.DSSEEnvelope.Signatures))
	}
	vm := b.VerificationMaterial
	n := 0
	var m Method
	if vm.PublicKey != nil {
		n++
		m = MethodKey
		if vm.PublicKey.Hint == "" && vm.PublicKey.RawBytes == "" {
			return nil, "", errors.New("publicKey has neither hint nor rawBytes")
		}
	}
	if vm.X509CertificateChain != nil {
		n++
		m = MethodCertificate
		if len(vm.X509CertificateChain.Certificates) == 0 {
			return nil, "", errors.New("x509CertificateChain is empty")
		}
	}
	if vm.Certificate != nil {
		n++
		m = MethodSigstore
		if len(vm.TlogEntries) == 0 {
			return nil, "", errors.New("sigstore bundle has no tlogEntries (a Fulcio certificate requires a transparency log entry)")
		}
	}
	if n != 1 {
		return nil, "", fmt.Errorf("verificationMaterial must hold exactly one of publicKey, x509CertificateChain, certificate (found %d)", n)
	}
	return &b, m, nil
}

// Payload returns the decoded DSSE payload.
func (b *Bundle) Payload() ([]byte, error) {
	p, err := b.DSSEEnvelope.DecodeB64Payload()
	if err != nil {
		return nil, fmt.Errorf("DSSE payload is not base64: %w", err)
	}
	return p, nil
}

// Signature returns the raw signature bytes.
func (b *Bundle) Signature() ([]byte, error) {
	s := b.DSSEEnvelope.Signatures[0].Sig
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		if v, err := enc.DecodeString(s); err == nil {
			return v, nil
		}
	}
	return nil, errors.New("DSSE signature is not base64")
}

// compatPAE reproduces model_signing v0.2.0's pre-authentication encoding:
// "DSSEV1 <len> <type> <len> <python repr of the payload bytes>".
func compatPAE(payloadType string, payload []byte) []byte {
	return fmt.Appendf(nil, "DSSEV1 %d %s %d %s", len(payloadType), payloadType, len(payload), pyBytesRepr(payload))
}

// pyBytesRepr renders b as Python's repr(bytes) does.
func pyBytesRepr(b []byte) string {
	quote := byte('\'')
	if strings.IndexByte(string(b), '\'') >= 0 && strings.IndexByte(string(b), '"') < 0 {
		quote = '"'
	}
	var sb strings.Builder
	sb.WriteString("b")
	sb.WriteByte(quote)
	for _, c := range b {
		switch {
		case c == quote || c == '\\':
			sb.WriteByte('\\')
			sb.WriteByte(c)
		case c == '\t':
			sb.WriteString(`\t`)
		case c == '\n':
			sb.WriteString(`\n`)
		case c == '\r':
			sb.WriteString(`\r`)
		case c < 0x20 || c >= 0x7f:
			fmt.Fprintf(&sb, `\x%02x`, c)
		default:
			sb.WriteByte(c)
		}
	}
	sb.WriteByte(quote)
	return sb.String()
}
