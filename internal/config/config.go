// Package config loads and validates the aigis YAML configuration.
//
// Loading is strict: unknown keys, duplicate keys, values of the wrong type
// and missing environment variables are errors that name the file, the line
// and the key. ${NAME} in a value is replaced by the environment variable
// NAME ("$${" writes a literal "${"). Everything is validated, including the
// blocks owned by other packages (their Validate methods), before the
// gateway opens its port. See docs/configuration.md and examples/aigis.yaml.
package config

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/aigis-dev/aigis/internal/audit"
	"github.com/aigis-dev/aigis/internal/identity"
	"github.com/aigis-dev/aigis/internal/policy"
	"github.com/aigis-dev/aigis/internal/quota"
	"github.com/aigis-dev/aigis/internal/upstream"
)

// Config is the whole aigis configuration file. Blocks owned by other
// packages are embedded as they are and validated by their Validate methods.
type Config struct {
	Listen    Listen            `yaml:"listen"`
	Limits    Limits            `yaml:"limits"`
	Store     string            `yaml:"store"` // DSN: postgres://..., sqlite://PATH or a path; "" = the default SQLite file
	Redis     *Redis            `yaml:"redis"` // nil: quotas in process
	Quota     quota.Config      `yaml:"quota"`
	Admin     Admin             `yaml:"admin"`
	Identity  identity.Config   `yaml:"identity"`
	Roles     policy.Roles      `yaml:"roles"`
	KeyLimits quota.Limits      `yaml:"default_key_limits"` // per principal, on top of the role limits
	Upstreams []upstream.Config `yaml:"upstreams"`
	Models    []Model           `yaml:"models"`
	Audit     Audit             `yaml:"audit"`
	Guard     Guard             `yaml:"guard"`
	Logging   Logging           `yaml:"logging"`
	Metrics   Metrics           `yaml:"metrics"`
	Runtime   Runtime           `yaml:"runtime"`

	// File is the path the config was loaded from (not a YAML key).
	File string `yaml:"-"`
	// lines maps dotted keys to their line, for errors found after decoding.
	lines       map[string]int
	checkPolicy PolicyChecker
}

// Listen is where and how the gateway accepts connections.
type Listen struct {
	Addr string `yaml:"addr"` // host:port; default 127.0.0.1:8080
	TLS  *TLS   `yaml:"tls"`  // nil: plain HTTP
}

// TLS configures the listener's certificate and optional client certificates.
type TLS struct {
	CertFile     string `yaml:"cert_file"`
	KeyFile      string `yaml:"key_file"`
	ClientCAFile string `yaml:"client_ca_file"` // enables client-certificate (mTLS) authentication
	// ClientAuth is "none", "optional" (verify if given) or "require"; default
	// "optional" when client_ca_file is set, else "none".
	ClientAuth string `yaml:"client_auth"`
	MinVersion string `yaml:"min_version"` // "1.2" (default) or "1.3"
}

// Limits bound what one client can make the gateway hold.
type Limits struct {
	MaxBodyBytes      ByteSize `yaml:"max_body_bytes"`      // default 4MiB
	MaxHeaderBytes    ByteSize `yaml:"max_header_bytes"`    // default 64KiB
	ReadHeaderTimeout Duration `yaml:"read_header_timeout"` // default 10s
	ReadTimeout       Duration `yaml:"read_timeout"`        // whole request body; default 60s
	IdleTimeout       Duration `yaml:"idle_timeout"`        // keep-alive; default 120s
	UpstreamTimeout   Duration `yaml:"upstream_timeout"`    // whole upstream call incl. stream; default 10m
	ShutdownTimeout   Duration `yaml:"shutdown_timeout"`    // drain open streams; default 30s
}

// Runtime tunes the Go runtime of the serving process. GOGC and GOMEMLIMIT
// in the environment take precedence.
type Runtime struct {
	// GCPercent is the garbage collector's target heap growth (GOGC);
	// default 400: the gateway's live heap is small, so Go's default of 100
	// collects every few MiB allocated and the collections show in the
	// latency tail. Between 25 and 10000.
	GCPercent int `yaml:"gc_percent"`
	// MemoryLimit is a soft limit on the Go heap (GOMEMLIMIT); the
	// collector runs more often as it is approached. 0: none.
	MemoryLimit ByteSize `yaml:"memory_limit"`
}

