package auth

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
)

// jwtVerifier checks bearer tokens with golang-jwt; the keys of a JWKS URL are fetched and
// refreshed by keyfunc.
type jwtVerifier struct {
	keyfunc   jwt.Keyfunc
	parser    *jwt.Parser
	roleClaim string
	// keys holds the fetched key set; nil without a JWKS URL.
	keys keyfunc.Keyfunc
	// refreshErr is the last failed refresh of the key set, cleared by none: keys fetched
	// before stay in use.
	refreshErr atomic.Pointer[string]
}

// asymmetric are the algorithms accepted with a JWKS; never "none", never HS* (a public key
// must not double as an HMAC secret).
var asymmetric = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}

func newJWTVerifier(ctx context.Context, c JWT, client *http.Client, log *slog.Logger) (*jwtVerifier, error) {
	v := &jwtVerifier{roleClaim: cmp.Or(c.RoleClaim, "role")}
	methods := []string{"HS256"}
	if c.JWKSURL != "" {
		kf, err := keyfunc.NewDefaultOverrideCtx(ctx, []string{c.JWKSURL}, keyfunc.Override{
			Client:      client,
			HTTPTimeout: 5 * time.Second,
			RefreshErrorHandlerFunc: func(u string) func(context.Context, error) {
				return func(ctx context.Context, err error) {
					msg := err.Error()
					v.refreshErr.Store(&msg)
					log.WarnContext(ctx, "auth: fetching the JWKS failed; tokens are verified with the keys fetched before, if any", "jwks_url", u, "err", err)
				}
			},
		})
		if err != nil {
			return nil, fmt.Errorf("auth: jwks_url: %w", err)
		}
		v.keys, v.keyfunc, methods = kf, kf.KeyfuncCtx(ctx), asymmetric
	} else {
		secret := []byte(c.HS256Secret)
		v.keyfunc = func(*jwt.Token) (any, error) { return secret, nil }
	}
	v.parser = jwt.NewParser(
		jwt.WithValidMethods(methods),
		jwt.WithIssuer(c.Issuer),
		jwt.WithAudience(c.Audience),
		jwt.WithExpirationRequired(),
		jwt.WithLeeway(30*time.Second),
	)
	return v, nil
}

// check fails while the key set holds no key.
func (v *jwtVerifier) check(ctx context.Context) error {
	if v.keys == nil {
		return nil
	}
	keys, err := v.keys.Storage().KeyReadAll(ctx)
	if err == nil && len(keys) > 0 {
		return nil
	}
	if v.refreshErr.Load() != nil {
		return errors.New("no key fetched from the JWKS: fetching failed (see the log)")
	}
	return errors.New("no key fetched from the JWKS yet")
}

// required are the claims a token must carry, checked by name before the parser's checks, so
// a refusal names the claim that is missing.
var required = []string{"exp", "iss", "aud"}

func (v *jwtVerifier) verify(_ context.Context, token string) (*Principal, error) {
	claims := jwt.MapClaims{}
	if _, err := v.parser.ParseWithClaims(token, claims, v.keyfunc); err != nil {
		if errors.Is(err, jwt.ErrTokenRequiredClaimMissing) || errors.Is(err, jwt.ErrTokenInvalidIssuer) || errors.Is(err, jwt.ErrTokenInvalidAudience) {
			for _, name := range required {
				if _, ok := claims[name]; !ok {
					return nil, fmt.Errorf("%w: the token is not valid: it has no %s claim", ErrUnauthenticated, name)
				}
			}
		}
		return nil, fmt.Errorf("%w: the token is not valid: %s", ErrUnauthenticated, reason(err))
	}
	sub, _ := claims.GetSubject()
	return &Principal{Name: "jwt:" + sub, Role: roleOf(claims[v.roleClaim])}, nil
}

// reason says why a token was refused in words safe to show: which check failed, not the
// token's content.
func reason(err error) string {
	for _, r := range []struct {
		err error
		why string
	}{
		{jwt.ErrTokenExpired, "it has expired"},
		{jwt.ErrTokenNotValidYet, "it is not valid yet"},
		{jwt.ErrTokenInvalidIssuer, "its iss claim names another issuer"},
		{jwt.ErrTokenInvalidAudience, "its aud claim names another audience"},
		{jwt.ErrTokenRequiredClaimMissing, "a required claim is missing"},
		{jwt.ErrTokenSignatureInvalid, "bad signature"},
		{jwt.ErrTokenUnverifiable, "no key verifies it"},
		{jwt.ErrTokenMalformed, "it is malformed"},
	} {
		if errors.Is(err, r.err) {
			return r.why
		}
	}
	return "it could not be verified"
}
