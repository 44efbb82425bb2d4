package modelscan

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/aigis-dev/aigis/internal/modelscan/pickle"
)

// kerasModules are the module prefixes a Keras config may name without
// custom code.
var kerasModules = []string{"keras", "tf_keras", "tensorflow", "keras_nlp", "keras_hub", "keras_cv", "keras_tuner"}

// dangerousInCode are identifiers that, inside a marshalled Lambda function,
// mean it runs commands, touches files or the network.
var dangerousInCode = regexp.MustCompile(`\b(?:os|posix|subprocess|system|popen|exec|eval|compile|__import__|__builtins__|socket|urllib|requests|open|getattr|importlib|shutil|pty|ctypes|marshal|pickle)\b`)

const maxKerasNodes = 1_000_000

// kerasDangerousNames are Keras functions that a config can name and that
// act on load: fetch files, load other models, or turn safe mode off.
var kerasDangerousNames = map[string]bool{
	"get_file": true, "enable_unsafe_deserialization": true, "load_model": true, "load_weights": true,
	"load_img": true, "set_file_path": true, "exec": true, "eval": true, "system": true, "popen": true,
}

// CheckKerasConfig walks a Keras model config (config.json of .keras, or the
// model_config attribute of an HDF5 file) and reports Lambda layers, custom
// objects and modules outside Keras.
func (s *Scanner) CheckKerasConfig(cfg []byte) ([]Finding, error) {
	var root any
	dec := json.NewDecoder(bytes.NewReader(cfg))
	dec.UseNumber()
	if err := dec.Decode(&root); err != nil {
		return nil, fmt.Errorf("keras config is not JSON: %w", err)
	}
	var out []Finding
	seen := map[string]bool{}
	addOnce := func(f Finding) {
		if !seen[f.Rule+f.Detail] && len(out) < 1000 {
			seen[f.Rule+f.Detail] = true
			out = append(out, f)
		}
	}
	nodes := 0
	var walk func(v any, depth int) error
	walk = func(v any, depth int) error {
		if nodes++; nodes > maxKerasNodes {
			return errors.New("keras config has too many nodes")
		}
		if depth > 200 {
			return errors.New("keras config nested deeper than 200")
		}
		switch x := v.(type) {
		case map[string]any:
			cls, _ := x["class_name"].(string)
			if cls == "Lambda" {
				addOnce(s.lambdaFinding(x))
			}
			if mod, ok := x["module"].(string); ok && mod != "" {
				name := cls
				if fnName, ok := x["config"].(string); ok && cls == "function" {
					name = fnName
				}
				switch {
				case kerasDangerousNames[name]:
					addOnce(Finding{Rule: "keras.module.dangerous", Severity: "critical", Detail: fmt.Sprintf("config deserializes %s.%s: downloads files, loads further models or disables safe mode on load (CVE-2025-8747/9906 class)", printableName(mod), printableName(name)), Offset: -1})
				case s.policy.Classify(mod, name) == pickle.Dangerous:
					addOnce(Finding{Rule: "keras.module.dangerous", Severity: "critical", Detail: fmt.Sprintf("config deserializes %s.%s: Keras imports and calls it on load (CVE-2025-1550 class)", printableName(mod), printableName(name)), Offset: -1})
				case !kerasModule(mod):
					addOnce(Finding{Rule: "keras.module.custom", Severity: "high", Detail: fmt.Sprintf("config names module %q (class %q) outside Keras: loading imports it", printableName(mod), printableName(name)), Offset: -1})
				}
			}
			if rn, ok := x["registered_name"].(string); ok && strings.Contains(rn, ">") {
				addOnce(Finding{Rule: "keras.custom-object", Severity: "medium", Detail: fmt.Sprintf("custom registered object %q: loading needs (and runs) its code", printableName(rn)), Offset: -1})
			}
			for _, c := range x {
				if err := walk(c, depth+1); err != nil {
					return err
				}
			}
		case []any:
			for _, c := range x {
				if err := walk(c, depth+1); err != nil {
					return err
				}
			}
		case string:
			if depth > 0 && len(x) > 0 {
				for _, h := range matchText(x, metadataRules) {
					if h.severity != "low" {
						addOnce(Finding{Rule: "keras.config-code", Severity: h.severity, Detail: "config string holds " + h.what + ": " + h.match, Offset: -1})
					}
				}
			}
		}
		return nil
	}
	err := walk(root, 0)
	return out, err
}

func kerasModule(mod string) bool {
	for _, k := range kerasModules {
		if mod == k || strings.HasPrefix(mod, k+".") {
			return true
		}
	}
	return mod == "builtins" || mod == "numpy"
}

// lambdaFinding rates a Lambda layer by the code it carries.
func (s *Scanner) lambdaFinding(layer map[string]any) Finding {
	var blobs []string
	var collect func(v any, depth int)
	collect = func(v any, depth int) {
		if depth > 8 {
			return
		}
		switch x := v.(type) {
		case string:
			blobs = append(blobs, x)
			if b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(x)); err == nil {
				blobs = append(blobs, string(b))
			}
		case []any:
			for _, c := range x {
				collect(c, depth+1)
			}
		case map[string]any:
			for _, c := range x {
				collect(c, depth+1)
			}
		}
	}
	if cfg, ok := layer["config"].(map[string]any); ok {
		collect(cfg["function"], 0)
	}
	name := "?"
	if cfg, ok := layer["config"].(map[string]any); ok {
		if n, ok := cfg["name"].(string); ok {
			name = n
		}
	}
	for _, b := range blobs {
		if m := dangerousInCode.FindString(b); m != "" {
			return Finding{Rule: "keras.lambda.dangerous", Severity: "critical", Detail: fmt.Sprintf("Lambda layer %q carries Python code that references %q: runs when the model is loaded without safe_mode", printableName(name), m), Offset: -1}
		}
	}
	return Finding{Rule: "keras.lambda", Severity: "high", Detail: fmt.Sprintf("Lambda layer %q carries serialized Python code (runs when loaded with safe_mode=False or by Keras 2)", printableName(name)), Offset: -1}
}

