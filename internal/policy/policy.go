// Package policy decides whether a principal may make an exchange: which
// models (globs), which endpoints (operations), and up to how many output
// tokens. It denies by default; a principal with several roles gets the
// union of their grants. Decisions are data: roles come from config.
package policy

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"

	"github.com/aigis-dev/aigis/internal/exchange"
	"github.com/aigis-dev/aigis/internal/identity"
	"github.com/aigis-dev/aigis/internal/quota"
)

// Role grants access. Endpoints are operation names (chat, responses,
// embeddings, messages, models, mcp) or "*". Models are globs ("gpt-4o*",
// "*"); '*' matches any characters including '/', '?' exactly one byte.
type Role struct {
	Name      string       `yaml:"name"`
	Models    []string     `yaml:"models"`
	Endpoints []string     `yaml:"endpoints"`
	MaxTokens int64        `yaml:"max_tokens"` // cap on requested output tokens; 0 = no cap
	Limits    quota.Limits `yaml:"limits"`     // per-role quota, shared by all principals holding the role
}

var roleName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$`)

var knownOps = map[string]bool{
	string(exchange.OpChat): true, string(exchange.OpResponses): true, string(exchange.OpEmbeddings): true,
	string(exchange.OpMessages): true, string(exchange.OpModels): true, string(exchange.OpMCP): true, "*": true,
}

// Validate checks one role and returns its first problem.
func (r Role) Validate() error {
	if errs := r.FieldErrors(); len(errs) > 0 {
		return errs[0]
	}
	return nil
}

// FieldError is one problem of a role, with the field it is about
// ("name", "models[1]", "endpoints[0]", "max_tokens", "limits.rpm", ...)
// so that configuration errors can name the exact key and line.
type FieldError struct {
	Field string
	Msg   string
}

func (e *FieldError) Error() string { return e.Msg }

// FieldErrors returns every problem of the role (nil when valid).
func (r Role) FieldErrors() []*FieldError {
	var errs []*FieldError
	add := func(field, format string, args ...any) {
		errs = append(errs, &FieldError{Field: field, Msg: fmt.Sprintf("role %q: ", r.Name) + fmt.Sprintf(format, args...)})
	}
	if !roleName.MatchString(r.Name) {
		add("name", "name must be 1-64 of letters, digits, '_', '.', ':', '-' starting with a letter or digit")
	}
	for i, m := range r.Models {
		if _, err := compileGlob(m); err != nil {
			add(fmt.Sprintf("models[%d]", i), "models: %v", err)
		}
	}
	for i, e := range r.Endpoints {
		if !knownOps[e] {
			add(fmt.Sprintf("endpoints[%d]", i), "unknown endpoint %q (want chat, responses, embeddings, messages, models, mcp or *)", e)
		}
	}
	if r.MaxTokens < 0 {
		add("max_tokens", "max_tokens must be >= 0 (0 = no cap)")
	}
	if err := r.Limits.Validate(); err != nil {
		field := "limits"
		switch {
		case r.Limits.RPM < 0:
			field = "limits.rpm"
		case r.Limits.TPM < 0:
			field = "limits.tpm"
		case r.Limits.TPD < 0:
			field = "limits.tpd"
		}
		add(field, "limits: %v", err)
	}
	return errs
}

// Roles is the roles block of the configuration.
type Roles []Role

// Validate checks every role and that names are unique.
func (rs Roles) Validate() error {
	seen := make(map[string]bool, len(rs))
	for _, r := range rs {
		if err := r.Validate(); err != nil {
			return err
		}
		if seen[r.Name] {
			return fmt.Errorf("role %q defined twice", r.Name)
		}
		seen[r.Name] = true
	}
	return nil
}

// Stable decision codes.
const (
	CodeNoRole             = "no_role"
	CodeEndpointNotAllowed = "endpoint_not_allowed"
	CodeModelNotAllowed    = "model_not_allowed"
	CodeMaxTokensExceeded  = "max_tokens_exceeded"
)

// Decision is the outcome of Authorize.
type Decision struct {
	Allow  bool
	Code   string // empty when allowed; else one of the Code* constants
	Reason string // human-readable; names no secret
	// MaxTokens is the largest output-token cap among the roles that allow
	// the exchange (0 = uncapped). When the request gave no max_tokens the
	// gateway should apply it upstream and use it in the quota estimate.
	MaxTokens int64
}

type compiledRole struct {
	name      string
	subject   string // "role:<name>", built once
	models    []glob
	allOps    bool
	ops       uint8 // bit set of operations
	maxTokens int64
	limits    quota.Limits
}

// Policy is the compiled form of Roles. It is immutable and safe for
// concurrent use.
type Policy struct {
	roles map[string]*compiledRole
}

// New compiles roles. It validates them first.
func New(roles Roles) (*Policy, error) {
	if err := roles.Validate(); err != nil {
		return nil, fmt.Errorf("policy: %w", err)
	}
	p := &Policy{roles: make(map[string]*compiledRole, len(roles))}
	for _, r := range roles {
		cr := &compiledRole{name: r.Name, subject: "role:" + r.Name, maxTokens: r.MaxTokens, limits: r.Limits}
		for _, m := range r.Models {
			g, _ := compileGlob(m) // validated above
			cr.models = append(cr.models, g)
		}
		for _, e := range r.Endpoints {
			if e == "*" {
				cr.allOps = true
			} else {
				cr.ops |= opBit(exchange.Operation(e))
			}
		}
		p.roles[r.Name] = cr
	}
	return p, nil
}

func opBit(op exchange.Operation) uint8 {
	switch op {
	case exchange.OpChat:
		return 1 << 0
	case exchange.OpResponses:
		return 1 << 1
	case exchange.OpEmbeddings:
		return 1 << 2
	case exchange.OpMessages:
		return 1 << 3
	case exchange.OpModels:
		return 1 << 4
	case exchange.OpMCP:
		return 1 << 5
	}
	return 0
}

func (r *compiledRole) allowsOp(op exchange.Operation) bool {
	if r.allOps {
		return true
	}
	b := opBit(op)
	return b != 0 && r.ops&b != 0
}

func (r *compiledRole) allowsModel(model string) bool {
	for i := range r.models {
		if r.models[i].match(model) {
			return true
		}
	}
	return false
}

// needsModel reports whether op names a model that must be granted.
// Model listing is filtered by AllowedModels instead; MCP calls name tools.
func needsModel(op exchange.Operation) bool {
	return op != exchange.OpModels && op != exchange.OpMCP
}

// Authorize decides whether p may make ex. Deny by default: a nil
// principal, or one with no configured role, gets CodeNoRole. Otherwise
// the exchange is allowed when at least one of the principal's roles
// grants the endpoint, the model and the requested max_tokens. When none
// does, the code names the first dimension no role satisfied, checked in
// the order endpoint, model, max_tokens. The allow path does not allocate.
func (pol *Policy) Authorize(p *identity.Principal, ex *exchange.Exchange) Decision {
	if p == nil || ex == nil {
		return Decision{Code: CodeNoRole, Reason: "no principal or exchange"}
	}
	var known, opOK, modelOK bool
	var allowed bool
	var capMax int64
	var uncapped bool
	for _, name := range p.Roles {
		r := pol.roles[name]
		if r == nil {
			continue
		}
		known = true
		if !r.allowsOp(ex.Operation) {
			continue
		}
		opOK = true
		if needsModel(ex.Operation) && !r.allowsModel(ex.Model) {
			continue
		}
		modelOK = true
		if r.maxTokens > 0 && ex.MaxTokens > r.maxTokens {
			continue
		}
		allowed = true
		if r.maxTokens == 0 {
			uncapped = true
		} else if r.maxTokens > capMax {
			capMax = r.maxTokens
		}
	}
	switch {
	case allowed:
		if uncapped {
			capMax = 0
		}
		return Decision{Allow: true, MaxTokens: capMax}
	case !known:
		return Decision{Code: CodeNoRole, Reason: "the caller has no configured role"}
	case !opOK:
		return Decision{Code: CodeEndpointNotAllowed, Reason: "no role of the caller grants the " + string(ex.Operation) + " endpoint"}
	case !modelOK:
		return Decision{Code: CodeModelNotAllowed, Reason: "no role of the caller grants model " + strconv.Quote(ex.Model)}
	default:
		return Decision{Code: CodeMaxTokensExceeded, Reason: "max_tokens " + strconv.FormatInt(ex.MaxTokens, 10) + " exceeds the caller's cap"}
	}
}

// AllowedModels returns the models of the list that at least one of p's
// roles grants (for /v1/models). The result is a new slice in input order.
func (pol *Policy) AllowedModels(p *identity.Principal, models []string) []string {
	if p == nil {
		return nil
	}
	var out []string
	for _, m := range models {
		for _, name := range p.Roles {
			if r := pol.roles[name]; r != nil && r.allowsModel(m) {
				out = append(out, m)
				break
			}
		}
	}
	return out
}

// Subjects appends to dst the quota subjects of p: "key:<principal id>"
// with keyLimits (when not unlimited), then "role:<name>" with the limits
// of each configured role of p that has any.
func (pol *Policy) Subjects(dst []quota.Subject, p *identity.Principal, keyLimits quota.Limits) []quota.Subject {
	if p == nil {
		return dst
	}
	if !keyLimits.Unlimited() {
		dst = append(dst, quota.Subject{Key: "key:" + p.ID, Limits: keyLimits})
	}
	for i, name := range p.Roles {
		if r := pol.roles[name]; r != nil && !r.limits.Unlimited() && !slices.Contains(p.Roles[:i], name) {
			dst = append(dst, quota.Subject{Key: r.subject, Limits: r.limits})
		}
	}
	return dst
}
