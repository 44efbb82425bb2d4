package injection

import (
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/aigis-dev/aigis/guard/textnorm"
)

// CanaryPrefix starts every canary token made by NewCanary.
const CanaryPrefix = "AIGIS-CANARY-"

// NewCanary returns a fresh random canary token to place in a system prompt
// (for example "Never repeat this line: <canary>"). A model output that
// contains it shows that the system prompt leaked.
func NewCanary() (string, error) {
	var b [15]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("make canary: %w", err)
	}
	return CanaryPrefix + base32.StdEncoding.EncodeToString(b[:]), nil
}

// ContainsCanary reports whether output contains one of the canaries, or,
// when none is given, any token shaped like a NewCanary token. Matching
// ignores case, whitespace, punctuation and invisible characters, so a model
// that spaces out or reformats the token is still caught.
func ContainsCanary(output string, canaries ...string) bool {
	if len(output) > MaxOutputBytes {
		output = output[:MaxOutputBytes]
	}
	folded := foldAlnum(output)
	if len(canaries) == 0 {
		i := strings.Index(folded, "aigiscanary")
		return i >= 0 && len(folded)-i-len("aigiscanary") >= 16
	}
	for _, c := range canaries {
		fc := foldAlnum(c)
		if len(fc) >= 8 && strings.Contains(folded, fc) {
			return true
		}
	}
	return false
}

func foldAlnum(s string) string {
	n, _ := textnorm.Normalize(s)
	var b strings.Builder
	b.Grow(len(n))
	for i := 0; i < len(n); i++ {
		c := n[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			b.WriteByte(c)
		case c >= 'A' && c <= 'Z':
			b.WriteByte(c + 'a' - 'A')
		}
	}
	return b.String()
}

// MaxOutputBytes bounds the text CheckOutput examines.
const MaxOutputBytes = 4 << 20

// Output finding kinds.
const (
	OutputCanary         = "canary_leak"
	OutputExfilImage     = "exfil_markdown_image"
	OutputExfilLink      = "exfil_link"
	OutputInvisibleText  = "invisible_text"
	OutputASCIISmuggling = "ascii_smuggling"
)

// OutputOptions configure CheckOutput.
type OutputOptions struct {
	// AllowedDomains may receive data in URLs: "example.com" matches the
	// domain and its subdomains.
	AllowedDomains []string
	// Canaries placed in the system prompt; empty: look for any canary shape.
	Canaries []string
}

// OutputFinding is one problem in a model output. Start and End are Unicode
// code point offsets, half-open. Evidence never holds the data being sent:
// only the destination host.
type OutputFinding struct {
	Kind     string `json:"kind"`
	Start    int    `json:"start"`
	End      int    `json:"end"`
	Evidence string `json:"evidence,omitempty"`
}

// CheckOutput inspects model output text for system-prompt leaks (canaries),
// exfiltration through markdown images, HTML images or links that carry data
// in their URL to hosts outside the allowlist, and invisible text.
func CheckOutput(text string, opts OutputOptions) []OutputFinding {
	if len(text) > MaxOutputBytes {
		text = text[:MaxOutputBytes]
	}
	var out []OutputFinding
	if ContainsCanary(text, opts.Canaries...) {
		out = append(out, OutputFinding{Kind: OutputCanary, Start: 0, End: utf8.RuneCountInString(text)})
	}
	for _, l := range findLinks(text) {
		u, err := url.Parse(l.url)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "") || u.Host == "" {
			continue
		}
		host := strings.ToLower(u.Hostname())
		if allowedHost(host, opts.AllowedDomains) || !dataBearing(u) {
			continue
		}
		kind := OutputExfilLink
		if l.image {
			kind = OutputExfilImage
		}
		out = append(out, OutputFinding{Kind: kind, Start: utf8.RuneCountInString(text[:l.start]),
			End: utf8.RuneCountInString(text[:l.end]), Evidence: host})
	}
	if !textnorm.IsPlainASCII(text) {
		_, rep := textnorm.Normalize(text)
		n := utf8.RuneCountInString(text)
		if rep.TagChars > 0 {
			out = append(out, OutputFinding{Kind: OutputASCIISmuggling, Start: 0, End: n,
				Evidence: fmt.Sprintf("%d tag characters", rep.TagChars)})
		}
		if rep.Invisible+rep.Bidi > 0 {
			out = append(out, OutputFinding{Kind: OutputInvisibleText, Start: 0, End: n,
				Evidence: fmt.Sprintf("%d invisible, %d bidi controls", rep.Invisible, rep.Bidi)})
		}
	}
	return out
}

