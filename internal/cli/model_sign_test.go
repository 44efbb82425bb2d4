package cli

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
