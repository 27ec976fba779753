package gateway_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/Khan/genqlient/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/profilegate/profilegate/goclient"
	"github.com/profilegate/profilegate/internal/gatewaytest"
)

// authTransport adds credentials to every request, as a client of a gateway with auth on does.
type authTransport struct{ header http.Header }

func (a authTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	for k, v := range a.header {
		r.Header[k] = v
	}
	return http.DefaultTransport.RoundTrip(r)
}

// TestGeneratedGoClient drives the real gateway with the client genqlient generates from the
// schema and the sample operations: the contract a typed client relies on holds end to end.
func TestGeneratedGoClient(t *testing.T) {
	cfg := gatewaytest.DemoConfig(t, "sqlite")
	who := withKeys(cfg)
	g := gatewaytest.Start(t, cfg)
	ctx := context.Background()
	agent := graphql.NewClient(g.URL+"/query", &http.Client{Transport: authTransport{who.agent}})
	admin := graphql.NewClient(g.URL+"/query", &http.Client{Transport: authTransport{who.admin}})

	h, err := goclient.CustomerHeader(ctx, agent, goclient.IdentifierInput{Key: "phonenumber", Value: "(415) 555-0100"})
	if err != nil {
		t.Fatal(err)
	}
	header := h.CustomerHeader
	if header.Name != "Ada Lovelace" || header.Profile.Status != goclient.ProfileStatusIdentified || header.SecondaryTrait.Formatted == nil || *header.SecondaryTrait.Formatted != "Mar 4th, 2019" {
		t.Fatalf("header %+v", header)
	}
	p, err := goclient.Profile(ctx, agent, header.Profile.Id)
	if err != nil || p.Profile == nil || p.Profile.Id != header.Profile.Id || len(p.Profile.Traits) == 0 {
		t.Fatalf("profile by id: %+v %v", p, err)
	}
	d, err := goclient.CustomerDetails(ctx, agent, header.Profile.Id)
	if err != nil || len(d.CustomerDetails.Groups) != 2 || d.CustomerDetails.Groups[1].Traits[1].Type != goclient.TraitTypeCurrency ||
		*d.CustomerDetails.Groups[1].Traits[1].Formatted != "$1,234.50" || *d.CustomerDetails.Groups[1].Traits[1].Source != "warehouse" {
		t.Fatalf("details %+v %v", d, err)
	}
	five := 5
	hp, err := goclient.CustomerHistory(ctx, agent, header.Profile.Id, &five, nil, nil)
	if err != nil || len(hp.CustomerHistory.Edges) != 5 || !hp.CustomerHistory.PageInfo.HasNextPage || len(hp.CustomerHistory.Coverage) != 2 {
		t.Fatalf("history %+v %v", hp, err)
	}
	hn, err := goclient.CustomerHistory(ctx, agent, header.Profile.Id, &five, hp.CustomerHistory.PageInfo.EndCursor, nil)
	if err != nil || len(hn.CustomerHistory.Edges) != 5 || hn.CustomerHistory.Edges[0].Node.OccurredAt.After(hp.CustomerHistory.Edges[4].Node.OccurredAt) {
		t.Fatalf("history, next page: %+v %v", hn, err)
	}
	calls, err := goclient.CustomerHistory(ctx, agent, header.Profile.Id, nil, nil, &goclient.HistoryFilter{Kinds: []goclient.ActivityKind{goclient.ActivityKindInteraction}})
	if err != nil || len(calls.CustomerHistory.Edges) != 4 || calls.CustomerHistory.Edges[0].Node.Channel == nil || *calls.CustomerHistory.Edges[0].Node.Channel != goclient.ChannelVoice {
		t.Fatalf("interactions %+v %v", calls, err)
	}

	first := 1
	page, err := goclient.SearchProfiles(ctx, agent, goclient.IdentifierInput{Key: "phonenumber", Value: "+1 415 555 0199"}, &first, nil)
	if err != nil || page.SearchProfiles.TotalCount != 2 || len(page.SearchProfiles.Edges) != 1 || !page.SearchProfiles.PageInfo.HasNextPage {
		t.Fatalf("family phone, first page: %+v %v", page, err)
	}
	next, err := goclient.SearchProfiles(ctx, agent, goclient.IdentifierInput{Key: "phonenumber", Value: "+1 415 555 0199"}, &first, page.SearchProfiles.PageInfo.EndCursor)
	if err != nil || len(next.SearchProfiles.Edges) != 1 || next.SearchProfiles.Edges[0].Node.Id == page.SearchProfiles.Edges[0].Node.Id {
		t.Fatalf("family phone, second page: %+v %v", next, err)
	}

	s, err := goclient.Settings(ctx, agent)
	if err != nil || s.Settings.Version != 1 || !s.Settings.Components.CustomerHeaderAndSearch {
		t.Fatalf("settings %+v %v", s, err)
	}
	_, err = goclient.UpdateSettings(ctx, agent, goclient.UpdateSettingsInput{ExpectedVersion: 1})
	var list gqlerror.List
	if !errors.As(err, &list) || list[0].Extensions["code"] != "FORBIDDEN" {
		t.Fatalf("agent changing settings: %v", err)
	}
	u, err := goclient.UpdateSettings(ctx, admin, goclient.UpdateSettingsInput{
		ExpectedVersion:      1,
		UnidentifiedProfiles: &goclient.UnidentifiedProfileSettingsInput{ShowToAgents: true, BadgeLabel: "First call"},
	})
	if err != nil || u.UpdateSettings == nil || len(u.UpdateSettings.UserErrors) != 0 || u.UpdateSettings.Settings.Version != 2 {
		t.Fatalf("admin changing settings: %+v %v", u, err)
	}
	hist, err := goclient.SettingsHistory(ctx, admin, nil, nil)
	if err != nil || len(hist.SettingsHistory) != 2 || hist.SettingsHistory[1].Before != nil || hist.SettingsHistory[0].ChangedAt.IsZero() {
		t.Fatalf("history %+v %v", hist, err)
	}
}
