package httpapi

import (
	"context"
	"errors"
	"net/http"
	"regexp"

	"github.com/Masterminds/semver/v3"

	"github.com/profilegate/profilegate/errcode"
)

// FlexVersionHeader is the request header Flex UI clients send their version in.
const FlexVersionHeader = "X-Flex-UI-Version"

// flexVersion is what Flex UI sends: three numeric parts without leading zeros and an optional
// pre-release, as "2.8.0" or "2.8.0-rc.1". Anything looser ("v2.8", "02.08.00", "2") is
// refused rather than guessed at: the version decides what the client may change.
var flexVersion = regexp.MustCompile(`^(0|[1-9][0-9]{0,5})\.(0|[1-9][0-9]{0,5})\.(0|[1-9][0-9]{0,5})(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$`)

// ParseFlexVersion parses a Flex UI version such as "2.7.3" or "2.8.0-rc.1".
func ParseFlexVersion(s string) (*semver.Version, error) {
	if len(s) <= 64 && flexVersion.MatchString(s) {
		if v, err := semver.StrictNewVersion(s); err == nil {
			return v, nil
		}
	}
	return nil, errcode.Errorf(errcode.BadUserInput, "%s %q is not a version such as 2.8.0 (three numbers, and a pre-release such as -rc.1)", FlexVersionHeader, errcode.Truncate(s, 64))
}

type flexVersionKey struct{}

// FlexVersion returns the Flex UI version of the request's client, or nil when the client is
// not Flex UI.
func FlexVersion(ctx context.Context) *semver.Version {
	v, _ := ctx.Value(flexVersionKey{}).(*semver.Version)
	return v
}

// WithFlexVersion reads the X-Flex-UI-Version header into the request's context, where
// FlexVersion finds it; a malformed version is answered with 400 BAD_USER_INPUT.
func WithFlexVersion(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := r.Header.Get(FlexVersionHeader)
		if h == "" {
			next.ServeHTTP(w, r)
			return
		}
		v, err := ParseFlexVersion(h)
		var pe *errcode.Error
		if errors.As(err, &pe) {
			Refuse(w, r, pe.Code, pe.Message)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), flexVersionKey{}, v)))
	})
}
