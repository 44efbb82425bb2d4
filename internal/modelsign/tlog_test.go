package modelsign

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"
)

const (
	vecIdentity = "stefanb@us.ibm.com"
	vecIssuer   = "https://sigstore.verify.ibm.com/oauth2"
)

// publicGoodTrust loads the Sigstore public-good Fulcio root and intermediate
// and the Rekor key kept in testdata (public values; the Rekor key is
// self-authenticating: its SHA-256 is the log ID the vectors name).
func publicGoodTrust(t *testing.T) ([]*x509.Certificate, []crypto.PublicKey) {
	t.Helper()
	dir := filepath.Join("testdata", "sigstore-public-good")
	var certs []*x509.Certificate
	for _, n := range []string{"fulcio_v1.crt.pem", "fulcio_intermediate_v1.crt.pem"} {
		raw, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			t.Fatal(err)
		}
		c, err := ParseCertificates(raw)
		if err != nil {
			t.Fatal(err)
		}
		certs = append(certs, c...)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "rekor.pub"))
	if err != nil {
		t.Fatal(err)
	}
	keys, err := ParsePublicKeys(raw)
	if err != nil {
		t.Fatal(err)
	}
	id, _ := LogID(keys[0])
	if base64.StdEncoding.EncodeToString(id) != "wNI9atQGlz+VWfO6LRygH4QUfY/8W4RFwiT5i5WRgB0=" {
		t.Fatal("testdata rekor.pub is not the key of log wNI9atQG…")
	}
	return certs, keys
}

type sigstoreVector struct {
	name, model, sig string
}

func sigstoreVectors(t *testing.T) []sigstoreVector {
	root, vectors, ossf := loadVectors(t)
	var out []sigstoreVector
	var sigstoreDir string
	for _, v := range vectors {
		if v.Vector == "v1.1.0-sigstore" {
			// ossf valid/sigstore.bundle.json signs the same statement.
			sigstoreDir = filepath.Join(root, v.Dir)
		}
		if v.Method == "sigstore" {
			out = append(out, sigstoreVector{v.Vector, modelPath(root, v), filepath.Join(root, v.Signature)})
		}
	}
	for _, v := range ossf {
		if strings.Contains(v.File, "valid/sigstore") {
			out = append(out, sigstoreVector{"ossf-" + filepath.Base(v.File), sigstoreDir, filepath.Join(root, "ossf-model-signing-spec", strings.TrimPrefix(v.File, "ossf-model-signing-spec/"))})
		}
	}
	if len(out) < 5 {
		t.Fatalf("expected 4 model-transparency and 1 ossf sigstore vectors, got %d", len(out))
	}
	return out
}

