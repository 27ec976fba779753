package auth

import (
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"regexp"
)

// Config is the auth section of the configuration.
type Config struct {
	// Disabled turns auth off: every request may do everything. Only allowed on loopback.
	Disabled bool `yaml:"disabled"`
	// APIKeys are static keys, each with a role.
	APIKeys []APIKey `yaml:"api_keys"`
	// JWT accepts bearer tokens.
	JWT *JWT `yaml:"jwt"`
}

// APIKey is one static key, stored as the hex SHA-256 of the key (see NewKey).
type APIKey struct {
	Name   string `yaml:"name"`
	Role   Role   `yaml:"role"`
	SHA256 string `yaml:"sha256"`
}

// JWT configures bearer tokens: exactly one of HS256Secret and JWKSURL.
type JWT struct {
	// HS256Secret verifies HS256 tokens; set it from PROFILEGATE_JWT_HS256_SECRET.
	HS256Secret string `yaml:"hs256_secret"`
	// JWKSURL is where the identity provider publishes its signing keys (RS*, PS*, ES*, EdDSA).
	JWKSURL  string `yaml:"jwks_url"`
	Issuer   string `yaml:"issuer"`
	Audience string `yaml:"audience"`
	// RoleClaim names the claim holding the role ("agent" or "admin", or a list holding one);
	// "role" when empty.
	RoleClaim string `yaml:"role_claim"`
}

var keyName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

// Validate reports every problem of c at once.
func (c Config) Validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf("auth: "+format, args...)) }
	if !c.Disabled && len(c.APIKeys) == 0 && c.JWT == nil {
		add("no api_keys and no jwt are configured, so nobody could call the gateway; configure one or set disabled: true (loopback only)")
	}
	names := map[string]bool{}
	for i, k := range c.APIKeys {
		if !keyName.MatchString(k.Name) {
			add("api_keys[%d]: name %q must be letters, digits, _, . and -", i, k.Name)
		}
		if names[k.Name] {
			add("api_keys[%d]: name %q is used twice", i, k.Name)
		}
		names[k.Name] = true
		if !k.Role.Valid() {
			add("api_keys[%d] (%s): role %q is not agent or admin", i, k.Name, k.Role)
		}
		if b, err := hex.DecodeString(k.SHA256); err != nil || len(b) != 32 {
			add("api_keys[%d] (%s): sha256 must be the 64 hex digits `profilegate apikey` prints", i, k.Name)
		}
	}
	if j := c.JWT; j != nil {
		if (j.HS256Secret == "") == (j.JWKSURL == "") {
			add("jwt: set exactly one of hs256_secret (or PROFILEGATE_JWT_HS256_SECRET) and jwks_url")
		}
		if j.HS256Secret != "" && len(j.HS256Secret) < 32 {
			add("jwt: hs256_secret must be at least 32 bytes")
		}
		if u, err := url.Parse(j.JWKSURL); j.JWKSURL != "" && (err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "") {
			add("jwt: jwks_url %q is not an http(s) URL", j.JWKSURL)
		}
		if j.Issuer == "" || j.Audience == "" {
			add("jwt: issuer and audience must be set; tokens are checked against both")
		}
	}
	return errors.Join(errs...)
}
