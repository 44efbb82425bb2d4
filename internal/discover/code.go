package discover

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strconv"
	"strings"

	"github.com/aigis-dev/aigis/internal/finding"
)

var (
	pyImportRe   = regexp.MustCompile(`^\s*(?:from\s+([A-Za-z_][\w.]*)\s+import\b|import\s+([A-Za-z_][\w.]*(?:\s*,\s*[A-Za-z_][\w.]*)*))`)
	jsImportRe   = regexp.MustCompile(`(?:\bfrom\s+|\brequire\(\s*|\bimport\(\s*|^\s*import\s+)["']([^"']+)["']`)
	goImportRe   = regexp.MustCompile(`^\s*(?:import\s+)?(?:[\w.]+\s+)?"([a-z0-9.-]+\.[a-z]{2,}/[^"]+)"`)
	javaImportRe = regexp.MustCompile(`^\s*import\s+(?:static\s+)?([\w.]+)`)
	csUsingRe    = regexp.MustCompile(`^\s*using\s+(?:static\s+)?(?:\w+\s*=\s*)?([\w.]+)\s*;`)
	bedrockRe    = regexp.MustCompile(`client\(\s*(?:service_name\s*=\s*)?["'](bedrock(?:-agent)?-runtime|bedrock|sagemaker-runtime)["']`)

	endpointRe = regexp.MustCompile(`(?i)\b((?:[a-z0-9-]+\.)*(?:api\.openai\.com|openai\.azure\.com|cognitiveservices\.azure\.com|services\.ai\.azure\.com|inference\.ai\.azure\.com|api\.anthropic\.com|bedrock-runtime\.[a-z0-9-]+\.amazonaws\.com|bedrock-agent-runtime\.[a-z0-9-]+\.amazonaws\.com|generativelanguage\.googleapis\.com|[a-z0-9-]*aiplatform\.googleapis\.com|api\.mistral\.ai|api\.cohere\.(?:ai|com)|api\.groq\.com|api\.together\.xyz|api\.deepseek\.com|api\.perplexity\.ai|openrouter\.ai|api-inference\.huggingface\.co|router\.huggingface\.co|api\.x\.ai|api\.fireworks\.ai)|(?:localhost|127\.0\.0\.1):11434)\b`)
	httpURLRe  = regexp.MustCompile(`(?i)\bhttp://([a-z0-9.-]+)(?::\d+)?(/[^\s"'<>]*)?`)

	modelNameRe = regexp.MustCompile(`["'\x60]((?:gpt-(?:3\.5|4|4o|4\.1|5|oss)[a-z0-9.\-]*|chatgpt-[a-z0-9.\-]+|o[134](?:-(?:mini|preview|pro)[a-z0-9.\-]*)?|text-embedding-[a-z0-9\-]+|dall-e-[23]|whisper-1|claude-[a-z0-9.\-]+|gemini-[0-9a-z.\-]+|(?:meta-llama/)?(?:meta-)?llama-?[0-9][a-z0-9.\-]*|llama[0-9][a-z0-9.:\-]*|mistral-[a-z0-9.\-]+|mixtral-[a-z0-9.\-]+|codestral-[a-z0-9.\-]+|command-r[a-z0-9.\-]*|deepseek-[a-z0-9.\-]+|qwen[0-9.]*-[a-z0-9.\-]+|phi-[0-9][a-z0-9.\-]*|grok-[0-9a-z.\-]+))["'\x60]`)

	trustRemoteRe = regexp.MustCompile(`\btrust_remote_code\s*=\s*True\b|\btrustRemoteCode\s*:\s*true\b`)
	torchLoadRe   = regexp.MustCompile(`\btorch\.load\s*\(`)
	weightsOnlyRe = regexp.MustCompile(`\bweights_only\s*=\s*True\b`)
	dangerousRe   = regexp.MustCompile(`\ballow_dangerous_deserialization\s*=\s*True\b|\ballowDangerousDeserialization\s*:\s*true\b`)
	unpickleRe    = regexp.MustCompile(`\b(pickle|cPickle|dill|cloudpickle|joblib)\.loads?\s*\(`)

	llmCallRe  = regexp.MustCompile(`(?:\.chat\.completions\.create|\.completions\.create|\.responses\.create|\.messages\.create|\.generate_content|\.generateContent|\.invoke|\.ainvoke|\.predict|\.complete|\.chat|\.converse|\.invoke_model|\bcompletion|\bgenerateText|\.run)\s*\(`)
	assignRe   = regexp.MustCompile(`^\s*(?:const\s+|let\s+|var\s+)?\{?\s*([A-Za-z_$][\w$]*)(?:\s*,\s*[A-Za-z_$][\w$]*)*\s*\}?\s*(?::\s*[\w\[\]., ]+)?=[^=]`)
	pyDefRe    = regexp.MustCompile(`^(\s*)(?:async\s+)?def\s+\w+`)
	jsFuncRe   = regexp.MustCompile(`^\s*(?:export\s+)?(?:default\s+)?(?:async\s+)?function\b|^\s*(?:export\s+)?(?:const|let|var)\s+\w+\s*=\s*(?:async\s*)?(?:\([^)]*\)|\w+)\s*=>|^\s*(?:public|private|protected|static|async|\s)*\w+\s*\([^)]*\)\s*\{\s*$`)
	pySinkRe   = regexp.MustCompile(`\b(eval|exec)\s*\(|\bsubprocess\.\w+\s*\(|\bos\.(system|popen|exec\w*)\s*\(|\.execute(?:many|script)?\s*\(|\.raw\s*\(|\btext\s*\(`)
	jsSinkRe   = regexp.MustCompile(`\beval\s*\(|\bnew\s+Function\s*\(|\b(?:exec|execSync|spawn|spawnSync|execFile)\s*\(|\.query\s*\(|\.raw\s*\(|\$queryRawUnsafe\s*\(`)
	identRe    = regexp.MustCompile(`[A-Za-z_$][\w$]*`)
	sqlKeyword = regexp.MustCompile(`(?i)\b(select|insert|update|delete|drop)\b`)
)

