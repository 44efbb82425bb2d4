package discover

import (
	"bufio"
	"bytes"
	"path"
	"strings"
)

// ignoreRule is one .gitignore pattern, relative to the directory (base) of
// the file that holds it. Supported: comments, blank lines, negation (!),
// directory-only patterns (trailing /), anchored patterns (a / at the start
// or in the middle), *, ?, [...] and ** as a whole path segment.
type ignoreRule struct {
	base    string // slash path of the .gitignore's directory, "" for root
	segs    []string
	negate  bool
	dirOnly bool
	anchor  bool
}

// parseGitignore reads the rules of one .gitignore file (bounded to 1 MiB by
// the caller).
func parseGitignore(base string, data []byte) []ignoreRule {
	var out []ignoreRule
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 4096), 64<<10)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), " \r")
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		r := ignoreRule{base: base}
		if strings.HasPrefix(line, "!") {
			r.negate = true
			line = line[1:]
		}
		line = strings.TrimPrefix(line, "\\")
		if strings.HasSuffix(line, "/") {
			r.dirOnly = true
			line = strings.TrimRight(line, "/")
		}
		if strings.Contains(line, "/") {
			r.anchor = true
			line = strings.TrimPrefix(line, "/")
		}
		if line == "" {
			continue
		}
		r.segs = strings.Split(line, "/")
		out = append(out, r)
	}
	return out
}

// ignored reports whether rel (slash path from the scan root) is ignored by
// rules; the last matching rule wins.
func ignored(rules []ignoreRule, rel string, isDir bool) bool {
	ign := false
	for i := range rules {
		r := &rules[i]
		if r.dirOnly && !isDir {
			continue
		}
		p := rel
		if r.base != "" {
			if !strings.HasPrefix(rel, r.base+"/") {
				continue
			}
			p = rel[len(r.base)+1:]
		}
		var ok bool
		if r.anchor {
			ok = matchSegs(r.segs, strings.Split(p, "/"))
		} else {
			ok = matchSeg(r.segs[0], path.Base(p))
		}
		if ok {
			ign = !r.negate
		}
	}
	return ign
}

func matchSegs(pat, segs []string) bool {
	for len(pat) > 0 {
		if pat[0] == "**" {
			rest := pat[1:]
			if len(rest) == 0 {
				return true
			}
			for i := 0; i <= len(segs); i++ {
				if matchSegs(rest, segs[i:]) {
					return true
				}
			}
			return false
		}
		if len(segs) == 0 || !matchSeg(pat[0], segs[0]) {
			return false
		}
		pat, segs = pat[1:], segs[1:]
	}
	return len(segs) == 0
}

func matchSeg(pat, name string) bool {
	ok, err := path.Match(pat, name)
	return err == nil && ok
}