// DefaultGCPercent is Runtime.GCPercent's default.
const DefaultGCPercent = 400

// Redis holds shared rate-limit and quota state across replicas.
type Redis struct {
	Addr     string `yaml:"addr"` // host:port
	Username string `yaml:"username"`
	Password string `yaml:"password"`
	DB       int    `yaml:"db"`
	TLS      bool   `yaml:"tls"`
}

// Admin configures the admin API under /admin/.
type Admin struct {
	Token string `yaml:"token"` // bearer token; empty disables the admin API
	// ModelScanMaxBytes bounds uploads to POST /admin/v1/model-scan
	// (default 1GiB).
	ModelScanMaxBytes ByteSize `yaml:"model_scan_max_bytes"`
}

// Model maps a public model name to an upstream model.
type Model struct {
	Name     string `yaml:"name"`     // what callers ask for
	Upstream string `yaml:"upstream"` // an upstreams[].name
	Model    string `yaml:"model"`    // the upstream's model (Azure: deployment); default Name
	// MaxLabel is the highest sensitivity label this model may receive:
	// public, internal, confidential or restricted (default).
	MaxLabel string `yaml:"max_label"`
	// BoundaryFallback names another model (with a higher max_label, same
	// API family) that requests carrying data above MaxLabel are sent to
	// instead of being blocked. Empty: such requests are blocked (403).
	BoundaryFallback string `yaml:"boundary_fallback"`
}

// Audit configures the audit log.
type Audit struct {
	Bodies     bool       `yaml:"bodies"`      // store encrypted request/response bodies
	Keys       []AuditKey `yaml:"keys"`        // body encryption keys (rotation: keep the old ones)
	CurrentKey string     `yaml:"current_key"` // id of the key new events use
}

// AuditKey is a 256-bit AES-GCM key: 32 bytes, base64 or hex.
type AuditKey struct {
	ID  string `yaml:"id"`
	Key string `yaml:"key"`
}

// Guard holds named guard policies and which requests use them.
type Guard struct {
	// Policies are guard policy documents (see docs/guard.md), checked by
	// the guard package when the gateway is built (PolicyChecker).
	Policies map[string]RawPolicy `yaml:"policies"`
	// Routes pick a policy per operation and role, first match wins.
	Routes []GuardRoute `yaml:"routes"`
	// Default names the policy for requests no route matches ("" = no guard).
	Default string `yaml:"default"`
	// Output configures the checks on model outputs (system-prompt canary,
	// exfiltration links, invisible text). They run for every model
	// request, whether or not a guard policy applies.
	Output OutputChecks `yaml:"output"`
}

// OutputChecks configures the gateway's output checks.
type OutputChecks struct {
	Enabled bool `yaml:"enabled"` // default off
	// Canary inserts a random canary token into system prompts and
	// detects it in outputs.
	Canary bool `yaml:"canary"`
	// Action is "block" (end the response with prompt_attack_detected) or
	// "flag" (record in the audit only). Default block.
	Action string `yaml:"action"`
	// AllowedDomains may receive data in output URLs ("example.com"
	// matches its subdomains too).
	AllowedDomains []string `yaml:"allowed_domains"`
}

// GuardRoute selects a policy.
type GuardRoute struct {
	Operations []string `yaml:"operations"` // empty = all
	Roles      []string `yaml:"roles"`      // empty = all
	Policy     string   `yaml:"policy"`
}

// Logging configures the JSON logs.
type Logging struct {
	Level  string `yaml:"level"`  // debug, info (default), warn, error
	Format string `yaml:"format"` // json (default) or text
}

// Metrics configures the Prometheus endpoint.
type Metrics struct {
	Enabled *bool  `yaml:"enabled"` // default on
	Path    string `yaml:"path"`    // default /metrics
}