// TestSigstoreVectorsFullyVerified verifies every keyless reference vector
// offline with the public-good trust material: DSSE signature, identity and
// issuer, Rekor SET, entry binding, inclusion proof and signed checkpoint,
// and the Fulcio chain at the authenticated integration time.
func TestSigstoreVectorsFullyVerified(t *testing.T) {
	certs, rekor := publicGoodTrust(t)
	for _, v := range sigstoreVectors(t) {
		t.Run(v.name, func(t *testing.T) {
			sig, err := os.ReadFile(v.sig)
			if err != nil {
				t.Fatal(err)
			}
			o := VerifyOptions{SignaturePath: v.sig, IgnorePaths: []string{"ignore-me", "model.sig"}, Roots: certs, RekorKeys: rekor,
				Identity: vecIdentity, Issuer: vecIssuer}
			res, err := Verify(context.Background(), v.model, sig, o)
			if err != nil {
				t.Fatalf("verify: %v", err)
			}
			all := strings.Join(res.Checked, "\n")
			if !res.OK() || !strings.Contains(all, "inclusion proof to a checkpoint") || !strings.Contains(all, "signed entry timestamp") || !strings.Contains(all, "Fulcio certificate chain") {
				t.Fatalf("not fully verified: %+v", res)
			}

			// Without the log key the bundle is not trusted, even with the roots.
			o2 := o
			o2.RekorKeys = nil
			if res, err := Verify(context.Background(), v.model, sig, o2); err != nil || res.Trusted || res.OK() {
				t.Fatalf("trusted without the Rekor key: %+v %v", res, err)
			}
			// Without identity and issuer: checked but not trusted.
			o3 := o
			o3.Identity = ""
			if res, err := Verify(context.Background(), v.model, sig, o3); err != nil || res.Trusted {
				t.Fatalf("trusted without an expected identity: %+v %v", res, err)
			}
			// A wrong identity fails.
			o4 := o
			o4.Identity = "mallory@example.com"
			if _, err := Verify(context.Background(), v.model, sig, o4); err == nil {
				t.Fatal("wrong identity accepted")
			}
			// A foreign log key: the entry's log is unknown.
			o5 := o
			o5.RekorKeys = []crypto.PublicKey{newTestKey(t).Public()}
			if _, err := Verify(context.Background(), v.model, sig, o5); err == nil || !strings.Contains(err.Error(), "not one of the given log keys") {
				t.Fatalf("foreign log key: %v", err)
			}
			// Tampered log data.
			for name, edit := range map[string]func(e map[string]any){
				"integratedTime moved": func(e map[string]any) { e["integratedTime"] = "1700000000" },
				"logIndex changed":     func(e map[string]any) { e["logIndex"] = "1" },
				"proof hash flipped": func(e map[string]any) {
					p := e["inclusionProof"].(map[string]any)
					h := p["hashes"].([]any)
					b, _ := base64.StdEncoding.DecodeString(h[0].(string))
					b[0] ^= 1
					h[0] = base64.StdEncoding.EncodeToString(b)
				},
				"checkpoint edited": func(e map[string]any) {
					p := e["inclusionProof"].(map[string]any)
					c := p["checkpoint"].(map[string]any)
					c["envelope"] = strings.Replace(c["envelope"].(string), "\n", "\n1", 1)
				},
			} {
				var b map[string]any
				if err := json.Unmarshal(sig, &b); err != nil {
					t.Fatal(err)
				}
				e := b["verificationMaterial"].(map[string]any)["tlogEntries"].([]any)[0].(map[string]any)
				edit(e)
				bad, _ := json.Marshal(b)
				if _, err := Verify(context.Background(), v.model, bad, o); err == nil {
					t.Fatalf("%s: accepted", name)
				}
			}
		})
	}
}

// --- synthetic Sigstore: a Fulcio-like CA and a Rekor-like log made here ---

func mth(leaves [][]byte) []byte {
	switch len(leaves) {
	case 0:
		s := sha256.Sum256(nil)
		return s[:]
	case 1:
		s := sha256.Sum256(append([]byte{0}, leaves[0]...))
		return s[:]
	}
	k := 1
	for k*2 < len(leaves) {
		k *= 2
	}
	return hashChildren(mth(leaves[:k]), mth(leaves[k:]))
}

// auditPath is RFC 6962's PATH(m, D[n]).
func auditPath(m int, leaves [][]byte) [][]byte {
	if len(leaves) <= 1 {
		return nil
	}
	k := 1
	for k*2 < len(leaves) {
		k *= 2
	}
	if m < k {
		return append(auditPath(m, leaves[:k]), mth(leaves[k:]))
	}
	return append(auditPath(m-k, leaves[k:]), mth(leaves[:k]))
}

func TestInclusionProofAllShapes(t *testing.T) {
	for n := 1; n <= 17; n++ {
		leaves := make([][]byte, n)
		for i := range leaves {
			leaves[i] = fmt.Appendf(nil, "leaf %d", i)
		}
		root := mth(leaves)
		for m := range n {
			lh := sha256.Sum256(append([]byte{0}, leaves[m]...))
			path := auditPath(m, leaves)
			if err := verifyInclusion(int64(m), int64(n), lh[:], path, root); err != nil {
				t.Fatalf("n=%d m=%d: %v", n, m, err)
			}
			if len(path) > 0 {
				bad := append([][]byte(nil), path...)
				bad[len(bad)-1] = make([]byte, 32)
				if verifyInclusion(int64(m), int64(n), lh[:], bad, root) == nil {
					t.Fatalf("n=%d m=%d: corrupted path accepted", n, m)
				}
				if verifyInclusion(int64(m), int64(n), lh[:], path[:len(path)-1], root) == nil {
					t.Fatalf("n=%d m=%d: short path accepted", n, m)
				}
			}
			if n > 1 && verifyInclusion(int64((m+1)%n), int64(n), lh[:], path, root) == nil {
				t.Fatalf("n=%d m=%d: wrong index accepted", n, m)
			}
		}
	}
}

