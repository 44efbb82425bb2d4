package cli

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aigis-dev/aigis/internal/shareddata"
)

func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func TestModelSignVerifyCLI(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "model")
	os.MkdirAll(filepath.Join(model, "sub"), 0o755)
	os.WriteFile(filepath.Join(model, "weights.bin"), []byte("weights"), 0o644)
	os.WriteFile(filepath.Join(model, "sub", "config.json"), []byte(`{}`), 0o644)

	k, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	der, _ := x509.MarshalPKCS8PrivateKey(k)
	priv := filepath.Join(dir, "key.pem")
	os.WriteFile(priv, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600)
	pubDER, _ := x509.MarshalPKIXPublicKey(k.Public())
	pub := filepath.Join(dir, "pub.pem")
	os.WriteFile(pub, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}), 0o644)

	if code, out, errs := runCLI(t, "model", "sign", model, "--key", priv); code != 0 || !strings.Contains(out, "signed 2 resources") {
		t.Fatalf("sign: %d %q %q", code, out, errs)
	}
	if _, err := os.Stat(filepath.Join(model, "model.sig")); err != nil {
		t.Fatal("model.sig not written in the model folder")
	}
	if code, out, errs := runCLI(t, "model", "verify", model, "--signature", filepath.Join(model, "model.sig"), "--key", pub); code != 0 || !strings.Contains(out, "OK: 2 files verified") {
		t.Fatalf("verify: %d %q %q", code, out, errs)
	}
	os.WriteFile(filepath.Join(model, "sub", "config.json"), []byte(`{"x":1}`), 0o644)
	os.WriteFile(filepath.Join(model, "new.py"), []byte(`import os`), 0o644)
	code, out, _ := runCLI(t, "model", "verify", model, "--key", pub)
	if code != 1 || !strings.Contains(out, "MODIFIED: sub/config.json") || !strings.Contains(out, "ADDED:    new.py") {
		t.Fatalf("tampered verify: %d %q", code, out)
	}
	if code, _, errs := runCLI(t, "model", "verify", model); code != 1 || !strings.Contains(errs, "--key") {
		t.Fatalf("verify without trust: %d %q", code, errs)
	}
}

// TestModelVerifySigstoreVectorCLI verifies a keyless reference vector
// offline with the public-good trust material (Fulcio CA, Rekor key).
func TestModelVerifySigstoreVectorCLI(t *testing.T) {
	root := shareddata.Require(t, "reference/model-signing")
	dir := filepath.Join(root, "sigstore-model-transparency/scripts/tests/v1.1.0-sigstore")
	trust := filepath.Join("..", "modelsign", "testdata", "sigstore-public-good")
	var ca []byte
	for _, n := range []string{"fulcio_v1.crt.pem", "fulcio_intermediate_v1.crt.pem"} {
		b, err := os.ReadFile(filepath.Join(trust, n))
		if err != nil {
			t.Fatal(err)
		}
		ca = append(ca, b...)
	}
	caPath := filepath.Join(t.TempDir(), "fulcio.pem")
	os.WriteFile(caPath, ca, 0o644)
	args := []string{"model", "verify", dir, "--signature", filepath.Join(dir, "model.sig"), "--ignore-paths", "ignore-me",
		"--identity", "stefanb@us.ibm.com", "--issuer", "https://sigstore.verify.ibm.com/oauth2", "--ca", caPath}
	// Without the log key: not trusted, and said so.
	code, out, _ := runCLI(t, args...)
	if code != 1 || !strings.Contains(out, "NOT checked: Rekor signed entry timestamp") {
		t.Fatalf("without --rekor-key: %d %q", code, out)
	}
	code, out, errs := runCLI(t, append(args, "--rekor-key", filepath.Join(trust, "rekor.pub"))...)
	if code != 0 || !strings.Contains(out, "inclusion proof to a checkpoint signed by the log") || !strings.Contains(out, "OK: 2 files verified") {
		t.Fatalf("with the public-good trust material: %d %q %q", code, out, errs)
	}
}

// TestModelSignCertificateChainCLI signs with the reference PKI
// (model-transparency's test signing key and its leaf + intermediate
// certificates) and verifies against the root CA only.
func TestModelSignCertificateChainCLI(t *testing.T) {
	root := shareddata.Require(t, "reference/model-signing")
	keys := filepath.Join(root, "sigstore-model-transparency/scripts/tests/keys/certificate")
	dir := t.TempDir()
	var chain []byte
	for _, n := range []string{"signing-key-cert.pem", "int-ca-cert.pem"} {
		b, err := os.ReadFile(filepath.Join(keys, n))
		if err != nil {
			t.Fatal(err)
		}
		chain = append(chain, b...)
	}
	chainPath := filepath.Join(dir, "chain.pem")
	os.WriteFile(chainPath, chain, 0o644)
	model := filepath.Join(dir, "m")
	os.MkdirAll(model, 0o755)
	os.WriteFile(filepath.Join(model, "w.bin"), []byte("weights"), 0o644)
	sig := filepath.Join(dir, "model.sig")
	if code, out, errs := runCLI(t, "model", "sign", model, "--key", filepath.Join(keys, "signing-key.pem"), "--certificate-chain", chainPath, "--signature", sig); code != 0 {
		t.Fatalf("sign: %d %q %q", code, out, errs)
	}
	args := []string{"model", "verify", model, "--signature", sig, "--ca", filepath.Join(keys, "ca-cert.pem")}
	if code, out, errs := runCLI(t, args...); code != 0 || !strings.Contains(out, "certificate chain to the given CA") {
		t.Fatalf("verify: %d %q %q", code, out, errs)
	}
	// A CA that did not issue the chain is refused.
	other := filepath.Join(dir, "other-ca.pem")
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "other"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, k.Public(), k)
	os.WriteFile(other, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	if code, _, _ := runCLI(t, "model", "verify", model, "--signature", sig, "--ca", other); code != 1 {
		t.Fatalf("foreign CA: exit %d, want 1", code)
	}
	os.WriteFile(filepath.Join(model, "w.bin"), []byte("weightz"), 0o644)
	if code, out, _ := runCLI(t, args...); code != 1 || !strings.Contains(out, "MODIFIED: w.bin") {
		t.Fatalf("tampered: %d %q", code, out)
	}
}