// Options adjust loading.
type Options struct {
	Getenv      Getenv        // nil: the process environment
	CheckPolicy PolicyChecker // nil: guard policies are only checked for shape
}

// Load reads, interpolates, decodes and validates a config file.
func Load(file string) (*Config, error) { return LoadWith(file, Options{}) }

// LoadWith is Load with options.
func LoadWith(file string, o Options) (*Config, error) {
	data, err := readBounded(file)
	if err != nil {
		return nil, err
	}
	return Parse(file, data, o)
}

func readBounded(file string) ([]byte, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("open config: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("stat config: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("config %s is not a regular file", file)
	}
	if st.Size() > maxFileBytes {
		return nil, fmt.Errorf("config %s is %d bytes, larger than the %d-byte limit", file, st.Size(), maxFileBytes)
	}
	data := make([]byte, st.Size())
	if _, err := f.ReadAt(data, 0); err != nil && st.Size() > 0 {
		return nil, fmt.Errorf("read config %s: %w", file, err)
	}
	return data, nil
}

// Parse decodes and validates config bytes; file names the source in errors.
func Parse(file string, data []byte, o Options) (*Config, error) {
	d := newDecoder(file, o.Getenv)
	c := &Config{}
	if err := d.decode(data, c); err != nil {
		return nil, err
	}
	c.File, c.lines, c.checkPolicy = file, d.lines, o.CheckPolicy
	c.applyDefaults()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// Default returns a config with every default applied and nothing else:
// the starting point of the demo.
func Default() *Config {
	c := &Config{File: "(defaults)"}
	c.applyDefaults()
	return c
}

func (c *Config) applyDefaults() {
	if c.Listen.Addr == "" {
		c.Listen.Addr = "127.0.0.1:8080"
	}
	l := &c.Limits
	setSize(&l.MaxBodyBytes, 4<<20)
	setSize(&c.Admin.ModelScanMaxBytes, 1<<30)
	setSize(&l.MaxHeaderBytes, 64<<10)
	setDur(&l.ReadHeaderTimeout, 10e9)
	setDur(&l.ReadTimeout, 60e9)
	setDur(&l.IdleTimeout, 120e9)
	setDur(&l.UpstreamTimeout, 600e9)
	setDur(&l.ShutdownTimeout, 30e9)
	if c.Runtime.GCPercent == 0 {
		c.Runtime.GCPercent = DefaultGCPercent
	}
	if c.Logging.Level == "" {
		c.Logging.Level = "info"
	}
	if c.Logging.Format == "" {
		c.Logging.Format = "json"
	}
	if c.Metrics.Enabled == nil {
		on := true
		c.Metrics.Enabled = &on
	}
	if c.Metrics.Path == "" {
		c.Metrics.Path = "/metrics"
	}
	for i := range c.Models {
		if c.Models[i].Model == "" {
			c.Models[i].Model = c.Models[i].Name
		}
		if c.Models[i].MaxLabel == "" {
			c.Models[i].MaxLabel = "restricted"
		}
	}
	if c.Listen.TLS != nil {
		t := c.Listen.TLS
		if t.ClientAuth == "" {
			t.ClientAuth = "none"
			if t.ClientCAFile != "" {
				t.ClientAuth = "optional"
			}
		}
		if t.MinVersion == "" {
			t.MinVersion = "1.2"
		}
	}
}

func setSize(p *ByteSize, v ByteSize) {
	if *p == 0 {
		*p = v
	}
}

func setDur(p *Duration, v Duration) {
	if *p == 0 {
		*p = v
	}
}

// validation collects errors with the line of their key.
type validation struct {
	c    *Config
	errs Errors
}

func (v *validation) add(key, format string, args ...any) {
	line := v.c.lines[key]
	for k := key; line == 0 && k != ""; {
		// fall back to the closest parent that has a line
		i := strings.LastIndexAny(k, ".[")
		if i < 0 {
			break
		}
		k = k[:i]
		line = v.c.lines[k]
	}
	v.errs = append(v.errs, &Error{File: v.c.File, Line: line, Key: key, Msg: fmt.Sprintf(format, args...)})
}

// addBlock reports an error from an embedded block's Validate. Those
// errors do not know lines, so it points at the first key of the block
// the message names (e.g. "kind" in `kind "x" is not one of ...`), else
// at the block itself.
func (v *validation) addBlock(block string, err error) {
	msg := err.Error()
	best, bestAt := block, len(msg)+1
	prefix := block + "."
	for key := range v.c.lines {
		if !strings.HasPrefix(key, prefix) {
			continue
		}
		name := key[len(prefix):]
		if strings.ContainsAny(name, ".[") {
			continue // direct children only
		}
		if at := wordIndex(msg, name); at >= 0 && at < bestAt {
			best, bestAt = key, at
		}
	}
	v.add(best, "%s", msg)
}

// wordIndex finds name in msg as a whole word (letters, digits, _).
func wordIndex(msg, name string) int {
	isWord := func(c byte) bool {
		return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
	}
	for off := 0; ; {
		i := strings.Index(msg[off:], name)
		if i < 0 {
			return -1
		}
		i += off
		end := i + len(name)
		if (i == 0 || !isWord(msg[i-1])) && (end == len(msg) || !isWord(msg[end])) {
			return i
		}
		off = end
	}
}

// Validate checks every value and every cross reference.
func (c *Config) Validate() error {
	v := &validation{c: c}
	if c.lines == nil {
		c.lines = map[string]int{}
	}
	if err := checkHostPort(c.Listen.Addr); err != nil {
		v.add("listen.addr", "%v", err)
	}
	if t := c.Listen.TLS; t != nil {
		if t.CertFile == "" || t.KeyFile == "" {
			v.add("listen.tls", "cert_file and key_file are both required")
		}
		switch t.ClientAuth {
		case "none", "optional", "require":
		default:
			v.add("listen.tls.client_auth", "must be none, optional or require, not %q", t.ClientAuth)
		}
		if t.ClientAuth != "none" && t.ClientCAFile == "" {
			v.add("listen.tls.client_ca_file", "required when client_auth is %s", t.ClientAuth)
		}
		if _, err := TLSVersion(t.MinVersion); err != nil {
			v.add("listen.tls.min_version", "%v", err)
		}
	}
	if c.Limits.MaxBodyBytes < 1024 {
		v.add("limits.max_body_bytes", "must be at least 1KiB")
	}
	if c.Limits.MaxHeaderBytes < 4096 {
		v.add("limits.max_header_bytes", "must be at least 4KiB")
	}
	if g := c.Runtime.GCPercent; g < 25 || g > 10000 {
		v.add("runtime.gc_percent", "must be between 25 and 10000, not %d", g)
	}
	if m := c.Runtime.MemoryLimit; m != 0 && m < 64<<20 {
		v.add("runtime.memory_limit", "must be 0 (none) or at least 64MiB")
	}
	if c.Store != "" && !validDSN(c.Store) {
		v.add("store", "must be postgres://..., postgresql://..., sqlite://PATH or a file path")
	}
	if r := c.Redis; r != nil {
		if err := checkHostPort(r.Addr); err != nil {
			v.add("redis.addr", "%v", err)
		}
		if r.DB < 0 {
			v.add("redis.db", "must not be negative")
		}
	}
	if c.Admin.Token != "" && len(c.Admin.Token) < 16 {
		v.add("admin.token", "must be at least 16 characters (use a random value from ${ENV})")
	}
	c.validateIdentity(v)
	roles := c.validateRoles(v)
	ups := c.validateUpstreams(v)
	c.validateModels(v, ups)
	c.validateAudit(v)
	c.validateGuard(v, roles)
	switch c.Logging.Level {
	case "debug", "info", "warn", "error":
	default:
		v.add("logging.level", "must be debug, info, warn or error, not %q", c.Logging.Level)
	}
	switch c.Logging.Format {
	case "json", "text":
	default:
		v.add("logging.format", "must be json or text, not %q", c.Logging.Format)
	}
	if !strings.HasPrefix(c.Metrics.Path, "/") || strings.HasPrefix(c.Metrics.Path, "/v1/") || strings.HasPrefix(c.Metrics.Path, "/admin/") {
		v.add("metrics.path", "must start with / and not collide with /v1/ or /admin/")
	}
	if len(v.errs) > 0 {
		return v.errs
	}
	return nil
}

// checkHostPort accepts host:port with a numeric port 0-65535 (the host
// may be empty: all interfaces).
func checkHostPort(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("not host:port: %v", err)
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("port %q is not a number from 0 to 65535", port)
	}
	return nil
}

