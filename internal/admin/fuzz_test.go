package admin_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aigis-dev/aigis/internal/admin"
	"github.com/aigis-dev/aigis/internal/store"
	"github.com/aigis-dev/aigis/internal/store/storetest"
)

// FuzzAdminRequests sends arbitrary bodies and query strings to the admin
// API: it must answer with a JSON status in a known set, never panic, and
// create a key only from a valid request.
func FuzzAdminRequests(f *testing.F) {
	st, err := store.Open(context.Background(), storetest.SQLiteDSN(f))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = st.Close() })
	h := admin.New(admin.Options{Store: st, Token: token})
	f.Add("POST", "/admin/keys", `{"name":"a","roles":["dev"]}`)
	f.Add("POST", "/admin/keys", `{"name":"a","roles":["dev"],"expires_in":"30d"}`)
	f.Add("GET", "/admin/audit?after=3&limit=10", ``)
	f.Add("GET", "/admin/audit/verify", ``)
	f.Add("DELETE", "/admin/keys/x", ``)
	f.Add("POST", "/admin/keys", `{"name":1}`)
	f.Fuzz(func(t *testing.T, method, target, body string) {
		if !strings.HasPrefix(target, "/") {
			target = "/" + target
		}
		req, err := http.NewRequest(method, "http://admin.test"+target, strings.NewReader(body))
		if err != nil {
			return
		}
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch rec.Code {
		case 200, 201, 301, 307, 308, 400, 404, 405:
		default:
			t.Fatalf("%s %s %q: status %d %s", method, target, body, rec.Code, rec.Body)
		}
	})
}
