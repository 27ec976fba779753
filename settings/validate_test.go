package settings

import (
	"slices"
	"strings"
	"testing"

	"github.com/profilegate/profilegate/profile"
)

func testNormalizer(t testing.TB) *profile.Normalizer {
	t.Helper()
	n, err := profile.NewNormalizer([]profile.KeySpec{{Key: "crm_id", Normalization: profile.NormalizeLower}}, "US", nil)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// valid returns settings that pass validation.
func valid() *Settings {
	return &Settings{
		Identifiers: []IdentifierSetting{
			{Key: "user_id"}, {Key: "email"}, {Key: "phonenumber"},
			{Key: "crm_id", DisplayName: "CRM id", Searchable: new(false)}, {Key: "anonymous_id"},
		},
		Traits:       []TraitSetting{{Key: "first_name"}, {Key: "last_name"}, {Key: "customer_since", DisplayName: "Customer since"}, {Key: "name"}},
		Header:       Header{NameTraits: []string{"first_name", "last_name"}, SecondaryTrait: "customer_since"},
		Search:       Search{AllIdentifiers: true},
		Components:   Components{CustomerDetails: true},
		Unidentified: Unidentified{ShowToAgents: true, BadgeLabel: "New Contact"},
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name  string
		edit  func(*Settings)
		field string
		code  ErrorCode
	}{
		{"OK", func(*Settings) {}, "", ""},
		{"OKSubsetOfSearchable", func(s *Settings) { s.Search = Search{Identifiers: []string{"email", "phonenumber"}} }, "", ""},
		{"OKSuggestedTraitWithItsName", func(s *Settings) { s.Traits[3].DisplayName = "Name" }, "", ""},
		{"ErrIdentifierNotDeclared", func(s *Settings) { s.Identifiers = append(s.Identifiers, IdentifierSetting{Key: "zendesk_id"}) }, "identifiers.5.key", ErrNotConfigured},
		{"ErrIdentifierTwice", func(s *Settings) { s.Identifiers = append(s.Identifiers, IdentifierSetting{Key: "email"}) }, "identifiers.5.key", ErrDuplicate},
		{"ErrIdentifierMissing", func(s *Settings) { s.Identifiers = s.Identifiers[1:] }, "identifiers", ErrMissing},
		{"ErrDisplayNameTooLong", func(s *Settings) { s.Identifiers[0].DisplayName = strings.Repeat("x", 65) }, "identifiers.0.displayName", ErrInvalid},
		{"ErrDisplayNameControl", func(s *Settings) { s.Traits[0].DisplayName = "First\nname" }, "traits.0.displayName", ErrInvalid},
		{"ErrTraitKey", func(s *Settings) { s.Traits = append(s.Traits, TraitSetting{Key: "Plan Name"}) }, "traits.4.key", ErrInvalid},
		{"ErrTraitTwice", func(s *Settings) { s.Traits = append(s.Traits, TraitSetting{Key: "last_name"}) }, "traits.4.key", ErrDuplicate},
		{"ErrSuggestedTraitRenamed", func(s *Settings) { s.Traits[3].DisplayName = "Full name" }, "traits.3.displayName", ErrFixed},
		{"ErrNameTraitNotConfigured", func(s *Settings) { s.Header.NameTraits = []string{"nickname"} }, "customerHeader.nameTraits.0", ErrNotConfigured},
		{"ErrNoNameTraits", func(s *Settings) { s.Header.NameTraits = nil }, "customerHeader.nameTraits", ErrInvalid},
		{"ErrNameTraitTwice", func(s *Settings) { s.Header.NameTraits = []string{"first_name", "first_name"} }, "customerHeader.nameTraits.1", ErrDuplicate},
		{"ErrSecondaryNotConfigured", func(s *Settings) { s.Header.SecondaryTrait = "plan" }, "customerHeader.secondaryTrait", ErrNotConfigured},
		{"ErrAvatarNotConfigured", func(s *Settings) { s.Header.AvatarTrait = "avatar" }, "customerHeader.avatarTrait", ErrNotConfigured},
		{"ErrHeaderAfterTraitRemoved", func(s *Settings) { s.Traits = s.Traits[1:] }, "customerHeader.nameTraits.0", ErrNotConfigured},
		{"ErrSearchNotConfigured", func(s *Settings) { s.Search = Search{Identifiers: []string{"zendesk_id"}} }, "profileSearch.identifiers.0", ErrNotConfigured},
		{"ErrSearchHidden", func(s *Settings) { s.Search = Search{Identifiers: []string{"crm_id"}} }, "profileSearch.identifiers.0", ErrNotSearchable},
		{"ErrBadgeEmpty", func(s *Settings) { s.Unidentified.BadgeLabel = " " }, "unidentifiedProfiles.badgeLabel", ErrInvalid},
		{"ErrBadgeTooLong", func(s *Settings) { s.Unidentified.BadgeLabel = strings.Repeat("é", 33) }, "unidentifiedProfiles.badgeLabel", ErrInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := valid()
			tc.edit(s)
			errs := Validate(s, testNormalizer(t))
			if tc.code == "" {
				if len(errs) > 0 {
					t.Fatalf("valid settings refused: %+v", errs)
				}
				return
			}
			if !slices.ContainsFunc(errs, func(e FieldError) bool {
				return strings.Join(e.Field, ".") == tc.field && e.Code == tc.code && e.Message != ""
			}) {
				t.Fatalf("want %s at %s, got %+v", tc.code, tc.field, errs)
			}
		})
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	s := valid()
	s.Header.SecondaryTrait = "plan"
	s.Header.AvatarTrait = "avatar"
	s.Unidentified.BadgeLabel = ""
	if errs := Validate(s, testNormalizer(t)); len(errs) != 3 {
		t.Fatalf("want 3 problems reported together, got %+v", errs)
	}
}

func TestCanonical(t *testing.T) {
	s := valid()
	s.Identifiers = s.Identifiers[:4] // anonymous_id newly declared by the configuration
	s.Identifiers = append(s.Identifiers, IdentifierSetting{Key: "gone_id"})
	s.Search = Search{Identifiers: []string{"phonenumber", "email", "gone_id"}}
	s.Traits[3].DisplayName = ""
	s.canonical(testNormalizer(t))

	if got := s.IdentifierPriority(); !slices.Equal(got, []string{"user_id", "email", "phonenumber", "crm_id", "anonymous_id"}) {
		t.Errorf("identifiers %v: want undeclared ones dropped and new ones added last", got)
	}
	if got := s.Search.Identifiers; !slices.Equal(got, []string{"email", "phonenumber"}) {
		t.Errorf("search %v: want the chosen, declared keys in priority order", got)
	}
	if s.Identifiers[0].DisplayName != "user_id" || s.Identifiers[3].Normalization != profile.NormalizeLower {
		t.Errorf("identifier defaults not filled: %+v", s.Identifiers)
	}
	if s.Traits[0].DisplayName != "First name" || s.Traits[3].DisplayName != "Name" {
		t.Errorf("trait display names %+v", s.Traits)
	}
	s.Search = Search{AllIdentifiers: true}
	s.canonical(testNormalizer(t))
	if got := s.Search.Identifiers; !slices.Equal(got, []string{"user_id", "email", "phonenumber", "anonymous_id"}) {
		t.Errorf("all identifiers stand for %v: want every searchable one", got)
	}
}