// TLSVersion maps "1.2"/"1.3" to the crypto/tls constant.
func TLSVersion(s string) (uint16, error) {
	switch s {
	case "1.2", "":
		return tls.VersionTLS12, nil
	case "1.3":
		return tls.VersionTLS13, nil
	}
	return 0, fmt.Errorf("must be \"1.2\" or \"1.3\", not %q", s)
}

func validDSN(s string) bool {
	if strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://") {
		return len(s) > len("postgres://")
	}
	if strings.HasPrefix(s, "sqlite://") {
		return len(s) > len("sqlite://")
	}
	return !strings.Contains(s, "://")
}

func (c *Config) validateIdentity(v *validation) {
	id := c.Identity
	if err := id.APIKeys.Validate(); err != nil {
		v.addBlock("identity.api_keys", err)
	}
	for i, o := range id.OIDC {
		if err := o.Validate(); err != nil {
			v.addBlock(fmt.Sprintf("identity.oidc[%d]", i), err)
		}
	}
	if err := id.MTLS.Validate(); err != nil {
		v.addBlock("identity.mtls", err)
	}
	if len(v.errs) == 0 {
		if err := id.Validate(); err != nil {
			v.add("identity", "%v", err)
		}
	}
	if id.MTLS.Enabled && (c.Listen.TLS == nil || c.Listen.TLS.ClientCAFile == "") {
		v.add("identity.mtls", "needs listen.tls.client_ca_file to verify client certificates")
	}
}

