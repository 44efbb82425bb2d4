package discover

import (
	"bufio"
	"bytes"
	"encoding/json"
	"path"
	"regexp"
	"strings"
)

// isManifest reports whether a (lower-case) file name is a dependency
// manifest or lock file that the manifest cataloger reads.
func isManifest(lower string) bool {
	switch lower {
	case "pyproject.toml", "pipfile", "poetry.lock", "setup.py", "setup.cfg", "package.json", "package-lock.json",
		"yarn.lock", "pnpm-lock.yaml", "go.mod", "pom.xml", "build.gradle", "build.gradle.kts", "packages.config",
		"directory.packages.props", "uv.lock":
		return true
	}
	if strings.HasPrefix(lower, "requirements") && strings.HasSuffix(lower, ".txt") {
		return true
	}
	return strings.HasSuffix(lower, ".csproj") || strings.HasSuffix(lower, ".fsproj") || strings.HasSuffix(lower, ".vbproj")
}

type dep struct {
	eco, name, version string
	line               int
}

var (
	reqLine      = regexp.MustCompile(`^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*(?:(===|==|~=|>=|<=|!=|>|<)\s*([A-Za-z0-9.*+!_-]+))?`)
	quotedReq    = regexp.MustCompile(`["']([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*(?:(===|==|~=|>=|<=|!=|>|<|\^)\s*([A-Za-z0-9.*+!_-]+))?[^"']*["']`)
	tomlKV       = regexp.MustCompile(`^\s*"?([A-Za-z0-9][A-Za-z0-9._-]*)"?\s*=\s*(?:"([^"]*)"|\{[^}]*version\s*=\s*"([^"]*)")?`)
	tomlSection  = regexp.MustCompile(`^\s*\[\[?([^\]]+)\]\]?\s*$`)
	goRequire    = regexp.MustCompile(`^\s*(?:require\s+)?([a-zA-Z0-9._~/-]+\.[a-zA-Z0-9._~/-]+)\s+(v[0-9][^\s]*)`)
	pomDep       = regexp.MustCompile(`(?s)<dependency>(.*?)</dependency>`)
	xmlTag       = regexp.MustCompile(`(?s)<(groupId|artifactId|version)>\s*([^<]*?)\s*</(?:groupId|artifactId|version)>`)
	gradleDep    = regexp.MustCompile(`["']([A-Za-z0-9._-]+):([A-Za-z0-9._-]+)(?::([A-Za-z0-9._+-]+))?["']`)
	nugetRef     = regexp.MustCompile(`(?i)<(?:PackageReference|PackageVersion|package)\s+(?:Include|Update|id)="([^"]+)"(?:[^>]*?(?:Version|version)="([^"]*)")?`)
	yarnHeader   = regexp.MustCompile(`^"?(@?[^@"\s,]+)@`)
	yarnVersion  = regexp.MustCompile(`^\s+version:?\s+"?([^"\s]+)"?`)
	pnpmPkg      = regexp.MustCompile(`^\s{2}['"]?/?(@?[^@\s'"]+)@([0-9][^:('"\s]*)`)
	setupReqName = regexp.MustCompile(`(install_requires|extras_require|requires)`)
)

