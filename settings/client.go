package settings

import (
	"context"
	"strings"

	"github.com/Masterminds/semver/v3"

	"github.com/profilegate/profilegate/errcode"
)

// FlexVersionHeader is the request header Flex UI clients send their version in.
const FlexVersionHeader = "X-Flex-UI-Version"

// MinFlexVersion is the oldest Flex UI that may change the customer header and profile search
// settings; older ones may read them.
var MinFlexVersion = semver.MustParse("2.8.0")

// ParseFlexVersion parses a Flex UI version such as "2.7.3" or "2.8.0-rc.1" as semver does
// (a leading "v" and a build suffix are accepted).
func ParseFlexVersion(s string) (*semver.Version, error) {
	v, err := semver.NewVersion(strings.TrimSpace(s))
	if err != nil || len(s) > 64 {
		return nil, errcode.Errorf(errcode.BadUserInput, "%s %q is not a version such as 2.8.0", FlexVersionHeader, errcode.Truncate(s, 64))
	}
	return v, nil
}

// headerAndSearchReadOnly reports whether a client of version v (nil when the client is not
// Flex UI) may only read the customer header and profile search settings.
func headerAndSearchReadOnly(v *semver.Version) bool {
	return v != nil && v.LessThan(MinFlexVersion)
}

type clientKey struct{}

// WithFlexVersion returns ctx carrying the Flex UI version of the request's client.
func WithFlexVersion(ctx context.Context, v *semver.Version) context.Context {
	return context.WithValue(ctx, clientKey{}, v)
}

// FlexVersion returns the Flex UI version ctx carries, or nil when the client is not Flex UI.
func FlexVersion(ctx context.Context) *semver.Version {
	v, _ := ctx.Value(clientKey{}).(*semver.Version)
	return v
}

// HeaderAndSearchEditable reports whether a client of Flex UI version v (nil when not Flex UI)
// may change the customer header and profile search settings.
func HeaderAndSearchEditable(v *semver.Version) bool { return !headerAndSearchReadOnly(v) }
