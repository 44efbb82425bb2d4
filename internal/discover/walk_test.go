package discover

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func write(t *testing.T, root, rel, content string) {
	t.Helper()
	p := filepath.Join(root, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func assetNamed(as []Asset, kind, name string) *Asset {
	for i := range as {
		if as[i].Kind == kind && as[i].Name == name {
			return &as[i]
		}
	}
	return nil
}

func TestWalkHonoursGitignoreAndSkipsDeps(t *testing.T) {
	root := t.TempDir()
	write(t, root, ".gitignore", "# build output\nbuild/\n*.log\n/secret.py\n!keep.log\ndocs/**/gen.py\n")
	write(t, root, "app.py", "import anthropic\n")
	write(t, root, "secret.py", "import openai\n")
	write(t, root, "sub/secret.py", "import vllm\n")
	write(t, root, "build/out.py", "import torch\n")
	write(t, root, "x.log", "import crewai\n")
	write(t, root, "docs/a/b/gen.py", "import haystack\n")
	write(t, root, "node_modules/openai/index.js", "import OpenAI from 'openai'\n")
	write(t, root, ".venv/lib/site.py", "import langchain\n")
	res, err := New(Options{Workers: 2}).Scan(context.Background(), root)
	if err != nil {
		t.Fatal(err)
	}
	if assetNamed(res.Assets, KindSDK, "Anthropic SDK") == nil {
		t.Errorf("app.py import not found: %+v", res.Assets)
	}
	if assetNamed(res.Assets, KindSDK, "vLLM") == nil {
		t.Errorf("anchored /secret.py must not ignore sub/secret.py")
	}
	for _, name := range []string{"OpenAI SDK", "PyTorch", "CrewAI", "Haystack", "LangChain"} {
		if a := assetNamed(res.Assets, KindSDK, name); a != nil {
			t.Errorf("%s found in an ignored or dependency path: %s", name, a.File)
		}
	}
	if res.Stats.SkippedDirs < 3 {
		t.Errorf("skipped dirs = %d, want build, node_modules, .venv", res.Stats.SkippedDirs)
	}
	withDeps, err := New(Options{Workers: 2, IncludeDeps: true, NoGitignore: true}).Scan(context.Background(), root)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"OpenAI SDK", "PyTorch", "LangChain"} {
		if assetNamed(withDeps.Assets, KindSDK, name) == nil {
			t.Errorf("--include-deps --no-gitignore: %s not found", name)
		}
	}
}

func TestGitignoreMatching(t *testing.T) {
	rules := parseGitignore("", []byte("*.pkl\n!keep.pkl\n/top\nlogs/\na/**/z\n"))
	rules = append(rules, parseGitignore("sub", []byte("local.txt\n"))...)
	rules = append(rules, parseGitignore("", []byte("x[!0-9].bin\nsp\\ \n"))...)
	cases := []struct {
		path string
		dir  bool
		want bool
	}{
		{"m.pkl", false, true}, {"x/m.pkl", false, true}, {"keep.pkl", false, false},
		{"top", true, true}, {"x/top", true, false}, {"logs", true, true}, {"logs", false, false},
		{"a/z", false, true}, {"a/b/c/z", false, true}, {"b/a/z", false, false},
		{"sub/local.txt", false, true}, {"local.txt", false, false},
		{"x9.bin", false, false}, {"xa.bin", false, true}, {"sp ", false, true}, {"sp", false, false},
	}
	for _, c := range cases {
		if got := ignored(rules, c.path, c.dir); got != c.want {
			t.Errorf("ignored(%q, dir=%v) = %v, want %v", c.path, c.dir, got, c.want)
		}
	}
}

func TestSymlinkLoopAndOutsideLinks(t *testing.T) {
	root := t.TempDir()
	write(t, root, "a/app.py", "import openai\n")
	if err := os.Symlink("..", filepath.Join(root, "a", "loop")); err != nil {
		t.Skip("symlinks not supported:", err)
	}
	outside := t.TempDir()
	write(t, outside, "x.py", "import torch\n")
	if err := os.Symlink(outside, filepath.Join(root, "out")); err != nil {
		t.Fatal(err)
	}
	res, err := New(Options{Workers: 2}).Scan(context.Background(), root)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, a := range res.Assets {
		if a.Name == "OpenAI SDK" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("OpenAI SDK found %d times, want once (loop followed?)", n)
	}
	if assetNamed(res.Assets, KindSDK, "PyTorch") != nil {
		t.Errorf("a link leading outside the scanned tree was followed")
	}
}

func TestBadInputWarnsAndContinues(t *testing.T) {
	root := t.TempDir()
	write(t, root, "bad.tf", "resource \"azurerm_cognitive_account\" \"x\" {\n  name = \n")
	write(t, root, "azuredeploy.json", `{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#", "resources": [`)
	write(t, root, "template.yaml", "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  A: [\n")
	write(t, root, "main.bicep", "resource x 'Microsoft.CognitiveServices/accounts@2023-05-01' = {\n  name: 'x\n")
	write(t, root, "package.json", "\x00\x01\x02binary junk\xff\xfe")
	write(t, root, ".mcp.json", "{not json")
	write(t, root, "broken/package.json", `{"dependencies": {"openai": `)
	write(t, root, "requirements.txt", "openai==1.0\x00\x00\x7fELF")
	deep := strings.Repeat("[", 100000) + strings.Repeat("]", 100000)
	write(t, root, "deep/azuredeploy.json", `{"$schema":"deploymentTemplate","contentVersion":"1","resources":`+deep+`}`)
	write(t, root, "deep.yaml", "AWSTemplateFormatVersion: x\nResources: "+strings.Repeat("[", 5000)+strings.Repeat("]", 5000)+"\n")
	write(t, root, "bomb.yaml", "apiVersion: v1\nkind: ConfigMap\na: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n")
	write(t, root, "ok/app.py", "import openai\n")
	res, err := New(Options{Workers: 2}).Scan(context.Background(), root)
	if err != nil {
		t.Fatal(err)
	}
	warned := map[string]bool{}
	for _, w := range res.Warnings {
		warned[w.File] = true
	}
	for _, f := range []string{"bad.tf", "azuredeploy.json", "template.yaml", "main.bicep", ".mcp.json", "deep/azuredeploy.json", "deep.yaml",
		"package.json", "broken/package.json", "requirements.txt"} {
		if !warned[f] {
			t.Errorf("no warning naming %s; warnings: %+v", f, res.Warnings)
		}
	}
	if assetNamed(res.Assets, KindSDK, "OpenAI SDK") == nil {
		t.Errorf("scan did not go on after bad files")
	}
}

func TestHugeFileIsBounded(t *testing.T) {
	root := t.TempDir()
	big := bytes.Repeat([]byte("x = 1\n"), 200000) // 1.2 MB
	big = append(big, []byte("import openai\n")...)
	write(t, root, "big.py", string(big))
	write(t, root, "main.tf", string(bytes.Repeat([]byte("# pad\n"), 200000)))
	res, err := New(Options{Workers: 1, MaxFileSize: 64 << 10}).Scan(context.Background(), root)
	if err != nil {
		t.Fatal(err)
	}
	if assetNamed(res.Assets, KindSDK, "OpenAI SDK") != nil {
		t.Errorf("content past MaxFileSize was read")
	}
	found := false
	for _, w := range res.Warnings {
		found = found || w.File == "main.tf" && strings.Contains(w.Message, "larger than")
	}
	if !found {
		t.Errorf("no size warning for main.tf: %+v", res.Warnings)
	}
}

func TestHostMCPConfigs(t *testing.T) {
	home := t.TempDir()
	write(t, home, ".cursor/mcp.json", `{"mcpServers":{"pg":{"command":"npx","args":["-y","@modelcontextprotocol/server-postgres@0.6.2","postgresql://u:pw@db/x"],"env":{"PGPASSWORD":"s3cr3t-Passw0rd!"}}}}`)
	write(t, home, ".config/Claude/claude_desktop_config.json", `{"mcpServers":{"fetch":{"command":"uvx","args":["mcp-server-fetch"]}}}`)
	write(t, home, ".claude.json", `{"projects":{"/src/app":{"mcpServers":{"remote":{"type":"sse","url":"https://mcp.example.com/sse?token=abcdef123456"}}}}}`)
	res, err := New(Options{Workers: 1, Host: true, HomeDir: home}).Scan(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	pg := assetNamed(res.Assets, KindMCPServer, "pg")
	if pg == nil || pg.Properties["client"] != "Cursor" || pg.Properties["env"] != "PGPASSWORD" || pg.Version != "0.6.2" {
		t.Fatalf("pg server: %+v", pg)
	}
	fetch := assetNamed(res.Assets, KindMCPServer, "fetch")
	if fetch == nil || fetch.Properties["client"] != "Claude Desktop" || fetch.Properties["pinned"] != "false" {
		t.Fatalf("fetch server: %+v", fetch)
	}
	remote := assetNamed(res.Assets, KindMCPServer, "remote")
	if remote == nil || strings.Contains(remote.Properties["url"], "abcdef") {
		t.Fatalf("remote server (url must be redacted): %+v", remote)
	}
	var out bytes.Buffer
	if err := WriteJSON(&out, res, true); err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"s3cr3t-Passw0rd!", "abcdef123456", "u:pw"} {
		if strings.Contains(out.String(), secret) {
			t.Errorf("secret %q printed in JSON output", secret)
		}
	}
	got := map[string]bool{}
	for _, f := range res.Findings {
		got[f.ID+" "+f.Resource] = true
	}
	for _, want := range []string{"AIGIS-MCP-002 mcp:pg", "AIGIS-MCP-001 mcp:fetch", "AIGIS-MCP-002 mcp:remote"} {
		if !got[want] {
			t.Errorf("missing finding %s; have %v", want, got)
		}
	}
}

func TestSecretsNeverInOutput(t *testing.T) {
	root := t.TempDir()
	key := "sk-ant-api03-" + strings.Repeat("Ab9Cd8Ef7Gh6", 8)
	write(t, root, "app.py", "import anthropic\nc = anthropic.Anthropic(api_key=\""+key+"\")\n")
	res, err := New(Options{Workers: 1}).Scan(context.Background(), root)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := WriteJSON(&out, res, false); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), key[12:]) {
		t.Fatal("key printed in clear")
	}
	if !strings.Contains(out.String(), "AIGIS-SECRET-001") || !strings.Contains(out.String(), "Anthropic") {
		t.Fatalf("key not reported:\n%s", out.String())
	}
}

