package policy

import (
	"fmt"
	"strings"
)

// glob is a precompiled model-name pattern. '*' matches any run of
// characters (including '/', which model names often contain) and '?'
// matches exactly one byte. There are no character classes or escapes;
// everything else matches itself, case-sensitively.
type glob struct {
	pattern string
	any     bool     // pattern is "*"
	literal bool     // no wildcard at all
	parts   []string // pattern split at '*'; '?' stays inside parts
	hasQ    bool
}

const maxGlobLen = 256

func compileGlob(p string) (glob, error) {
	if p == "" {
		return glob{}, fmt.Errorf("empty pattern")
	}
	if len(p) > maxGlobLen {
		return glob{}, fmt.Errorf("pattern %.32q... is %d bytes, at most %d", p, len(p), maxGlobLen)
	}
	g := glob{pattern: p, hasQ: strings.IndexByte(p, '?') >= 0}
	if strings.Trim(p, "*") == "" {
		g.any = true
		return g, nil
	}
	if strings.IndexByte(p, '*') < 0 && !g.hasQ {
		g.literal = true
		return g, nil
	}
	g.parts = strings.Split(p, "*")
	return g, nil
}

// match reports whether s matches the pattern. It does not allocate and
// runs in O(len(s) * number of stars) time at worst.
func (g *glob) match(s string) bool {
	switch {
	case g.any:
		return true
	case g.literal:
		return s == g.pattern
	}
	parts := g.parts
	if len(parts) == 1 { // only '?' wildcards
		return len(s) == len(parts[0]) && matchQ(parts[0], s)
	}
	// First part anchors at the start, last at the end.
	first, last := parts[0], parts[len(parts)-1]
	if len(s) < len(first)+len(last) {
		return false
	}
	if !matchQ(first, s[:len(first)]) || !matchQ(last, s[len(s)-len(last):]) {
		return false
	}
	s = s[len(first) : len(s)-len(last)]
	// Middle parts: greedy leftmost match is correct when stars separate them.
	for _, p := range parts[1 : len(parts)-1] {
		if p == "" {
			continue
		}
		i := indexQ(s, p)
		if i < 0 {
			return false
		}
		s = s[i+len(p):]
	}
	return true
}

// matchQ compares equal-length p and s where '?' in p matches any byte.
func matchQ(p, s string) bool {
	if len(p) != len(s) {
		return false
	}
	for i := 0; i < len(p); i++ {
		if p[i] != '?' && p[i] != s[i] {
			return false
		}
	}
	return true
}

// indexQ finds the leftmost occurrence of p in s, '?' matching any byte.
func indexQ(s, p string) int {
	if strings.IndexByte(p, '?') < 0 {
		return strings.Index(s, p)
	}
	for i := 0; i+len(p) <= len(s); i++ {
		if matchQ(p, s[i:i+len(p)]) {
			return i
		}
	}
	return -1
}
