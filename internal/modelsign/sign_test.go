package modelsign

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
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
)

func newTestKey(t testing.TB) crypto.Signer {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func newTestCA(t testing.TB) []*x509.Certificate {
	c, _ := newCA(t)
	return []*x509.Certificate{c}
}

func newCA(t testing.TB) (*x509.Certificate, crypto.Signer) {
	k := newTestKey(t)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test root"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, k.Public(), k)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return c, k
}

func writeModel(t *testing.T) string {
	dir := filepath.Join(t.TempDir(), "my-model")
	for name, body := range map[string]string{
		"config.json":                   `{"a":1}`,
		"weights/model-00001.bin":       strings.Repeat("w", 5000),
		"weights/model-00002.bin":       strings.Repeat("v", 3000),
		".git/HEAD":                     "ref: main",
		"cache/tmp.bin":                 "scratch",
		"nested/.git/ignored-not-by-us": "x",
	} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestSignVerifyRoundTripAllKeyTypes(t *testing.T) {
	ed, edPriv, _ := ed25519.GenerateKey(rand.Reader)
	_ = ed
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	for name, key := range map[string]crypto.Signer{"p256": newTestKey(t), "p384": p384, "ed25519": edPriv} {
		for _, method := range []string{MethodFiles, MethodShards} {
			t.Run(name+"/"+method, func(t *testing.T) {
				dir := writeModel(t)
				sig, m, err := Sign(context.Background(), dir, SignOptions{Key: key, Hash: HashOptions{Method: method, ShardSize: 1024, IgnorePaths: []string{"cache", "model.sig"}}})
				if err != nil {
					t.Fatal(err)
				}
				names := make([]string, 0, len(m.Resources))
				for _, r := range m.Resources {
					names = append(names, r.Name)
				}
				joined := strings.Join(names, " ")
				if strings.Contains(joined, ".git/HEAD") || strings.Contains(joined, "cache/") || !strings.Contains(joined, "nested/.git/ignored-not-by-us") {
					t.Fatalf("ignore semantics wrong: %s", joined)
				}
				sigPath := filepath.Join(dir, "model.sig")
				os.WriteFile(sigPath, sig, 0o644)
				pubPEM, _ := PublicKeyPEM(key.Public())
				res, err := Verify(context.Background(), dir, sig, VerifyOptions{PublicKey: key.Public(), PublicKeyPEM: pubPEM, SignaturePath: sigPath})
				if err != nil || !res.OK() {
					t.Fatalf("round trip: %+v %v", res, err)
				}
				// Grow a weight file: reported as modified (also with shards).
				os.WriteFile(filepath.Join(dir, "weights/model-00002.bin"), []byte(strings.Repeat("v", 3001)), 0o644)
				res, err = Verify(context.Background(), dir, sig, VerifyOptions{PublicKey: key.Public(), SignaturePath: sigPath})
				if err != nil || res.OK() || strings.Join(res.Modified, ",") != "weights/model-00002.bin" || len(res.Added)+len(res.Removed) != 0 {
					t.Fatalf("modification: %+v %v", res, err)
				}
			})
		}
	}
}

func TestCertificateSigning(t *testing.T) {
	caCert, caKey := newCA(t)
	leafKey := newTestKey(t)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "model signer"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, leafKey.Public(), caKey)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	dir := writeModel(t)
	sig, _, err := Sign(context.Background(), dir, SignOptions{Key: leafKey, CertificateChain: []*x509.Certificate{leaf}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := Verify(context.Background(), dir, sig, VerifyOptions{Roots: []*x509.Certificate{caCert}})
	if err != nil || !res.OK() || res.Method != MethodCertificate {
		t.Fatalf("%+v %v", res, err)
	}
	if _, err := Verify(context.Background(), dir, sig, VerifyOptions{Roots: newTestCA(t)}); err == nil {
		t.Fatal("verified against a foreign CA")
	}
	// After the leaf expires, verification fails.
	if _, err := Verify(context.Background(), dir, sig, VerifyOptions{Roots: []*x509.Certificate{caCert}, Now: func() time.Time { return time.Now().Add(3 * time.Hour) }}); err == nil {
		t.Fatal("expired leaf accepted")
	}
	// A chain whose leaf is not the signing key is refused at signing time.
	if _, _, err := Sign(context.Background(), dir, SignOptions{Key: newTestKey(t), CertificateChain: []*x509.Certificate{leaf}}); err == nil {
		t.Fatal("mismatched chain accepted")
	}
}

func TestSymlinksRefusedAndEmptyModel(t *testing.T) {
	dir := writeModel(t)
	if err := os.Symlink("/etc/passwd", filepath.Join(dir, "link")); err != nil {
		t.Skip("no symlinks here")
	}
	if _, _, err := Sign(context.Background(), dir, SignOptions{Key: newTestKey(t)}); err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Fatalf("symlink: %v", err)
	}
	empty := t.TempDir()
	if _, _, err := Sign(context.Background(), empty, SignOptions{Key: newTestKey(t)}); err == nil {
		t.Fatal("empty model signed")
	}
	for _, bad := range []string{"../x", "/abs", "a*"} {
		if _, err := Hash(context.Background(), dir, HashOptions{IgnorePaths: []string{bad}}); err == nil {
			t.Fatalf("ignore path %q accepted", bad)
		}
	}
}

func TestParseKeys(t *testing.T) {
	k := newTestKey(t)
	der, _ := x509.MarshalPKCS8PrivateKey(k)
	p := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	if _, err := ParsePrivateKey(p); err != nil {
		t.Fatal(err)
	}
	if _, err := ParsePrivateKey([]byte("junk")); err == nil {
		t.Fatal("junk key accepted")
	}
	if _, err := ParsePublicKey(p); err == nil {
		t.Fatal("private key accepted as public")
	}
}

func FuzzParseBundle(f *testing.F) {
	f.Add([]byte(`{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{"publicKey":{"hint":"ab"}},"dsseEnvelope":{"payload":"e30=","payloadType":"application/vnd.in-toto+json","signatures":[{"sig":"AA=="}]}}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`[`))
	k := newTestKey(f)
	pub := k.Public()
	dir := f.TempDir()
	os.WriteFile(filepath.Join(dir, "w"), []byte("x"), 0o644)
	f.Fuzz(func(t *testing.T, data []byte) {
		b, _, err := ParseBundle(data)
		if err == nil && b.DSSEEnvelope == nil {
			t.Fatal("accepted bundle without envelope")
		}
		// Verify must never panic on hostile bundles.
		_, _ = Verify(context.Background(), dir, data, VerifyOptions{PublicKey: pub})
	})
}

func FuzzShardPath(f *testing.F) {
	f.Add("a:0:10")
	f.Add("a:b:c:1:2")
	f.Add(":::")
	f.Fuzz(func(t *testing.T, s string) {
		file, start, end, ok := shardPath(s)
		if ok && (start < 0 || end <= start || !strings.HasPrefix(s, file)) {
			t.Fatalf("bad parse of %q", s)
		}
	})
}

func BenchmarkHashFiles(b *testing.B) {
	dir := b.TempDir()
	buf := make([]byte, 16<<20)
	rand.Read(buf)
	for i := range 4 {
		os.WriteFile(filepath.Join(dir, "w"+string(rune('0'+i))), buf, 0o644)
	}
	b.SetBytes(int64(4 * len(buf)))
	for b.Loop() {
		if _, err := Hash(context.Background(), dir, HashOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
