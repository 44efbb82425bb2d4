package guard

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/aigis-dev/aigis/guard/injection"
)

// MaxPolicyBytes bounds the size of a policy document.
const MaxPolicyBytes = 4 << 20

// Policy is a guard configuration: which detectors run, what each finding type
// does, thresholds, allow and deny lists, labels and the injection level. It is
// data (YAML); ParsePolicy decodes it strictly (unknown fields are errors).
//
//	version: 1
//	default_action: mask          # for types with no entry below
//	min_score: 0.5                # default threshold
//	max_bytes: 1048576            # longer texts are blocked (oversize: block) or
//	oversize: block               # scanned up to this prefix (oversize: scan_prefix)
//	detectors: {pii: true, secrets: true}
//	entities:
//	  US_SSN: {action: block, threshold: 0.6, label: restricted}
//	  PERSON: {enabled: false}
//	allow: ["test@example.com"]   # exact values never reported
//	allow_patterns: ["@example\\.org$"]
//	deny: [{type: PROJECT_CODENAME, values: ["bluebird"], action: block}]
//	labels: {EMAIL_ADDRESS: internal}
//	injection: {level: balanced, action: block, directions: [input]}
//	  # optional: external: {kind: azure, endpoint: https://x.cognitiveservices.azure.com,
//	  #                      api_key_env: CONTENT_SAFETY_KEY, timeout: 2s, fail_open: false,
//	  #                      max_calls_per_request: 16}
//	stream: {window: 64}
//	org:
//	  rules: [{type: EMPLOYEE_ID, pattern: "\\bE\\d{6}\\b", keywords: [employee], window: 40, score: 0.9}]
//	  dictionaries: [{type: PROJECT, terms: [bluebird, "red falcon"]}]
//	  edm: [{type: CUSTOMER_ID, file: customers.edm.json}]
type Policy struct {
	Version       int     `yaml:"version"`
	DefaultAction Action  `yaml:"default_action"`
	MinScore      float64 `yaml:"min_score"`
	MaxBytes      int     `yaml:"max_bytes"`
	// Oversize says what happens to a text longer than MaxBytes: "block"
	// (default, fail closed) or "scan_prefix" (scan the first MaxBytes, pass
	// the rest unchanged; Result.Truncated is set either way).
	Oversize      string                  `yaml:"oversize"`
	Detectors     DetectorSwitches        `yaml:"detectors"`
	Entities      map[string]EntityPolicy `yaml:"entities"`
	Allow         []string                `yaml:"allow"`
	AllowPatterns []string                `yaml:"allow_patterns"`
	Deny          []DenyList              `yaml:"deny"`
	Labels        map[string]string       `yaml:"labels"`
	Injection     InjectionPolicy         `yaml:"injection"`
	Stream        StreamPolicy            `yaml:"stream"`
	Org           OrgPolicy               `yaml:"org"`
	// HashKey keys the hash action (HMAC-SHA-256). Empty: a random key per Engine.
	HashKey string `yaml:"hash_key"`
}

// DetectorSwitches turn detector families on and off (nil = on).
type DetectorSwitches struct {
	PII     *bool `yaml:"pii"`
	Secrets *bool `yaml:"secrets"`
}

// EntityPolicy overrides the defaults for one finding type. For secrets the
// key SECRET applies to every secret type unless a SECRET_<rule> key exists.
type EntityPolicy struct {
	Enabled   *bool    `yaml:"enabled"`   // nil = on
	Action    Action   `yaml:"action"`    // "" = default_action
	Threshold *float64 `yaml:"threshold"` // nil = min_score
	Label     string   `yaml:"label"`     // "" = labels map, then the built-in default
	// Directions restricts the type to some directions (empty = both).
	Directions []Direction `yaml:"directions"`
}

// DenyList reports every occurrence of the values (case-insensitive, whole
// words) as Type.
type DenyList struct {
	Type   string   `yaml:"type"`
	Values []string `yaml:"values"`
	Action Action   `yaml:"action"`
	Label  string   `yaml:"label"`
}

// InjectionPolicy configures prompt-injection detection.
type InjectionPolicy struct {
	Enabled    *bool       `yaml:"enabled"`    // nil = on
	Level      string      `yaml:"level"`      // strict, balanced (default), permissive
	Action     Action      `yaml:"action"`     // block (default) or log
	Directions []Direction `yaml:"directions"` // default [input]
	// External adds a heavier detector reached over HTTP (Azure Prompt
	// Shields or a generic JSON classifier); nil = none.
	External *ExternalDetectorPolicy `yaml:"external"`
}

