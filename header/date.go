package header

import (
	"fmt"
	"strings"
	"time"
)

// dateLayouts are the ways sources hold dates: ISO dates and timestamps as SQL drivers and
// warehouses render them.
var dateLayouts = []string{
	"2006-01-02",
	time.RFC3339Nano,
	"2006-01-02T15:04:05",
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02 15:04:05",
	"2006-01-02 15:04:05.999999999 -0700 MST",
	"2006-01-02 15:04:05.999999999-07:00",
}

// ParseDate reads a trait value as a date, if it is one.
func ParseDate(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	for _, layout := range dateLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// FormatDate renders a date the way Flex does (moment's "MMM Do, YYYY"): "Mar 4th, 2019".
func FormatDate(t time.Time) string {
	return fmt.Sprintf("%s %d%s, %d", t.Format("Jan"), t.Day(), ordinal(t.Day()), t.Year())
}

func ordinal(day int) string {
	if day%100 >= 11 && day%100 <= 13 {
		return "th"
	}
	switch day % 10 {
	case 1:
		return "st"
	case 2:
		return "nd"
	case 3:
		return "rd"
	}
	return "th"
}

// TimeSince says how long ago t was in its largest whole unit ("7 years", "1 month",
// "12 days", "today"); nil when t lies in the future.
func TimeSince(t, now time.Time) *string {
	t = time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	now = time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	if t.After(now) {
		return nil
	}
	months := (now.Year()-t.Year())*12 + int(now.Month()-t.Month())
	if now.Day() < t.Day() {
		months--
	}
	var s string
	switch days := int(now.Sub(t).Hours() / 24); {
	case months >= 12:
		s = plural(months/12, "year")
	case months >= 1:
		s = plural(months, "month")
	case days >= 1:
		s = plural(days, "day")
	default:
		s = "today"
	}
	return &s
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}
