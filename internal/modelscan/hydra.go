package modelscan

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/aigis-dev/aigis/internal/modelscan/pickle"
)

// Model configs that name code. Hydra/OmegaConf configs carry `_target_`, a
// dotted callable that hydra.utils.instantiate imports and calls: NeMo
// restores .nemo models from model_config.yaml this way (CVE-2025-23304
// class), and other libraries instantiate `_target_` found in config.json or
// in safetensors metadata. PyYAML's python tags (!!python/object/apply:...)
// construct arbitrary objects under unsafe loaders. Each named callable is
// rated by the pickle policy (allowlist first, then the dangerous lists).

const (
	maxYAMLBytes    = 16 << 20
	maxConfigNodes  = 1_000_000
	maxConfigDepth  = 200
	maxYAMLDocs     = 100
	maxTargetReport = 100
)

// defaultTargetPolicy rates targets where no Scanner is at hand
// (CheckSafetensorsHeader): the built-in allowlist.
var defaultTargetPolicy = pickle.NewPolicy(nil)

// targetFinding rates one callable named by a config.
func targetFinding(pol *pickle.Policy, target, how string) (Finding, bool) {
	t := strings.TrimSpace(target)
	mod, name := "builtins", t
	if i := strings.LastIndexByte(t, '.'); i > 0 {
		mod, name = t[:i], t[i+1:]
	}
	// Hydra also accepts "module:attr".
	if i := strings.IndexByte(name, ':'); i >= 0 && mod == "builtins" {
		mod, name = name[:i], name[i+1:]
	}
	f := Finding{Offset: -1}
	c := pol.Classify(mod, name)
	// Hydra's locate imports the longest importable prefix and walks the
	// rest as attributes, so a.b.torch.hub.load can reach torch.hub.load
	// through a's imports: every suffix path that is risky or dangerous on
	// its own raises the rating.
	if parts := strings.Split(t, "."); len(parts) <= 32 {
		for i := 1; i+1 < len(parts); i++ {
			if c2 := pol.Classify(strings.Join(parts[i:len(parts)-1], "."), parts[len(parts)-1]); c2 >= pickle.Risky && c2 > c {
				c = c2
			}
		}
	} else {
		c = max(c, pickle.Risky)
	}
	switch c {
	case pickle.Dangerous:
		f.Rule, f.Severity = "config.target.dangerous", "critical"
		f.Detail = fmt.Sprintf("%s names %s.%s: loading the model imports and calls it (runs code, touches files, processes or the network)", how, printableName(mod), printableName(name))
	case pickle.Risky:
		f.Rule, f.Severity = "config.target.risky", "high"
		f.Detail = fmt.Sprintf("%s names %s.%s, a combinator or loader that reaches code", how, printableName(mod), printableName(name))
	case pickle.Unknown:
		f.Rule, f.Severity = "config.target", "medium"
		f.Detail = fmt.Sprintf("%s names %s.%s, outside the allowlist: loading imports and calls it (allow it with --allow if trusted)", how, printableName(mod), printableName(name))
	default:
		return f, false
	}
	return f, true
}

type targetCollector struct {
	pol   *pickle.Policy
	out   []Finding
	seen  map[string]bool
	nodes int
}

func (c *targetCollector) add(target, how string) {
	if c.seen[target+how] || len(c.out) >= maxTargetReport {
		return
	}
	c.seen[target+how] = true
	if f, ok := targetFinding(c.pol, target, how); ok {
		c.out = append(c.out, f)
	}
}

