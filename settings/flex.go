package settings

import "github.com/Masterminds/semver/v3"

// MinFlexVersion is the oldest Flex UI that may change the customer header and profile search
// settings; older ones may read them.
var MinFlexVersion = semver.MustParse("2.8.0")

// headerAndSearchReadOnly reports whether a client of version v (nil when the client is not
// Flex UI) may only read the customer header and profile search settings.
func headerAndSearchReadOnly(v *semver.Version) bool {
	return v != nil && v.LessThan(MinFlexVersion)
}

// HeaderAndSearchEditable reports whether a client of Flex UI version v (nil when not Flex UI)
// may change the customer header and profile search settings.
func HeaderAndSearchEditable(v *semver.Version) bool { return !headerAndSearchReadOnly(v) }
