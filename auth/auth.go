package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
)

// Role is what a caller may do.
type Role string

// The roles.
const (
	// RoleAgent reads: the customer header, profile search, profiles and the settings.
	RoleAgent Role = "agent"
	// RoleAdmin does everything, including changing the settings and reading their history.
	RoleAdmin Role = "admin"
)

// Allows reports whether a caller with role r may do what needs role need.
func (r Role) Allows(need Role) bool { return r == RoleAdmin || (r == need && r != "") }

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return r == RoleAgent || r == RoleAdmin }

// Principal is who a request comes from.
type Principal struct {
	// Name identifies the caller in the settings history: "key:<name>", "jwt:<subject>" or
	// "anonymous" when auth is off.
	Name string
	Role Role
}

// Anonymous is the caller of every request when auth is off; it may do everything.
var Anonymous = &Principal{Name: "anonymous", Role: RoleAdmin}

type principalKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// For returns the caller ctx carries; nil when the request was not authenticated.
func For(ctx context.Context) *Principal {
	p, _ := ctx.Value(principalKey{}).(*Principal)
	return p
}

// Has reports whether the caller in ctx may act with role need: admins may do everything.
func Has(ctx context.Context, need Role) bool {
	p := For(ctx)
	return p != nil && p.Role.Allows(need)
}

// ErrUnauthenticated is wrapped by every error of Authenticate. Its messages say what was
// wrong with the credentials, never what they held.
var ErrUnauthenticated = errors.New("unauthenticated")

// Authenticator checks the credentials of requests.
type Authenticator struct {
	disabled bool
	keys     []apiKey
	jwt      *jwtVerifier
}

type apiKey struct {
	name string
	role Role
	hash []byte
}

// KeyPrefix starts every API key, which tells them apart from JWTs.
const KeyPrefix = "pgk_"

// New returns an Authenticator for c; with a JWKS URL it fetches the key set with client and
// refreshes it until ctx ends, logging failed refreshes to log.
func New(ctx context.Context, c Config, client *http.Client, log *slog.Logger) (*Authenticator, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	a := &Authenticator{disabled: c.Disabled}
	for _, k := range c.APIKeys {
		hash, _ := hex.DecodeString(k.SHA256)
		a.keys = append(a.keys, apiKey{name: k.Name, role: k.Role, hash: hash})
	}
	if c.JWT != nil {
		v, err := newJWTVerifier(ctx, *c.JWT, client, log)
		if err != nil {
			return nil, err
		}
		a.jwt = v
	}
	return a, nil
}

// Check is the readiness check of the JWKS: it fails while no key has been fetched, as then no
// token can be verified. Without a JWKS it passes.
func (a *Authenticator) Check(ctx context.Context) error {
	if a.jwt == nil {
		return nil
	}
	return a.jwt.check(ctx)
}

// UsesJWKS reports whether tokens are verified with keys fetched from a JWKS URL.
func (a *Authenticator) UsesJWKS() bool { return a.jwt != nil && a.jwt.keys != nil }

// Disabled reports whether auth is off.
func (a *Authenticator) Disabled() bool { return a.disabled }

// Authenticate returns the caller of r from its `Authorization: Bearer` header: an API key
// (starting with KeyPrefix) or a JWT. With auth off every caller is Anonymous.
func (a *Authenticator) Authenticate(r *http.Request) (*Principal, error) {
	if a.disabled {
		return Anonymous, nil
	}
	h := r.Header.Get("Authorization")
	if h == "" {
		return nil, fmt.Errorf("%w: send an API key or a JWT as `Authorization: Bearer <credential>`", ErrUnauthenticated)
	}
	scheme, cred, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(cred) == "" {
		return nil, fmt.Errorf("%w: the Authorization header must be `Bearer <credential>`", ErrUnauthenticated)
	}
	cred = strings.TrimSpace(cred)
	if strings.HasPrefix(cred, KeyPrefix) {
		return a.apiKey(cred)
	}
	if a.jwt == nil {
		return nil, fmt.Errorf("%w: the credential is not an API key and JWTs are not configured", ErrUnauthenticated)
	}
	return a.jwt.verify(r.Context(), cred)
}

// apiKey finds the key whose hash matches; every configured hash is compared, in constant
// time, so the time taken says nothing about which or how much matched.
func (a *Authenticator) apiKey(key string) (*Principal, error) {
	sum := sha256.Sum256([]byte(key))
	found := -1
	for i, k := range a.keys {
		if subtle.ConstantTimeCompare(sum[:], k.hash) == 1 {
			found = i
		}
	}
	if found < 0 {
		return nil, fmt.Errorf("%w: the API key is not valid", ErrUnauthenticated)
	}
	return &Principal{Name: "key:" + a.keys[found].name, Role: a.keys[found].role}, nil
}

// NewKey returns a new random API key and the hex SHA-256 hash to configure for it.
func NewKey() (key, hash string) {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	key = KeyPrefix + base64.RawURLEncoding.EncodeToString(b)
	return key, HashKey(key)
}

// HashKey returns the hex SHA-256 hash of an API key, as configured.
func HashKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// roleOf reads a role from a claim that is a string or a list of strings; admin wins.
func roleOf(claim any) Role {
	var values []string
	switch v := claim.(type) {
	case string:
		values = []string{v} // one role: "agent admin" is no role, not two
	case []any:
		for _, x := range v {
			if s, ok := x.(string); ok {
				values = append(values, s)
			}
		}
	}
	switch {
	case slices.Contains(values, string(RoleAdmin)):
		return RoleAdmin
	case slices.Contains(values, string(RoleAgent)):
		return RoleAgent
	}
	return ""
}