// walkJSON rates every "_target_" of a decoded JSON document.
func (c *targetCollector) walkJSON(v any, depth int) error {
	if c.nodes++; c.nodes > maxConfigNodes {
		return errors.New("config has too many nodes")
	}
	if depth > maxConfigDepth {
		return fmt.Errorf("config nested deeper than %d", maxConfigDepth)
	}
	switch x := v.(type) {
	case map[string]any:
		if t, ok := x["_target_"].(string); ok {
			c.add(t, "_target_ (Hydra instantiate)")
		}
		for _, e := range x {
			if err := c.walkJSON(e, depth+1); err != nil {
				return err
			}
		}
	case []any:
		for _, e := range x {
			if err := c.walkJSON(e, depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

// pythonTag returns the callable a PyYAML python tag constructs, if any.
func pythonTag(tag string) (string, bool) {
	t, ok := strings.CutPrefix(tag, "!!python/")
	if !ok {
		t, ok = strings.CutPrefix(tag, "tag:yaml.org,2002:python/")
	}
	if !ok {
		return "", false
	}
	for _, kind := range []string{"object/apply:", "object/new:", "object:", "name:", "module:"} {
		if rest, ok := strings.CutPrefix(t, kind); ok {
			return rest, true
		}
	}
	return "", true // !!python/tuple, !!python/str ...: no callable
}

// walkYAML rates `_target_` values and python tags of a YAML node tree.
// Aliases are not followed (their anchors are walked where defined).
func (c *targetCollector) walkYAML(n *yaml.Node, depth int) error {
	if n == nil {
		return nil
	}
	if c.nodes++; c.nodes > maxConfigNodes {
		return errors.New("YAML has too many nodes")
	}
	if depth > maxConfigDepth {
		return fmt.Errorf("YAML nested deeper than %d", maxConfigDepth)
	}
	if target, ok := pythonTag(n.Tag); ok {
		if target != "" {
			c.add(target, "PyYAML tag "+printableName(n.Tag))
		} else if !c.seen[n.Tag] && len(c.out) < maxTargetReport {
			c.seen[n.Tag] = true
			c.out = append(c.out, Finding{Rule: "config.yaml-python-tag", Severity: "medium", Detail: fmt.Sprintf("PyYAML python tag %s: unsafe loaders construct Python objects", printableName(n.Tag)), Offset: -1})
		}
	}
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Kind == yaml.ScalarNode && k.Value == "_target_" && v.Kind == yaml.ScalarNode {
				c.add(v.Value, "_target_ (Hydra instantiate)")
			}
		}
	}
	if n.Kind == yaml.AliasNode {
		return nil
	}
	for _, ch := range n.Content {
		if err := c.walkYAML(ch, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// CheckConfigTargets rates the callables a decoded JSON config names.
func (s *Scanner) CheckConfigTargets(doc any) ([]Finding, error) {
	return checkConfigTargets(s.policy, doc)
}

func checkConfigTargets(pol *pickle.Policy, doc any) ([]Finding, error) {
	c := &targetCollector{pol: pol, seen: map[string]bool{}}
	err := c.walkJSON(doc, 0)
	return c.out, err
}

// scanYAML checks YAML configs (NeMo model_config.yaml, Hydra configs).
func (s *Scanner) scanYAML(ctx context.Context, res *FileResult, r io.ReaderAt, size int64) {
	res.Format = "yaml"
	if size > maxYAMLBytes {
		res.add("text.skipped", "info", fmt.Sprintf("YAML file larger than %d bytes not analysed", maxYAMLBytes), -1)
		return
	}
	b, err := readAll(r, size, maxYAMLBytes)
	if err != nil {
		res.fail(err)
		return
	}
	c := &targetCollector{pol: s.policy, seen: map[string]bool{}}
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	for i := 0; ; i++ {
		if err := ctx.Err(); err != nil {
			res.fail(err)
			return
		}
		if i >= maxYAMLDocs {
			res.fail(fmt.Errorf("more than %d YAML documents", maxYAMLDocs))
			break
		}
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			// Parsers differ: when the text names code, not parsing it is
			// not knowing it is safe.
			if strings.Contains(string(b), "_target_") || strings.Contains(string(b), "python/") {
				res.fail(fmt.Errorf("YAML naming _target_ or python tags does not parse: %v", err))
			} else {
				res.add("yaml.malformed", "low", "YAML does not parse: "+printableName(err.Error()), -1)
			}
			break
		}
		if werr := c.walkYAML(&n, 0); werr != nil {
			res.fail(werr)
			break
		}
	}
	res.Findings = append(res.Findings, c.out...)
}
