package auth

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

const secret = "0123456789abcdef0123456789abcdef-test-secret"

func request(authorization string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/query", nil)
	if authorization != "" {
		r.Header.Set("Authorization", authorization)
	}
	return r
}

func newAuth(t *testing.T, c Config) *Authenticator {
	t.Helper()
	a, err := New(t.Context(), c, http.DefaultClient, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestAPIKeys(t *testing.T) {
	agentKey, agentHash := NewKey()
	adminKey, adminHash := NewKey()
	a := newAuth(t, Config{APIKeys: []APIKey{
		{Name: "desk", Role: RoleAgent, SHA256: agentHash},
		{Name: "ops", Role: RoleAdmin, SHA256: adminHash},
	}})
	for _, tc := range []struct {
		header string
		want   *Principal
	}{
		{"Bearer " + agentKey, &Principal{Name: "key:desk", Role: RoleAgent}},
		{"bearer  " + adminKey, &Principal{Name: "key:ops", Role: RoleAdmin}},
		{"Bearer " + agentKey + "x", nil},
		{"Bearer " + agentHash, nil}, // the hash is not the key
		{"Basic " + agentKey, nil},
		{"Bearer", nil},
		{"", nil},
	} {
		p, err := a.Authenticate(request(tc.header))
		switch {
		case tc.want == nil && (err == nil || !errors.Is(err, ErrUnauthenticated)):
			t.Errorf("%.20q: %v, %v; want ErrUnauthenticated", tc.header, p, err)
		case tc.want != nil && (err != nil || *p != *tc.want):
			t.Errorf("%.20q: %v, %v; want %v", tc.header, p, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), strings.TrimPrefix(tc.header, "Bearer ")) && tc.header != "" && tc.header != "Bearer" {
			t.Errorf("error %q repeats the credential", err)
		}
	}
	if HashKey(agentKey) != agentHash || !strings.HasPrefix(agentKey, KeyPrefix) || len(agentKey) < 40 {
		t.Errorf("key %q hash %q", agentKey, agentHash)
	}
}

func TestDisabled(t *testing.T) {
	a := newAuth(t, Config{Disabled: true})
	if p, err := a.Authenticate(request("")); err != nil || p != Anonymous || !p.Role.Allows(RoleAdmin) {
		t.Fatalf("auth off: %v, %v; want the anonymous admin", p, err)
	}
}

func TestRoles(t *testing.T) {
	for _, tc := range []struct {
		role, need Role
		ok         bool
	}{
		{RoleAgent, RoleAgent, true}, {RoleAdmin, RoleAgent, true}, {RoleAdmin, RoleAdmin, true},
		{RoleAgent, RoleAdmin, false}, {"", RoleAgent, false}, {"", "", false},
	} {
		if got := tc.role.Allows(tc.need); got != tc.ok {
			t.Errorf("%q allows %q = %v", tc.role, tc.need, got)
		}
	}
}

func sign(t *testing.T, method jwt.SigningMethod, key any, kid string, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func claims(edit func(jwt.MapClaims)) jwt.MapClaims {
	c := jwt.MapClaims{
		"iss": "https://idp.test/", "aud": "profilegate", "sub": "alice",
		"exp": time.Now().Add(time.Hour).Unix(), "role": "admin",
	}
	if edit != nil {
		edit(c)
	}
	return c
}

func TestJWTHS256(t *testing.T) {
	a := newAuth(t, Config{JWT: &JWT{HS256Secret: secret, Issuer: "https://idp.test/", Audience: "profilegate"}})
	hs := func(c jwt.MapClaims) string {
		return "Bearer " + sign(t, jwt.SigningMethodHS256, []byte(secret), "", c)
	}
	for _, tc := range []struct {
		name   string
		header string
		want   *Principal
		why    string
	}{
		{"OK", hs(claims(nil)), &Principal{Name: "jwt:alice", Role: RoleAdmin}, ""},
		{"OKRoleList", hs(claims(func(c jwt.MapClaims) { c["role"] = []string{"viewer", "agent"} })), &Principal{Name: "jwt:alice", Role: RoleAgent}, ""},
		{"OKNoRole", hs(claims(func(c jwt.MapClaims) { delete(c, "role") })), &Principal{Name: "jwt:alice"}, ""},
		{"OKRoleListWithAdmin", hs(claims(func(c jwt.MapClaims) { c["role"] = []string{"agent", "admin"} })), &Principal{Name: "jwt:alice", Role: RoleAdmin}, ""},
		// A string is one role: "agent admin" is not admin (it was split on spaces).
		{"OKSpacedStringIsNoRole", hs(claims(func(c jwt.MapClaims) { c["role"] = "agent admin" })), &Principal{Name: "jwt:alice"}, ""},
		{"ErrExpired", hs(claims(func(c jwt.MapClaims) { c["exp"] = time.Now().Add(-time.Hour).Unix() })), nil, "expired"},
		{"ErrNoExpiry", hs(claims(func(c jwt.MapClaims) { delete(c, "exp") })), nil, "it has no exp claim"},
		{"ErrNoIssuer", hs(claims(func(c jwt.MapClaims) { delete(c, "iss") })), nil, "it has no iss claim"},
		{"ErrNoAudience", hs(claims(func(c jwt.MapClaims) { delete(c, "aud") })), nil, "it has no aud claim"},
		{"ErrIssuer", hs(claims(func(c jwt.MapClaims) { c["iss"] = "https://evil.test/" })), nil, "issuer"},
		{"ErrAudience", hs(claims(func(c jwt.MapClaims) { c["aud"] = "another-api" })), nil, "audience"},
		{"ErrSecret", "Bearer " + sign(t, jwt.SigningMethodHS256, []byte(strings.Repeat("x", 40)), "", claims(nil)), nil, "signature"},
		{"ErrAlgNone", "Bearer " + sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, "", claims(nil)), nil, "signature"},
		{"ErrMalformed", "Bearer not.a.jwt", nil, "malformed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := a.Authenticate(request(tc.header))
			if tc.want != nil {
				if err != nil || *p != *tc.want {
					t.Fatalf("%v, %v; want %v", p, err, tc.want)
				}
				return
			}
			if !errors.Is(err, ErrUnauthenticated) || !strings.Contains(err.Error(), tc.why) {
				t.Fatalf("error %v; want ErrUnauthenticated saying %q", err, tc.why)
			}
		})
	}
}

// TestJWKS: tokens signed by the identity provider's RSA key verify against its JWKS, served
// over HTTP on loopback; a token signed with another key does not, nor an HS256 token made
// with the public key as secret.
func TestJWKS(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	b64 := base64.RawURLEncoding.EncodeToString
	jwks, _ := json.Marshal(map[string]any{"keys": []map[string]any{{
		"kty": "RSA", "kid": "k1", "alg": "RS256", "use": "sig",
		"n": b64(key.N.Bytes()), "e": b64(big.NewInt(int64(key.E)).Bytes()),
	}}})
	idp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(jwks)
	}))
	defer idp.Close()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	a, err := New(ctx, Config{JWT: &JWT{JWKSURL: idp.URL, Issuer: "https://idp.test/", Audience: "profilegate", RoleClaim: "https://profilegate/roles"}}, idp.Client(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Check(ctx); err != nil {
		t.Fatalf("readiness with the key set fetched: %v", err)
	}
	c := claims(func(c jwt.MapClaims) { c["https://profilegate/roles"] = []string{"agent"} })
	p, err := a.Authenticate(request("Bearer " + sign(t, jwt.SigningMethodRS256, key, "k1", c)))
	if err != nil || p.Role != RoleAgent || p.Name != "jwt:alice" {
		t.Fatalf("token signed by the JWKS key: %v, %v", p, err)
	}
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	if _, err := a.Authenticate(request("Bearer " + sign(t, jwt.SigningMethodRS256, other, "k1", c))); !errors.Is(err, ErrUnauthenticated) {
		t.Fatalf("token signed by another key: %v", err)
	}
	hs := sign(t, jwt.SigningMethodHS256, key.PublicKey.N.Bytes(), "k1", c)
	if _, err := a.Authenticate(request("Bearer " + hs)); !errors.Is(err, ErrUnauthenticated) {
		t.Fatalf("HS256 token against a JWKS: %v", err)
	}
}

func TestConfigValidate(t *testing.T) {
	_, hash := NewKey()
	for _, tc := range []struct {
		name string
		c    Config
		want string
	}{
		{"NoCredentials", Config{}, "no api_keys and no jwt"},
		{"KeyName", Config{APIKeys: []APIKey{{Name: "a b", Role: RoleAgent, SHA256: hash}}}, "name"},
		{"KeyRole", Config{APIKeys: []APIKey{{Name: "a", Role: "root", SHA256: hash}}}, "role"},
		{"KeyHash", Config{APIKeys: []APIKey{{Name: "a", Role: RoleAgent, SHA256: "abc"}}}, "sha256"},
		{"KeyTwice", Config{APIKeys: []APIKey{{Name: "a", Role: RoleAgent, SHA256: hash}, {Name: "a", Role: RoleAdmin, SHA256: hash}}}, "twice"},
		{"JWTBoth", Config{JWT: &JWT{HS256Secret: secret, JWKSURL: "https://idp/", Issuer: "i", Audience: "a"}}, "exactly one"},
		{"JWTShortSecret", Config{JWT: &JWT{HS256Secret: "short", Issuer: "i", Audience: "a"}}, "32 bytes"},
		{"JWTNoAudience", Config{JWT: &JWT{HS256Secret: secret, Issuer: "i"}}, "audience"},
		{"JWTBadURL", Config{JWT: &JWT{JWKSURL: "ftp://idp", Issuer: "i", Audience: "a"}}, "jwks_url"},
	} {
		if err := tc.c.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v; want an error about %s", tc.name, err, tc.want)
		}
	}
}

// TestJWKSDown: an identity provider that does not answer leaves the gateway unable to verify
// tokens: readiness says so, and the failure goes to the structured log, not to stderr.
func TestJWKSDown(t *testing.T) {
	idp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "down", http.StatusServiceUnavailable)
	}))
	defer idp.Close()
	var logs bytes.Buffer
	a, err := New(t.Context(), Config{JWT: &JWT{JWKSURL: idp.URL, Issuer: "https://idp.test/", Audience: "profilegate"}}, idp.Client(),
		slog.New(slog.NewJSONHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Check(t.Context()); err == nil || !strings.Contains(err.Error(), "no key fetched") {
		t.Fatalf("readiness with no key: %v", err)
	}
	if !strings.Contains(logs.String(), `"msg":"auth: fetching the JWKS failed`) {
		t.Fatalf("the failure is not in the log: %s", &logs)
	}
}