// manifest reads one dependency manifest and records AI packages.
func (w *worker) manifest(rel, lower string, data []byte) {
	if looksBinary(data) {
		w.c.warn(rel, "binary content in a file named like a dependency manifest: not parsed")
		return
	}
	var deps []dep
	var err error
	switch {
	case strings.HasPrefix(lower, "requirements"):
		eachLine(data, func(n int, line string) {
			line = strings.TrimSpace(line)
			if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "-") {
				return
			}
			if m := reqLine.FindStringSubmatch(line); m != nil {
				deps = append(deps, dep{ecoPyPI, m[1], pinOf(m[2], m[3]), n})
			}
		})
	case lower == "pyproject.toml" || lower == "pipfile" || lower == "setup.cfg":
		deps = tomlDeps(data)
	case lower == "poetry.lock" || lower == "uv.lock":
		var name string
		var nameLine int
		eachLine(data, func(n int, line string) {
			if strings.HasPrefix(line, "[[package]]") {
				name = ""
				return
			}
			if m := tomlKV.FindStringSubmatch(line); m != nil {
				switch m[1] {
				case "name":
					name, nameLine = m[2], n
				case "version":
					if name != "" {
						deps = append(deps, dep{ecoPyPI, name, m[2], nameLine})
						name = ""
					}
				}
			}
		})
	case lower == "setup.py":
		in := false
		eachLine(data, func(n int, line string) {
			if setupReqName.MatchString(line) {
				in = true
			}
			if !in {
				return
			}
			for _, m := range quotedReq.FindAllStringSubmatch(line, -1) {
				deps = append(deps, dep{ecoPyPI, m[1], pinOf(m[2], m[3]), n})
			}
			if strings.Contains(line, "]") && !strings.Contains(line, "[") {
				in = false
			}
		})
	case lower == "package.json":
		deps, err = packageJSONDeps(data)
	case lower == "package-lock.json":
		deps, err = packageLockDeps(data)
	case lower == "yarn.lock":
		var name string
		var nameLine int
		eachLine(data, func(n int, line string) {
			if line != "" && line[0] != ' ' && line[0] != '#' {
				if m := yarnHeader.FindStringSubmatch(line); m != nil {
					name, nameLine = m[1], n
					return
				}
				name = ""
			}
			if name != "" {
				if m := yarnVersion.FindStringSubmatch(line); m != nil {
					deps = append(deps, dep{ecoNPM, name, m[1], nameLine})
					name = ""
				}
			}
		})
	case lower == "pnpm-lock.yaml":
		eachLine(data, func(n int, line string) {
			if m := pnpmPkg.FindStringSubmatch(line); m != nil {
				deps = append(deps, dep{ecoNPM, m[1], m[2], n})
			}
		})
	case lower == "go.mod":
		eachLine(data, func(n int, line string) {
			if strings.HasPrefix(strings.TrimSpace(line), "module ") || strings.HasPrefix(strings.TrimSpace(line), "//") {
				return
			}
			if m := goRequire.FindStringSubmatch(line); m != nil {
				deps = append(deps, dep{ecoGo, m[1], m[2], n})
			}
		})
	case lower == "pom.xml":
		for _, loc := range pomDep.FindAllSubmatchIndex(data, -1) {
			body := data[loc[2]:loc[3]]
			var g, a, v string
			for _, t := range xmlTag.FindAllSubmatch(body, -1) {
				switch string(t[1]) {
				case "groupId":
					g = string(t[2])
				case "artifactId":
					a = string(t[2])
				case "version":
					v = string(t[2])
				}
			}
			if g != "" && a != "" {
				deps = append(deps, dep{ecoMaven, g + ":" + a, v, lineAt(data, loc[0])})
			}
		}
	case strings.HasPrefix(lower, "build.gradle"):
		eachLine(data, func(n int, line string) {
			for _, m := range gradleDep.FindAllStringSubmatch(line, -1) {
				deps = append(deps, dep{ecoMaven, m[1] + ":" + m[2], m[3], n})
			}
		})
	default: // .csproj, packages.config, Directory.Packages.props
		eachLine(data, func(n int, line string) {
			for _, m := range nugetRef.FindAllStringSubmatch(line, -1) {
				deps = append(deps, dep{ecoNuGet, m[1], m[2], n})
			}
		})
	}
	if err != nil {
		w.c.warn(rel, "cannot parse %s: %v", path.Base(rel), err)
		return
	}
	for _, d := range deps {
		r, ok := lookupPkg(d.eco, d.name)
		if !ok {
			continue
		}
		props := map[string]string{"package": d.name, "ecosystem": d.eco, "category": r.category, "source": path.Base(rel)}
		if p := purl(d.eco, d.name, d.version); p != "" {
			props["purl"] = p
		}
		w.c.asset(Asset{Kind: KindSDK, Name: r.framework, Version: d.version, File: rel, Line: d.line, Evidence: d.name, Properties: props})
	}
}

// pinOf turns an operator and version into the version string recorded:
// exact pins keep the version, ranges keep operator and version.
func pinOf(op, v string) string {
	switch op {
	case "":
		return ""
	case "==", "===":
		return v
	}
	return op + v
}

