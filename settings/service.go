package settings

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"sync/atomic"
	"time"

	"github.com/Masterminds/semver/v3"

	"github.com/profilegate/profilegate/errcode"
	"github.com/profilegate/profilegate/profile"
)

// Store keeps the versioned settings and their history; the gateway's store implements it.
type Store interface {
	// InitSettings stores s as version 1 unless settings are stored already.
	InitSettings(ctx context.Context, s *Settings, at time.Time) error
	// LoadSettings returns the stored settings.
	LoadSettings(ctx context.Context) (*Versioned, error)
	// SettingsVersion returns the stored version, cheaply.
	SettingsVersion(ctx context.Context) (int, error)
	// SaveSettings stores next as the version after expected, recording the change from
	// before, or returns ErrConflict when the stored version is no longer expected.
	SaveSettings(ctx context.Context, expected int, before, next *Settings, by string, at time.Time) (*Versioned, error)
	// SettingsHistory returns up to limit changes older than version before (all when 0), newest first.
	SettingsHistory(ctx context.Context, before, limit int) ([]Change, error)
}

// ErrConflict is returned by a Store when the settings changed since the version a writer read.
var ErrConflict = errors.New("settings changed since the version read")

// Snapshot is one version of the settings with what requests derive from it, computed once
// per version.
type Snapshot struct {
	*Versioned
	// IDPriority lists the identifier keys, highest priority first.
	IDPriority []string
	// TraitLabels maps each trait key to its display name.
	TraitLabels map[string]string
	// SecondaryLabel labels the header's secondary trait: the header's label, or the trait's
	// display name.
	SecondaryLabel string
}

// NewSnapshot derives what requests need from v; v must be canonical.
func NewSnapshot(v *Versioned) *Snapshot {
	snap := &Snapshot{Versioned: v, IDPriority: v.IdentifierPriority(), TraitLabels: make(map[string]string, len(v.Traits))}
	for _, t := range v.Traits {
		snap.TraitLabels[t.Key] = t.DisplayName
	}
	snap.SecondaryLabel = v.Header.SecondaryLabel
	if snap.SecondaryLabel == "" {
		snap.SecondaryLabel = cmp.Or(snap.TraitLabels[v.Header.SecondaryTrait], profile.Label(v.Header.SecondaryTrait))
	}
	return snap
}

// Service holds the current settings and changes them.
type Service struct {
	store Store
	norm  *profile.Normalizer
	now   func() time.Time
	log   *slog.Logger
	cur   atomic.Pointer[Snapshot]
}

// Open stores initial as the first version unless settings are stored already (the stored
// ones win: admins changed them), and returns a service over the stored settings.
// norm holds the configured identifier keys; now is the clock of recorded changes.
func Open(ctx context.Context, store Store, norm *profile.Normalizer, initial *Settings, now func() time.Time, log *slog.Logger) (*Service, error) {
	if errs := Validate(initial, norm); len(errs) > 0 {
		return nil, fmt.Errorf("settings: initial settings: %w", joinFieldErrors(errs))
	}
	first := initial.Clone()
	first.canonical(norm)
	if err := store.InitSettings(ctx, first, now()); err != nil {
		return nil, fmt.Errorf("settings: %w", err)
	}
	s := &Service{store: store, norm: norm, now: now, log: log}
	if err := s.reload(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// Current returns the settings requests are answered with now.
func (s *Service) Current() *Snapshot { return s.cur.Load() }

// Refresh loads the stored settings when another replica changed them.
func (s *Service) Refresh(ctx context.Context) error {
	v, err := s.store.SettingsVersion(ctx)
	if err != nil {
		return fmt.Errorf("settings: %w", err)
	}
	if v == s.Current().Version {
		return nil
	}
	return s.reload(ctx)
}

// Watch refreshes the settings every interval until ctx ends, so replicas sharing a store see
// each other's changes.
func (s *Service) Watch(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := s.Refresh(ctx); err != nil && ctx.Err() == nil {
				s.log.WarnContext(ctx, "settings refresh failed", "err", err)
			}
		}
	}
}

func (s *Service) reload(ctx context.Context) error {
	v, err := s.store.LoadSettings(ctx)
	if err != nil {
		return fmt.Errorf("settings: %w", err)
	}
	s.install(v)
	return nil
}

