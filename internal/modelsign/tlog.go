package modelsign

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Transparency-log (Rekor) checks for Sigstore bundles, done offline with the
// log's public key: the signed entry timestamp (which authenticates the
// integration time the Fulcio certificate is checked at), the entry's binding
// to this bundle (payload hash, signature, certificate), and the RFC 6962
// inclusion proof against a checkpoint signed by the same key.

// maxProofHashes bounds an inclusion proof (a tree of 2^64 leaves needs 64).
const maxProofHashes = 64

type tlogEntry struct {
	LogIndex json.Number `json:"logIndex"`
	LogID    struct {
		KeyID string `json:"keyId"`
	} `json:"logId"`
	KindVersion struct {
		Kind    string `json:"kind"`
		Version string `json:"version"`
	} `json:"kindVersion"`
	IntegratedTime   json.Number `json:"integratedTime"`
	InclusionPromise *struct {
		SignedEntryTimestamp string `json:"signedEntryTimestamp"`
	} `json:"inclusionPromise"`
	InclusionProof *struct {
		LogIndex   json.Number `json:"logIndex"`
		RootHash   string      `json:"rootHash"`
		TreeSize   json.Number `json:"treeSize"`
		Hashes     []string    `json:"hashes"`
		Checkpoint struct {
			Envelope string `json:"envelope"`
		} `json:"checkpoint"`
	} `json:"inclusionProof"`
	CanonicalizedBody string `json:"canonicalizedBody"`
}

// dsseLogBody is the Rekor "dsse" v0.0.1 entry body.
type dsseLogBody struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Spec       struct {
		PayloadHash struct {
			Algorithm string `json:"algorithm"`
			Value     string `json:"value"`
		} `json:"payloadHash"`
		Signatures []struct {
			Signature string `json:"signature"`
			Verifier  string `json:"verifier"`
		} `json:"signatures"`
	} `json:"spec"`
}

// LogID is a Rekor log's identifier: the SHA-256 of its key's DER SPKI.
func LogID(pub crypto.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, err
	}
	s := sha256.Sum256(der)
	return s[:], nil
}

// ParsePublicKeys reads every PEM PUBLIC KEY block (e.g. Rekor log keys).
func ParsePublicKeys(data []byte) ([]crypto.PublicKey, error) {
	if len(data) > maxPEMSize {
		return nil, errors.New("public key file too large")
	}
	var out []crypto.PublicKey
	for rest := data; ; {
		var blk *pem.Block
		blk, rest = pem.Decode(rest)
		if blk == nil {
			break
		}
		if blk.Type != "PUBLIC KEY" {
			continue
		}
		k, err := ParsePublicKey(pem.EncodeToMemory(blk))
		if err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	if len(out) == 0 {
		return nil, errors.New("no PEM PUBLIC KEY found")
	}
	return out, nil
}

func verifyWithHash(pub crypto.PublicKey, msg, sig []byte) error {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		if _, _, err := ecParams(k); err != nil {
			return err
		}
		// Rekor signs SETs and checkpoints with ECDSA over SHA-256 whatever the curve.
		s := sha256.Sum256(msg)
		if !ecdsa.VerifyASN1(k, s[:], sig) {
			return errors.New("signature does not verify")
		}
		return nil
	case ed25519.PublicKey:
		if !ed25519.Verify(k, msg, sig) {
			return errors.New("signature does not verify")
		}
		return nil
	}
	return fmt.Errorf("unsupported log key %T", pub)
}

// tlogResult is what a verified log entry establishes.
type tlogResult struct {
	integrated time.Time
	proof      bool // inclusion proof and checkpoint verified
}

