package auth

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
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
}

// asymmetric are the algorithms accepted with a JWKS; never "none", never HS* (a public key
// must not double as an HMAC secret).
var asymmetric = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}

func newJWTVerifier(ctx context.Context, c JWT, client *http.Client) (*jwtVerifier, error) {
	v := &jwtVerifier{roleClaim: cmp.Or(c.RoleClaim, "role")}
	methods := []string{"HS256"}
	if c.JWKSURL != "" {
		kf, err := keyfunc.NewDefaultOverrideCtx(ctx, []string{c.JWKSURL}, keyfunc.Override{
			Client:      client,
			HTTPTimeout: 5 * time.Second,
		})
		if err != nil {
			return nil, fmt.Errorf("auth: jwks_url: %w", err)
		}
		v.keyfunc, methods = kf.KeyfuncCtx(ctx), asymmetric
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

func (v *jwtVerifier) verify(_ context.Context, token string) (*Principal, error) {
	claims := jwt.MapClaims{}
	if _, err := v.parser.ParseWithClaims(token, claims, v.keyfunc); err != nil {
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
		{jwt.ErrTokenInvalidIssuer, "wrong issuer"},
		{jwt.ErrTokenInvalidAudience, "wrong audience"},
		{jwt.ErrTokenRequiredClaimMissing, "a required claim (exp) is missing"},
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