// install makes v current unless a newer version already is.
func (s *Service) install(v *Versioned) {
	var next *Snapshot
	for {
		cur := s.cur.Load()
		if cur != nil && cur.Version >= v.Version {
			return
		}
		if next == nil {
			v.canonical(s.norm)
			next = NewSnapshot(v)
		}
		if s.cur.CompareAndSwap(cur, next) {
			return
		}
	}
}

// Update is a change of the settings: the sections that are set replace the current ones.
type Update struct {
	// ExpectedVersion is the version the change was made against.
	ExpectedVersion int
	// By names who makes the change, for the history.
	By string
	// Client is the Flex UI version of the client making the change; nil when not Flex UI.
	Client *semver.Version

	Identifiers  []IdentifierSetting
	Traits       []TraitSetting
	Header       *Header
	Search       *Search
	Components   *Components
	Unidentified *Unidentified
	Details      *Details
	History      *History
}

// Update applies u as a whole or not at all. Problems of the new settings come back as field
// errors and change nothing; a stale ExpectedVersion is a CONFLICT and a header or search
// change from a Flex UI client older than MinFlexVersion is SETTINGS_READ_ONLY.
func (s *Service) Update(ctx context.Context, u Update) (*Snapshot, []FieldError, error) {
	if err := s.Refresh(ctx); err != nil {
		return nil, nil, err
	}
	cur := s.Current()
	if cur.Version != u.ExpectedVersion {
		return nil, nil, conflict(u.ExpectedVersion, cur.Versioned)
	}
	next := u.apply(&cur.Settings)
	gated := next.Clone()
	gated.canonical(s.norm)
	if headerAndSearchReadOnly(u.Client) && !gatedEqual(&cur.Settings, gated) {
		return nil, nil, errcode.Errorf(errcode.SettingsReadOnly,
			"the customer header, profile search, customer details and history settings are read-only for Flex UI %s; they can be changed from Flex UI %s or newer",
			u.Client, MinFlexVersion)
	}
	if errs := Validate(next, s.norm); len(errs) > 0 {
		return cur, errs, nil
	}
	if reflect.DeepEqual(gated, &cur.Settings) {
		return cur, nil, nil
	}
	saved, err := s.store.SaveSettings(ctx, u.ExpectedVersion, &cur.Settings, gated, u.By, s.now())
	if errors.Is(err, ErrConflict) {
		if err := s.reload(ctx); err != nil {
			return nil, nil, err
		}
		return nil, nil, conflict(u.ExpectedVersion, s.Current().Versioned)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("settings: save: %w", err)
	}
	s.install(saved)
	return s.Current(), nil, nil
}

func (u *Update) apply(cur *Settings) *Settings {
	next := cur.Clone()
	if u.Identifiers != nil {
		next.Identifiers = u.Identifiers
	}
	if u.Traits != nil {
		next.Traits = u.Traits
	}
	if u.Header != nil {
		next.Header = *u.Header
	}
	if u.Search != nil {
		next.Search = *u.Search
	}
	if u.Components != nil {
		next.Components = *u.Components
	}
	if u.Unidentified != nil {
		next.Unidentified = *u.Unidentified
	}
	if u.Details != nil {
		next.Details = *u.Details
	}
	if u.History != nil {
		next.History = *u.History
	}
	return next.Clone()
}

func conflict(expected int, cur *Versioned) error {
	return errcode.Errorf(errcode.Conflict,
		"the settings changed since version %d: version %d was saved by %s at %s; read them again and reapply the change",
		expected, cur.Version, cur.UpdatedBy, cur.UpdatedAt.UTC().Format(time.RFC3339))
}

// History returns up to limit recorded changes older than version before (0: the newest),
// newest first.
func (s *Service) History(ctx context.Context, before, limit int) ([]Change, error) {
	changes, err := s.store.SettingsHistory(ctx, before, limit)
	if err != nil {
		return nil, fmt.Errorf("settings: history: %w", err)
	}
	for _, c := range changes {
		for _, st := range []*Settings{c.Before, c.After} {
			if st != nil {
				st.canonical(s.norm)
			}
		}
	}
	return changes, nil
}

func joinFieldErrors(errs []FieldError) error {
	var all []error
	for _, e := range errs {
		all = append(all, fmt.Errorf("%s: %s", fieldPath(e.Field), e.Message))
	}
	return errors.Join(all...)
}

func fieldPath(f []string) string {
	b, _ := json.Marshal(f)
	return string(b)
}
