package admin_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/aigis-dev/aigis/internal/admin"
	"github.com/aigis-dev/aigis/internal/apikey"
	"github.com/aigis-dev/aigis/internal/audit"
	"github.com/aigis-dev/aigis/internal/store"
	"github.com/aigis-dev/aigis/internal/store/storetest"
)

const token = "admin-token-for-tests-0123456789"

type fixture struct {
	srv *httptest.Server
	st  store.Store
	dsn string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	dsn := storetest.SQLiteDSN(t)
	st, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	srv := httptest.NewServer(admin.New(admin.Options{Store: st, Token: token}))
	t.Cleanup(srv.Close)
	return &fixture{srv: srv, st: st, dsn: dsn}
}

func (f *fixture) do(t *testing.T, method, path, tok string, body string) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, f.srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := f.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("%s %s: content type %q", method, path, ct)
	}
	return resp.StatusCode, b
}

func TestAuth(t *testing.T) {
	f := newFixture(t)
	for _, tok := range []string{"", "wrong", token + "x", strings.ToUpper(token)} {
		code, body := f.do(t, "GET", "/admin/keys", tok, "")
		if code != http.StatusUnauthorized || !strings.Contains(string(body), "unauthorized") {
			t.Fatalf("token %q: %d %s", tok, code, body)
		}
	}
	// Unknown paths are 401 too without the token (nothing to probe).
	if code, _ := f.do(t, "GET", "/admin/nope", "", ""); code != http.StatusUnauthorized {
		t.Fatalf("unknown path without token: %d", code)
	}
	if code, _ := f.do(t, "GET", "/admin/nope", token, ""); code != http.StatusNotFound {
		t.Fatalf("unknown path with token: %d", code)
	}
	// Lowercase scheme is accepted (RFC 7235: case-insensitive).
	req, _ := http.NewRequest("GET", f.srv.URL+"/admin/keys", nil)
	req.Header.Set("Authorization", "bearer "+token)
	resp, err := f.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("lowercase bearer: %d", resp.StatusCode)
	}
}

func TestNoTokenFailsClosed(t *testing.T) {
	st, err := store.Open(context.Background(), storetest.SQLiteDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	srv := httptest.NewServer(admin.New(admin.Options{Store: st}))
	defer srv.Close()
	for _, tok := range []string{"", "Bearer ", "Bearer x"} {
		req, _ := http.NewRequest("GET", srv.URL+"/admin/keys", nil)
		if tok != "" {
			req.Header.Set("Authorization", tok)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("no configured token, header %q: %d", tok, resp.StatusCode)
		}
	}
}

func TestKeysLifecycle(t *testing.T) {
	f := newFixture(t)
	code, body := f.do(t, "POST", "/admin/keys", token, `{"name":"ci","roles":["dev"],"expires_in":"30d"}`)
	if code != http.StatusCreated {
		t.Fatalf("create: %d %s", code, body)
	}
	var created admin.CreateKeyResponse
	if err := json.Unmarshal(body, &created); err != nil {
		t.Fatal(err)
	}
	if !apikey.LooksLike(created.Secret) || created.Key.ID == "" || created.Key.ExpiresAt == nil {
		t.Fatalf("create response %s", body)
	}
	// The store holds the hash, and the gateway's lookup finds the key.
	k, err := f.st.GetKeyByHash(context.Background(), apikey.Hash(created.Secret))
	if err != nil || k.ID != created.Key.ID {
		t.Fatalf("lookup by hash: %+v %v", k, err)
	}

	code, body = f.do(t, "GET", "/admin/keys", token, "")
	if code != http.StatusOK || strings.Contains(string(body), created.Secret) || strings.Contains(string(body), `"hash"`) {
		t.Fatalf("list: %d %s", code, body)
	}
	var list struct{ Keys []store.APIKey }
	if err := json.Unmarshal(body, &list); err != nil || len(list.Keys) != 1 || list.Keys[0].ID != created.Key.ID {
		t.Fatalf("list: %s %v", body, err)
	}
	code, body = f.do(t, "GET", "/admin/keys/"+created.Key.ID, token, "")
	if code != http.StatusOK || strings.Contains(string(body), created.Secret) {
		t.Fatalf("get: %d %s", code, body)
	}

	code, body = f.do(t, "DELETE", "/admin/keys/"+created.Key.ID, token, "")
	if code != http.StatusOK || !strings.Contains(string(body), "revoked_at") {
		t.Fatalf("revoke: %d %s", code, body)
	}
	k, _ = f.st.GetKey(context.Background(), created.Key.ID)
	if k.RevokedAt == nil {
		t.Fatal("key not revoked in the store")
	}
	if code, _ := f.do(t, "DELETE", "/admin/keys/key_unknown", token, ""); code != http.StatusNotFound {
		t.Fatalf("revoke unknown: %d", code)
	}
	if code, _ := f.do(t, "GET", "/admin/keys/key_unknown", token, ""); code != http.StatusNotFound {
		t.Fatalf("get unknown: %d", code)
	}
}

func TestCreateKeyBadInput(t *testing.T) {
	f := newFixture(t)
	for _, body := range []string{
		`{`,
		`{"name":"x"}`,
		`{"name":"","roles":["dev"]}`,
		`{"name":"x","roles":["dev"],"admin":true}`,
		`{"name":"x","roles":["dev"]} {"again":1}`,
		`{"name":"x","roles":["dev"],"expires_in":"-1h"}`,
		`{"name":"x","roles":["no spaces"]}`,
		`{"name":"` + strings.Repeat("a", 70000) + `","roles":["dev"]}`,
		`[]`,
	} {
		code, resp := f.do(t, "POST", "/admin/keys", token, body)
		if code != http.StatusBadRequest || !strings.Contains(string(resp), "invalid_request") {
			t.Fatalf("body %.60q: %d %s", body, code, resp)
		}
	}
	// Wrong content type.
	req, _ := http.NewRequest("POST", f.srv.URL+"/admin/keys", strings.NewReader(`{"name":"x","roles":["dev"]}`))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "text/plain")
	resp, err := f.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("text/plain body: %d", resp.StatusCode)
	}
	if ks, _ := f.st.ListKeys(context.Background()); len(ks) != 0 {
		t.Fatalf("bad requests created keys: %+v", ks)
	}
}

