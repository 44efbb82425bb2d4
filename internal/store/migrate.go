package store

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"
	"time"
)

//go:embed migrations
var migrationFS embed.FS

// migration is one embedded schema step; versions only grow.
type migration struct {
	Version int
	Name    string
	SQL     string
}

// loadMigrations returns the migrations for kind ("sqlite" or "postgres")
// in version order. File names are NNNN_name.sql.
func loadMigrations(kind string) ([]migration, error) {
	dir := "migrations/" + kind
	entries, err := fs.ReadDir(migrationFS, dir)
	if err != nil {
		return nil, fmt.Errorf("store: read embedded migrations: %w", err)
	}
	var out []migration
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".sql") {
			continue
		}
		num, _, ok := strings.Cut(name, "_")
		if !ok {
			return nil, fmt.Errorf("store: migration %s: name must be NNNN_name.sql", name)
		}
		v, err := strconv.Atoi(num)
		if err != nil || v <= 0 {
			return nil, fmt.Errorf("store: migration %s: bad version", name)
		}
		b, err := fs.ReadFile(migrationFS, dir+"/"+name)
		if err != nil {
			return nil, fmt.Errorf("store: read migration %s: %w", name, err)
		}
		out = append(out, migration{Version: v, Name: name, SQL: string(b)})
	}
	slices.SortFunc(out, func(a, b migration) int { return a.Version - b.Version })
	for i := 1; i < len(out); i++ {
		if out[i].Version == out[i-1].Version {
			return nil, fmt.Errorf("store: two migrations with version %d", out[i].Version)
		}
	}
	return out, nil
}

// checkAppend validates the records build returned against head before they
// are written: contiguous sequence numbers, ids, hash sizes.
func checkAppend(head AuditHead, recs []AuditRecord) error {
	for i, r := range recs {
		want := head.Seq + int64(i) + 1
		if r.Seq != want {
			return fmt.Errorf("store: audit record %d has seq %d, want %d (the chain head moved?)", i, r.Seq, want)
		}
		if r.ID == "" {
			return fmt.Errorf("store: audit record seq %d has no id", r.Seq)
		}
		if len(r.Hash) == 0 || len(r.PrevHash) == 0 {
			return fmt.Errorf("store: audit record seq %d has no hash", r.Seq)
		}
		prev := head.Hash
		if i > 0 {
			prev = recs[i-1].Hash
		}
		if (i > 0 || head.Seq > 0) && !bytes.Equal(r.PrevHash, prev) {
			return fmt.Errorf("store: audit record seq %d does not link to the hash of seq %d", r.Seq, r.Seq-1)
		}
	}
	return nil
}

func encodeRoles(roles []string) (string, error) {
	if roles == nil {
		roles = []string{}
	}
	b, err := json.Marshal(roles)
	if err != nil {
		return "", fmt.Errorf("store: encode roles: %w", err)
	}
	return string(b), nil
}

func decodeRoles(s string) ([]string, error) {
	var roles []string
	if err := json.Unmarshal([]byte(s), &roles); err != nil {
		return nil, fmt.Errorf("store: decode roles %q: %w", s, err)
	}
	return roles, nil
}

func nanos(t *time.Time) *int64 {
	if t == nil {
		return nil
	}
	n := t.UnixNano()
	return &n
}

func fromNanos(n *int64) *time.Time {
	if n == nil {
		return nil
	}
	t := time.Unix(0, *n).UTC()
	return &t
}

func validateKey(k APIKey) error {
	if k.ID == "" {
		return errors.New("store: key has no id")
	}
	if len(k.Hash) == 0 {
		return errors.New("store: key has no hash")
	}
	return nil
}

// clampLimit bounds a page size.
func clampLimit(limit int) int {
	const maxPage = 10000
	if limit <= 0 || limit > maxPage {
		return maxPage
	}
	return limit
}
