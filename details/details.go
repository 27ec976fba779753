// Package details renders the customer details: a person's traits in the groups the settings
// configure, each value formatted by its type (dates as the header shows them, currencies,
// numbers, percentiles, safe links), with the source it came from and when that source last
// changed it. It is plain Go over a merged profile and the settings, tested without HTTP or SQL.
package details

import (
	"cmp"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/currency"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/number"

	"github.com/profilegate/profilegate/header"
	"github.com/profilegate/profilegate/profile"
	"github.com/profilegate/profilegate/settings"
)

// CustomerDetails are a person's traits, grouped.
type CustomerDetails struct {
	Profile *profile.Profile
	Groups  []*Group
}

// Group is one group of traits, e.g. "Contact".
type Group struct {
	Name   string
	Traits []*Trait
}

// Trait is one trait as the details show it. Value, Formatted, Source and UpdatedAt are nil
// when the person lacks the trait.
type Trait struct {
	Key       string
	Label     string
	Type      settings.TraitType
	Value     *string
	Formatted *string
	Source    *string
	UpdatedAt *time.Time
}

// Render groups p's traits as s configures: every configured group with every trait it
// names (those the person lacks with no value), then, unless hidden, "Other" with the
// person's remaining traits (the avatar's URL aside) by label. An unidentified profile has no traits and gets no groups.
func Render(p *profile.Profile, s *settings.Snapshot) *CustomerDetails {
	d := &CustomerDetails{Profile: p, Groups: []*Group{}}
	if p.Status == profile.StatusUnidentified && len(p.Traits) == 0 {
		return d
	}
	shown := map[string]bool{}
	for _, g := range s.DetailGroups() {
		group := &Group{Name: g.Name, Traits: []*Trait{}}
		for _, dt := range g.Traits {
			shown[dt.Key] = true
			group.Traits = append(group.Traits, render(p, dt, cmp.Or(dt.Label, s.TraitLabels[dt.Key], profile.Label(dt.Key))))
		}
		d.Groups = append(d.Groups, group)
	}
	if s.Details.HideOther {
		return d
	}
	other := &Group{Name: settings.OtherGroup, Traits: []*Trait{}}
	for _, t := range p.Traits {
		if !shown[t.Key] && t.Key != s.Header.AvatarTrait { // the avatar is the header's picture, not a detail
			other.Traits = append(other.Traits, render(p, settings.DetailTrait{Key: t.Key, Type: settings.TypeString}, t.Label))
		}
	}
	slices.SortFunc(other.Traits, func(a, b *Trait) int { return cmp.Compare(a.Label, b.Label) })
	if len(other.Traits) > 0 {
		d.Groups = append(d.Groups, other)
	}
	return d
}

func render(p *profile.Profile, dt settings.DetailTrait, label string) *Trait {
	out := &Trait{Key: dt.Key, Label: label, Type: cmp.Or(dt.Type, settings.TypeString)}
	t, ok := p.Trait(dt.Key)
	if !ok {
		return out
	}
	out.Value, out.Source = &t.Value, &t.Source
	if !t.UpdatedAt.IsZero() {
		at := t.UpdatedAt.UTC()
		out.UpdatedAt = &at
	}
	out.Formatted = Format(t.Value, out.Type, dt.Currency)
	return out
}

var printer = message.NewPrinter(language.AmericanEnglish)

// Format renders a value by its type: NUMBER "1,234.5", DATE "Mar 4th, 2019", DATE_TIME
// "Mar 4th, 2019, 9:00 AM UTC", CURRENCY "$1,234.50" (code: USD when empty), PERCENTILE
// "87th percentile", LINK the URL when it is http or https. A value that does not read as its
// type is shown as it is, except a link, which is nil: it is never made clickable.
func Format(value string, t settings.TraitType, code string) *string {
	v := strings.TrimSpace(value)
	var out string
	switch t {
	case settings.TypeNumber:
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return &value
		}
		out = printer.Sprint(number.Decimal(f, number.MaxFractionDigits(6)))
	case settings.TypeDate:
		d, ok := header.ParseDate(v)
		if !ok {
			return &value
		}
		out = header.FormatDate(d)
	case settings.TypeDateTime:
		d, ok := header.ParseDate(v)
		if !ok {
			return &value
		}
		d = d.UTC()
		out = header.FormatDate(d) + ", " + d.Format("3:04 PM") + " UTC"
	case settings.TypeCurrency:
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return &value
		}
		out = money(f, cmp.Or(code, "USD"))
	case settings.TypePercentile:
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 0 || f > 100 {
			return &value
		}
		if f <= 1 && strings.Contains(v, ".") {
			f *= 100 // a fraction: 0.87 is the 87th percentile
		}
		n := int(math.Round(f))
		out = fmt.Sprintf("%d%s percentile", n, suffix(n))
	case settings.TypeLink:
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return nil
		}
		out = u.String()
	default:
		return &value
	}
	return &out
}

// money renders an amount in a currency with its symbol and its usual decimals.
func money(f float64, code string) string {
	unit, err := currency.ParseISO(code)
	if err != nil {
		return printer.Sprint(number.Decimal(f, number.MinFractionDigits(2), number.MaxFractionDigits(2))) + " " + code
	}
	scale, _ := currency.Standard.Rounding(unit)
	pow := math.Pow10(scale)
	rounded := math.Round(math.Abs(f)*pow) / pow // half away from zero, as receipts round
	amount := printer.Sprint(number.Decimal(rounded, number.MinFractionDigits(scale), number.MaxFractionDigits(scale)))
	symbol := printer.Sprint(currency.Symbol(unit))
	if strings.IndexFunc(symbol, unicode.IsLetter) >= 0 && len([]rune(symbol)) > 1 {
		symbol += " " // "CHF 12.00", but "$12.00"
	}
	sign := ""
	if f < 0 {
		sign = "-"
	}
	return sign + symbol + amount
}

// suffix is the English ordinal suffix of n: 1st, 2nd, 3rd, 11th, 87th.
func suffix(n int) string {
	if n%100 >= 11 && n%100 <= 13 {
		return "th"
	}
	switch n % 10 {
	case 1:
		return "st"
	case 2:
		return "nd"
	case 3:
		return "rd"
	}
	return "th"
}
