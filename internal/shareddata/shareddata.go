// Package shareddata locates the project's shared material (../shared beside
// the module root: datasets, reference specs) for tests and evaluation
// commands. Tests that need it skip when it is absent.
package shareddata

import (
	"os"
	"path/filepath"
	"testing"
)

// Root returns the shared folder: $AIGIS_SHARED if set, else the "shared"
// folder beside the directory holding go.mod, searched upward from the
// working directory. ok is false when none exists.
func Root() (string, bool) {
	if d := os.Getenv("AIGIS_SHARED"); d != "" {
		if st, err := os.Stat(d); err == nil && st.IsDir() {
			return d, true
		}
		return "", false
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", false
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			s := filepath.Join(filepath.Dir(dir), "shared")
			if st, err := os.Stat(s); err == nil && st.IsDir() {
				return s, true
			}
			return "", false
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
}

// Path returns root/rel and whether that path exists.
func Path(rel string) (string, bool) {
	root, ok := Root()
	if !ok {
		return "", false
	}
	p := filepath.Join(root, filepath.FromSlash(rel))
	if _, err := os.Stat(p); err != nil {
		return "", false
	}
	return p, true
}

// Require returns root/rel or skips the test with a message when it is absent.
func Require(tb testing.TB, rel string) string {
	tb.Helper()
	p, ok := Path(rel)
	if !ok {
		tb.Skipf("shared data %q not found (set AIGIS_SHARED or place ../shared beside the module root); skipping", rel)
	}
	return p
}
