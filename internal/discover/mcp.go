package discover

import (
	"context"
	"encoding/json"
	"net"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/aigis-dev/aigis/internal/finding"
)

var mcpConfigNames = map[string]bool{
	"mcp.json": true, ".mcp.json": true, "mcp_config.json": true, "claude_desktop_config.json": true,
	"mcp_settings.json": true, "cline_mcp_settings.json": true, ".claude.json": true,
}

// isMCPConfigPath reports whether a repository path is a known MCP client
// config file.
func isMCPConfigPath(rel string) bool {
	base := strings.ToLower(path.Base(rel))
	if mcpConfigNames[base] {
		return true
	}
	lr := strings.ToLower(rel)
	return strings.HasSuffix(lr, ".gemini/settings.json") || strings.HasSuffix(lr, ".claude/settings.json") ||
		strings.HasSuffix(lr, ".claude/settings.local.json") || strings.HasSuffix(lr, ".zed/settings.json")
}

// hostMCPConfigs are user-level MCP client configs, relative to the home
// directory, with the client they belong to.
var hostMCPConfigs = []struct{ rel, client string }{
	{"Library/Application Support/Claude/claude_desktop_config.json", "Claude Desktop"},
	{".config/Claude/claude_desktop_config.json", "Claude Desktop"},
	{"AppData/Roaming/Claude/claude_desktop_config.json", "Claude Desktop"},
	{".claude.json", "Claude Code"},
	{".claude/settings.json", "Claude Code"},
	{".cursor/mcp.json", "Cursor"},
	{".codeium/windsurf/mcp_config.json", "Windsurf"},
	{"Library/Application Support/Code/User/mcp.json", "VS Code"},
	{"Library/Application Support/Code/User/settings.json", "VS Code"},
	{".config/Code/User/mcp.json", "VS Code"},
	{".config/Code/User/settings.json", "VS Code"},
	{"AppData/Roaming/Code/User/mcp.json", "VS Code"},
	{"AppData/Roaming/Code/User/settings.json", "VS Code"},
	{".gemini/settings.json", "Gemini CLI"},
	{".config/zed/settings.json", "Zed"},
	{".aws/amazonq/mcp.json", "Amazon Q Developer"},
	{".kiro/settings/mcp.json", "Kiro"},
	{".lmstudio/mcp.json", "LM Studio"},
	{".config/Code/User/globalStorage/saoudrizwan.claude-dev/settings/cline_mcp_settings.json", "Cline"},
	{"Library/Application Support/Code/User/globalStorage/saoudrizwan.claude-dev/settings/cline_mcp_settings.json", "Cline"},
	{"AppData/Roaming/Code/User/globalStorage/saoudrizwan.claude-dev/settings/cline_mcp_settings.json", "Cline"},
	{".config/Code/User/globalStorage/rooveterinaryinc.roo-cline/settings/mcp_settings.json", "Roo Code"},
	{"Library/Application Support/Code/User/globalStorage/rooveterinaryinc.roo-cline/settings/mcp_settings.json", "Roo Code"},
	{"AppData/Roaming/Code/User/globalStorage/rooveterinaryinc.roo-cline/settings/mcp_settings.json", "Roo Code"},
	{"Library/Application Support/Code - Insiders/User/mcp.json", "VS Code Insiders"},
	{".config/Code - Insiders/User/mcp.json", "VS Code Insiders"},
	{"AppData/Roaming/Code - Insiders/User/mcp.json", "VS Code Insiders"},
	{".junie/mcp/mcp.json", "JetBrains Junie"},
}

// scanHost reads the user-level MCP client configs under the home directory.
func (s *Scanner) scanHost(ctx context.Context, c *collector) {
	home := homeDir(s.opts)
	if home == "" {
		c.warn("", "--host: cannot determine the home directory")
		return
	}
	w := newWorker(s, c)
	for _, hc := range hostMCPConfigs {
		if ctx.Err() != nil {
			return
		}
		p := filepath.Join(home, filepath.FromSlash(hc.rel))
		data, err := readBounded(p, 16<<20)
		if err != nil {
			if !os.IsNotExist(err) {
				c.warn("~/"+hc.rel, "cannot read: %v", err)
			}
			continue
		}
		w.mcpConfig("~/"+hc.rel, data, hc.client)
	}
}