// keyRules recognise AI provider credentials. Values are never reported.
var keyRules = []struct {
	provider string
	re       *regexp.Regexp
}{
	{"OpenAI", regexp.MustCompile(`\bsk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{40,}`)},
	{"OpenAI", regexp.MustCompile(`\bsk-[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}\b`)},
	{"Anthropic", regexp.MustCompile(`\bsk-ant-(?:api|admin)[0-9]{2}-[A-Za-z0-9_-]{80,}`)},
	{"Google AI", regexp.MustCompile(`\bAIza[0-9A-Za-z_-]{35}\b`)},
	{"Hugging Face", regexp.MustCompile(`\bhf_[A-Za-z0-9]{34,40}\b`)},
	{"Groq", regexp.MustCompile(`\bgsk_[A-Za-z0-9]{48,}\b`)},
	{"Azure OpenAI", regexp.MustCompile(`(?i)azure[_-]?openai[_-]?(?:api[_-]?)?key["']?\s*[:=]\s*["']([a-f0-9]{32})["']`)},
}

// keyPattern returns the provider whose key format s contains, or "".
func keyPattern(s string) string {
	for _, k := range keyRules {
		if loc := k.re.FindStringIndex(s); loc != nil && !placeholderKey(s[loc[0]:loc[1]]) {
			return k.provider
		}
	}
	return ""
}

func placeholderKey(k string) bool {
	lk := strings.ToLower(k)
	if strings.Contains(lk, "xxxx") || strings.Contains(lk, "your") || strings.Contains(lk, "example") || strings.Contains(lk, "dummy") {
		return true
	}
	distinct := map[rune]bool{}
	for _, r := range k {
		distinct[r] = true
	}
	return len(distinct) < 10
}