// ExternalDetectorPolicy configures the optional external prompt-attack
// detector. A text is an attack when the built-in detector or the external
// one says so. The API key is never written in the policy: api_key_env names
// the environment variable that holds it.
type ExternalDetectorPolicy struct {
	Kind       string `yaml:"kind"`        // azure (default) or generic
	Endpoint   string `yaml:"endpoint"`    // azure: resource endpoint; generic: full URL
	APIKeyEnv  string `yaml:"api_key_env"` // environment variable holding the key (optional)
	APIVersion string `yaml:"api_version"` // azure api-version (default 2024-09-01)
	Timeout    string `yaml:"timeout"`     // per call, Go duration (default 2s, at most 1m)
	CacheSize  int    `yaml:"cache_size"`  // verdicts cached by text hash (default 1024; -1 disables)
	// MaxCalls bounds the uncached calls one session (one gateway request)
	// makes (default 16, at most 1024): a request with many distinct parts
	// cannot hold the request for parts x timeout nor flood the service.
	// Parts past the limit are treated as if the service were unavailable.
	MaxCalls int `yaml:"max_calls_per_request"`
	// FailOpen: when the service cannot be used, false (default) treats the
	// text as an attack, true lets the built-in verdict stand. Either way the
	// result carries the "external_unavailable" signal and a reason.
	FailOpen bool `yaml:"fail_open"`
}

// maxExternalTimeout bounds external.timeout.
const maxExternalTimeout = time.Minute

// Uncached external calls per session: default and upper bound.
const (
	defaultExternalCalls = 16
	maxExternalCalls     = 1024
)

// maxCalls is the session budget of uncached external calls.
func (x *ExternalDetectorPolicy) maxCalls() int {
	if x.MaxCalls == 0 {
		return defaultExternalCalls
	}
	return x.MaxCalls
}

// config turns the policy into the detector's configuration, reading the
// key from the environment.
func (x *ExternalDetectorPolicy) config() (injection.ExternalConfig, error) {
	cfg := injection.ExternalConfig{Kind: x.Kind, Endpoint: x.Endpoint, APIVersion: x.APIVersion,
		CacheSize: x.CacheSize, FailOpen: x.FailOpen}
	if x.Timeout != "" {
		d, err := time.ParseDuration(x.Timeout)
		if err != nil || d <= 0 || d > maxExternalTimeout {
			return cfg, fmt.Errorf("injection.external.timeout %q: want a duration between 1ms and %s", x.Timeout, maxExternalTimeout)
		}
		cfg.Timeout = d
	}
	if x.MaxCalls < 0 || x.MaxCalls > maxExternalCalls {
		return cfg, fmt.Errorf("injection.external.max_calls_per_request %d: want 1..%d (0: default %d)", x.MaxCalls, maxExternalCalls, defaultExternalCalls)
	}
	if x.CacheSize < -1 {
		return cfg, fmt.Errorf("injection.external.cache_size %d: want -1 (off), 0 (default) or a positive size", x.CacheSize)
	}
	if x.APIKeyEnv != "" {
		v, ok := os.LookupEnv(x.APIKeyEnv)
		if !ok || v == "" {
			return cfg, fmt.Errorf("injection.external.api_key_env: environment variable %s is not set", x.APIKeyEnv)
		}
		cfg.APIKey = v
	}
	return cfg, nil
}

// StreamPolicy configures the streaming scanner.
type StreamPolicy struct {
	// Window is the hold-back window in code points (default 64, max 4096).
	// Values longer than the window that straddle a release point may be missed.
	Window int `yaml:"window"`
}

// OrgPolicy holds organisation-specific detectors.
type OrgPolicy struct {
	Rules        []OrgRule       `yaml:"rules"`
	Dictionaries []OrgDictionary `yaml:"dictionaries"`
	EDM          []OrgEDM        `yaml:"edm"`
}

// OrgRule is a regex with an optional validator and keyword proximity.
type OrgRule struct {
	Type      string   `yaml:"type"`
	Pattern   string   `yaml:"pattern"`   // Go RE2 syntax
	Validator string   `yaml:"validator"` // "", luhn, mod97, mod11, verhoeff
	Keywords  []string `yaml:"keywords"`  // if set, a keyword must occur within Window bytes
	Window    int      `yaml:"window"`    // default 50
	Score     float64  `yaml:"score"`     // default 0.85
	Label     string   `yaml:"label"`
	Action    Action   `yaml:"action"`
}

// OrgDictionary reports whole-word, case-insensitive occurrences of terms.
type OrgDictionary struct {
	Type          string   `yaml:"type"`
	Terms         []string `yaml:"terms"`
	CaseSensitive bool     `yaml:"case_sensitive"`
	Label         string   `yaml:"label"`
	Action        Action   `yaml:"action"`
}

// OrgEDM loads an exact-data-match index built by `aigis guard edm build`.
type OrgEDM struct {
	Type   string `yaml:"type"`
	File   string `yaml:"file"`
	Label  string `yaml:"label"`
	Action Action `yaml:"action"`
}

// DefaultPolicy runs every detector at its default threshold, masks every
// finding, and runs injection detection at balanced, blocking detected attacks
// on input.
func DefaultPolicy() *Policy {
	return &Policy{Version: 1}
}

// ParsePolicy decodes a YAML policy strictly and validates it.
func ParsePolicy(b []byte) (*Policy, error) {
	if len(b) > MaxPolicyBytes {
		return nil, fmt.Errorf("guard policy: %d bytes exceeds the %d byte limit", len(b), MaxPolicyBytes)
	}
	var p Policy
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&p); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("guard policy: %w", err)
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return &p, nil
}

