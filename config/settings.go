package config

import (
	"slices"

	"github.com/profilegate/profilegate/profile"
	"github.com/profilegate/profilegate/settings"
)

// InitialSettings returns the settings a deployment starts with, before admins change them:
// identifiers in id_priority order, the configured traits plus the ones the header names, and
// the header, search, components and unidentified profile sections.
func (c *Config) InitialSettings(norm *profile.Normalizer) *settings.Settings {
	s := &settings.Settings{
		Header: settings.Header{
			NameTraits:     slices.Clone(c.Header.NameTraits),
			SecondaryTrait: c.Header.SecondaryTrait,
			SecondaryLabel: c.Header.SecondaryLabel,
			AvatarTrait:    c.Header.AvatarTrait,
		},
		Search:       settings.Search{AllIdentifiers: len(c.Search.Identifiers) == 0, Identifiers: slices.Clone(c.Search.Identifiers)},
		Components:   settings.Components{CustomerDetails: c.Components.CustomerDetails, CustomerHistory: c.Components.CustomerHistory},
		Unidentified: settings.Unidentified{ShowToAgents: c.Unidentified.ShowToAgents, BadgeLabel: c.Unidentified.BadgeLabel},
	}
	for _, key := range c.identifierOrder(norm) {
		id := settings.Identifier{Key: key, Searchable: true}
		for _, ci := range c.Identifiers {
			if ci.Key == key {
				id.DisplayName = ci.DisplayName
				id.Searchable = ci.Searchable == nil || *ci.Searchable
			}
		}
		s.Identifiers = append(s.Identifiers, id)
	}
	for _, t := range c.Traits {
		s.Traits = append(s.Traits, settings.Trait{Key: t.Key, DisplayName: t.Label})
	}
	for _, key := range slices.Concat(c.Header.NameTraits, []string{c.Header.SecondaryTrait, c.Header.AvatarTrait}) {
		if key != "" && !slices.ContainsFunc(s.Traits, func(t settings.Trait) bool { return t.Key == key }) {
			s.Traits = append(s.Traits, settings.Trait{Key: key})
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

// SettingsBase returns what the settings do not change: the normalizer and the sources, depth
// and trait sources of identity resolution.
func (c *Config) SettingsBase(norm *profile.Normalizer) settings.Base {
	o := profile.Options{Depth: c.StitchDepth, TraitSources: map[string][]string{}}
	for _, s := range c.Sources {
		o.Sources = append(o.Sources, profile.SourceInfo{Name: s.Name, SystemOfRecord: s.SystemOfRecord})
	}
	for _, t := range c.Traits {
		if len(t.Sources) > 0 {
			o.TraitSources[t.Key] = t.Sources
		}
	}
	return settings.Base{Normalizer: norm, Stitch: o}
}