// verifyTlogEntry checks one Rekor entry of a Sigstore bundle against the
// given log keys. It fails when the entry is present but wrong; a missing
// inclusion proof is not an error (the SET alone is Rekor's promise).
func verifyTlogEntry(raw json.RawMessage, keys []crypto.PublicKey, payload, sig []byte, leaf *x509.Certificate) (*tlogResult, error) {
	var e tlogEntry
	if err := json.Unmarshal(raw, &e); err != nil {
		return nil, fmt.Errorf("malformed entry: %v", err)
	}
	logID, err := base64.StdEncoding.DecodeString(e.LogID.KeyID)
	if err != nil || len(logID) != sha256.Size {
		return nil, errors.New("logId.keyId is not a base64 SHA-256")
	}
	var key crypto.PublicKey
	for _, k := range keys {
		if id, err := LogID(k); err == nil && bytes.Equal(id, logID) {
			key = k
			break
		}
	}
	if key == nil {
		return nil, fmt.Errorf("entry is from log %s, which is not one of the given log keys", hex.EncodeToString(logID))
	}
	sec, err1 := strconv.ParseInt(e.IntegratedTime.String(), 10, 64)
	idx, err2 := strconv.ParseInt(e.LogIndex.String(), 10, 64)
	if err1 != nil || err2 != nil || sec <= 0 || idx < 0 {
		return nil, errors.New("integratedTime or logIndex missing or not an integer")
	}
	body, err := base64.StdEncoding.DecodeString(e.CanonicalizedBody)
	if err != nil || len(body) == 0 {
		return nil, errors.New("canonicalizedBody is not base64")
	}

	// 1. Signed entry timestamp: Rekor's signature over the canonical JSON
	// {"body","integratedTime","logID","logIndex"} (keys in RFC 8785 order).
	if e.InclusionPromise == nil || e.InclusionPromise.SignedEntryTimestamp == "" {
		return nil, errors.New("no signed entry timestamp (inclusionPromise): the integration time is not authenticated")
	}
	set, err := base64.StdEncoding.DecodeString(e.InclusionPromise.SignedEntryTimestamp)
	if err != nil {
		return nil, errors.New("signedEntryTimestamp is not base64")
	}
	bodyJSON, _ := json.Marshal(e.CanonicalizedBody)
	canon := fmt.Appendf(nil, `{"body":%s,"integratedTime":%d,"logID":"%s","logIndex":%d}`, bodyJSON, sec, hex.EncodeToString(logID), idx)
	if err := verifyWithHash(key, canon, set); err != nil {
		return nil, fmt.Errorf("signed entry timestamp: %v", err)
	}

	// 2. The entry is about this bundle.
	if e.KindVersion.Kind != "dsse" {
		return nil, fmt.Errorf("entry kind %q: only Rekor dsse entries are supported", e.KindVersion.Kind)
	}
	var b dsseLogBody
	if err := json.Unmarshal(body, &b); err != nil || b.Kind != "dsse" {
		return nil, errors.New("entry body is not a Rekor dsse entry")
	}
	ph := sha256.Sum256(payload)
	if b.Spec.PayloadHash.Algorithm != "sha256" || !strings.EqualFold(b.Spec.PayloadHash.Value, hex.EncodeToString(ph[:])) {
		return nil, errors.New("the log entry's payload hash is not this bundle's payload")
	}
	if len(b.Spec.Signatures) != 1 {
		return nil, fmt.Errorf("the log entry holds %d signatures, want 1", len(b.Spec.Signatures))
	}
	es, err := base64.StdEncoding.DecodeString(b.Spec.Signatures[0].Signature)
	if err != nil || !bytes.Equal(es, sig) {
		return nil, errors.New("the log entry's signature is not this bundle's signature")
	}
	vpem, err := base64.StdEncoding.DecodeString(b.Spec.Signatures[0].Verifier)
	if err != nil {
		return nil, errors.New("the log entry's verifier is not base64")
	}
	blk, _ := pem.Decode(vpem)
	if blk == nil || blk.Type != "CERTIFICATE" || !bytes.Equal(blk.Bytes, leaf.Raw) {
		return nil, errors.New("the log entry's verifier is not this bundle's certificate")
	}
	res := &tlogResult{integrated: time.Unix(sec, 0)}

	// 3. Inclusion proof up to a checkpoint signed by the log.
	if p := e.InclusionProof; p != nil {
		pidx, err1 := strconv.ParseInt(p.LogIndex.String(), 10, 64)
		size, err2 := strconv.ParseInt(p.TreeSize.String(), 10, 64)
		root, err3 := base64.StdEncoding.DecodeString(p.RootHash)
		if err1 != nil || err2 != nil || err3 != nil || len(root) != sha256.Size {
			return nil, errors.New("inclusion proof: malformed index, tree size or root hash")
		}
		if len(p.Hashes) > maxProofHashes {
			return nil, errors.New("inclusion proof: too many hashes")
		}
		path := make([][]byte, 0, len(p.Hashes))
		for _, h := range p.Hashes {
			v, err := base64.StdEncoding.DecodeString(h)
			if err != nil || len(v) != sha256.Size {
				return nil, errors.New("inclusion proof: malformed hash")
			}
			path = append(path, v)
		}
		leafHash := sha256.Sum256(append([]byte{0}, body...))
		if err := verifyInclusion(pidx, size, leafHash[:], path, root); err != nil {
			return nil, fmt.Errorf("inclusion proof: %v", err)
		}
		cpSize, cpRoot, err := verifyCheckpoint(p.Checkpoint.Envelope, key, logID)
		if err != nil {
			return nil, fmt.Errorf("checkpoint: %v", err)
		}
		if cpSize != size || !bytes.Equal(cpRoot, root) {
			return nil, errors.New("checkpoint: tree size or root hash differ from the inclusion proof")
		}
		res.proof = true
	}
	return res, nil
}

func hashChildren(l, r []byte) []byte {
	h := sha256.New()
	h.Write([]byte{1})
	h.Write(l)
	h.Write(r)
	return h.Sum(nil)
}

