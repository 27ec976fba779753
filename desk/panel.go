package desk

import (
	"context"
	"slices"
	"time"

	"github.com/profilegate/profilegate/details"
	"github.com/profilegate/profilegate/errcode"
	"github.com/profilegate/profilegate/history"
	"github.com/profilegate/profilegate/profile"
	"github.com/profilegate/profilegate/settings"
)

// HistorySource is what the desk needs to know of a history source besides its pages.
type HistorySource interface {
	Name() string
	Coverage(now time.Time) *time.Time
}

// CustomerDetails returns the grouped traits of the person a profile id stands for. An id
// nobody is known by, or an unidentified contact's, gives a profile with no groups.
func (s *Service) CustomerDetails(ctx context.Context, f profile.Fetcher, id string, asAdmin bool) (*details.CustomerDetails, []*errcode.Error, error) {
	snap, _ := s.current()
	if err := snap.CheckDetails(); err != nil {
		return nil, nil, err
	}
	p, errs, err := s.Profile(ctx, f, id, asAdmin)
	if err != nil || p == nil {
		return nil, errs, err
	}
	return details.Render(p, snap), errs, nil
}

// HistoryQuery asks for one page of a timeline.
type HistoryQuery struct {
	// First is the page size; the settings' default when 0.
	First int
	// After is the cursor to continue after; "" for the newest page.
	After  string
	Filter history.Filter
}

// HistoryPage is one page of a person's timeline.
type HistoryPage struct {
	Edges   []history.Edge
	HasNext bool
	// HasPrevious is whether the page continues an earlier one.
	HasPrevious bool
	Coverage    []Coverage
}

// Coverage says from when a source's history is complete; From is nil for its whole life.
type Coverage struct {
	Source string
	From   *time.Time
}

// CustomerHistory returns a page of the timeline of the person a profile id stands for:
// their activities in every history source, newest first. An id nobody is known by, or an
// unidentified contact's, gives an empty page.
func (s *Service) CustomerHistory(ctx context.Context, f profile.Fetcher, hf history.Fetcher, id string, q HistoryQuery, asAdmin bool) (*HistoryPage, []*errcode.Error, error) {
	snap, _ := s.current()
	if err := snap.CheckHistory(); err != nil {
		return nil, nil, err
	}
	if f := q.Filter; f.Since != nil && f.Until != nil && f.Until.Before(*f.Since) {
		return nil, nil, errcode.Errorf(errcode.BadUserInput, "filter: until (%s) is before since (%s)",
			f.Until.UTC().Format(time.RFC3339), f.Since.UTC().Format(time.RFC3339))
	}
	start := history.Cursor{}
	if q.After != "" {
		c, err := history.DecodeCursor(q.After)
		if err != nil {
			return nil, nil, err
		}
		start = c
	}
	limit := q.First
	if limit == 0 {
		limit = snap.History.PageSize
	}
	page := &HistoryPage{Edges: []history.Edge{}, HasPrevious: q.After != "", Coverage: []Coverage{}}
	p, errs, err := s.Profile(ctx, f, id, asAdmin)
	if err != nil {
		return nil, nil, err
	}
	reqs := map[string]history.Request{}
	var order []string
	if p != nil {
		for _, src := range s.cfg.History {
			ids := p.RecordIDs(src.Name())
			if len(ids) == 0 {
				continue
			}
			r := history.Request{RecordIDs: ids, Filter: q.Filter, ShownEvents: snap.History.EventNames(), Limit: limit + 1}
			if pos, ok := start[src.Name()]; ok {
				r.After = &pos
			}
			reqs[src.Name()] = r
			order = append(order, src.Name())
			page.Coverage = append(page.Coverage, Coverage{Source: src.Name(), From: src.Coverage(s.cfg.Now())})
		}
	}
	found, failures := hf.History(ctx, reqs) // asked even when empty: the operation's other fields wait for its word
	for _, name := range order {
		if err, ok := failures[name]; ok {
			errs = append(errs, asSourceError(name, err))
			delete(found, name)
		}
	}
	for name, acts := range found {
		for i := range acts {
			present(&acts[i], &snap.History)
		}
		found[name] = acts
	}
	page.Edges, page.HasNext = history.Merge(order, start, found, limit)
	return page, errs, nil
}

// present labels an activity and its properties as the history settings say.
func present(a *history.Activity, h *settings.History) {
	if a.Kind != history.KindEvent && a.Kind != history.KindInteraction {
		return
	}
	ev, ok := h.Event(a.Name)
	if !ok {
		return
	}
	if ev.Label != "" {
		a.Label = ev.Label
	}
	if len(ev.Properties) == 0 {
		return
	}
	props := make([]history.Property, 0, len(ev.Properties))
	for _, want := range ev.Properties {
		i := slices.IndexFunc(a.Properties, func(p history.Property) bool { return p.Key == want.Key })
		if i < 0 {
			continue
		}
		p := a.Properties[i]
		if want.Label != "" {
			p.Label = want.Label
		}
		props = append(props, p)
	}
	a.Properties = props
}

func asSourceError(name string, err error) *errcode.Error {
	if e, ok := err.(*errcode.Error); ok {
		return e
	}
	return errcode.SourceError(name, "reading the history failed", err)
}

// CustomerActivity returns one activity of the person a profile id stands for: the one at pos
// in source's history, as a page of the timeline would show it; nil when there is none.
func (s *Service) CustomerActivity(ctx context.Context, f profile.Fetcher, hf history.Fetcher, id, source string, pos history.Position, asAdmin bool) (*history.Activity, []*errcode.Error, error) {
	snap, _ := s.current()
	if err := snap.CheckHistory(); err != nil {
		return nil, nil, err
	}
	p, errs, err := s.Profile(ctx, f, id, asAdmin)
	if err != nil {
		return nil, nil, err
	}
	reqs := map[string]history.Request{}
	if p != nil {
		if ids := p.RecordIDs(source); len(ids) > 0 {
			reqs[source] = history.Request{RecordIDs: ids, Only: &pos, Limit: 1}
		}
	}
	found, failures := hf.History(ctx, reqs)
	if err, ok := failures[source]; ok {
		return nil, append(errs, asSourceError(source, err)), nil
	}
	for _, a := range found[source] {
		if a.Position == pos {
			present(&a, &snap.History)
			return &a, errs, nil
		}
	}
	return nil, errs, nil
}
