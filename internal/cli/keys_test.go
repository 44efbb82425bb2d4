package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/aigis-dev/aigis/internal/apikey"
	"github.com/aigis-dev/aigis/internal/audit"
	"github.com/aigis-dev/aigis/internal/store"
	"github.com/aigis-dev/aigis/internal/store/storetest"
)

func runAdminCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Main(args, strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestKeysCommands(t *testing.T) {
	// No --store: the default store under AIGIS_DATA_DIR, as after the demo.
	t.Setenv("AIGIS_DATA_DIR", t.TempDir())
	code, out, errOut := runAdminCLI(t, "keys", "create", "--name", "ci", "--role", "dev", "--role", "ops", "--expires", "30d")
	if code != 0 {
		t.Fatalf("create: %d %s %s", code, out, errOut)
	}
	secret := regexp.MustCompile(`aig_[A-Za-z0-9_-]{43}`).FindString(out)
	if !apikey.LooksLike(secret) {
		t.Fatalf("create printed no secret: %s", out)
	}
	code, out, _ = runAdminCLI(t, "keys", "list")
	if code != 0 || !strings.Contains(out, "ci") || !strings.Contains(out, "dev,ops") || strings.Contains(out, secret) || !strings.Contains(out, "active") {
		t.Fatalf("list: %d %s", code, out)
	}
	code, out, _ = runAdminCLI(t, "keys", "list", "--json")
	var keys []store.APIKey
	if code != 0 || json.Unmarshal([]byte(out), &keys) != nil || len(keys) != 1 || strings.Contains(out, secret) {
		t.Fatalf("list --json: %d %s", code, out)
	}
	code, out, _ = runAdminCLI(t, "keys", "revoke", keys[0].ID)
	if code != 0 || !strings.Contains(out, "revoked") {
		t.Fatalf("revoke: %d %s", code, out)
	}
	if code, out, _ = runAdminCLI(t, "keys", "list"); !strings.Contains(out, "revoked") {
		t.Fatalf("list after revoke: %s", out)
	}
	if code, _, errOut = runAdminCLI(t, "keys", "revoke", "key_nope"); code != 1 || !strings.Contains(errOut, "no key") {
		t.Fatalf("revoke unknown: %d %s", code, errOut)
	}
	if code, _, _ = runAdminCLI(t, "keys", "create", "--name", "x", "--role", "bad role"); code != 2 {
		t.Fatalf("bad role: exit %d, want 2", code)
	}
	if code, _, _ = runAdminCLI(t, "keys", "create", "--role", "dev"); code == 0 {
		t.Fatal("create without --name succeeded")
	}
}

func TestAuditCommands(t *testing.T) {
	dsn := filepath.Join(t.TempDir(), "a.db")
	st, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	kr, err := audit.KeyringFromSpecs([]string{"k1:" + strings.Repeat("ab", 32)})
	if err != nil {
		t.Fatal(err)
	}
	l := audit.NewLog(st, audit.Options{Keyring: kr})
	for i := range 5 {
		ev := &audit.Event{Principal: audit.Principal{ID: "p", Kind: "api_key"}, Status: 200 + i}
		if i == 0 {
			ev.RequestBody = []byte("hello body")
		}
		if err := l.Append(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
	}
	_ = l.Close()
	_ = st.Close()

	code, out, _ := runAdminCLI(t, "audit", "verify", "--store", dsn)
	if code != 0 || !strings.Contains(out, "OK: 5 events") {
		t.Fatalf("verify: %d %s", code, out)
	}
	code, out, _ = runAdminCLI(t, "audit", "tail", "-n", "2", "--store", dsn)
	if code != 0 || strings.Count(out, "\n") != 2 || !strings.Contains(out, `"seq":4`) || !strings.Contains(out, `"seq":5`) {
		t.Fatalf("tail: %d %s", code, out)
	}
	code, out, _ = runAdminCLI(t, "audit", "export", "--format", "jsonl", "--store", "sqlite://"+dsn)
	if code != 0 || strings.Count(out, "\n") != 5 || strings.Contains(out, "hello body") {
		t.Fatalf("export: %d %s", code, out)
	}
	code, out, _ = runAdminCLI(t, "audit", "export", "--format", "jsonl", "--decrypt-key", "k1:"+strings.Repeat("ab", 32), "--store", dsn)
	if code != 0 || !strings.Contains(out, `"request_body":"hello body"`) {
		t.Fatalf("export --decrypt-key: %d %s", code, out)
	}
	if code, _, _ = runAdminCLI(t, "audit", "export", "--format", "csv", "--store", dsn); code != 2 {
		t.Fatalf("export csv: exit %d, want 2", code)
	}

	// Anchored to the printed head: deleting the last event is caught.
	_, out, _ = runAdminCLI(t, "audit", "verify", "--store", dsn)
	i := strings.Index(out, "head seq ")
	if i < 0 {
		t.Fatalf("no head in %q", out)
	}
	var headSeq int64
	var headHash string
	if _, err := fmt.Sscanf(out[i:], "head seq %d hash %s", &headSeq, &headHash); err != nil {
		t.Fatalf("head in %q: %v", out, err)
	}
	anchor := fmt.Sprintf("%d:%s", headSeq, headHash)
	if code, out, _ = runAdminCLI(t, "audit", "verify", "--head", anchor, "--store", dsn); code != 0 {
		t.Fatalf("verify --head on the intact chain: %d %s", code, out)
	}
	storetest.DropAuditGuards(t, dsn)
	storetest.Exec(t, dsn, "DELETE FROM audit_events WHERE seq = 5")
	if code, out, _ = runAdminCLI(t, "audit", "verify", "--store", dsn); code != 0 {
		t.Fatalf("tail deletion without an anchor: %d %s", code, out)
	}
	code, out, _ = runAdminCLI(t, "audit", "verify", "--head", anchor, "--store", dsn)
	if code != 1 || !strings.Contains(out, "deleted at the tail") {
		t.Fatalf("verify --head after a tail deletion: %d %s", code, out)
	}
	if code, _, _ = runAdminCLI(t, "audit", "verify", "--head", "5:nothex", "--store", dsn); code == 0 {
		t.Fatal("a malformed --head was accepted")
	}

	storetest.Exec(t, dsn, "DELETE FROM audit_events WHERE seq = 2")
	code, out, _ = runAdminCLI(t, "audit", "verify", "--store", dsn)
	if code != 1 || !strings.Contains(out, "deleted: event seq 2") || !strings.Contains(out, "BROKEN") {
		t.Fatalf("verify after delete: %d %s", code, out)
	}
	code, out, _ = runAdminCLI(t, "audit", "verify", "--json", "--store", dsn)
	if code != 1 || !strings.Contains(out, `"ok": false`) {
		t.Fatalf("verify --json: %d %s", code, out)
	}
}