// verifyInclusion checks an RFC 9162 (2.1.3.2) inclusion proof.
func verifyInclusion(index, size int64, leaf []byte, path [][]byte, root []byte) error {
	if index < 0 || size <= 0 || index >= size {
		return fmt.Errorf("index %d outside a tree of size %d", index, size)
	}
	fn, sn := index, size-1
	r := leaf
	for _, p := range path {
		if sn == 0 {
			return errors.New("proof is longer than the tree is deep")
		}
		if fn&1 == 1 || fn == sn {
			r = hashChildren(p, r)
			for fn&1 == 0 && fn != 0 {
				fn >>= 1
				sn >>= 1
			}
		} else {
			r = hashChildren(r, p)
		}
		fn >>= 1
		sn >>= 1
	}
	if sn != 0 {
		return errors.New("proof is shorter than the tree is deep")
	}
	if !bytes.Equal(r, root) {
		return errors.New("computed root hash differs from the proof's root hash")
	}
	return nil
}

// verifyCheckpoint checks a signed note (origin, tree size, base64 root hash)
// against the log key and returns the size and root it commits to.
func verifyCheckpoint(note string, key crypto.PublicKey, logID []byte) (int64, []byte, error) {
	if len(note) > 64<<10 {
		return 0, nil, errors.New("checkpoint too large")
	}
	text, sigs, ok := strings.Cut(note, "\n\n")
	if !ok {
		return 0, nil, errors.New("not a signed note")
	}
	text += "\n"
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines) < 3 {
		return 0, nil, errors.New("checkpoint needs origin, size and root hash")
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 {
		return 0, nil, errors.New("checkpoint tree size is not a number")
	}
	root, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(root) != sha256.Size {
		return 0, nil, errors.New("checkpoint root hash is malformed")
	}
	for _, line := range strings.Split(sigs, "\n") {
		rest, ok := strings.CutPrefix(line, "\u2014 ")
		if !ok {
			continue
		}
		sp := strings.LastIndexByte(rest, ' ')
		if sp < 0 {
			continue
		}
		raw, err := base64.StdEncoding.DecodeString(rest[sp+1:])
		if err != nil || len(raw) < 5 || !bytes.Equal(raw[:4], logID[:4]) {
			continue
		}
		if verifyWithHash(key, []byte(text), raw[4:]) == nil {
			return size, root, nil
		}
		return 0, nil, errors.New("signature by the log key does not verify")
	}
	return 0, nil, errors.New("no signature by the given log key")
}

// TrustedRoot is the part of a Sigstore trusted_root.json
// (application/vnd.dev.sigstore.trustedroot+json) that verification uses:
// the Fulcio certificates and the Rekor log keys.
type TrustedRoot struct {
	// Certificates are every Fulcio CA certificate (roots and intermediates).
	Certificates []*x509.Certificate
	// RekorKeys are the transparency-log keys.
	RekorKeys []crypto.PublicKey
}

// ParseTrustedRoot reads a Sigstore trusted_root.json. Validity windows
// (validFor) of the CAs and logs are not applied.
func ParseTrustedRoot(data []byte) (*TrustedRoot, error) {
	if len(data) > maxBundleSize {
		return nil, errors.New("trusted root file too large")
	}
	var doc struct {
		MediaType string `json:"mediaType"`
		Tlogs     []struct {
			PublicKey struct {
				RawBytes string `json:"rawBytes"`
			} `json:"publicKey"`
			LogID struct {
				KeyID string `json:"keyId"`
			} `json:"logId"`
		} `json:"tlogs"`
		CertificateAuthorities []struct {
			CertChain struct {
				Certificates []RawBytes `json:"certificates"`
			} `json:"certChain"`
		} `json:"certificateAuthorities"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("trusted root is not JSON: %v", err)
	}
	if !strings.HasPrefix(doc.MediaType, "application/vnd.dev.sigstore.trustedroot") {
		return nil, fmt.Errorf("trusted root mediaType %q is not a Sigstore trusted root", doc.MediaType)
	}
	tr := &TrustedRoot{}
	for i, ca := range doc.CertificateAuthorities {
		certs, err := parseDERChain(ca.CertChain.Certificates)
		if err != nil {
			return nil, fmt.Errorf("certificate authority %d: %v", i, err)
		}
		tr.Certificates = append(tr.Certificates, certs...)
	}
	for i, l := range doc.Tlogs {
		der, err := base64.StdEncoding.DecodeString(l.PublicKey.RawBytes)
		if err != nil {
			return nil, fmt.Errorf("tlog %d: publicKey is not base64", i)
		}
		k, err := x509.ParsePKIXPublicKey(der)
		if err != nil {
			return nil, fmt.Errorf("tlog %d: %v", i, err)
		}
		if l.LogID.KeyID != "" {
			id, _ := LogID(k)
			if l.LogID.KeyID != base64.StdEncoding.EncodeToString(id) {
				return nil, fmt.Errorf("tlog %d: logId does not match its public key", i)
			}
		}
		tr.RekorKeys = append(tr.RekorKeys, k)
	}
	if len(tr.Certificates) == 0 || len(tr.RekorKeys) == 0 {
		return nil, errors.New("trusted root has no certificate authority or no transparency log")
	}
	return tr, nil
}