func (c *Config) validateRoles(v *validation) map[string]bool {
	names := map[string]bool{}
	for i, r := range c.Roles {
		k := fmt.Sprintf("roles[%d]", i)
		for _, fe := range r.FieldErrors() {
			v.add(k+"."+fe.Field, "%s", fe.Msg)
		}
		if names[r.Name] {
			v.add(k+".name", "role %q is defined twice", r.Name)
		}
		names[r.Name] = true
	}
	if err := c.KeyLimits.Validate(); err != nil {
		v.add("default_key_limits", "%v", err)
	}
	if err := c.Quota.Validate(); err != nil {
		v.add("quota", "%v", err)
	}
	return names
}

func (c *Config) validateUpstreams(v *validation) map[string]string {
	kinds := map[string]string{}
	for i := range c.Upstreams {
		u := &c.Upstreams[i]
		k := fmt.Sprintf("upstreams[%d]", i)
		if err := u.Validate(); err != nil {
			for _, line := range strings.Split(err.Error(), "\n") {
				v.addBlock(k, errors.New(line))
			}
		}
		if _, dup := kinds[u.Name]; dup && u.Name != "" {
			v.add(k+".name", "upstream %q is defined twice", u.Name)
		}
		kinds[u.Name] = u.Kind
	}
	return kinds
}

func (c *Config) validateModels(v *validation, ups map[string]string) {
	seen := map[string]bool{}
	for i, m := range c.Models {
		k := fmt.Sprintf("models[%d]", i)
		if m.Name == "" {
			v.add(k+".name", "required")
		} else if seen[m.Name] {
			v.add(k+".name", "model %q is defined twice", m.Name)
		}
		seen[m.Name] = true
		if _, ok := ups[m.Upstream]; !ok {
			v.add(k+".upstream", "unknown upstream %q (define it under upstreams)", m.Upstream)
		}
		if labelRank(m.MaxLabel) < 0 {
			v.add(k+".max_label", "must be public, internal, confidential or restricted, not %q", m.MaxLabel)
		}
	}
	for i, m := range c.Models {
		if m.BoundaryFallback == "" {
			continue
		}
		k := fmt.Sprintf("models[%d].boundary_fallback", i)
		j := slices.IndexFunc(c.Models, func(o Model) bool { return o.Name == m.BoundaryFallback })
		switch {
		case j < 0:
			v.add(k, "unknown model %q (define it under models)", m.BoundaryFallback)
		case labelRank(c.Models[j].MaxLabel) <= labelRank(m.MaxLabel):
			v.add(k, "model %q must have a higher max_label than %q", m.BoundaryFallback, m.MaxLabel)
		case (ups[m.Upstream] == "anthropic") != (ups[c.Models[j].Upstream] == "anthropic"):
			v.add(k, "model %q is served by a different API family (openai/azure vs anthropic)", m.BoundaryFallback)
		}
	}
}

