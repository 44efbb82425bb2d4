package store_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aigis-dev/aigis/internal/store"
	"github.com/aigis-dev/aigis/internal/store/storetest"
)

func TestSQLiteConformance(t *testing.T) {
	storetest.Run(t, storetest.SQLiteDSN)
}

func TestSQLiteSyncFullConformance(t *testing.T) {
	storetest.Run(t, func(t testing.TB) string { return "sqlite://" + storetest.SQLiteDSN(t) + "?synchronous=full" })
}

func TestPostgresConformance(t *testing.T) {
	storetest.PostgresDSN(t) // skips when AIGIS_TEST_POSTGRES is unset
	storetest.Run(t, storetest.PostgresDSN)
}

func TestParseDSN(t *testing.T) {
	cases := []struct {
		dsn      string
		kind     string
		target   string
		syncFull bool
		bad      bool
	}{
		{dsn: "postgres://u@h/db", kind: store.KindPostgres, target: "postgres://u@h/db"},
		{dsn: "POSTGRESQL://u@h/db?sslmode=disable", kind: store.KindPostgres, target: "POSTGRESQL://u@h/db?sslmode=disable"},
		{dsn: "sqlite:///var/lib/aigis.db", kind: store.KindSQLite, target: "/var/lib/aigis.db"},
		{dsn: "sqlite://rel.db?synchronous=full", kind: store.KindSQLite, target: "rel.db", syncFull: true},
		{dsn: "sqlite://rel.db?synchronous=normal", kind: store.KindSQLite, target: "rel.db"},
		{dsn: "/tmp/x.db", kind: store.KindSQLite, target: "/tmp/x.db"},
		{dsn: "", bad: true},
		{dsn: "sqlite://", bad: true},
		{dsn: "sqlite://x.db?synchronous=off", bad: true},
		{dsn: "sqlite://x.db?cache=shared", bad: true},
		{dsn: "mysql://x", bad: true},
		{dsn: ":memory:", bad: true},
		{dsn: "file:x.db?mode=memory", bad: true},
		{dsn: "x.db#frag", bad: true},
		{dsn: strings.Repeat("a", 5000), bad: true},
	}
	for _, c := range cases {
		loc, err := store.ParseDSN(c.dsn)
		if c.bad {
			if err == nil {
				t.Errorf("ParseDSN(%q) = %+v, want error", c.dsn, loc)
			}
			continue
		}
		if err != nil || loc.Kind != c.kind || loc.Target != c.target || loc.SyncFull != c.syncFull {
			t.Errorf("ParseDSN(%q) = %+v, %v; want %s %q full=%v", c.dsn, loc, err, c.kind, c.target, c.syncFull)
		}
	}
}

func TestParseDSNHidesPassword(t *testing.T) {
	_, err := store.ParseDSN("postgres://user:s3cret@host:badport/db")
	if err == nil {
		t.Skip("url accepted this DSN")
	}
	if strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("error leaks the password: %v", err)
	}
}

func TestDefaultDSN(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	t.Setenv("AIGIS_DATA_DIR", dir)
	dsn, err := store.DefaultDSN()
	if err != nil {
		t.Fatal(err)
	}
	if dsn != filepath.Join(dir, "aigis.db") {
		t.Fatalf("DefaultDSN = %q", dsn)
	}
	st, err := os.Stat(dir)
	if err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf("data dir mode = %v, %v; want 0700", st.Mode().Perm(), err)
	}
	t.Setenv("AIGIS_DATA_DIR", "")
	xdg := t.TempDir()
	t.Setenv("XDG_DATA_HOME", xdg)
	if dsn, err := store.DefaultDSN(); err != nil || dsn != filepath.Join(xdg, "aigis", "aigis.db") {
		t.Fatalf("DefaultDSN with XDG_DATA_HOME = %q, %v", dsn, err)
	}
	t.Setenv("XDG_DATA_HOME", "")
	home := t.TempDir()
	t.Setenv("HOME", home)
	if dsn, err := store.DefaultDSN(); err != nil || dsn != filepath.Join(home, ".local", "share", "aigis", "aigis.db") {
		t.Fatalf("DefaultDSN with HOME = %q, %v", dsn, err)
	}
}

func TestSQLiteFileIsPrivate(t *testing.T) {
	path := storetest.SQLiteDSN(t)
	st, err := store.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, p := range []string{path, path + "-auditlog"} {
		fi, err := os.Stat(p)
		if os.IsNotExist(err) && p != path {
			continue // no audit journal on this platform
		}
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Fatalf("%s mode %v, want 0600", p, fi.Mode().Perm())
		}
	}
	if st.Kind() != store.KindSQLite {
		t.Fatalf("Kind = %q", st.Kind())
	}
}

func TestOpenRejectsNonDatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "junk.db")
	if err := os.WriteFile(path, []byte(strings.Repeat("not a database ", 100)), 0o600); err != nil {
		t.Fatal(err)
	}
	if st, err := store.Open(t.Context(), path); err == nil {
		st.Close()
		t.Fatal("Open accepted a file that is not a SQLite database")
	}
}

func FuzzParseDSN(f *testing.F) {
	for _, s := range []string{"postgres://u:p@h:5432/db?sslmode=disable", "sqlite:///a/b.db?synchronous=full", "a.db", "sqlite://", "x://y", "sqlite://a?%zz", ":memory:"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, dsn string) {
		loc, err := store.ParseDSN(dsn)
		if err != nil {
			return
		}
		if loc.Target == "" || (loc.Kind != store.KindSQLite && loc.Kind != store.KindPostgres) {
			t.Fatalf("ParseDSN(%q) = %+v without error", dsn, loc)
		}
		if loc.Kind == store.KindSQLite && strings.ContainsAny(loc.Target, "?#") {
			t.Fatalf("sqlite target %q holds query characters", loc.Target)
		}
	})
}