type mcpServer struct {
	Type      string         `json:"type"`
	Transport string         `json:"transport"`
	Command   any            `json:"command"` // string, or {path,args} (Zed)
	Args      []any          `json:"args"`
	Env       map[string]any `json:"env"`
	URL       string         `json:"url"`
	ServerURL string         `json:"serverUrl"`
	HTTPURL   string         `json:"httpUrl"`
	Headers   map[string]any `json:"headers"`
	Disabled  bool           `json:"disabled"`
}

// mcpConfig parses one MCP client config (JSON with comments allowed) and
// records each server, with findings for unpinned packages, inline secrets
// and plain-HTTP remote servers. Env values are never recorded.
func (w *worker) mcpConfig(rel string, data []byte, client string) {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(stripJSONC(data), &doc); err != nil {
		w.c.warn(rel, "MCP config is not valid JSON: %v", err)
		return
	}
	groups := map[string]json.RawMessage{}
	for _, key := range []string{"mcpServers", "servers", "context_servers", "mcp_servers"} {
		if raw, ok := doc[key]; ok {
			groups[key] = raw
		}
	}
	if raw, ok := doc["mcp"]; ok { // VS Code settings.json
		var inner map[string]json.RawMessage
		if json.Unmarshal(raw, &inner) == nil {
			if s, ok := inner["servers"]; ok {
				groups["mcp.servers"] = s
			}
		}
	}
	if raw, ok := doc["projects"]; ok { // Claude Code ~/.claude.json
		var projects map[string]map[string]json.RawMessage
		if json.Unmarshal(raw, &projects) == nil {
			keys := make([]string, 0, len(projects))
			for k := range projects {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				if s, ok := projects[k]["mcpServers"]; ok {
					groups["projects."+k] = s
				}
			}
		}
	}
	for _, raw := range groups {
		var servers map[string]json.RawMessage
		if json.Unmarshal(raw, &servers) != nil {
			continue
		}
		for name, sraw := range servers {
			var s mcpServer
			if err := json.Unmarshal(sraw, &s); err != nil {
				w.c.warn(rel, "MCP server %q: %v", name, err)
				continue
			}
			w.mcpServer(rel, data, client, name, &s)
		}
	}
}

