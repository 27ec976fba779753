// Package desk answers what an agent desktop asks about a contact: the customer header, a
// profile search and a profile by id, under the current settings (which components are on,
// who may search by what, how the header is drawn). It is the resolvers' one way into the
// domain; identity resolution itself is profile's, and the settings arrive through the small
// Settings interface.
package desk

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/profilegate/profilegate/errcode"
	"github.com/profilegate/profilegate/header"
	"github.com/profilegate/profilegate/profile"
	"github.com/profilegate/profilegate/settings"
)

// Settings supplies the settings version requests are answered under; the settings service
// implements it.
type Settings interface {
	Current() *settings.Snapshot
}

// Config is what the settings do not change.
type Config struct {
	Normalizer *profile.Normalizer
	// Resolution holds the sources, the stitching depth and the per-trait source order; each
	// settings version fills in the identifier priority and the trait labels.
	Resolution profile.Options
	// Store records the contacts no source knows.
	Store profile.UnidentifiedStore
	// Now is the clock of recorded contacts and of rendered headers ("7 years").
	Now func() time.Time
	// History are the history sources, in priority order.
	History []HistorySource
}

// Service answers the agent desktop's questions.
type Service struct {
	cfg      Config
	settings Settings
	// compiled is the directory of the newest settings version seen, built once per version.
	compiled atomic.Pointer[compiled]
}

type compiled struct {
	snap *settings.Snapshot
	dir  *profile.Directory
}

// New returns a service answering under the settings s supplies.
func New(cfg Config, s Settings) *Service {
	return &Service{cfg: cfg, settings: s}
}

// current returns the settings to answer under and the directory built for them.
func (s *Service) current() (*settings.Snapshot, *profile.Directory) {
	snap := s.settings.Current()
	if c := s.compiled.Load(); c != nil && c.snap == snap {
		return c.snap, c.dir
	}
	opts := s.cfg.Resolution
	opts.IDPriority, opts.TraitLabels = snap.IDPriority, snap.TraitLabels
	c := &compiled{snap: snap, dir: &profile.Directory{
		Stitcher:         profile.NewStitcher(s.cfg.Normalizer, opts),
		Store:            s.cfg.Store,
		Now:              s.cfg.Now,
		HideUnidentified: !snap.Unidentified.ShowToAgents,
	}}
	s.compiled.Store(c)
	return c.snap, c.dir
}

// CustomerHeader returns the header of the person behind address, with the failures of the
// sources that did not answer. It returns no header, only those failures, when a failed
// source may know a contact nobody else identified: a known customer is never shown as new.
func (s *Service) CustomerHeader(ctx context.Context, f profile.Fetcher, address profile.Identifier) (*header.CustomerHeader, []*errcode.Error, error) {
	snap, dir := s.current()
	if err := snap.CheckComponent(); err != nil {
		return nil, nil, err
	}
	id, err := dir.Identify(ctx, f, address)
	if err != nil {
		return nil, nil, err
	}
	if id.Profile == nil {
		return nil, id.Errors, nil
	}
	return header.Render(id.Profile, id.Address, id.OtherMatches, snap, s.cfg.Now()), id.Errors, nil
}

// Search returns every person carrying identifier, best first. Agents may search only by the
// keys the settings allow them; admins (asAdmin) by any.
func (s *Service) Search(ctx context.Context, f profile.Fetcher, identifier profile.Identifier, asAdmin bool) ([]*profile.Profile, []*errcode.Error, error) {
	snap, dir := s.current()
	if err := snap.CheckComponent(); err != nil {
		return nil, nil, err
	}
	if !asAdmin {
		if err := snap.CheckAgentSearch(identifier.Key); err != nil {
			return nil, nil, err
		}
	}
	return dir.Search(ctx, f, identifier)
}

// Profile returns the person a profile id stands for, or nil when nobody is known by it. A
// profile id carries the identifier it was made from: agents may read it only if they may
// search by that identifier's key (else reading ids would search by any key); admins always.
func (s *Service) Profile(ctx context.Context, f profile.Fetcher, id string, asAdmin bool) (*profile.Profile, []*errcode.Error, error) {
	snap, dir := s.current()
	if !asAdmin {
		if ident, err := profile.ParseProfileID(id); err == nil {
			if err := snap.CheckAgentSearch(ident.Key); err != nil {
				return nil, nil, err
			}
		}
	}
	return dir.ByID(ctx, f, id)
}