// maskSecret shows a short prefix, the length and a fingerprint; never the secret.
func maskSecret(s string) string {
	sum := sha256.Sum256([]byte(s))
	p := s
	if len(p) > 6 {
		p = p[:6]
	}
	return p + "… (" + strconv.Itoa(len(s)) + " chars, sha256:" + hex.EncodeToString(sum[:4]) + ")"
}

type funcState struct {
	indent  int
	tainted map[string]int  // variable -> line of the LLM call
	sqlText map[string]bool // tainted variables holding a statement built from the value
}

// code scans a source or config file: imports, LLM endpoints, model names,
// provider keys, unsafe model loading and LLM output reaching a sink.
func (w *worker) code(rel, lang string, data []byte) {
	if !w.s.pre.hit(data) {
		return
	}
	imports := map[string]bool{}
	endpoints := map[string]bool{}
	models := map[string]bool{}
	llm05 := lang == "python" || lang == "js" || lang == "notebook"
	st := funcState{indent: -1, tainted: map[string]int{}}
	inTorchLoad := 0
	torchLoadLine := 0
	var torchLoadText string
	n := 0
	for rest := data; len(rest) > 0; {
		lb := rest
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			lb, rest = rest[:i], rest[i+1:]
		} else {
			rest = nil
		}
		n++
		if len(lb) > 16<<10 {
			lb = lb[:16<<10]
		}
		hit := w.s.pre.hit(lb)
		if llm05 {
			w.trackFlow(rel, lang, n, lb, hit, &st)
		}
		if inTorchLoad > 0 {
			torchLoadText += string(lb)
			inTorchLoad--
			if strings.Contains(string(lb), ")") || inTorchLoad == 0 {
				w.torchLoadVerdict(rel, torchLoadLine, torchLoadText)
				inTorchLoad = 0
			}
		}
		if !hit {
			continue
		}
		line := string(lb)
		low := w.lower(lb)
		switch lang {
		case "python", "notebook":
			if (bytes.Contains(lb, []byte("import ")) || bytes.Contains(lb, []byte("from "))) && len(bytes.TrimSpace(lb)) > 0 {
				w.pyImports(rel, n, line, imports)
			}
		case "js":
			if bytes.Contains(lb, []byte("import")) || bytes.Contains(lb, []byte("require(")) {
				w.jsImports(rel, n, line, imports)
			}
		case "go":
			if bytes.IndexByte(lb, '"') >= 0 && bytes.IndexByte(lb, '/') >= 0 {
				w.goImports(rel, n, line, imports)
			}
		case "java", "csharp":
			if bytes.Contains(lb, []byte("import ")) || bytes.Contains(lb, []byte("using ")) {
				w.javaImports(rel, n, lang, line, imports)
			}
		}
		w.signals(rel, lang, n, line, low, lb, imports, endpoints, models, &inTorchLoad, &torchLoadLine, &torchLoadText)
	}
}

// pyImports records AI packages imported on a Python line.
func (w *worker) pyImports(rel string, n int, line string, imports map[string]bool) {
	m := pyImportRe.FindStringSubmatch(strings.Trim(line, `", `))
	if m == nil {
		return
	}
	mods := m[1]
	if mods == "" {
		mods = m[2]
	}
	for _, mod := range strings.Split(mods, ",") {
		if r, ok := pyImport(strings.TrimSpace(mod)); ok && !imports[r.framework] {
			imports[r.framework] = true
			w.sdkAsset(rel, n, r, strings.TrimSpace(mod))
		}
	}
}

// jsImports records AI packages imported or required on a JS/TS line.
func (w *worker) jsImports(rel string, n int, line string, imports map[string]bool) {
	for _, m := range jsImportRe.FindAllStringSubmatch(line, -1) {
		if r, ok := jsImport(m[1]); ok && !imports[r.framework] {
			imports[r.framework] = true
			w.sdkAsset(rel, n, r, m[1])
		}
	}
}