func (w *worker) mcpServer(rel string, data []byte, client, name string, s *mcpServer) {
	line := lineOfText(data, `"`+name+`"`)
	cmd, args := "", []string{}
	switch c := s.Command.(type) {
	case string:
		cmd = c
	case map[string]any: // Zed: {"path": ..., "args": [...]}
		cmd, _ = c["path"].(string)
		if a, ok := c["args"].([]any); ok {
			s.Args = append(a, s.Args...)
		}
	}
	for _, a := range s.Args {
		if str, ok := a.(string); ok {
			args = append(args, str)
		}
	}
	u := s.URL
	if u == "" {
		u = s.ServerURL
	}
	if u == "" {
		u = s.HTTPURL
	}
	transport := strings.ToLower(s.Type)
	if transport == "" {
		transport = strings.ToLower(s.Transport)
	}
	if transport == "" {
		if u != "" {
			transport = "http"
		} else {
			transport = "stdio"
		}
	}
	props := map[string]string{"client": client, "transport": transport}
	if cmd != "" {
		props["command"] = cmd
		props["args"] = maskArgs(args)
	}
	if u != "" {
		props["url"] = redactURL(u)
	}
	envNames := make([]string, 0, len(s.Env))
	for k := range s.Env {
		envNames = append(envNames, k)
	}
	sort.Strings(envNames)
	if len(envNames) > 0 {
		props["env"] = strings.Join(envNames, ",")
	}
	pkg, version, runner, pinned := mcpPackage(cmd, args)
	if pkg != "" {
		props["package"] = pkg
		props["runner"] = runner
		props["pinned"] = boolStr(pinned)
	}
	if s.Disabled {
		props["disabled"] = "true"
	}
	w.c.asset(Asset{Kind: KindMCPServer, Name: name, Version: version, File: rel, Line: line, Evidence: client, Properties: props})

	base := finding.Finding{File: rel, Line: line, Resource: "mcp:" + name}
	if pkg != "" && !pinned {
		f := base
		f.ID, f.Severity = "AIGIS-MCP-001", finding.Medium
		f.Title = "MCP server package is not pinned to a version"
		f.Evidence = runner + " " + pkg + versionNote(version)
		f.Remediation = "Pin the server to an exact, reviewed version (npx -y pkg@1.2.3, uvx pkg==1.2.3, image@sha256:...) and update deliberately."
		f.ATLAS, f.OWASP = []string{"AML.T0010.001", "AML.T0010.005"}, []string{"LLM03:2025", "MCP04", "ASI04"}
		w.c.finding(f)
	}
	var secretWhere []string
	for _, k := range envNames {
		if v, ok := s.Env[k].(string); ok && inlineSecret(k, v) {
			secretWhere = append(secretWhere, "env "+k)
		}
	}
	for k, hv := range s.Headers {
		if v, ok := hv.(string); ok && inlineSecret(k, v) {
			secretWhere = append(secretWhere, "header "+k)
		}
	}
	for i, a := range args {
		if keyPattern(a) != "" || (strings.Contains(a, "://") && urlHasSecret(a)) || (strings.Contains(a, "=") && !strings.Contains(a, "://") && inlineSecret(strings.SplitN(a, "=", 2)[0], strings.SplitN(a, "=", 2)[1])) {
			secretWhere = append(secretWhere, "args["+strconv.Itoa(i)+"]")
		}
	}
	if u != "" && urlHasSecret(u) {
		secretWhere = append(secretWhere, "url")
	}
	if len(secretWhere) > 0 {
		sort.Strings(secretWhere)
		f := base
		f.ID, f.Severity = "AIGIS-MCP-002", finding.High
		f.Title = "MCP server config holds a secret in clear"
		f.Evidence = "literal secret value in " + strings.Join(secretWhere, ", ") + " (value not shown)"
		f.Remediation = "Reference secrets from the environment or the client's secret input (${env:NAME}, ${input:name}) or a secret manager; rotate the exposed credential."
		f.ATLAS, f.OWASP = []string{"AML.T0055", "AML.T0083"}, []string{"LLM02:2025", "MCP01"}
		w.c.finding(f)
	}
	if u != "" && plainHTTPRemote(u) {
		f := base
		f.ID, f.Severity = "AIGIS-MCP-003", finding.High
		f.Title = "MCP server reached over plain HTTP on a non-local host"
		f.Evidence = redactURL(u)
		f.Remediation = "Use https:// with a valid certificate (and authentication) for remote MCP servers."
		f.ATLAS, f.OWASP = []string{"AML.T0025", "AML.T0049"}, []string{"LLM02:2025", "MCP07"}
		w.c.finding(f)
	}
	joined := strings.ToLower(cmd + " " + strings.Join(args, " "))
	if (path.Base(cmd) == "sh" || path.Base(cmd) == "bash" || path.Base(cmd) == "zsh" || path.Base(cmd) == "powershell" || path.Base(cmd) == "pwsh") &&
		(strings.Contains(joined, "curl ") || strings.Contains(joined, "wget ") || strings.Contains(joined, "iwr ") || strings.Contains(joined, "invoke-webrequest")) {
		f := base
		f.ID, f.Severity = "AIGIS-MCP-004", finding.High
		f.Title = "MCP server is launched by a shell that downloads code at start"
		f.Evidence = path.Base(cmd) + " with a download command in its arguments"
		f.Remediation = "Install the server from a pinned, verified package or image; do not pipe downloads into a shell."
		f.ATLAS, f.OWASP = []string{"AML.T0010.005", "AML.T0011.001"}, []string{"LLM03:2025", "MCP04", "MCP05"}
		w.c.finding(f)
	}
	if path.Base(cmd) == "docker" || path.Base(cmd) == "podman" {
		if strings.Contains(joined, "--privileged") || strings.Contains(joined, "docker.sock") || strings.Contains(joined, " -v /:/") || strings.Contains(joined, "--volume /:/") || strings.Contains(joined, "--network host") || strings.Contains(joined, "--net=host") {
			f := base
			f.ID, f.Severity = "AIGIS-MCP-005", finding.High
			f.Title = "MCP server container runs with host-level privileges"
			f.Evidence = "docker run with --privileged, the Docker socket, the host root or host networking"
			f.Remediation = "Run the server container unprivileged, without the Docker socket or host mounts; grant only the paths it needs."
			f.ATLAS, f.OWASP = []string{"AML.T0053", "AML.T0012"}, []string{"LLM06:2025", "MCP02", "ASI03"}
			w.c.finding(f)
		}
	}
}