type fakeSigstore struct {
	rootCert *x509.Certificate
	rootKey  crypto.Signer
	logKey   *ecdsa.PrivateKey
}

func newFakeSigstore(t testing.TB) *fakeSigstore {
	rk, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{Organization: []string{"fake.dev"}, CommonName: "fake fulcio"},
		NotBefore: time.Now().Add(-24 * time.Hour), NotAfter: time.Now().Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, rk.Public(), rk)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	lk, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	return &fakeSigstore{rootCert: c, rootKey: rk, logKey: lk}
}

// sign makes a keyless-style bundle over the model: a 10-minute leaf for
// email, an entry logged at signedAt in a tree of `size` leaves.
func (f *fakeSigstore) sign(t *testing.T, model, email, issuer string, signedAt time.Time, size, index int) []byte {
	t.Helper()
	lk, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	issuerExt, _ := asn1.Marshal(issuer)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), NotBefore: signedAt.Add(-time.Minute), NotAfter: signedAt.Add(9 * time.Minute),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
		EmailAddresses: []string{email}, ExtraExtensions: []pkix.Extension{{Id: oidIssuerV2, Value: issuerExt}}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, f.rootCert, lk.Public(), f.rootKey)
	if err != nil {
		t.Fatal(err)
	}
	m, err := Hash(context.Background(), model, HashOptions{IgnorePaths: []string{"model.sig"}})
	if err != nil {
		t.Fatal(err)
	}
	payload, err := statementJSON(model, "", m)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := sign(lk, dsse.PAE(PayloadType, payload))
	if err != nil {
		t.Fatal(err)
	}
	ph := sha256.Sum256(payload)
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	body := fmt.Appendf(nil, `{"apiVersion":"0.0.1","kind":"dsse","spec":{"envelopeHash":{"algorithm":"sha256","value":"00"},"payloadHash":{"algorithm":"sha256","value":"%s"},"signatures":[{"signature":"%s","verifier":"%s"}]}}`,
		hex.EncodeToString(ph[:]), base64.StdEncoding.EncodeToString(sig), base64.StdEncoding.EncodeToString(certPEM))
	leaves := make([][]byte, size)
	for i := range leaves {
		leaves[i] = fmt.Appendf(nil, "other entry %d", i)
	}
	leaves[index] = body
	root := mth(leaves)
	logID, _ := LogID(f.logKey.Public())
	canonBody := base64.StdEncoding.EncodeToString(body)
	bj, _ := json.Marshal(canonBody)
	set := f.logSign(t, fmt.Appendf(nil, `{"body":%s,"integratedTime":%d,"logID":"%s","logIndex":%d}`, bj, signedAt.Unix(), hex.EncodeToString(logID), 1000+index))
	note := fmt.Sprintf("fake.log - 42\n%d\n%s\n", size, base64.StdEncoding.EncodeToString(root))
	cpSig := append(append([]byte{}, logID[:4]...), f.logSign(t, []byte(note))...)
	var hashes []string
	for _, h := range auditPath(index, leaves) {
		hashes = append(hashes, base64.StdEncoding.EncodeToString(h))
	}
	entry := map[string]any{
		"logIndex": fmt.Sprint(1000 + index), "logId": map[string]any{"keyId": base64.StdEncoding.EncodeToString(logID)},
		"kindVersion": map[string]any{"kind": "dsse", "version": "0.0.1"}, "integratedTime": fmt.Sprint(signedAt.Unix()),
		"inclusionPromise": map[string]any{"signedEntryTimestamp": base64.StdEncoding.EncodeToString(set)},
		"inclusionProof": map[string]any{"logIndex": fmt.Sprint(index), "rootHash": base64.StdEncoding.EncodeToString(root),
			"treeSize": fmt.Sprint(size), "hashes": hashes,
			"checkpoint": map[string]any{"envelope": note + "\n\u2014 fake.log " + base64.StdEncoding.EncodeToString(cpSig) + "\n"}},
		"canonicalizedBody": canonBody,
	}
	b := map[string]any{
		"mediaType": BundleMediaType,
		"verificationMaterial": map[string]any{"certificate": map[string]any{"rawBytes": base64.StdEncoding.EncodeToString(der)},
			"tlogEntries": []any{entry}},
		"dsseEnvelope": map[string]any{"payload": base64.StdEncoding.EncodeToString(payload), "payloadType": PayloadType,
			"signatures": []any{map[string]any{"sig": base64.StdEncoding.EncodeToString(sig)}}},
	}
	out, _ := json.Marshal(b)
	return out
}

