package flexgraph

import (
	"context"

	"github.com/profilegate/profilegate/desk"
	"github.com/profilegate/profilegate/errcode"
	"github.com/profilegate/profilegate/flexgraph/model"
	"github.com/profilegate/profilegate/history"
	"github.com/profilegate/profilegate/profile"
	"github.com/profilegate/profilegate/settings"
)

// Desk is what Flex's operations ask of the agent desk service.
type Desk interface {
	CustomerHistory(ctx context.Context, f profile.Fetcher, hf history.Fetcher, id string, q desk.HistoryQuery, asAdmin bool) (*desk.HistoryPage, []*errcode.Error, error)
	CustomerActivity(ctx context.Context, f profile.Fetcher, hf history.Fetcher, id, source string, pos history.Position, asAdmin bool) (*history.Activity, []*errcode.Error, error)
}

// Settings supplies the current settings.
type Settings interface {
	Current() *settings.Snapshot
}

// Resolver is the root resolver of Flex's schema.
type Resolver struct {
	Desk     Desk
	Settings Settings
	// MaxPageSize bounds pagination.pageSize.
	MaxPageSize int
}

// warnings are the failures of sources as Flex's data client reads them beside the data: the
// rest of the answer stands.
func warnings(errs []*errcode.Error) []*model.Warning {
	out := []*model.Warning{}
	for _, e := range errs {
		code, msg := e.Code.Status(), e.Source+": "+e.Message
		out = append(out, &model.Warning{Code: &code, Message: &msg})
	}
	return out
}

// pagination reads Flex's pagination: a page size of 1 to max (the history settings' when
// none) and the token of the page to continue after.
func pagination(p *model.PaginationInput, max int) (desk.HistoryQuery, error) {
	var q desk.HistoryQuery
	if p == nil {
		return q, nil
	}
	if p.PageSize != nil {
		if *p.PageSize < 1 || *p.PageSize > max {
			return q, errcode.Errorf(errcode.BadUserInput, "pagination.pageSize must be between 1 and %d, got %d", max, *p.PageSize)
		}
		q.First = *p.PageSize
	}
	if p.PageToken != nil {
		q.After = *p.PageToken
	}
	return q, nil
}