func versionNote(v string) string {
	if v == "" {
		return " (no version)"
	}
	return "@" + v
}

func boolStr(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

var (
	exactSemver = regexp.MustCompile(`^v?[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.-]+)?$`)
	pyExact     = regexp.MustCompile(`^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([0-9][0-9A-Za-z.+!-]*)$`)
)

// mcpPackage finds the package a runner command starts and whether its
// version is pinned.
func mcpPackage(cmd string, args []string) (pkg, version, runner string, pinned bool) {
	base := strings.TrimSuffix(strings.ToLower(path.Base(strings.ReplaceAll(cmd, "\\", "/"))), ".cmd")
	base = strings.TrimSuffix(base, ".exe")
	rest := args
	switch base {
	case "npx", "bunx", "pnpx":
		runner = base
	case "pnpm", "yarn", "bun", "npm":
		if len(rest) > 0 && (rest[0] == "dlx" || rest[0] == "x" || rest[0] == "exec") {
			runner = base + " " + rest[0]
			rest = rest[1:]
		}
	case "uvx", "pipx":
		runner = base
		if base == "pipx" && len(rest) > 0 && rest[0] == "run" {
			rest = rest[1:]
		}
	case "uv":
		if len(rest) > 1 && rest[0] == "tool" && rest[1] == "run" {
			runner, rest = "uv tool run", rest[2:]
		}
	case "docker", "podman":
		if len(rest) > 0 && rest[0] == "run" {
			runner = base + " run"
			for i := 1; i < len(rest); i++ {
				a := rest[i]
				if strings.HasPrefix(a, "-") {
					if (a == "-e" || a == "-v" || a == "--env" || a == "--volume" || a == "--name" || a == "--network" || a == "-p" || a == "--mount" || a == "-w" || a == "--user" || a == "-u" || a == "--env-file") && i+1 < len(rest) {
						i++
					}
					continue
				}
				img := a
				if at := strings.Index(img, "@sha256:"); at > 0 {
					return img[:at], img[at+1:], runner, true
				}
				ref := img[strings.LastIndex(img, "/")+1:]
				if _, tag, ok := strings.Cut(ref, ":"); ok {
					return strings.TrimSuffix(img, ":"+tag), tag, runner, tag != "latest" && tag != "main" && tag != "edge"
				}
				return img, "", runner, false
			}
		}
		return "", "", "", false
	}
	if runner == "" {
		return "", "", "", false
	}
	py := strings.HasPrefix(runner, "uv") || runner == "pipx"
	for i := 0; i < len(rest); i++ {
		a := rest[i]
		if a == "--from" && i+1 < len(rest) && py {
			pkg = rest[i+1]
			break
		}
		if a == "--package" || a == "-p" {
			if i+1 < len(rest) {
				pkg = rest[i+1]
				break
			}
		}
		if strings.HasPrefix(a, "-") {
			continue
		}
		pkg = a
		break
	}
	if pkg == "" {
		return "", "", "", false
	}
	if py {
		if m := pyExact.FindStringSubmatch(pkg); m != nil {
			return m[1], m[2], runner, true
		}
		if i := strings.IndexAny(pkg, "<>=~!@"); i > 0 {
			return pkg[:i], pkg[i:], runner, false
		}
		return pkg, "", runner, false
	}
	name, ver := pkg, ""
	if i := strings.LastIndex(pkg, "@"); i > 0 {
		name, ver = pkg[:i], pkg[i+1:]
	}
	return name, ver, runner, exactSemver.MatchString(ver)
}

var secretKeyName = regexp.MustCompile(`(?i)(key|token|secret|passw|pwd|credential|auth|bearer|cookie|session|private)`)

// inlineSecret reports a literal (not a variable reference) secret value.
func inlineSecret(name, v string) bool {
	v = strings.TrimSpace(v)
	if v == "" || isVarRef(v) {
		return false
	}
	if keyPattern(v) != "" {
		return true
	}
	if !secretKeyName.MatchString(name) || len(v) < 8 {
		return false
	}
	lv := strings.ToLower(v)
	for _, ph := range []string{"your", "xxx", "changeme", "placeholder", "example", "<", "redacted", "..."} {
		if strings.Contains(lv, ph) {
			return false
		}
	}
	return true
}

func isVarRef(v string) bool {
	return strings.HasPrefix(v, "${") || strings.HasPrefix(v, "$") || strings.HasPrefix(v, "{{") || strings.HasPrefix(v, "%") && strings.HasSuffix(v, "%") ||
		strings.HasPrefix(v, "env:") || strings.HasPrefix(v, "op://") || strings.HasPrefix(v, "vault:")
}

func urlHasSecret(u string) bool {
	pu, err := url.Parse(u)
	if err != nil {
		return false
	}
	if pu.User != nil {
		if _, ok := pu.User.Password(); ok {
			return true
		}
	}
	for k, vs := range pu.Query() {
		for _, v := range vs {
			if inlineSecret(k, v) {
				return true
			}
		}
	}
	return false
}

// redactURL drops user info and query values.
func redactURL(u string) string {
	pu, err := url.Parse(u)
	if err != nil {
		return "(unparseable URL)"
	}
	pu.User = nil
	if pu.RawQuery != "" {
		q := pu.Query()
		for k := range q {
			q[k] = []string{"REDACTED"}
		}
		pu.RawQuery = q.Encode()
	}
	return pu.String()
}

func plainHTTPRemote(u string) bool {
	pu, err := url.Parse(u)
	if err != nil || !strings.EqualFold(pu.Scheme, "http") {
		return false
	}
	return !isLocalHost(pu.Hostname())
}

func isLocalHost(h string) bool {
	h = strings.ToLower(h)
	if h == "localhost" || h == "host.docker.internal" || strings.HasSuffix(h, ".localhost") || strings.HasSuffix(h, ".local") || h == "" {
		return true
	}
	if ip := net.ParseIP(h); ip != nil {
		return ip.IsLoopback() || ip.IsUnspecified()
	}
	return false
}

// maskArgs joins args, masking anything that looks like a secret.
func maskArgs(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		switch {
		case keyPattern(a) != "":
			out[i] = maskSecret(a)
		case strings.Contains(a, "://") && urlHasSecret(a):
			out[i] = redactURL(a)
		case strings.Contains(a, "="):
			k, v, _ := strings.Cut(a, "=")
			if inlineSecret(k, v) {
				out[i] = k + "=REDACTED"
			} else {
				out[i] = a
			}
		default:
			out[i] = a
		}
	}
	return strings.Join(out, " ")
}

