package identity

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

func newTestCA(t *testing.T, name string) *testCA {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &testCA{cert: cert, key: key}
}

func (ca *testCA) issue(t *testing.T, cn string, uris ...string) tls.Certificate {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, KeyUsage: x509.KeyUsageDigitalSignature,
	}
	for _, u := range uris {
		pu, _ := url.Parse(u)
		tmpl.URIs = append(tmpl.URIs, pu)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// TestMTLS runs a real TLS listener that verifies client certificates
// against a CA (as the gateway's listener does) and maps them.
func TestMTLS(t *testing.T) {
	ca, rogue := newTestCA(t, "aigis test CA"), newTestCA(t, "rogue CA")
	a, err := New(Config{
		APIKeys: APIKeyConfig{Disabled: true},
		MTLS: MTLSConfig{Enabled: true, DefaultRoles: []string{"svc"}, Identities: []CertIdentity{
			{URI: "spiffe://example.org/ns/prod/sa/billing", Roles: []string{"billing"}},
			{CommonName: "batch-runner", Name: "Batch", Roles: []string{"batch"}},
		}},
	}, Deps{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := a.Authenticate(r)
		var ae *AuthError
		if errors.As(err, &ae) {
			http.Error(w, ae.Code, http.StatusUnauthorized)
			return
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, p.ID+" "+p.Name+" "+strings.Join(p.Roles, ","))
	}))
	pool := x509.NewCertPool()
	pool.AddCert(ca.cert)
	srv.TLS = &tls.Config{ClientAuth: tls.VerifyClientCertIfGiven, ClientCAs: pool}
	srv.StartTLS()
	defer srv.Close()

	call := func(cert *tls.Certificate, headers ...string) (int, string, error) {
		tr := srv.Client().Transport.(*http.Transport).Clone()
		if cert != nil {
			// Always offer the certificate, even one the server's CA list
			// does not name, so the server has to refuse it.
			tr.TLSClientConfig.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return cert, nil }
		}
		defer tr.CloseIdleConnections()
		req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
		for i := 0; i+1 < len(headers); i += 2 {
			req.Header.Set(headers[i], headers[i+1])
		}
		resp, err := (&http.Client{Transport: tr}).Do(req)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, strings.TrimSpace(string(b)), nil
	}
	byURI := ca.issue(t, "billing-pod-7", "spiffe://example.org/ns/prod/sa/billing")
	byCN := ca.issue(t, "batch-runner")
	unmapped := ca.issue(t, "someone-else", "spiffe://example.org/ns/dev/sa/x")
	foreign := rogue.issue(t, "batch-runner")

	cases := []struct {
		name    string
		cert    *tls.Certificate
		headers []string
		status  int
		body    string
	}{
		{"san uri", &byURI, nil, 200, "mtls:spiffe://example.org/ns/prod/sa/billing spiffe://example.org/ns/prod/sa/billing svc,billing"},
		{"common name", &byCN, nil, 200, "mtls:batch-runner Batch svc,batch"},
		{"unmapped", &unmapped, nil, 401, CodeInvalidCertificate},
		{"no certificate", nil, nil, 401, CodeMissingCredentials},
		{"header wins over certificate", &byCN, []string{"x-api-key", "aig_" + strings.Repeat("A", 43)}, 401, CodeMethodDisabled},
	}
	for _, c := range cases {
		status, body, err := call(c.cert, c.headers...)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if status != c.status || body != c.body {
			t.Fatalf("%s: got %d %q, want %d %q", c.name, status, body, c.status, c.body)
		}
	}
	// A certificate from another CA fails the handshake: it never reaches Authenticate.
	if status, body, err := call(&foreign); err == nil {
		t.Fatalf("foreign CA: handshake succeeded: %d %q", status, body)
	}

	// allow_unmapped admits any verified certificate by CN.
	open, err := newMTLSMapper(MTLSConfig{Enabled: true, AllowUnmapped: true, DefaultRoles: []string{"svc"}})
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(unmapped.Certificate[0])
	p, err := open.principal(leaf)
	if err != nil || p.ID != "mtls:someone-else" || p.Roles[0] != "svc" {
		t.Fatalf("allow_unmapped: %+v %v", p, err)
	}
}
