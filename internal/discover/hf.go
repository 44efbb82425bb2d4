package discover

import (
	"encoding/json"
	"path"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/aigis-dev/aigis/internal/finding"
)

type hfInfo struct {
	configFile string
	configLine int
	config     map[string]string
	card       map[string]string
	customCode bool
}

// hfCandidate reads config.json (transformers config) and README.md (model
// card front matter) of a possible Hugging Face model folder.
func (w *worker) hfCandidate(rel, lower string, data []byte) {
	dir := path.Dir(rel)
	switch lower {
	case "config.json":
		var cfg map[string]any
		if err := json.Unmarshal(data, &cfg); err != nil {
			return
		}
		mt, _ := cfg["model_type"].(string)
		archs, _ := cfg["architectures"].([]any)
		if mt == "" && len(archs) == 0 {
			return
		}
		props := map[string]string{}
		if mt != "" {
			props["model_type"] = mt
		}
		var as []string
		for _, a := range archs {
			if s, ok := a.(string); ok {
				as = append(as, s)
			}
		}
		if len(as) > 0 {
			props["architectures"] = strings.Join(as, ",")
		}
		for _, k := range []string{"_name_or_path", "transformers_version", "torch_dtype", "vocab_size", "hidden_size", "num_hidden_layers", "max_position_embeddings"} {
			if v, ok := cfg[k]; ok {
				props[k] = strings.TrimSpace(textValue(v))
			}
		}
		_, custom := cfg["auto_map"]
		w.c.mu.Lock()
		info := w.c.hf(dir)
		info.configFile, info.configLine, info.config, info.customCode = rel, 1, props, custom
		w.c.mu.Unlock()
	case "readme.md":
		fm := frontMatter(data)
		if fm == nil {
			return
		}
		var card map[string]any
		if err := yaml.Unmarshal(fm, &card); err != nil {
			return
		}
		props := map[string]string{}
		for _, k := range []string{"license", "pipeline_tag", "library_name", "base_model", "datasets", "language", "tags", "model_name", "model-index"} {
			if v, ok := card[k]; ok && k != "model-index" {
				props[k] = truncate(textValue(v), 200)
			}
		}
		if len(props) == 0 {
			return
		}
		w.c.mu.Lock()
		w.c.hf(dir).card = props
		w.c.mu.Unlock()
	}
}

// hf returns the entry for dir (caller holds c.mu).
func (c *collector) hf(dir string) *hfInfo {
	if c.hfDirs == nil {
		c.hfDirs = map[string]*hfInfo{}
	}
	i, ok := c.hfDirs[dir]
	if !ok {
		i = &hfInfo{}
		c.hfDirs[dir] = i
	}
	return i
}

func frontMatter(data []byte) []byte {
	s := string(data)
	if !strings.HasPrefix(s, "---\n") && !strings.HasPrefix(s, "---\r\n") {
		return nil
	}
	rest := s[strings.Index(s, "\n")+1:]
	end := strings.Index(rest, "\n---")
	if end < 0 || end > 64<<10 {
		return nil
	}
	return []byte(rest[:end])
}

func textValue(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case []any:
		parts := make([]string, 0, len(x))
		for _, e := range x {
			parts = append(parts, textValue(e))
		}
		return strings.Join(parts, ",")
	case nil:
		return ""
	default:
		b, _ := json.Marshal(x)
		return string(b)
	}
}

// finishHF records one asset per model folder that has a transformers
// config, with its model card fields.
func (s *Scanner) finishHF(c *collector) {
	dirs := make([]string, 0, len(c.hfDirs))
	for d := range c.hfDirs {
		dirs = append(dirs, d)
	}
	sort.Strings(dirs)
	for _, d := range dirs {
		info := c.hfDirs[d]
		if info.config == nil {
			continue
		}
		props := map[string]string{}
		for k, v := range info.config {
			props[k] = v
		}
		for k, v := range info.card {
			props["card."+k] = v
		}
		name := path.Base(d)
		if d == "." {
			name = "model"
		}
		if n := info.config["_name_or_path"]; n != "" && !strings.HasPrefix(n, "/") && !strings.HasPrefix(n, ".") {
			name = n
		}
		c.res.Assets = append(c.res.Assets, Asset{Kind: KindHFModel, Name: name, File: info.configFile, Line: info.configLine, Evidence: "transformers config.json", Properties: props})
		if info.customCode {
			c.finding(finding.Finding{
				ID: "AIGIS-HF-001", Title: "Model folder ships custom code (auto_map) that runs with trust_remote_code", Severity: finding.Medium,
				File: info.configFile, Line: info.configLine, Resource: "hf:" + name, Evidence: "config.json has auto_map",
				Remediation: "Review the model's Python files before use, pin the revision, or use a model supported natively by the library.",
				ATLAS:       []string{"AML.T0011.000", "AML.T0010.003"}, OWASP: []string{"LLM03:2025"},
			})
		}
	}
}