func validAction(a Action) bool {
	switch a {
	case "", ActionLog, ActionMask, ActionHash, ActionPseudonymize, ActionBlock:
		return true
	}
	return false
}

func validLabel(l string) bool { return l == "" || LabelRank(l) >= 0 }

func validDirections(ds []Direction) error {
	for _, d := range ds {
		if d != Input && d != Output {
			return fmt.Errorf("direction %q: want input or output", d)
		}
	}
	return nil
}

// Validate checks a policy's values (without compiling patterns; New does).
func (p *Policy) Validate() error {
	wrap := func(format string, a ...any) error {
		return fmt.Errorf("guard policy: "+format, a...)
	}
	if p.Version != 0 && p.Version != 1 {
		return wrap("version %d is not supported (want 1)", p.Version)
	}
	if !validAction(p.DefaultAction) {
		return wrap("default_action %q: want log, mask, hash, pseudonymize or block", p.DefaultAction)
	}
	if p.MinScore < 0 || p.MinScore > 1 {
		return wrap("min_score %v: want 0..1", p.MinScore)
	}
	if p.Oversize != "" && p.Oversize != "block" && p.Oversize != "scan_prefix" {
		return wrap("oversize %q: want block or scan_prefix", p.Oversize)
	}
	if p.MaxBytes < 0 {
		return wrap("max_bytes %d: must not be negative", p.MaxBytes)
	}
	for t, ep := range p.Entities {
		if !validAction(ep.Action) {
			return wrap("entities.%s.action %q: want log, mask, hash, pseudonymize or block", t, ep.Action)
		}
		if ep.Threshold != nil && (*ep.Threshold < 0 || *ep.Threshold > 1) {
			return wrap("entities.%s.threshold %v: want 0..1", t, *ep.Threshold)
		}
		if !validLabel(ep.Label) {
			return wrap("entities.%s.label %q: want public, internal, confidential or restricted", t, ep.Label)
		}
		if err := validDirections(ep.Directions); err != nil {
			return wrap("entities.%s: %w", t, err)
		}
	}
	for t, l := range p.Labels {
		if !validLabel(l) || l == "" {
			return wrap("labels.%s %q: want public, internal, confidential or restricted", t, l)
		}
	}
	for i, d := range p.Deny {
		if d.Type == "" {
			return wrap("deny[%d]: type is required", i)
		}
		if !validAction(d.Action) || !validLabel(d.Label) {
			return wrap("deny[%d]: bad action %q or label %q", i, d.Action, d.Label)
		}
	}
	switch p.Injection.Level {
	case "", "strict", "balanced", "permissive":
	default:
		return wrap("injection.level %q: want strict, balanced or permissive", p.Injection.Level)
	}
	if p.Injection.Action != "" && p.Injection.Action != ActionBlock && p.Injection.Action != ActionLog {
		return wrap("injection.action %q: want block or log", p.Injection.Action)
	}
	if x := p.Injection.External; x != nil {
		cfg, err := x.config()
		if err != nil {
			return wrap("%v", err)
		}
		if _, err := injection.NewExternal(cfg); err != nil {
			return wrap("injection.external: %v", err)
		}
	}
	if err := validDirections(p.Injection.Directions); err != nil {
		return wrap("injection: %w", err)
	}
	if p.Stream.Window < 0 || p.Stream.Window > 4096 {
		return wrap("stream.window %d: want 0..4096", p.Stream.Window)
	}
	for i, r := range p.Org.Rules {
		if r.Type == "" || r.Pattern == "" {
			return wrap("org.rules[%d]: type and pattern are required", i)
		}
		switch r.Validator {
		case "", "luhn", "mod97", "mod11", "verhoeff":
		default:
			return wrap("org.rules[%d].validator %q: want luhn, mod97, mod11 or verhoeff", i, r.Validator)
		}
		if !validAction(r.Action) || !validLabel(r.Label) {
			return wrap("org.rules[%d]: bad action %q or label %q", i, r.Action, r.Label)
		}
		if r.Score < 0 || r.Score > 1 || r.Window < 0 {
			return wrap("org.rules[%d]: score must be 0..1 and window >= 0", i)
		}
	}
	for i, d := range p.Org.Dictionaries {
		if d.Type == "" {
			return wrap("org.dictionaries[%d]: type is required", i)
		}
		if !validAction(d.Action) || !validLabel(d.Label) {
			return wrap("org.dictionaries[%d]: bad action %q or label %q", i, d.Action, d.Label)
		}
	}
	for i, d := range p.Org.EDM {
		if d.Type == "" || d.File == "" {
			return wrap("org.edm[%d]: type and file are required", i)
		}
		if !validAction(d.Action) || !validLabel(d.Label) {
			return wrap("org.edm[%d]: bad action %q or label %q", i, d.Action, d.Label)
		}
	}
	return nil
}
