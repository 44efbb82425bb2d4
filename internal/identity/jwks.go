package identity

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
)

// maxJWKSBytes bounds a JWKS or discovery document.
const maxJWKSBytes = 1 << 20

// maxJWKSKeys bounds the number of keys taken from one JWKS.
const maxJWKSKeys = 100

type jwk struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Use string `json:"use"`
	Alg string `json:"alg"`
	Crv string `json:"crv"`
	N   string `json:"n"`
	E   string `json:"e"`
	X   string `json:"x"`
	Y   string `json:"y"`
	D   string `json:"d"`
}

// publicKey is one verification key from a JWKS.
type publicKey struct {
	kid string
	alg string // "" when the JWK does not pin one
	key crypto.PublicKey
}

// parseJWKS decodes a JWK Set (RFC 7517) into verification keys. Keys that
// are not for signatures, of an unsupported type, or malformed are
// skipped; a set with no usable key is an error. Private key material in
// the set is refused outright: publishing it is a misconfiguration.
func parseJWKS(data []byte) ([]publicKey, error) {
	if len(data) > maxJWKSBytes {
		return nil, fmt.Errorf("jwks is %d bytes, at most %d", len(data), maxJWKSBytes)
	}
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(data, &set); err != nil {
		return nil, fmt.Errorf("decode jwks: %w", err)
	}
	var out []publicKey
	var skipped []error
	for i, raw := range set.Keys {
		if i >= maxJWKSKeys {
			break
		}
		var k jwk
		if err := json.Unmarshal(raw, &k); err != nil {
			skipped = append(skipped, fmt.Errorf("key %d: %w", i, err))
			continue
		}
		if k.D != "" {
			return nil, errors.New("jwks contains private key material (\"d\"); refusing it")
		}
		if k.Use != "" && k.Use != "sig" {
			continue
		}
		pk, err := k.publicKey()
		if err != nil {
			skipped = append(skipped, fmt.Errorf("key %d (kid %q): %w", i, k.Kid, err))
			continue
		}
		out = append(out, publicKey{kid: k.Kid, alg: k.Alg, key: pk})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("jwks has no usable signing key: %w", errors.Join(skipped...))
	}
	return out, nil
}

func b64(field, s string) ([]byte, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", field, err)
	}
	return b, nil
}

func (k jwk) publicKey() (crypto.PublicKey, error) {
	switch k.Kty {
	case "RSA":
		n, err := b64("n", k.N)
		if err != nil {
			return nil, err
		}
		e, err := b64("e", k.E)
		if err != nil {
			return nil, err
		}
		if len(n) < 256 || len(n) > 1024 {
			return nil, fmt.Errorf("rsa modulus of %d bits; want 2048 to 8192", len(n)*8)
		}
		if len(e) == 0 || len(e) > 4 {
			return nil, errors.New("rsa exponent out of range")
		}
		exp := new(big.Int).SetBytes(e)
		if exp.Int64() < 3 || exp.Int64()%2 == 0 {
			return nil, errors.New("rsa exponent must be odd and >= 3")
		}
		return &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(exp.Int64())}, nil
	case "EC":
		var curve elliptic.Curve
		var size int
		switch k.Crv {
		case "P-256":
			curve, size = elliptic.P256(), 32
		case "P-384":
			curve, size = elliptic.P384(), 48
		case "P-521":
			curve, size = elliptic.P521(), 66
		default:
			return nil, fmt.Errorf("unsupported curve %q", k.Crv)
		}
		x, err := b64("x", k.X)
		if err != nil {
			return nil, err
		}
		y, err := b64("y", k.Y)
		if err != nil {
			return nil, err
		}
		if len(x) != size || len(y) != size {
			return nil, fmt.Errorf("%s coordinates must be %d bytes", k.Crv, size)
		}
		// Validate the point through crypto/ecdh-backed parsing of the
		// uncompressed encoding.
		enc := make([]byte, 0, 1+2*size)
		enc = append(enc, 4)
		enc = append(enc, x...)
		enc = append(enc, y...)
		pub, err := ecdsa.ParseUncompressedPublicKey(curve, enc)
		if err != nil {
			return nil, fmt.Errorf("ec point: %w", err)
		}
		return pub, nil
	case "OKP":
		if k.Crv != "Ed25519" {
			return nil, fmt.Errorf("unsupported OKP curve %q", k.Crv)
		}
		x, err := b64("x", k.X)
		if err != nil {
			return nil, err
		}
		if len(x) != ed25519.PublicKeySize {
			return nil, errors.New("ed25519 key must be 32 bytes")
		}
		return ed25519.PublicKey(x), nil
	}
	return nil, fmt.Errorf("unsupported key type %q", k.Kty)
}