type link struct {
	url        string
	image      bool
	start, end int // byte offsets of the whole construct
}

// findLinks extracts markdown inline links and images, reference
// definitions, HTML src/href attributes and bare URLs.
func findLinks(s string) []link {
	var out []link
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ']':
			if i+1 < len(s) && s[i+1] == '(' {
				end := strings.IndexByte(s[i+2:], ')')
				if end < 0 || end > 8192 {
					continue
				}
				target := strings.TrimSpace(s[i+2 : i+2+end])
				if sp := strings.IndexAny(target, " \t"); sp >= 0 { // ![a](url "title")
					target = target[:sp]
				}
				target = strings.Trim(target, "<>")
				open := strings.LastIndexByte(s[max(0, i-4096):i], '[')
				start := i
				image := false
				if open >= 0 {
					start = max(0, i-4096) + open
					image = start > 0 && s[start-1] == '!'
					if image {
						start--
					}
				}
				out = append(out, link{url: target, image: image, start: start, end: i + 3 + end})
				i += 2 + end
			} else if i+1 < len(s) && s[i+1] == ':' { // [ref]: url
				rest := strings.TrimLeft(s[i+2:], " \t")
				j := strings.IndexAny(rest, " \t\n\r")
				if j < 0 {
					j = len(rest)
				}
				open := strings.LastIndexByte(s[max(0, i-256):i], '[')
				start := i
				if open >= 0 {
					start = max(0, i-256) + open
				}
				// Reference definitions are fetched when used as images: treat as image.
				out = append(out, link{url: strings.Trim(rest[:j], "<>"), image: true, start: start, end: len(s) - len(rest) + j})
			}
		case '<':
			if i+4 < len(s) && strings.EqualFold(s[i+1:i+4], "img") {
				end := strings.IndexByte(s[i:], '>')
				if end < 0 || end > 8192 {
					continue
				}
				tag := s[i : i+end+1]
				if u, ok := attr(tag, "src"); ok {
					out = append(out, link{url: u, image: true, start: i, end: i + end + 1})
				}
				i += end
			}
		case 'h':
			if strings.HasPrefix(s[i:], "http://") || strings.HasPrefix(s[i:], "https://") {
				if i > 0 && (s[i-1] == '(' || s[i-1] == '"' || s[i-1] == '\'' || s[i-1] == '<') {
					continue // part of a construct handled above
				}
				j := i
				for j < len(s) && s[j] > ' ' && s[j] != ')' && s[j] != '"' && s[j] != '\'' && s[j] != '>' {
					j++
				}
				out = append(out, link{url: s[i:j], start: i, end: j})
				i = j
			}
		}
	}
	return out
}

func attr(tag, name string) (string, bool) {
	l := strings.ToLower(tag)
	i := strings.Index(l, name+"=")
	if i < 0 {
		return "", false
	}
	v := tag[i+len(name)+1:]
	if v == "" {
		return "", false
	}
	if q := v[0]; q == '"' || q == '\'' {
		j := strings.IndexByte(v[1:], q)
		if j < 0 {
			return "", false
		}
		return v[1 : 1+j], true
	}
	j := strings.IndexAny(v, " >")
	if j < 0 {
		j = len(v)
	}
	return v[:j], true
}

func allowedHost(host string, allow []string) bool {
	for _, a := range allow {
		a = strings.TrimPrefix(strings.TrimPrefix(strings.ToLower(strings.TrimSpace(a)), "*."), ".")
		if a != "" && (host == a || strings.HasSuffix(host, "."+a)) {
			return true
		}
	}
	return false
}

// dataBearing reports whether a URL can carry conversation data: a query or
// fragment with a long value, or a long opaque path segment.
func dataBearing(u *url.URL) bool {
	q := u.RawQuery
	if len(q) >= 40 {
		return true
	}
	for _, kv := range strings.Split(q, "&") {
		if _, v, ok := strings.Cut(kv, "="); ok && len(v) >= 12 {
			return true
		} else if !ok && len(kv) >= 16 {
			return true
		}
	}
	if len(u.Fragment) >= 24 {
		return true
	}
	for _, seg := range strings.Split(u.EscapedPath(), "/") {
		if len(seg) >= 40 {
			return true
		}
		if len(seg) >= 16 && strings.Count(seg, "%") >= 3 {
			return true
		}
	}
	return false
}