func tomlDeps(data []byte) []dep {
	var deps []dep
	section := ""
	inArray := false
	eachLine(data, func(n int, line string) {
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, "#") || t == "" {
			return
		}
		if m := tomlSection.FindStringSubmatch(t); m != nil && !inArray {
			section = strings.ToLower(m[1])
			return
		}
		if inArray {
			for _, m := range quotedReq.FindAllStringSubmatch(t, -1) {
				deps = append(deps, dep{ecoPyPI, m[1], pinOf(m[2], m[3]), n})
			}
			if strings.Contains(t, "]") {
				inArray = false
			}
			return
		}
		key, val, ok := strings.Cut(t, "=")
		if !ok {
			return
		}
		key = strings.TrimSpace(key)
		val = strings.TrimSpace(val)
		depSection := strings.Contains(section, "dependencies") || section == "packages" || section == "dev-packages" || section == "options.extras_require"
		if strings.HasPrefix(val, "[") && (strings.HasSuffix(key, "dependencies") || strings.Contains(section, "optional-dependencies") || section == "dependency-groups" || key == "install_requires") {
			for _, m := range quotedReq.FindAllStringSubmatch(val, -1) {
				deps = append(deps, dep{ecoPyPI, m[1], pinOf(m[2], m[3]), n})
			}
			inArray = !strings.Contains(val, "]")
			return
		}
		if depSection {
			if m := tomlKV.FindStringSubmatch(t); m != nil && m[1] != "python" {
				v := m[2]
				if v == "" {
					v = m[3]
				}
				if v == "*" {
					v = ""
				}
				deps = append(deps, dep{ecoPyPI, m[1], strings.TrimPrefix(v, "=="), n})
			}
		}
	})
	return deps
}

func packageJSONDeps(data []byte) ([]dep, error) {
	var pj map[string]json.RawMessage
	if err := json.Unmarshal(data, &pj); err != nil {
		return nil, err
	}
	var deps []dep
	for _, sec := range []string{"dependencies", "devDependencies", "peerDependencies", "optionalDependencies"} {
		var m map[string]string
		if err := json.Unmarshal(pj[sec], &m); err != nil {
			continue
		}
		for name, ver := range m {
			deps = append(deps, dep{ecoNPM, name, ver, lineOfText(data, `"`+name+`"`)})
		}
	}
	return deps, nil
}

func packageLockDeps(data []byte) ([]dep, error) {
	var pl struct {
		Packages     map[string]struct{ Version string } `json:"packages"`
		Dependencies map[string]struct{ Version string } `json:"dependencies"`
	}
	if err := json.Unmarshal(data, &pl); err != nil {
		return nil, err
	}
	var deps []dep
	for k, v := range pl.Packages {
		i := strings.LastIndex(k, "node_modules/")
		if i < 0 {
			continue
		}
		name := k[i+len("node_modules/"):]
		deps = append(deps, dep{ecoNPM, name, v.Version, lineOfText(data, `"`+k+`"`)})
	}
	if len(pl.Packages) == 0 {
		for name, v := range pl.Dependencies {
			deps = append(deps, dep{ecoNPM, name, v.Version, lineOfText(data, `"`+name+`"`)})
		}
	}
	return deps, nil
}

func purl(eco, name, version string) string {
	v := version
	if strings.ContainsAny(v, "<>=~^*! ,|") {
		v = ""
	}
	var p string
	switch eco {
	case ecoPyPI:
		p = "pkg:pypi/" + normalizePkg(ecoPyPI, name)
	case ecoNPM:
		p = "pkg:npm/" + strings.ReplaceAll(name, "@", "%40")
	case ecoGo:
		p = "pkg:golang/" + name
	case ecoMaven:
		g, a, _ := strings.Cut(name, ":")
		p = "pkg:maven/" + g + "/" + a
	case ecoNuGet:
		p = "pkg:nuget/" + name
	default:
		return ""
	}
	if v != "" {
		p += "@" + v
	}
	return p
}

// eachLine calls fn with every line (1-based numbers), bounded to 64 KiB per line.
func eachLine(data []byte, fn func(n int, line string)) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Bytes()
		if len(line) > 64<<10 {
			line = line[:64<<10]
		}
		fn(n, string(line))
	}
}

func lineAt(data []byte, off int) int { return bytes.Count(data[:off], []byte("\n")) + 1 }

func lineOfText(data []byte, needle string) int {
	i := bytes.Index(data, []byte(needle))
	if i < 0 {
		return 0
	}
	return lineAt(data, i)
}