func TestBaselineReportsOnlyNew(t *testing.T) {
	root := t.TempDir()
	write(t, root, "load.py", "import torch\nm = torch.load('a.pt')\n")
	s := New(Options{Workers: 1})
	first, err := s.Scan(context.Background(), root)
	if err != nil || len(first.Findings) != 1 {
		t.Fatalf("first scan: %v %+v", err, first)
	}
	var b bytes.Buffer
	if err := WriteJSON(&b, first, false); err != nil {
		t.Fatal(err)
	}
	bp := filepath.Join(t.TempDir(), "baseline.json")
	if err := os.WriteFile(bp, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	// shift the old finding down a line and add a new one
	write(t, root, "load.py", "import torch\n\nm = torch.load('a.pt')\nfrom transformers import AutoModel\nx = AutoModel.from_pretrained('a', trust_remote_code=True)\n")
	second, err := s.Scan(context.Background(), root)
	if err != nil {
		t.Fatal(err)
	}
	base, err := LoadBaseline(bp)
	if err != nil {
		t.Fatal(err)
	}
	fresh := base.New(second.Findings)
	if len(fresh) != 1 || fresh[0].ID != "AIGIS-CODE-001" {
		t.Fatalf("new findings = %+v, want only AIGIS-CODE-001", fresh)
	}
	if _, err := LoadBaseline(filepath.Join(root, "load.py")); err == nil {
		t.Fatal("a non-JSON baseline was accepted")
	}
}

func TestNestedGitignoreNegationAndClasses(t *testing.T) {
	root := t.TempDir()
	write(t, root, ".gitignore", "*.py\n!keep_*.py\n")
	write(t, root, "keep_a.py", "import anthropic\n")
	write(t, root, "drop.py", "import torch\n")
	// a nested .gitignore re-includes what the parent excluded, and
	// excludes with a negated bracket class
	write(t, root, "svc/.gitignore", "!app.py\ntmp[!0-9].js\n")
	write(t, root, "svc/app.py", "import openai\n")
	write(t, root, "svc/other.py", "import crewai\n")
	write(t, root, "svc/tmpx.js", "import { Ollama } from 'ollama'\n")
	write(t, root, "svc/tmp1.js", "import { ChromaClient } from 'chromadb'\nimport Groq from 'groq-sdk'\n")
	res, err := New(Options{Workers: 2}).Scan(context.Background(), root)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"Anthropic SDK", "OpenAI SDK"} {
		if assetNamed(res.Assets, KindSDK, name) == nil {
			t.Errorf("%s (re-included by a negation) not found", name)
		}
	}
	for _, name := range []string{"PyTorch", "CrewAI", "Ollama"} {
		if a := assetNamed(res.Assets, KindSDK, name); a != nil {
			t.Errorf("%s found in an ignored file %s", name, a.File)
		}
	}
	found := false
	for _, a := range res.Assets {
		found = found || a.File == "svc/tmp1.js"
	}
	if !found {
		t.Errorf("svc/tmp1.js ([!0-9] must not match a digit) was skipped; assets: %+v", res.Assets)
	}
}