func (f *fakeSigstore) logSign(t *testing.T, msg []byte) []byte {
	s := sha256.Sum256(msg)
	sig, err := ecdsa.SignASN1(rand.Reader, f.logKey, s[:])
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

func TestSyntheticSigstoreBundle(t *testing.T) {
	f := newFakeSigstore(t)
	model := writeModel(t)
	// Signed two hours ago with a certificate long expired now: valid only
	// because the log authenticates the signing time.
	at := time.Now().Add(-2 * time.Hour).Truncate(time.Second)
	const email, iss = "alice@example.com", "https://issuer.example"
	bundle := f.sign(t, model, email, iss, at, 11, 6)
	o := VerifyOptions{Roots: []*x509.Certificate{f.rootCert}, RekorKeys: []crypto.PublicKey{f.logKey.Public()}, Identity: email, Issuer: iss}
	res, err := Verify(context.Background(), model, bundle, o)
	if err != nil || !res.OK() || res.Method != MethodSigstore {
		t.Fatalf("synthetic bundle: %+v %v", res, err)
	}
	// Same through a trusted_root.json.
	rootDER := base64.StdEncoding.EncodeToString(f.rootCert.Raw)
	keyDER, _ := x509.MarshalPKIXPublicKey(f.logKey.Public())
	id, _ := LogID(f.logKey.Public())
	trJSON := fmt.Sprintf(`{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1",
		"tlogs":[{"baseUrl":"https://fake.log","hashAlgorithm":"SHA2_256","publicKey":{"rawBytes":"%s","keyDetails":"PKIX_ECDSA_P256_SHA_256"},"logId":{"keyId":"%s"}}],
		"certificateAuthorities":[{"certChain":{"certificates":[{"rawBytes":"%s"}]}}]}`,
		base64.StdEncoding.EncodeToString(keyDER), base64.StdEncoding.EncodeToString(id), rootDER)
	tr, err := ParseTrustedRoot([]byte(trJSON))
	if err != nil {
		t.Fatal(err)
	}
	res, err = Verify(context.Background(), model, bundle, VerifyOptions{Roots: tr.Certificates, RekorKeys: tr.RekorKeys, Identity: email, Issuer: iss})
	if err != nil || !res.OK() {
		t.Fatalf("via trusted root: %+v %v", res, err)
	}
	if _, err := ParseTrustedRoot([]byte(strings.Replace(trJSON, base64.StdEncoding.EncodeToString(id), base64.StdEncoding.EncodeToString(make([]byte, 32)), 1))); err == nil {
		t.Fatal("trusted root with a logId that is not its key's accepted")
	}
	// A tampered file is named.
	os.WriteFile(filepath.Join(model, "config.json"), []byte(`{"a":2}`), 0o644)
	res, err = Verify(context.Background(), model, bundle, o)
	if err != nil || res.OK() || strings.Join(res.Modified, ",") != "config.json" {
		t.Fatalf("tampered: %+v %v", res, err)
	}
	// A signature made with a certificate that was already expired when logged.
	late := f.sign(t, model, email, iss, at, 1, 0)
	var b map[string]any
	json.Unmarshal(late, &b)
	// Re-log it 20 minutes after the certificate's start: re-sign the SET for the new time so only the chain check can catch it.
	e := b["verificationMaterial"].(map[string]any)["tlogEntries"].([]any)[0].(map[string]any)
	later := at.Add(20 * time.Minute).Unix()
	logID, _ := LogID(f.logKey.Public())
	bj, _ := json.Marshal(e["canonicalizedBody"].(string))
	e["integratedTime"] = fmt.Sprint(later)
	e["inclusionPromise"] = map[string]any{"signedEntryTimestamp": base64.StdEncoding.EncodeToString(
		f.logSign(t, fmt.Appendf(nil, `{"body":%s,"integratedTime":%d,"logID":"%s","logIndex":%d}`, bj, later, hex.EncodeToString(logID), 1000)))}
	lateBundle, _ := json.Marshal(b)
	if _, err := Verify(context.Background(), model, lateBundle, o); err == nil || !strings.Contains(err.Error(), "does not chain") {
		t.Fatalf("certificate expired at log time accepted: %v", err)
	}
	// An entry that logs a different signature (a replayed entry) is refused.
	other := f.sign(t, model, email, iss, at, 3, 2)
	var ob map[string]any
	json.Unmarshal(other, &ob)
	var cur map[string]any
	json.Unmarshal(bundle, &cur)
	cur["verificationMaterial"].(map[string]any)["tlogEntries"] = ob["verificationMaterial"].(map[string]any)["tlogEntries"]
	mixed, _ := json.Marshal(cur)
	if _, err := Verify(context.Background(), model, mixed, o); err == nil {
		t.Fatal("log entry of another signature accepted")
	}
}

func FuzzTlogEntry(f *testing.F) {
	fs := newFakeSigstore(f)
	f.Add([]byte(`{"logIndex":"1","logId":{"keyId":"AAAA"},"integratedTime":"1","canonicalizedBody":"e30="}`))
	f.Add([]byte(`{}`))
	leaf := fs.rootCert
	keys := []crypto.PublicKey{fs.logKey.Public()}
	id, _ := LogID(fs.logKey.Public())
	f.Add(fmt.Appendf(nil, `{"logIndex":"3","logId":{"keyId":"%s"},"integratedTime":"5","inclusionPromise":{"signedEntryTimestamp":"MEUCIQ=="},"inclusionProof":{"logIndex":"0","rootHash":"%s","treeSize":"1","hashes":[],"checkpoint":{"envelope":"o\n1\nAA==\n\n\u2014 o AAAAAA==\n"}},"canonicalizedBody":"e30="}`,
		base64.StdEncoding.EncodeToString(id), base64.StdEncoding.EncodeToString(make([]byte, 32))))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = verifyTlogEntry(data, keys, []byte("payload"), []byte("sig"), leaf)
		_, _, _ = verifyCheckpoint(string(data), keys[0], id)
		_, _ = ParseTrustedRoot(data)
	})
}

// FuzzParseKeyMaterial covers the PEM and JSON parsers of keys,
// certificates and trust roots (user-supplied files).
func FuzzParseKeyMaterial(f *testing.F) {
	k := newTestKey(f)
	der, _ := x509.MarshalPKCS8PrivateKey(k)
	f.Add(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	pub, _ := PublicKeyPEM(k.Public())
	f.Add(pub)
	c, _ := newCA(f)
	f.Add(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}))
	f.Add([]byte(`{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1","tlogs":[{"publicKey":{"rawBytes":"AA=="}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if s, err := ParsePrivateKey(data); err == nil && s.Public() == nil {
			t.Fatal("key without public part")
		}
		_, _ = ParsePublicKey(data)
		_, _ = ParsePublicKeys(data)
		_, _ = ParseCertificates(data)
		if tr, err := ParseTrustedRoot(data); err == nil && (len(tr.Certificates) == 0 || len(tr.RekorKeys) == 0) {
			t.Fatal("empty trusted root accepted")
		}
	})
}