func TestAuditEndpoints(t *testing.T) {
	f := newFixture(t)
	l := audit.NewLog(f.st, audit.Options{})
	defer l.Close()
	for i := range 5 {
		ev := &audit.Event{Principal: audit.Principal{ID: fmt.Sprintf("p%d", i), Kind: "api_key"}, Status: 200}
		if err := l.Append(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
	}
	code, body := f.do(t, "GET", "/admin/audit?after=1&limit=2", token, "")
	if code != http.StatusOK {
		t.Fatalf("audit page: %d %s", code, body)
	}
	var page admin.AuditPage
	if err := json.Unmarshal(body, &page); err != nil {
		t.Fatal(err)
	}
	if len(page.Events) != 2 || page.Events[0].Seq != 2 || page.Events[1].Seq != 3 || page.NextAfter != 3 {
		t.Fatalf("page: %s", body)
	}
	code, body = f.do(t, "GET", "/admin/audit?after=5", token, "")
	if code != http.StatusOK || !bytes.Contains(body, []byte(`"events":[]`)) || !bytes.Contains(body, []byte(`"next_after":5`)) {
		t.Fatalf("empty page: %d %s", code, body)
	}
	for _, q := range []string{"after=-1", "after=x", "limit=0", "limit=5000", "limit=x"} {
		if code, _ := f.do(t, "GET", "/admin/audit?"+q, token, ""); code != http.StatusBadRequest {
			t.Fatalf("?%s: %d", q, code)
		}
	}
	code, body = f.do(t, "GET", "/admin/audit/verify", token, "")
	if code != http.StatusOK || !bytes.Contains(body, []byte(`"ok":true`)) {
		t.Fatalf("verify: %d %s", code, body)
	}
	var vr struct {
		Report audit.Report `json:"report"`
	}
	if err := json.Unmarshal(body, &vr); err != nil || vr.Report.HeadSeq == 0 {
		t.Fatalf("verify report: %v %s", err, body)
	}
	anchor := fmt.Sprintf("%d:%s", vr.Report.HeadSeq, vr.Report.HeadHash)
	if code, body = f.do(t, "GET", "/admin/audit/verify?head="+anchor, token, ""); code != http.StatusOK || !bytes.Contains(body, []byte(`"ok":true`)) {
		t.Fatalf("verify ?head on the intact chain: %d %s", code, body)
	}
	if code, _ = f.do(t, "GET", "/admin/audit/verify?head=1:xyz", token, ""); code != http.StatusBadRequest {
		t.Fatalf("verify ?head=1:xyz: %d", code)
	}
	storetest.DropAuditGuards(t, f.dsn)
	storetest.Exec(t, f.dsn, "DELETE FROM audit_events WHERE seq = "+strconv.FormatInt(vr.Report.HeadSeq, 10))
	code, body = f.do(t, "GET", "/admin/audit/verify?head="+anchor, token, "")
	if code != http.StatusOK || !bytes.Contains(body, []byte(`"ok":false`)) || !bytes.Contains(body, []byte(`deleted at the tail`)) {
		t.Fatalf("verify ?head after a tail deletion: %d %s", code, body)
	}
	storetest.Exec(t, f.dsn, "DELETE FROM audit_events WHERE seq = 3")
	code, body = f.do(t, "GET", "/admin/audit/verify", token, "")
	if code != http.StatusOK || !bytes.Contains(body, []byte(`"ok":false`)) || !bytes.Contains(body, []byte(`"kind":"deleted","seq":3`)) {
		t.Fatalf("verify after delete: %d %s", code, body)
	}
}