func TestGitignoreAboveScanRootAndInfoExclude(t *testing.T) {
	repo := t.TempDir()
	write(t, repo, ".git/info/exclude", "local.py\n")
	write(t, repo, ".gitignore", "gen/\n/svc/skip.py\n")
	write(t, repo, "svc/.gitignore", "")
	write(t, repo, "svc/app.py", "import openai\n")
	write(t, repo, "svc/skip.py", "import torch\n")
	write(t, repo, "svc/local.py", "import crewai\n")
	write(t, repo, "svc/gen/out.py", "import haystack\n")
	write(t, repo, "svc/deep/skip.py", "import anthropic\n") // /svc/skip.py is anchored
	res, err := New(Options{Workers: 2}).Scan(context.Background(), filepath.Join(repo, "svc"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"OpenAI SDK", "Anthropic SDK"} {
		if assetNamed(res.Assets, KindSDK, name) == nil {
			t.Errorf("%s not found", name)
		}
	}
	for _, name := range []string{"PyTorch", "CrewAI", "Haystack"} {
		if a := assetNamed(res.Assets, KindSDK, name); a != nil {
			t.Errorf("%s found in %s, ignored by the repository's rules above the scan root", name, a.File)
		}
	}
	all, err := New(Options{Workers: 2, NoGitignore: true}).Scan(context.Background(), filepath.Join(repo, "svc"))
	if err != nil {
		t.Fatal(err)
	}
	if assetNamed(all.Assets, KindSDK, "PyTorch") == nil || assetNamed(all.Assets, KindSDK, "CrewAI") == nil {
		t.Errorf("--no-gitignore still ignored files")
	}
}

// TestHostMCPConfigEveryLocation writes a config at every user-level
// location --host knows, in that client's format, and expects each server
// back with its client and location.
func TestHostMCPConfigEveryLocation(t *testing.T) {
	home := t.TempDir()
	want := map[string]string{} // server name -> client
	clients := map[string]bool{}
	for i, hc := range hostMCPConfigs {
		name := fmt.Sprintf("srv%d", i)
		server := `{"command":"npx","args":["-y","@acme/mcp-server@1.2.3"],"env":{"ACME_TOKEN":"x"}}`
		var doc string
		switch {
		case strings.HasSuffix(hc.rel, "Code/User/settings.json"):
			doc = `{"editor.fontSize": 12, "mcp": {"servers": {"` + name + `": ` + server + `}}}`
		case strings.Contains(hc.rel, "zed/"):
			doc = `// Zed settings (JSON with comments)
{"context_servers": {"` + name + `": {"command": {"path": "npx", "args": ["-y", "@acme/mcp-server@1.2.3"]}}}}`
		case hc.rel == ".claude.json":
			doc = `{"projects": {"/src/x": {"mcpServers": {"` + name + `": ` + server + `}}}}`
		default:
			doc = `{"mcpServers": {"` + name + `": ` + server + `}}`
		}
		write(t, home, hc.rel, doc)
		want[name] = hc.client
		clients[hc.client] = true
	}
	for _, c := range []string{"Claude Desktop", "Claude Code", "Cursor", "Windsurf", "VS Code", "Gemini CLI"} {
		if !clients[c] {
			t.Errorf("no --host location for %s", c)
		}
	}
	res, err := New(Options{Workers: 1, Host: true, HomeDir: home}).Scan(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for i, hc := range hostMCPConfigs {
		name := fmt.Sprintf("srv%d", i)
		a := assetNamed(res.Assets, KindMCPServer, name)
		if a == nil {
			t.Errorf("~/%s (%s): server not found; warnings %+v", hc.rel, hc.client, res.Warnings)
			continue
		}
		if a.Properties["client"] != want[name] || a.File != "~/"+hc.rel || a.Version != "1.2.3" {
			t.Errorf("~/%s: client %q file %q version %q", hc.rel, a.Properties["client"], a.File, a.Version)
		}
	}
	if len(res.Warnings) != 0 {
		t.Errorf("warnings: %+v", res.Warnings)
	}
}

// TestGitignoreManyDoubleStars: a hostile pattern with many ** segments
// against a deep path must be answered (the old recursive matcher took
// exponential time here) and correctly.
func TestGitignoreManyDoubleStars(t *testing.T) {
	rules := parseGitignore("", []byte(strings.Repeat("**/a/", 40)+"b\n"))
	deep := strings.Repeat("a/", 120)
	if ignored(rules, deep+"c", false) {
		t.Error("matched a path that does not end in b")
	}
	if !ignored(rules, deep+"b", false) {
		t.Error("did not match 120 a's followed by b")
	}
	if ignored(rules, strings.Repeat("a/", 39)+"b", false) {
		t.Error("matched with too few a's")
	}
}