// kerasFromZip checks config.json of a Keras v3 archive.
func (s *Scanner) kerasFromZip(ctx context.Context, res *FileResult, zr *zip.Reader) {
	for _, f := range zr.File {
		if f.Name != "config.json" {
			continue
		}
		if f.UncompressedSize64 > 256<<20 {
			res.fail(errors.New("keras config.json larger than 256 MiB"))
			return
		}
		rc, err := f.Open()
		if err != nil {
			res.fail(fmt.Errorf("keras config.json: %w", err))
			return
		}
		b, err := io.ReadAll(io.LimitReader(rc, 256<<20))
		rc.Close()
		if err != nil && len(b) == 0 {
			res.fail(fmt.Errorf("keras config.json: %w", err))
			return
		}
		fs, err := s.CheckKerasConfig(b)
		res.Findings = append(res.Findings, fs...)
		if err != nil {
			res.fail(err)
		}
	}
}

// scanText handles JSON configs (tokenizer chat templates, Hugging Face
// auto_map remote code, Keras configs) and Jinja template files.
func (s *Scanner) scanText(ctx context.Context, res *FileResult, r io.ReaderAt, size int64, base string) {
	res.Format = "text"
	if size > 64<<20 {
		res.add("text.skipped", "info", "text file larger than 64 MiB not analysed", -1)
		return
	}
	b, err := readAll(r, size, 64<<20)
	if err != nil {
		res.fail(err)
		return
	}
	if !strings.HasSuffix(base, ".json") {
		res.Format = "chat-template"
		res.Findings = append(res.Findings, CheckChatTemplate(string(b))...)
		return
	}
	res.Format = "json"
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		// Not an object (or not JSON): nothing model-specific to check.
		return
	}
	if tpl, ok := doc["chat_template"]; ok {
		res.Format = "tokenizer-config"
		switch t := tpl.(type) {
		case string:
			res.Findings = append(res.Findings, CheckChatTemplate(t)...)
		case []any:
			for _, item := range t {
				if m, ok := item.(map[string]any); ok {
					if ts, ok := m["template"].(string); ok {
						for _, f := range CheckChatTemplate(ts) {
							f.Detail = fmt.Sprintf("template %v: %s", m["name"], f.Detail)
							res.Findings = append(res.Findings, f)
						}
					}
				}
			}
		}
	}
	if fs, err := s.CheckConfigTargets(doc); err != nil {
		res.fail(err)
	} else {
		res.Findings = append(res.Findings, fs...)
	}
	if am, ok := doc["auto_map"].(map[string]any); ok && len(am) > 0 {
		for k, v := range am {
			res.add("hf.remote-code", "medium", fmt.Sprintf("auto_map %s -> %v: loading needs trust_remote_code=True and runs Python from the repository", printableName(k), v), -1)
			break
		}
	}
	if _, ok := doc["class_name"]; ok {
		if _, ok := doc["config"]; ok {
			res.Format = "keras-config"
			fs, err := s.CheckKerasConfig(b)
			res.Findings = append(res.Findings, fs...)
			if err != nil {
				res.fail(err)
			}
		}
	}
}

// maxKerasMetadata bounds one layer's JSON in keras_metadata.pb.
const maxKerasMetadata = 64 << 20

// scanKerasMetadata checks keras_metadata.pb, the Keras 2 part of a TF
// SavedModel: a SavedMetadata message whose nodes (field 1, SavedObject)
// carry each layer's JSON config in field 5 (metadata). Keras revives the
// layers from these configs when the SavedModel is loaded, Lambda code
// included, so they get the Keras config checks. It returns how many
// configs it found.
func (s *Scanner) scanKerasMetadata(ctx context.Context, res *FileResult, r io.ReaderAt, size int64) (int, error) {
	p := &pbReader{r: r, size: size}
	found := 0
	err := p.walk(0, size, func(f pbField) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if f.num != 1 || f.wire != 2 {
			return nil
		}
		return p.walk(f.off, f.off+f.n, func(g pbField) error {
			if g.num != 5 || g.wire != 2 || g.n == 0 {
				return nil
			}
			if g.n > maxKerasMetadata {
				return fmt.Errorf("layer metadata of %d bytes exceeds %d", g.n, maxKerasMetadata)
			}
			js, err := p.bytes(g.off, g.n, maxKerasMetadata)
			if err != nil {
				return err
			}
			if !strings.HasPrefix(strings.TrimSpace(js), "{") {
				return nil
			}
			found++
			fs, err := s.CheckKerasConfig([]byte(js))
			for _, f := range fs {
				if f.Offset < 0 {
					f.Offset = g.off
				}
				res.Findings = append(res.Findings, f)
			}
			return err
		})
	})
	return found, err
}