// goImports records AI modules imported on a Go line.
func (w *worker) goImports(rel string, n int, line string, imports map[string]bool) {
	if m := goImportRe.FindStringSubmatch(line); m != nil {
		if r, ok := goImport(m[1]); ok && !imports[r.framework] {
			imports[r.framework] = true
			w.sdkAsset(rel, n, r, m[1])
		}
	}
}

// javaImports records AI packages from Java/Kotlin imports and C# usings.
func (w *worker) javaImports(rel string, n int, lang, line string, imports map[string]bool) {
	re := javaImportRe
	if lang == "csharp" {
		re = csUsingRe
	}
	m := re.FindStringSubmatch(line)
	if m == nil {
		return
	}
	for _, ji := range javaImports {
		if strings.HasPrefix(m[1], ji.prefix) {
			if r, ok := lookupPkg(ji.eco, ji.pkg); ok && !imports[r.framework] {
				imports[r.framework] = true
				w.sdkAsset(rel, n, r, m[1])
			}
			return
		}
	}
}

// signals runs the endpoint, model-name, key and unsafe-code detectors on a
// line that passed the prefilter; each regex is gated by a cheap substring
// test on the lower-cased line.
func (w *worker) signals(rel, lang string, n int, line string, low, lb []byte, imports, endpoints, models map[string]bool, inTorchLoad, torchLoadLine *int, torchLoadText *string) {
	{
		if bytes.Contains(lb, []byte("client(")) {
			if m := bedrockRe.FindStringSubmatch(line); m != nil && !imports["bedrock:"+m[1]] {
				imports["bedrock:"+m[1]] = true
				name := "AWS Bedrock (boto3)"
				if strings.HasPrefix(m[1], "sagemaker") {
					name = "AWS SageMaker Runtime (boto3)"
				}
				w.c.asset(Asset{Kind: KindSDK, Name: name, File: rel, Line: n, Evidence: "boto3 client " + m[1],
					Properties: map[string]string{"package": "boto3", "ecosystem": ecoPyPI, "category": catCloudAI, "service": m[1], "source": "code"}})
			}
		}
		if hasAny(low, endpointHints) {
			for _, m := range endpointRe.FindAllString(line, -1) {
				host := strings.ToLower(m)
				if endpoints[host] {
					continue
				}
				endpoints[host] = true
				w.c.asset(Asset{Kind: KindEndpoint, Name: host, File: rel, Line: n, Evidence: host, Properties: map[string]string{"provider": providerOf(host)}})
			}
		}
		if bytes.Contains(low, []byte("http://")) {
			for _, m := range httpURLRe.FindAllStringSubmatch(line, -1) {
				host := strings.ToLower(m[1])
				if isLocalHost(host) || strings.HasPrefix(host, "10.") || strings.HasPrefix(host, "192.168.") {
					continue
				}
				if endpointRe.MatchString(m[0]) || strings.Contains(m[2], "/chat/completions") || strings.Contains(m[2], "/v1/messages") || strings.Contains(m[2], "/v1/completions") || strings.Contains(m[2], "/api/generate") || strings.Contains(m[2], "/api/chat") {
					w.c.finding(finding.Finding{
						ID: "AIGIS-CODE-006", Title: "LLM API called over plain HTTP", Severity: finding.Medium,
						File: rel, Line: n, Evidence: "http://" + host + m[2],
						Remediation: "Use https:// for LLM APIs; prompts, completions and API keys travel in clear over HTTP.",
						ATLAS:       []string{"AML.T0025", "AML.T0057"}, OWASP: []string{"LLM02:2025"},
					})
				}
			}
		}
		if hasAny(low, modelHints) {
			for _, m := range modelNameRe.FindAllStringSubmatch(line, -1) {
				if models[m[1]] {
					continue
				}
				models[m[1]] = true
				w.c.asset(Asset{Kind: KindModelName, Name: m[1], File: rel, Line: n, Evidence: m[1], Properties: map[string]string{"family": modelFamily(m[1])}})
			}
		}
		if hasAny(low, keyHints) {
			for _, k := range keyRules {
				for _, key := range k.re.FindAllString(line, -1) {
					if placeholderKey(key) {
						continue
					}
					w.c.finding(finding.Finding{
						ID: "AIGIS-SECRET-001", Title: "Hardcoded " + k.provider + " API key", Severity: finding.Critical,
						File: rel, Line: n, Evidence: maskSecret(key),
						Remediation: "Revoke and rotate the key now; load keys from the environment or a secret manager, never from source or config in the repository.",
						ATLAS:       []string{"AML.T0055", "AML.T0012"}, OWASP: []string{"LLM02:2025", "LLM10:2025"},
						Equivalents: []string{"gitleaks"},
					})
				}
			}
		}
		if lang == "python" || lang == "notebook" || lang == "js" {
			if bytes.Contains(low, []byte("trust")) && trustRemoteRe.MatchString(line) {
				w.c.finding(finding.Finding{
					ID: "AIGIS-CODE-001", Title: "Model loaded with trust_remote_code=True", Severity: finding.High,
					File: rel, Line: n, Evidence: strings.TrimSpace(truncate(line, 160)),
					Remediation: "Remove trust_remote_code=True or pin revision= to a reviewed commit of the model repository.",
					ATLAS:       []string{"AML.T0011.000", "AML.T0010.003"}, OWASP: []string{"LLM03:2025", "LLM05:2025"},
				})
			}
			if bytes.Contains(low, []byte("dangerous")) && dangerousRe.MatchString(line) {
				w.c.finding(finding.Finding{
					ID: "AIGIS-CODE-003", Title: "LangChain deserialization with allow_dangerous_deserialization=True", Severity: finding.High,
					File: rel, Line: n, Evidence: strings.TrimSpace(truncate(line, 160)),
					Remediation: "Load only vector stores and chains you created yourself and keep them where others cannot write; drop allow_dangerous_deserialization.",
					ATLAS:       []string{"AML.T0011.000", "AML.T0070"}, OWASP: []string{"LLM03:2025", "LLM08:2025"},
				})
			}
		}
		if lang == "python" || lang == "notebook" {
			if bytes.Contains(lb, []byte("torch.load")) && torchLoadRe.MatchString(line) {
				if strings.Contains(line[torchLoadRe.FindStringIndex(line)[0]:], ")") {
					w.torchLoadVerdict(rel, n, line)
				} else {
					*inTorchLoad, *torchLoadLine, *torchLoadText = 5, n, line
				}
			}
			if m := unpickleSubmatch(lb, line); m != nil {
				w.c.finding(finding.Finding{
					ID: "AIGIS-CODE-005", Title: "Model or data deserialized with " + m[1] + " (can execute code)", Severity: finding.Medium,
					File: rel, Line: n, Evidence: strings.TrimSpace(truncate(line, 160)),
					Remediation: "Load models with safetensors/ONNX and data with non-executable formats; only unpickle files you produced and verified.",
					ATLAS:       []string{"AML.T0011.000", "AML.T0010.003"}, OWASP: []string{"LLM03:2025", "LLM04:2025"},
				})
			}
		}
	}
}

