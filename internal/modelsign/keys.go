package modelsign

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
)

// maxPEMSize bounds key and certificate files.
const maxPEMSize = 1 << 20

// ParsePrivateKey reads a PEM private key: PKCS#8, SEC 1 EC or raw Ed25519 in PKCS#8.
func ParsePrivateKey(data []byte) (crypto.Signer, error) {
	if len(data) > maxPEMSize {
		return nil, errors.New("private key file too large")
	}
	for rest := data; ; {
		var blk *pem.Block
		blk, rest = pem.Decode(rest)
		if blk == nil {
			return nil, errors.New("no PEM private key found")
		}
		switch blk.Type {
		case "PRIVATE KEY":
			k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
			if err != nil {
				return nil, fmt.Errorf("parsing PKCS#8 key: %w", err)
			}
			return checkSigner(k)
		case "EC PRIVATE KEY":
			k, err := x509.ParseECPrivateKey(blk.Bytes)
			if err != nil {
				return nil, fmt.Errorf("parsing EC key: %w", err)
			}
			return checkSigner(k)
		case "ENCRYPTED PRIVATE KEY":
			return nil, errors.New("encrypted private keys are not supported: decrypt it first (openssl pkcs8)")
		}
	}
}

func checkSigner(k any) (crypto.Signer, error) {
	switch v := k.(type) {
	case *ecdsa.PrivateKey:
		if _, _, err := ecParams(&v.PublicKey); err != nil {
			return nil, err
		}
		return v, nil
	case ed25519.PrivateKey:
		return v, nil
	default:
		return nil, fmt.Errorf("unsupported key type %T: use ECDSA P-256/P-384/P-521 or Ed25519", k)
	}
}

// ParsePublicKey reads a PEM "PUBLIC KEY" (SPKI).
func ParsePublicKey(data []byte) (crypto.PublicKey, error) {
	if len(data) > maxPEMSize {
		return nil, errors.New("public key file too large")
	}
	blk, _ := pem.Decode(data)
	if blk == nil || blk.Type != "PUBLIC KEY" {
		return nil, errors.New("no PEM PUBLIC KEY found")
	}
	k, err := x509.ParsePKIXPublicKey(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parsing public key: %w", err)
	}
	switch v := k.(type) {
	case *ecdsa.PublicKey:
		if _, _, err := ecParams(v); err != nil {
			return nil, err
		}
	case ed25519.PublicKey:
	default:
		return nil, fmt.Errorf("unsupported public key type %T", k)
	}
	return k, nil
}

// ParseCertificates reads every PEM CERTIFICATE block.
func ParseCertificates(data []byte) ([]*x509.Certificate, error) {
	if len(data) > maxPEMSize {
		return nil, errors.New("certificate file too large")
	}
	var out []*x509.Certificate
	for rest := data; ; {
		var blk *pem.Block
		blk, rest = pem.Decode(rest)
		if blk == nil {
			break
		}
		if blk.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parsing certificate: %w", err)
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, errors.New("no PEM CERTIFICATE found")
	}
	return out, nil
}

// ecParams returns the hash and Sigstore key-details name for an EC key.
func ecParams(k *ecdsa.PublicKey) (crypto.Hash, string, error) {
	switch k.Curve {
	case elliptic.P256():
		return crypto.SHA256, "PKIX_ECDSA_P256_SHA_256", nil
	case elliptic.P384():
		return crypto.SHA384, "PKIX_ECDSA_P384_SHA_384", nil
	case elliptic.P521():
		return crypto.SHA512, "PKIX_ECDSA_P521_SHA_512", nil
	}
	return 0, "", fmt.Errorf("unsupported curve %s", k.Curve.Params().Name)
}

func digest(h crypto.Hash, msg []byte) []byte {
	switch h {
	case crypto.SHA384:
		s := sha512.Sum384(msg)
		return s[:]
	case crypto.SHA512:
		s := sha512.Sum512(msg)
		return s[:]
	default:
		s := sha256.Sum256(msg)
		return s[:]
	}
}

// sign signs msg: ECDSA over the curve's hash (ASN.1 DER), Ed25519 pure.
func sign(s crypto.Signer, msg []byte) ([]byte, error) {
	switch k := s.(type) {
	case *ecdsa.PrivateKey:
		h, _, _ := ecParams(&k.PublicKey)
		return ecdsa.SignASN1(rand.Reader, k, digest(h, msg))
	case ed25519.PrivateKey:
		return ed25519.Sign(k, msg), nil
	}
	return nil, fmt.Errorf("unsupported signer %T", s)
}

// verifySig checks sig over msg. hashOverride, when non-zero, replaces the
// curve's default hash (v0.2.0 bundles hash with SHA-256 on P-384).
func verifySig(pub crypto.PublicKey, msg, sig []byte, hashOverride crypto.Hash) error {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		h, _, err := ecParams(k)
		if err != nil {
			return err
		}
		if hashOverride != 0 {
			h = hashOverride
		}
		if !ecdsa.VerifyASN1(k, digest(h, msg), sig) {
			return errors.New("signature does not verify with the given key")
		}
		return nil
	case ed25519.PublicKey:
		if !ed25519.Verify(k, msg, sig) {
			return errors.New("signature does not verify with the given key")
		}
		return nil
	}
	return fmt.Errorf("unsupported public key %T", pub)
}

// keyDetails names the key for a bundle's publicKey.keyDetails.
func keyDetails(pub crypto.PublicKey) string {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		_, d, _ := ecParams(k)
		return d
	case ed25519.PublicKey:
		return "PKIX_ED25519"
	}
	return ""
}

// PublicKeyPEM encodes pub as PEM SPKI text.
func PublicKeyPEM(pub crypto.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

// KeyHint is the OMS key fingerprint: sha256 hex of the PEM SPKI text.
func KeyHint(pub crypto.PublicKey) (string, error) {
	p, err := PublicKeyPEM(pub)
	if err != nil {
		return "", err
	}
	s := sha256.Sum256(p)
	return hex.EncodeToString(s[:]), nil
}

func samePublicKey(a, b crypto.PublicKey) bool {
	type equaler interface{ Equal(crypto.PublicKey) bool }
	e, ok := a.(equaler)
	return ok && e.Equal(b)
}
