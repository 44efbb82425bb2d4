package discover

import (
	"bufio"
	"bytes"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// ignoreRule is one .gitignore pattern, relative to the directory (base) of
// the file that holds it. Supported: comments, blank lines, negation (!),
// directory-only patterns (trailing /), anchored patterns (a / at the start
// or in the middle), *, ?, [...] and ** as a whole path segment.
type ignoreRule struct {
	base    string // slash path of the .gitignore's directory, "" for root
	outer   string // for a .gitignore above the scan root: the root's path below its directory
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
		line := strings.TrimRight(sc.Text(), "\r")
		if strings.HasSuffix(line, "\\ ") {
			line = strings.TrimRight(line[:len(line)-2], " ") + "\\ " // an escaped trailing space stays
		} else {
			line = strings.TrimRight(line, " ")
		}
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
		for i, seg := range r.segs {
			r.segs[i] = gitGlob(seg)
		}
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
		if r.outer != "" {
			p = r.outer + "/" + rel
		} else if r.base != "" {
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

// matchSegs matches path segments against pattern segments where "**"
// stands for zero or more segments. Only the last "**" is ever backtracked
// to (as in classic wildcard matching), so a hostile pattern with many "**"
// costs O(len(pat)*len(segs)), not an exponential search.
func matchSegs(pat, segs []string) bool {
	pi, si := 0, 0
	starP, starS := -1, 0
	for si < len(segs) {
		switch {
		case pi < len(pat) && pat[pi] == "**":
			starP, starS = pi, si
			pi++
		case pi < len(pat) && matchSeg(pat[pi], segs[si]):
			pi++
			si++
		case starP >= 0:
			starS++
			pi, si = starP+1, starS
		default:
			return false
		}
	}
	for pi < len(pat) && pat[pi] == "**" {
		pi++
	}
	return pi == len(pat)
}

func matchSeg(pat, name string) bool {
	ok, err := path.Match(pat, name)
	return err == nil && ok
}

// gitGlob turns one gitignore pattern segment into path.Match syntax: git
// negates a bracket expression with [!...] (path.Match wants [^...]).
func gitGlob(seg string) string {
	if !strings.Contains(seg, "[!") {
		return seg
	}
	var b strings.Builder
	inClass := false
	for i := 0; i < len(seg); i++ {
		c := seg[i]
		switch {
		case c == '\\' && i+1 < len(seg):
			b.WriteByte(c)
			i++
			b.WriteByte(seg[i])
			continue
		case c == '[' && !inClass:
			inClass = true
			b.WriteByte(c)
			if i+1 < len(seg) && seg[i+1] == '!' {
				b.WriteByte('^')
				i++
			}
			continue
		case c == ']' && inClass:
			inClass = false
		}
		b.WriteByte(c)
	}
	return b.String()
}

// maxGitUp bounds the search for the repository that holds the scan root.
const maxGitUp = 64

// outerIgnoreRules returns the rules that apply to the scan root from above:
// when root lies inside a Git work tree, the .gitignore files of the
// repository root and of every folder between it and the scan root, and the
// repository's .git/info/exclude. Nothing is read outside the repository.
func outerIgnoreRules(root string) []ignoreRule {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil
	}
	var chain []string // abs, its parent, ... up to the repository root
	repo := ""
	for dir, i := abs, 0; i < maxGitUp; i++ {
		chain = append(chain, dir)
		if _, err := os.Lstat(filepath.Join(dir, ".git")); err == nil {
			repo = dir
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	if repo == "" {
		return nil
	}
	var rules []ignoreRule
	add := func(dir string, data []byte) {
		outer, err := filepath.Rel(dir, abs)
		if err != nil {
			return
		}
		outer = filepath.ToSlash(outer)
		for _, r := range parseGitignore("", data) {
			if outer != "." {
				r.outer = outer
			}
			rules = append(rules, r)
		}
	}
	if data, err := readBounded(filepath.Join(repo, ".git", "info", "exclude"), maxGitignore); err == nil {
		add(repo, data)
	}
	for i := len(chain) - 1; i >= 1; i-- { // the scan root's own .gitignore is read by the walker
		if data, err := readBounded(filepath.Join(chain[i], ".gitignore"), maxGitignore); err == nil {
			add(chain[i], data)
		}
	}
	return rules
}