// stripJSONC removes // and /* */ comments and trailing commas outside
// strings (VS Code and Zed settings allow them).
func stripJSONC(b []byte) []byte {
	out := make([]byte, 0, len(b))
	inStr := false
	for i := 0; i < len(b); i++ {
		c := b[i]
		if inStr {
			out = append(out, c)
			if c == '\\' && i+1 < len(b) {
				i++
				out = append(out, b[i])
			} else if c == '"' {
				inStr = false
			}
			continue
		}
		switch {
		case c == '"':
			inStr = true
			out = append(out, c)
		case c == '/' && i+1 < len(b) && b[i+1] == '/':
			for i < len(b) && b[i] != '\n' {
				i++
			}
			if i < len(b) {
				out = append(out, '\n')
			}
		case c == '/' && i+1 < len(b) && b[i+1] == '*':
			i += 2
			for i+1 < len(b) && !(b[i] == '*' && b[i+1] == '/') {
				if b[i] == '\n' {
					out = append(out, '\n')
				}
				i++
			}
			i++
		case c == ']' || c == '}':
			j := len(out) - 1
			for j >= 0 && (out[j] == ' ' || out[j] == '\n' || out[j] == '\t' || out[j] == '\r') {
				j--
			}
			if j >= 0 && out[j] == ',' {
				out = append(out[:j], out[j+1:]...)
			}
			out = append(out, c)
		default:
			out = append(out, c)
		}
	}
	return out
}
