package config

import (
	"slices"

	"github.com/profilegate/profilegate/profile"
	"github.com/profilegate/profilegate/settings"
)

// InitialSettings returns the settings a deployment starts with, before admins change them:
// the configured ones with identifiers in id_priority order (every declared key, searchable
// unless said otherwise), the traits the header and the details' groups name added to the configured ones, and
// search open to every searchable identifier when the file lists none.
func (c *Config) InitialSettings(norm *profile.Normalizer) *settings.Settings {
	s := c.Settings.Clone()
	s.Search.AllIdentifiers = len(c.Search.Identifiers) == 0
	s.Identifiers = nil
	for _, key := range c.identifierOrder(norm) {
		id := settings.IdentifierSetting{Key: key}
		if i := slices.IndexFunc(c.Identifiers, func(ci settings.IdentifierSetting) bool { return ci.Key == key }); i >= 0 {
			id.DisplayName, id.Searchable = c.Identifiers[i].DisplayName, c.Identifiers[i].Searchable
		}
		s.Identifiers = append(s.Identifiers, id)
	}
	h := c.Header
	named := slices.Concat(h.NameTraits, []string{h.SecondaryTrait, h.AvatarTrait})
	for _, g := range c.Details.Groups {
		for _, t := range g.Traits {
			named = append(named, t.Key)
		}
	}
	for _, key := range named {
		if key != "" && !slices.ContainsFunc(s.Traits, func(t settings.TraitSetting) bool { return t.Key == key }) {
			s.Traits = append(s.Traits, settings.TraitSetting{Key: key})
		}
	}
	return s
}

// identifierOrder lists the configured identifier keys by id_priority, "custom" standing for
// the custom keys in declaration order; keys id_priority leaves out come last.
func (c *Config) identifierOrder(norm *profile.Normalizer) []string {
	var order []string
	for _, k := range c.IDPriority {
		if k == "custom" {
			for _, key := range norm.Keys() {
				if !builtin(key) && !slices.Contains(c.IDPriority, key) {
					order = append(order, key)
				}
			}
		} else if _, ok := norm.Normalization(k); ok && !slices.Contains(order, k) {
			order = append(order, k)
		}
	}
	for _, key := range norm.Keys() {
		if !slices.Contains(order, key) {
			order = append(order, key)
		}
	}
	return order
}

// Resolution returns what identity resolution takes from the configuration: the sources in
// priority order, how deep to stitch, and the traits whose value comes from their own source
// order. The settings fill in the identifier priority and the trait labels.
func (c *Config) Resolution() profile.Options {
	o := profile.Options{Depth: c.StitchDepth, TraitSources: map[string][]string{}}
	for _, s := range c.Sources {
		o.Sources = append(o.Sources, profile.SourceInfo{Name: s.Name, SystemOfRecord: s.SystemOfRecord})
	}
	for _, t := range c.Traits {
		if len(t.Sources) > 0 {
			o.TraitSources[t.Key] = t.Sources
		}
	}
	return o
}