func (c *Config) validateAudit(v *validation) {
	a := c.Audit
	ids := map[string]bool{}
	for i, k := range a.Keys {
		key := fmt.Sprintf("audit.keys[%d]", i)
		if k.ID == "" {
			v.add(key+".id", "required")
		} else if ids[k.ID] {
			v.add(key+".id", "key id %q is used twice", k.ID)
		}
		ids[k.ID] = true
		if _, err := audit.ParseKey(k.Key); err != nil {
			v.add(key+".key", "%v", err)
		}
	}
	if a.Bodies && a.CurrentKey == "" {
		v.add("audit.current_key", "required when bodies is on (bodies are stored only encrypted)")
	}
	if a.CurrentKey != "" && !ids[a.CurrentKey] {
		v.add("audit.current_key", "no key with id %q under audit.keys", a.CurrentKey)
	}
}

func (c *Config) validateGuard(v *validation, roles map[string]bool) {
	g := c.Guard
	for name, p := range g.Policies {
		if c.checkPolicy == nil {
			continue
		}
		if err := c.checkPolicy(p.YAML); err != nil {
			v.add("guard.policies."+name, "%v", err)
		}
	}
	if g.Default != "" {
		if _, ok := g.Policies[g.Default]; !ok {
			v.add("guard.default", "no policy named %q under guard.policies", g.Default)
		}
	}
	switch g.Output.Action {
	case "", "block", "flag":
	default:
		v.add("guard.output.action", "must be block or flag, not %q", g.Output.Action)
	}
	for i, d := range g.Output.AllowedDomains {
		if d == "" || strings.ContainsAny(d, "/:@ ") {
			v.add(fmt.Sprintf("guard.output.allowed_domains[%d]", i), "must be a host name like example.com, not %q", d)
		}
	}
	for i, r := range g.Routes {
		k := fmt.Sprintf("guard.routes[%d]", i)
		if _, ok := g.Policies[r.Policy]; !ok {
			v.add(k+".policy", "no policy named %q under guard.policies", r.Policy)
		}
		for j, op := range r.Operations {
			if !knownEndpoints[op] {
				v.add(fmt.Sprintf("%s.operations[%d]", k, j), "unknown operation %q", op)
			}
		}
		for j, role := range r.Roles {
			if !roles[role] {
				v.add(fmt.Sprintf("%s.roles[%d]", k, j), "unknown role %q (define it under roles)", role)
			}
		}
	}
}

// PolicyChecker parses and validates one guard policy document (the guard
// package's ParsePolicy). Config does not import the guard itself.
type PolicyChecker func(yamlDoc []byte) error

// RawPolicy is a guard policy kept as YAML until the guard parses it.
type RawPolicy struct {
	YAML []byte
	Line int
}

// UnmarshalYAML keeps the policy block as a YAML document.
func (p *RawPolicy) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return errors.New("a guard policy must be a mapping")
	}
	b, err := yaml.Marshal(n)
	if err != nil {
		return err
	}
	p.YAML, p.Line = b, n.Line
	return nil
}

// labelRank orders sensitivity labels like guard.LabelRank.
func labelRank(l string) int {
	switch l {
	case "public":
		return 0
	case "internal":
		return 1
	case "confidential":
		return 2
	case "restricted":
		return 3
	}
	return -1
}

var knownEndpoints = map[string]bool{"chat": true, "responses": true, "embeddings": true, "messages": true, "models": true, "mcp": true}