func (w *worker) torchLoadVerdict(rel string, n int, text string) {
	if weightsOnlyRe.MatchString(text) {
		return
	}
	w.c.finding(finding.Finding{
		ID: "AIGIS-CODE-002", Title: "torch.load without weights_only=True", Severity: finding.High,
		File: rel, Line: n, Evidence: strings.TrimSpace(truncate(text, 160)),
		Remediation: "Pass weights_only=True (the default from PyTorch 2.6) or load safetensors; full unpickling runs code embedded in the file.",
		ATLAS:       []string{"AML.T0011.000", "AML.T0010.003"}, OWASP: []string{"LLM03:2025", "LLM04:2025"},
	})
}

func (w *worker) sdkAsset(rel string, n int, r pkgRule, imp string) {
	w.c.asset(Asset{Kind: KindSDK, Name: r.framework, File: rel, Line: n, Evidence: "import " + imp,
		Properties: map[string]string{"package": r.name, "ecosystem": r.eco, "category": r.category, "source": "import"}})
}

// trackFlow is the LLM05 heuristic: inside one function, a variable assigned
// from an LLM call (or derived from one) that reaches eval/exec, a shell or
// a SQL statement is reported at the sink.
func (w *worker) trackFlow(rel, lang string, n int, lb []byte, hit bool, st *funcState) {
	line := string(lb)
	trim := strings.TrimSpace(line)
	if trim == "" || strings.HasPrefix(trim, "#") || strings.HasPrefix(trim, "//") {
		return
	}
	if lang == "js" {
		if jsFuncRe.MatchString(line) {
			st.tainted, st.sqlText = map[string]int{}, nil
		}
	} else {
		indent := len(line) - len(strings.TrimLeft(line, " \t"))
		if m := pyDefRe.FindStringSubmatch(line); m != nil {
			st.indent = len(m[1])
			st.tainted, st.sqlText = map[string]int{}, nil
			return
		}
		if st.indent >= 0 && indent <= st.indent {
			st.indent = -1
			st.tainted, st.sqlText = map[string]int{}, nil
		}
	}
	var am []string
	if strings.IndexByte(line, '=') >= 0 {
		am = assignRe.FindStringSubmatch(line)
	}
	if am != nil {
		rhs := line[strings.Index(line, "=")+1:]
		if hit && llmCallRe.MatchString(rhs) {
			st.tainted[am[1]] = n
			return
		}
		if len(st.tainted) > 0 {
			for _, id := range identRe.FindAllString(rhs, -1) {
				if src, ok := st.tainted[id]; ok {
					st.tainted[am[1]] = src
					if sqlKeyword.MatchString(rhs) && builtQuery(rhs) {
						if st.sqlText == nil {
							st.sqlText = map[string]bool{}
						}
						st.sqlText[am[1]] = true
					}
					break
				}
			}
		}
	}
	if len(st.tainted) == 0 {
		return
	}
	sink := pySinkRe
	if lang == "js" {
		sink = jsSinkRe
	}
	loc := sink.FindStringIndex(line)
	if loc == nil {
		return
	}
	call := line[loc[0]:]
	sqlSink := isSQLSink(call)
	if sqlSink && !builtQuery(call) {
		built := false
		for _, id := range identRe.FindAllString(call, -1) {
			built = built || st.sqlText[id]
		}
		if !built {
			return // a bound parameter, not a statement built from the value
		}
	}
	for _, id := range identRe.FindAllString(call, -1) {
		if src, ok := st.tainted[id]; ok {
			w.c.finding(finding.Finding{
				ID: "AIGIS-CODE-004", Title: "LLM output flows into code execution, a shell or SQL", Severity: finding.High,
				File: rel, Line: n, Evidence: "value from the LLM call on line " + strconv.Itoa(src) + " reaches: " + strings.TrimSpace(truncate(call, 120)),
				Remediation: "Treat model output as untrusted input: parse it into a strict schema, allow-list actions, use parameterised SQL and never eval/exec it or pass it to a shell.",
				ATLAS:       []string{"AML.T0050", "AML.T0051", "AML.T0053"}, OWASP: []string{"LLM05:2025", "ASI05"},
			})
			return
		}
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

func providerOf(host string) string {
	switch {
	case strings.Contains(host, "openai.azure.com"), strings.Contains(host, "azure.com"):
		return "Azure OpenAI / Azure AI"
	case strings.Contains(host, "openai.com"):
		return "OpenAI"
	case strings.Contains(host, "anthropic.com"):
		return "Anthropic"
	case strings.Contains(host, "amazonaws.com"):
		return "AWS Bedrock"
	case strings.Contains(host, "googleapis.com"):
		return "Google"
	case strings.Contains(host, "mistral.ai"):
		return "Mistral"
	case strings.Contains(host, "cohere"):
		return "Cohere"
	case strings.Contains(host, "groq.com"):
		return "Groq"
	case strings.Contains(host, "together.xyz"):
		return "Together"
	case strings.Contains(host, "deepseek"):
		return "DeepSeek"
	case strings.Contains(host, "huggingface"):
		return "Hugging Face"
	case strings.Contains(host, "11434"):
		return "Ollama (local)"
	}
	return host
}

func modelFamily(m string) string {
	l := strings.ToLower(m)
	for _, f := range []struct{ p, fam string }{
		{"gpt", "OpenAI GPT"}, {"chatgpt", "OpenAI GPT"}, {"o1", "OpenAI o-series"}, {"o3", "OpenAI o-series"}, {"o4", "OpenAI o-series"},
		{"text-embedding", "OpenAI embeddings"}, {"dall-e", "OpenAI DALL-E"}, {"whisper", "OpenAI Whisper"}, {"claude", "Anthropic Claude"},
		{"gemini", "Google Gemini"}, {"meta-llama", "Meta Llama"}, {"llama", "Meta Llama"}, {"meta-llama", "Meta Llama"}, {"mistral", "Mistral"},
		{"mixtral", "Mistral"}, {"codestral", "Mistral"}, {"command", "Cohere Command"}, {"deepseek", "DeepSeek"}, {"qwen", "Qwen"},
		{"phi", "Microsoft Phi"}, {"grok", "xAI Grok"},
	} {
		if strings.HasPrefix(l, f.p) {
			return f.fam
		}
	}
	return ""
}

func isSQLSink(call string) bool {
	return strings.HasPrefix(call, ".execute") || strings.HasPrefix(call, ".query") || strings.HasPrefix(call, ".raw") || strings.HasPrefix(call, "text")
}

// builtQuery reports a statement built by formatting or concatenation. A
// "%" counts only as Python's %-operator after a string ("..." % x), not as
// a DB-API placeholder ("... = %s", (x,)), which is a bound parameter.
func builtQuery(call string) bool {
	for _, m := range []string{"f\"", "f'", "+", "${", ".format(", "`"} {
		if strings.Contains(call, m) {
			return true
		}
	}
	return strings.IndexByte(call, '%') >= 0 && percentFormat.MatchString(call)
}

var percentFormat = regexp.MustCompile(`["']\s*%\s*[\w(\[{]`)

var (
	// endpointHints: every alternative of endpointRe contains one of these
	// (lower-cased) substrings, so a line without any cannot match.
	endpointHints = []string{"openai.", "azure.com", "anthropic.", "amazonaws.com", "googleapis.com", "mistral.ai", "cohere.",
		"groq.com", "together.xyz", "deepseek.com", "perplexity.ai", "openrouter.ai", "huggingface.co", "x.ai", "fireworks.ai", ":11434"}
	// modelHints: the same for modelNameRe (the o-series only right after a
	// quote, as the expression requires).
	modelHints = []string{"gpt-", "chatgpt", "\"o1", "'o1", "`o1", "\"o3", "'o3", "`o3", "\"o4", "'o4", "`o4", "text-embedding", "dall-e",
		"whisper-1", "claude-", "gemini-", "llama", "mistral-", "mixtral-", "codestral-", "command-r", "deepseek-", "qwen", "phi-", "grok-"}
	keyHints = []string{"sk-", "aiza", "hf_", "gsk_", "azure"}
)

func hasAny(low []byte, hints []string) bool {
	for _, h := range hints {
		if bytes.Contains(low, []byte(h)) {
			return true
		}
	}
	return false
}

// lower returns lb lower-cased (ASCII) in the worker's scratch buffer.
func (w *worker) lower(lb []byte) []byte {
	w.low = w.low[:0]
	for _, c := range lb {
		w.low = append(w.low, lowerTable[c])
	}
	return w.low
}

func unpickleSubmatch(lb []byte, line string) []string {
	if !bytes.Contains(lb, []byte(".load")) {
		return nil
	}
	return unpickleRe.FindStringSubmatch(line)
}
