package store

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// Store kinds reported by Location.Kind and Store.Kind.
const (
	KindSQLite   = "sqlite"
	KindPostgres = "postgres"
)

// maxDSNLen bounds a DSN read from flags, config or the environment.
const maxDSNLen = 4096

// Location is a parsed DSN.
type Location struct {
	Kind   string // KindSQLite or KindPostgres
	Target string // the SQLite file path, or the PostgreSQL connection string
	// SyncFull selects PRAGMA synchronous=FULL for SQLite (survives power
	// loss; slower commits). The default, NORMAL, survives process crashes.
	SyncFull bool
}

// ParseDSN classifies dsn without connecting; see Open for the forms.
func ParseDSN(dsn string) (Location, error) {
	if dsn == "" {
		return Location{}, errors.New("store: empty DSN: give a file path, sqlite://PATH or postgres://...")
	}
	if len(dsn) > maxDSNLen {
		return Location{}, fmt.Errorf("store: DSN is %d bytes, the limit is %d", len(dsn), maxDSNLen)
	}
	if strings.ContainsRune(dsn, 0) {
		return Location{}, errors.New("store: DSN contains a NUL byte")
	}
	lower := strings.ToLower(dsn)
	switch {
	case strings.HasPrefix(lower, "postgres://"), strings.HasPrefix(lower, "postgresql://"):
		if _, err := url.Parse(dsn); err != nil {
			return Location{}, fmt.Errorf("store: invalid PostgreSQL DSN: %w", redactURLError(err))
		}
		return Location{Kind: KindPostgres, Target: dsn}, nil
	case strings.HasPrefix(lower, "sqlite://"):
		rest := dsn[len("sqlite://"):]
		path, query, _ := strings.Cut(rest, "?")
		loc := Location{Kind: KindSQLite, Target: path}
		if query != "" {
			q, err := url.ParseQuery(query)
			if err != nil {
				return Location{}, fmt.Errorf("store: invalid sqlite DSN options %q: %w", query, err)
			}
			for k, vs := range q {
				switch k {
				case "synchronous":
					switch strings.ToLower(vs[len(vs)-1]) {
					case "normal":
					case "full":
						loc.SyncFull = true
					default:
						return Location{}, fmt.Errorf("store: sqlite option synchronous=%q: use normal or full", vs[len(vs)-1])
					}
				default:
					return Location{}, fmt.Errorf("store: unknown sqlite option %q (known: synchronous)", k)
				}
			}
		}
		return checkSQLitePath(loc)
	case strings.Contains(dsn, "://"):
		scheme, _, _ := strings.Cut(dsn, "://")
		return Location{}, fmt.Errorf("store: unsupported DSN scheme %q: use postgres://, sqlite:// or a file path", scheme)
	default:
		return checkSQLitePath(Location{Kind: KindSQLite, Target: dsn})
	}
}

func checkSQLitePath(loc Location) (Location, error) {
	if loc.Target == "" {
		return Location{}, errors.New("store: sqlite DSN has no file path")
	}
	if strings.ContainsAny(loc.Target, "?#") {
		return Location{}, fmt.Errorf("store: sqlite path %q must not contain '?' or '#'", loc.Target)
	}
	if strings.HasPrefix(loc.Target, ":memory:") || strings.HasPrefix(strings.ToLower(loc.Target), "file:") {
		return Location{}, fmt.Errorf("store: sqlite path %q: give a plain file path (in-memory databases lose the audit log)", loc.Target)
	}
	return loc, nil
}

// redactURLError drops the URL (it may hold a password) from a parse error.
func redactURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// DefaultDSN returns the path of the default SQLite store, aigis.db in
// $AIGIS_DATA_DIR, else $XDG_DATA_HOME/aigis, else ~/.local/share/aigis. It
// creates the directory (mode 0700) when missing. `aigis serve --demo` and
// the admin commands without --store use it.
func DefaultDSN() (string, error) {
	dir := os.Getenv("AIGIS_DATA_DIR")
	if dir == "" {
		if x := os.Getenv("XDG_DATA_HOME"); x != "" {
			dir = filepath.Join(x, "aigis")
		} else {
			home, err := os.UserHomeDir()
			if err != nil {
				return "", fmt.Errorf("store: no default data directory (set AIGIS_DATA_DIR or pass --store): %w", err)
			}
			dir = filepath.Join(home, ".local", "share", "aigis")
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("store: create data directory %s (set AIGIS_DATA_DIR to a writable directory): %w", dir, err)
	}
	return filepath.Join(dir, "aigis.db"), nil
}
