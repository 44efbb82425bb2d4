package identity

import (
	"crypto/x509"
	"fmt"
	"slices"
)

// MTLSConfig maps client certificates to principals. The TLS listener
// (configured by the gateway with the client CA) verifies the chain; this
// block only says which verified certificates are who.
type MTLSConfig struct {
	Enabled bool `yaml:"enabled"`
	// Identities: the first entry whose URI matches one of the
	// certificate's SAN URIs, or whose CommonName equals its subject CN,
	// names the principal. A verified certificate matching no entry is
	// refused unless AllowUnmapped is set.
	Identities []CertIdentity `yaml:"identities"`
	// AllowUnmapped admits any verified certificate as "mtls:<CN>" with DefaultRoles.
	AllowUnmapped bool `yaml:"allow_unmapped"`
	// DefaultRoles are granted to every certificate principal.
	DefaultRoles []string `yaml:"default_roles"`
}

// CertIdentity matches one client certificate by SAN URI (e.g. a SPIFFE
// id) or subject common name. Set exactly one of URI and CommonName.
type CertIdentity struct {
	URI        string   `yaml:"uri"`
	CommonName string   `yaml:"common_name"`
	Name       string   `yaml:"name"` // display name; defaults to the URI or CN
	Roles      []string `yaml:"roles"`
}

// Validate checks the block.
func (c MTLSConfig) Validate() error {
	if !c.Enabled {
		return nil
	}
	if len(c.Identities) == 0 && !c.AllowUnmapped {
		return fmt.Errorf("mtls is enabled but maps no identity; add identities or set allow_unmapped")
	}
	seen := map[string]bool{}
	for i, id := range c.Identities {
		if (id.URI == "") == (id.CommonName == "") {
			return fmt.Errorf("identities[%d]: set exactly one of uri and common_name", i)
		}
		key := "uri:" + id.URI
		if id.URI == "" {
			key = "cn:" + id.CommonName
		}
		if seen[key] {
			return fmt.Errorf("identities[%d]: %s mapped twice", i, key)
		}
		seen[key] = true
	}
	return nil
}

type mtlsMapper struct {
	cfg   MTLSConfig
	byURI map[string]*Principal
	byCN  map[string]*Principal
}

func newMTLSMapper(cfg MTLSConfig) (*mtlsMapper, error) {
	m := &mtlsMapper{cfg: cfg, byURI: map[string]*Principal{}, byCN: map[string]*Principal{}}
	for _, id := range cfg.Identities {
		key, idx := id.URI, m.byURI
		if key == "" {
			key, idx = id.CommonName, m.byCN
		}
		if _, dup := idx[key]; dup {
			return nil, fmt.Errorf("identity: mtls: identity %q mapped twice", key)
		}
		name := id.Name
		if name == "" {
			name = key
		}
		roles := slices.Clone(cfg.DefaultRoles)
		for _, r := range id.Roles {
			if !slices.Contains(roles, r) {
				roles = append(roles, r)
			}
		}
		idx[key] = &Principal{ID: "mtls:" + key, Name: name, Kind: KindMTLS, Roles: roles}
	}
	return m, nil
}

// principal maps a leaf certificate that the TLS stack already verified.
// SAN URIs are checked before the CN.
func (m *mtlsMapper) principal(cert *x509.Certificate) (*Principal, error) {
	for _, u := range cert.URIs {
		if p := m.byURI[u.String()]; p != nil {
			return p, nil
		}
	}
	cn := cert.Subject.CommonName
	if p := m.byCN[cn]; p != nil && cn != "" {
		return p, nil
	}
	if m.cfg.AllowUnmapped && cn != "" {
		return &Principal{ID: "mtls:" + cn, Name: cn, Kind: KindMTLS, Roles: slices.Clone(m.cfg.DefaultRoles)}, nil
	}
	return nil, &AuthError{Code: CodeInvalidCertificate, Detail: "client certificate maps to no identity"}
}
