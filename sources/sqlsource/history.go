package sqlsource

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/profilegate/profilegate/history"
	"github.com/profilegate/profilegate/profile"
)

var _ history.Source = (*HistorySource)(nil)

// HistorySource reads the history of a source's people from its database, every request of a
// page in one statement.
type HistorySource struct {
	src      *Source
	branches []branch
	width    int // property columns of the widest branch
	complete *time.Time
	keep     time.Duration
}

// branch is one table of a history source, selected as the timeline's columns: id, at, name,
// kind, channel, direction, duration and the properties.
type branch struct {
	table string // quoted, with alias x
	// records renders the condition on the person's record ids, given their IN list.
	records                                          func(in string) string
	id, at, name, kind, channel, direction, duration string
	args                                             []any // of the column expressions, in order
	trailing                                         []any // of the record condition, after the record ids
	props                                            []string
	propCols                                         []string
	// label is how an activity of the branch is labelled when the settings do not say.
	label func(a *history.Activity) string
}

// History returns the history source of s configured by h; every problem is reported.
func (s *Source) History(h History) (*HistorySource, error) {
	hs := &HistorySource{src: s, complete: h.CompleteFrom, keep: h.Retention}
	var errs []error
	switch {
	case h.Activities != nil && h.Events != nil:
		errs = append(errs, errors.New("history: give activities or events, not both"))
	case h.Activities != nil:
		b, err := activityBranch(*h.Activities)
		errs = append(errs, err)
		hs.branches = append(hs.branches, b)
	case h.Events != nil:
		bs, err := eventBranches(*h.Events)
		errs = append(errs, err)
		hs.branches = bs
	default:
		errs = append(errs, errors.New("history: give activities (a CRM's activities table) or events (a warehouse's event tables)"))
	}
	if h.Retention < 0 {
		errs = append(errs, errors.New("history.retention: must not be negative"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("%s: %w", s.name, err)
	}
	for _, b := range hs.branches {
		hs.width = max(hs.width, len(b.props))
	}
	return hs, nil
}

// Name returns the source's name.
func (h *HistorySource) Name() string { return h.src.name }

// Coverage is from when the source's history is complete: the later of complete_from and now
// less the retention; nil when neither is configured.
func (h *HistorySource) Coverage(now time.Time) *time.Time {
	var from *time.Time
	if h.complete != nil {
		t := h.complete.UTC()
		from = &t
	}
	if h.keep > 0 {
		if t := now.Add(-h.keep).UTC(); from == nil || t.After(*from) {
			from = &t
		}
	}
	return from
}

// History answers every request in one statement: per request, the union of the source's
// tables for the person's records, filtered, after the request's position, newest first and
// cut at its limit.
func (h *HistorySource) History(ctx context.Context, reqs []history.Request) ([][]history.Activity, error) {
	out := make([][]history.Activity, len(reqs))
	var parts []string
	var args []any
	for i, r := range reqs {
		if len(r.RecordIDs) == 0 || r.Limit <= 0 {
			continue
		}
		q, a := h.request(i, r)
		parts = append(parts, q)
		args = append(args, a...)
	}
	if len(parts) == 0 {
		return out, nil
	}
	rows, err := h.src.query(ctx, strings.Join(parts, "\nUNION ALL\n"), args)
	if err != nil {
		return nil, fmt.Errorf("%s: history: %w", h.src.name, err)
	}
	defer rows.Close()
	err = each(rows, func(vals []any) error {
		if req, a := h.activity(vals); req >= 0 && req < len(out) {
			out[req] = append(out[req], a)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%s: history: %w", h.src.name, err)
	}
	return out, nil
}

// request renders one request: its branches' union, filtered, ordered and limited.
func (h *HistorySource) request(i int, r history.Request) (string, []any) {
	var sel []string
	var args []any
	for bi, b := range h.branches {
		in, ids := inList("", anys(r.RecordIDs))
		cols := []string{strconv.Itoa(i) + " AS req", strconv.Itoa(bi) + " AS br",
			b.id + " AS id", b.at + " AS at", b.name + " AS name", b.kind + " AS kind",
			b.channel + " AS channel", b.direction + " AS direction", b.duration + " AS duration"}
		for p := range h.width {
			col := "CAST(NULL AS TEXT)"
			if p < len(b.propCols) {
				col = "CAST(" + b.propCols[p] + " AS TEXT)"
			}
			cols = append(cols, fmt.Sprintf("%s AS p%d", col, p))
		}
		sel = append(sel, "SELECT "+strings.Join(cols, ", ")+" FROM "+b.table+" WHERE "+b.records(in))
		args = append(args, b.args...)
		args = append(args, ids...)
		args = append(args, b.trailing...)
	}
	var where []string
	f := r.Filter
	cond := func(c string, vs ...any) {
		where = append(where, c)
		args = append(args, vs...)
	}
	// A list given narrows to its values; an empty one to nothing.
	for _, l := range []struct {
		col    string
		given  bool
		values []any
	}{
		{"u.kind", f.Kinds != nil, enumAnys(f.Kinds)},
		{"u.channel", f.Channels != nil, enumAnys(f.Channels)},
		{"u.name", f.EventNames != nil, anys(f.EventNames)},
	} {
		switch {
		case l.given && len(l.values) == 0:
			cond("1 = 0")
		case l.given:
			c, a := inList(l.col, l.values)
			cond(c, a...)
		}
	}
	if r.ShownEvents != nil {
		if len(r.ShownEvents) == 0 {
			cond("u.kind <> ?", string(history.KindEvent))
		} else {
			c, a := inList("u.name", anys(r.ShownEvents))
			cond("(u.kind <> ? OR "+c+")", append([]any{string(history.KindEvent)}, a...)...)
		}
	}
	if f.Since != nil {
		cond("u.at >= ?", f.Since.UTC().Format(time.RFC3339Nano))
	}
	if f.Until != nil {
		cond("u.at <= ?", f.Until.UTC().Format(time.RFC3339Nano))
	}
	if r.After != nil {
		cond("(u.at < ? OR (u.at = ? AND u.id < ?))", r.After.At, r.After.At, r.After.ID)
	}
	if r.Only != nil {
		cond("u.at = ? AND u.id = ?", r.Only.At, r.Only.ID)
	}
	q := "SELECT * FROM (SELECT * FROM (" + strings.Join(sel, " UNION ALL ") + ") u"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += fmt.Sprintf(" ORDER BY u.at DESC, u.id DESC LIMIT %d) r%d", r.Limit, i)
	return q, args
}

// activity reads one row of the timeline's columns.
func (h *HistorySource) activity(vals []any) (int, history.Activity) {
	req, _ := text(vals[0])
	br, _ := text(vals[1])
	i, _ := strconv.Atoi(req)
	bi, err := strconv.Atoi(br)
	if err != nil || bi < 0 || bi >= len(h.branches) {
		return -1, history.Activity{}
	}
	b := h.branches[bi]
	id, _ := text(vals[2])
	at, _ := text(vals[3])
	name, _ := text(vals[4])
	kind, _ := text(vals[5])
	a := history.Activity{
		ID: fmt.Sprintf("%s:%s", h.src.name, id), OccurredAt: updated(vals[3]), Kind: history.Kind(kind),
		Source: h.src.name, Name: name, Position: history.Position{At: at, ID: id},
		Properties: []history.Property{},
	}
	if c, ok := text(vals[6]); ok {
		ch := history.Channel(c)
		a.Channel = &ch
	}
	if d, ok := text(vals[7]); ok {
		dir := history.Direction(d)
		a.Direction = &dir
	}
	if d, ok := text(vals[8]); ok {
		if f, err := strconv.ParseFloat(strings.TrimSpace(d), 64); err == nil && f >= 0 && f < math.MaxInt32 {
			n := int(math.Round(f))
			a.DurationSeconds = &n
		}
	}
	for p, key := range b.props {
		if v, ok := text(vals[9+p]); ok { // a property the row does not hold is left out
			a.Properties = append(a.Properties, history.Property{Key: key, Label: profile.Label(key), Value: &v})
		}
	}
	a.Label = b.label(&a)
	return i, a
}

func enumAnys[T ~string](vs []T) []any {
	out := make([]any, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}

// mapped renders `CASE lower(col) WHEN ? THEN ? ... END`: stored values to enum values, other
// stored values to other ("" for NULL), NULL to NULL.
func mapped[T ~string](col string, m map[string]T, other string) (string, []any) {
	if col == "" {
		return "CAST(NULL AS TEXT)", nil
	}
	var b strings.Builder
	var args []any
	b.WriteString("CASE lower(" + col + ")")
	for _, k := range slices.Sorted(maps.Keys(m)) {
		b.WriteString(" WHEN ? THEN ?")
		args = append(args, k, string(m[k]))
	}
	if other == "" {
		b.WriteString(" ELSE CAST(NULL AS TEXT) END")
	} else {
		b.WriteString(" ELSE (CASE WHEN " + col + " IS NULL THEN CAST(NULL AS TEXT) ELSE ? END) END")
		args = append(args, other)
	}
	return b.String(), args
}

// optional quotes col as x's column, or renders NULL when it is not configured.
func optional(errs *[]error, what, col string) string {
	if col == "" {
		return "CAST(NULL AS TEXT)"
	}
	names(errs, what, &col)
	return "x." + col
}

// checkEnums reports mapped values that are not values of the enum.
func checkEnums[T ~string](errs *[]error, what string, m map[string]T, values []T) {
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if !slices.Contains(values, m[k]) {
			*errs = append(*errs, fmt.Errorf("%s: %q maps to %q, which is not one of %v", what, k, m[k], values))
		}
	}
}

func activityBranch(t ActivityTable) (branch, error) {
	var errs []error
	table, idCol, recCol, atCol, typeCol := t.Table, t.IDColumn, t.RecordColumn, t.OccurredColumn, t.TypeColumn
	names(&errs, "history.activities.table", &table)
	names(&errs, "history.activities.id_column", &idCol)
	names(&errs, "history.activities.record_column", &recCol)
	names(&errs, "history.activities.occurred_column", &atCol)
	names(&errs, "history.activities.type_column", &typeCol)
	checkEnums(&errs, "history.activities.channels", t.Channels, history.Channels)
	checkEnums(&errs, "history.activities.directions", t.Directions, history.Directions)
	interactions := t.InteractionTypes
	if interactions == nil {
		interactions = DefaultInteractionTypes
	}
	b := branch{table: table + " x", id: "CAST(x." + idCol + " AS TEXT)", at: "x." + atCol, name: "CAST(x." + typeCol + " AS TEXT)"}
	b.records = func(in string) string { return "x." + recCol + in }
	kind, kargs := inList("lower(x."+typeCol+")", anys(lowered(interactions)))
	b.kind = "CASE WHEN " + kind + " THEN '" + string(history.KindInteraction) + "' ELSE '" + string(history.KindCRMActivity) + "' END"
	b.args = append(b.args, kargs...)
	var a []any
	b.channel, a = mapped(optional(&errs, "history.activities.channel_column", t.ChannelColumn), channelMap(t.Channels), string(history.ChannelOther))
	b.args = append(b.args, a...)
	b.direction, a = mapped(optional(&errs, "history.activities.direction_column", t.DirectionColumn), directionMap(t.Directions), "")
	b.args = append(b.args, a...)
	b.duration = castText(optional(&errs, "history.activities.duration_column", t.DurationColumn))
	for _, p := range []struct{ key, col string }{{"subject", t.SubjectColumn}, {"summary", t.SummaryColumn}, {"owner", t.OwnerColumn}, {"url", t.URLColumn}} {
		if p.col != "" {
			b.props = append(b.props, p.key)
			b.propCols = append(b.propCols, optional(&errs, "history.activities."+p.key+"_column", p.col))
		}
	}
	b.label = func(a *history.Activity) string {
		subject := propValue(a, "subject")
		// the subject is the label, not a property besides it
		a.Properties = slices.DeleteFunc(a.Properties, func(p history.Property) bool { return p.Key == "subject" })
		return cmp.Or(subject, a.Name)
	}
	return b, errors.Join(errs...)
}

func eventBranches(e EventTables) ([]branch, error) {
	var errs []error
	e.SegmentDefaults()
	g, seg, canon, idCol, ts := e.IDGraph, e.SegmentIDColumn, e.CanonicalColumn, e.IDColumn, e.TimestampColumn
	names(&errs, "history.events.id_graph", &g)
	names(&errs, "history.events.segment_id_column", &seg)
	names(&errs, "history.events.canonical_column", &canon)
	names(&errs, "history.events.id_column", &idCol)
	names(&errs, "history.events.timestamp_column", &ts)
	checkEnums(&errs, "history.events.channels", e.Channels, history.Channels)
	checkEnums(&errs, "history.events.directions", e.Directions, history.Directions)
	// An event's rows are those recorded under any segment_id id_graph maps to the profile.
	byProfile := func(in string) string {
		return fmt.Sprintf("x.%s IN (SELECT %s FROM %s WHERE %s%s)", seg, seg, g, canon, in)
	}
	var bs []branch
	var own []any
	for i, et := range e.Events {
		at := fmt.Sprintf("history.events.events[%d]", i)
		table := et.Table
		names(&errs, at+".table", &table)
		if strings.TrimSpace(et.Event) == "" {
			errs = append(errs, fmt.Errorf("%s.event: name the event, e.g. \"Order Completed\"", at))
		}
		own = append(own, et.Event)
		kind := history.KindEvent
		if et.Interaction {
			kind = history.KindInteraction
		}
		b := branch{table: table + " x", records: byProfile, id: "? || CAST(x." + idCol + " AS TEXT)",
			at: "x." + ts, name: "CAST(? AS TEXT)", kind: "'" + string(kind) + "'"}
		b.args = append(b.args, strings.Trim(table, `"`)+":", et.Event)
		var a []any
		b.channel, a = mapped(optional(&errs, at+".channel_column", et.ChannelColumn), channelMap(e.Channels), string(history.ChannelOther))
		b.args = append(b.args, a...)
		b.direction, a = mapped(optional(&errs, at+".direction_column", et.DirectionColumn), directionMap(e.Directions), "")
		b.args = append(b.args, a...)
		b.duration = castText(optional(&errs, at+".duration_column", et.DurationColumn))
		for _, p := range et.Properties {
			b.props = append(b.props, p)
			b.propCols = append(b.propCols, optional(&errs, at+".properties", p))
		}
		b.label = func(a *history.Activity) string { return a.Name }
		bs = append(bs, b)
	}
	if e.Tracks != NoTable {
		tracks, ev := e.Tracks, e.EventColumn
		names(&errs, "history.events.tracks", &tracks)
		names(&errs, "history.events.event_column", &ev)
		b := branch{table: tracks + " x", id: "'tracks:' || CAST(x." + idCol + " AS TEXT)", at: "x." + ts, name: "CAST(x." + ev + " AS TEXT)",
			kind: "'" + string(history.KindEvent) + "'", channel: "CAST(NULL AS TEXT)", direction: "CAST(NULL AS TEXT)", duration: "CAST(NULL AS TEXT)"}
		b.records = func(in string) string {
			if len(own) == 0 {
				return byProfile(in)
			}
			// events with a table of their own are read from it, with their properties
			return byProfile(in) + " AND x." + ev + " NOT IN (" + placeholders(len(own)) + ")"
		}
		b.trailing = own
		b.label = func(a *history.Activity) string { return a.Name }
		bs = append(bs, b)
	}
	if e.Pages != NoTable {
		pages := e.Pages
		names(&errs, "history.events.pages", &pages)
		b := branch{table: pages + " x", records: byProfile, id: "'pages:' || CAST(x." + idCol + " AS TEXT)", at: "x." + ts,
			name: "'Page Viewed'", kind: "'" + string(history.KindEvent) + "'", channel: "'" + string(history.ChannelWeb) + "'",
			direction: "CAST(NULL AS TEXT)", duration: "CAST(NULL AS TEXT)"}
		for _, p := range e.PageProperties {
			b.props = append(b.props, p)
			b.propCols = append(b.propCols, optional(&errs, "history.events.page_properties", p))
		}
		b.label = func(a *history.Activity) string {
			if t := propValue(a, "title"); t != "" {
				return "Viewed " + t
			}
			return "Viewed " + propValue(a, "url")
		}
		bs = append(bs, b)
	}
	if e.Merges != NoTable {
		merges := e.Merges
		names(&errs, "history.events.merges", &merges)
		b := branch{table: merges + " x", id: "'merges:' || CAST(x." + seg + " AS TEXT) || ':' || CAST(x." + ts + " AS TEXT)", at: "x." + ts,
			name: "'Profiles Merged'", kind: "'" + string(history.KindIdentity) + "'", channel: "CAST(NULL AS TEXT)",
			direction: "CAST(NULL AS TEXT)", duration: "CAST(NULL AS TEXT)",
			props: []string{"merged_segment_id", "triggering_event_type"}, propCols: []string{"x." + seg, "x.triggering_event_type"}}
		b.records = func(in string) string {
			return fmt.Sprintf("x.%s%s AND x.%s <> x.%s", canon, in, seg, canon)
		}
		b.label = func(a *history.Activity) string { return "Merged with profile " + propValue(a, "merged_segment_id") }
		bs = append(bs, b)
	}
	if len(bs) == 0 {
		errs = append(errs, errors.New("history.events: every table is \"none\""))
	}
	return bs, errors.Join(errs...)
}

func castText(expr string) string {
	if strings.HasPrefix(expr, "CAST(") {
		return expr
	}
	return "CAST(" + expr + " AS TEXT)"
}

func lowered(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strings.ToLower(s)
	}
	return out
}

func propValue(a *history.Activity, key string) string {
	for _, p := range a.Properties {
		if p.Key == key && p.Value != nil {
			return *p.Value
		}
	}
	return ""
}
