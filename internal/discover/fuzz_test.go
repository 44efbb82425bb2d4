package discover

import (
	"context"
	"strings"
	"testing"
)

func FuzzGitignore(f *testing.F) {
	f.Add([]byte("*.log\n!keep.log\n/build/\na/**/b\n\\#x\n[abc]*.py\n"), "a/x/b")
	f.Add([]byte("**\n"), "x")
	f.Fuzz(func(t *testing.T, data []byte, p string) {
		rules := parseGitignore("", data)
		_ = ignored(rules, p, false)
		_ = ignored(rules, p, true)
	})
}

func FuzzManifest(f *testing.F) {
	names := []string{"requirements.txt", "pyproject.toml", "pipfile", "poetry.lock", "setup.py", "package.json",
		"package-lock.json", "yarn.lock", "pnpm-lock.yaml", "go.mod", "pom.xml", "build.gradle", "app.csproj"}
	f.Add(uint8(0), []byte("openai==1.0\nanthropic[bedrock]>=0.3 ; python_version>'3.8'\n-r other.txt\n"))
	f.Add(uint8(1), []byte("[project]\ndependencies = [\n  \"openai>=1\",\n]\n[tool.poetry.dependencies]\ntorch = {version = \"2.3\"}\n"))
	f.Add(uint8(5), []byte(`{"dependencies":{"openai":"4.0.0"},"devDependencies":{"@langchain/core":"^0.2"}}`))
	f.Add(uint8(7), []byte("\"@anthropic-ai/sdk@^0.20\":\n  version \"0.20.1\"\n"))
	f.Add(uint8(10), []byte("<dependency><groupId>dev.langchain4j</groupId><artifactId>langchain4j</artifactId><version>0.35.0</version></dependency>"))
	f.Add(uint8(12), []byte(`<PackageReference Include="Azure.AI.OpenAI" Version="2.0.0" />`))
	s := New(Options{})
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		w := newWorker(s, &collector{})
		w.manifest("x/"+names[int(which)%len(names)], names[int(which)%len(names)], data)
	})
}

func FuzzMCPConfig(f *testing.F) {
	f.Add([]byte(`{"mcpServers":{"a":{"command":"npx","args":["-y","pkg@latest"],"env":{"API_KEY":"abc12345678"}}}}`))
	f.Add([]byte(`{"servers":{"b":{"type":"http","url":"http://x.example/mcp?token=zzzzzzzzz"}}, // c
	}`))
	f.Add([]byte(`{"context_servers":{"z":{"command":{"path":"uvx","args":["pkg==1.0"]}}},"projects":{"/p":{"mcpServers":{}}}}`))
	f.Add([]byte(`{"mcpServers":{"d":{"command":"docker","args":["run","-v","/:/host","img"]}}}`))
	s := New(Options{})
	f.Fuzz(func(t *testing.T, data []byte) {
		w := newWorker(s, &collector{})
		w.mcpConfig(".mcp.json", data, "test")
	})
}

func FuzzSniffModel(f *testing.F) {
	f.Add([]byte("GGUF\x03\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00"), "m.gguf")
	f.Add([]byte("\x80\x04\x95\x00\x00\x00\x00\x00\x00\x00\x00."), "m.pkl")
	f.Add([]byte("PK\x03\x04\x14\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x08\x00\x00\x00data.pkl"), "m.pt")
	f.Add([]byte("\x10\x00\x00\x00\x00\x00\x00\x00{\"dtype\":\"F32\"}"), "m.safetensors")
	f.Add([]byte("\x08\x07\x12\x07pytorch"), "m.onnx")
	f.Fuzz(func(t *testing.T, h []byte, name string) {
		format := sniffModel(h, name, int64(len(h)))
		if format == fmtSafetensors {
			_ = safetensorsMeta(h)
		}
	})
}

func FuzzCodeScan(f *testing.F) {
	f.Add("python", []byte("import openai\nkey='sk-proj-"+"A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8S9t0U1v2W3x4'\ndef f(q):\n    r = client.chat.completions.create(model='gpt-4o')\n    x = r.choices[0]\n    eval(x)\n"))
	f.Add("js", []byte("import OpenAI from 'openai'\nconst f = async (q) => {\n const r = await c.invoke(q)\n db.query(`SELECT ${r}`)\n}\n"))
	f.Add("go", []byte("import \"github.com/openai/openai-go\"\n"))
	s := New(Options{})
	f.Fuzz(func(t *testing.T, lang string, data []byte) {
		w := newWorker(s, &collector{})
		w.code("f", lang, data)
		w.hfCandidate("m/config.json", "config.json", data)
		w.hfCandidate("m/readme.md", "readme.md", data)
		w.dataset(context.Background(), fileJob{rel: "d.csv", size: int64(len(data))}, data, ".csv")
		_ = stripJSONC(data)
	})
}

// matchSegsRef is the plain recursive matcher, the reference for small
// inputs in FuzzMatchSegs.
func matchSegsRef(pat, segs []string) bool {
	if len(pat) == 0 {
		return len(segs) == 0
	}
	if pat[0] == "**" {
		for i := 0; i <= len(segs); i++ {
			if matchSegsRef(pat[1:], segs[i:]) {
				return true
			}
		}
		return false
	}
	return len(segs) > 0 && matchSeg(pat[0], segs[0]) && matchSegsRef(pat[1:], segs[1:])
}

func FuzzMatchSegs(f *testing.F) {
	f.Add("**/a/**/b", "x/a/y/b")
	f.Add("a/**", "a")
	f.Add("**/**/c*", "c/d/cx")
	f.Fuzz(func(t *testing.T, pat, p string) {
		ps, ss := strings.Split(pat, "/"), strings.Split(p, "/")
		if len(ps) > 8 || len(ss) > 8 {
			return
		}
		if got, want := matchSegs(ps, ss), matchSegsRef(ps, ss); got != want {
			t.Fatalf("matchSegs(%q, %q) = %v, reference %v", ps, ss, got, want)
		}
	})
}
