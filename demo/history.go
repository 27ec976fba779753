package demo

import (
	"context"

	"github.com/jmoiron/sqlx"

	"github.com/profilegate/profilegate/sources/sqlsource"
)

// CRMHistory is the demo CRM's activities table as a history source.
func CRMHistory() sqlsource.History {
	return sqlsource.History{Activities: &sqlsource.ActivityTable{
		Table: "activities", IDColumn: "id", RecordColumn: "contact_id", OccurredColumn: "occurred_at", TypeColumn: "type",
		ChannelColumn: "channel", DirectionColumn: "direction", DurationColumn: "duration_seconds",
		SubjectColumn: "subject", SummaryColumn: "summary", OwnerColumn: "owner", URLColumn: "url",
	}}
}

// WarehouseHistory is the demo warehouse's events as Segment Profiles Sync lands them: tracks,
// pages, "Order Completed" and Flex's engagement events in tables of their own, merges in
// id_graph_updates.
func WarehouseHistory() sqlsource.History {
	events := append([]sqlsource.EventTable{{Table: "order_completed", Event: "Order Completed",
		Properties: []string{"order_id", "revenue", "currency", "products"}}}, sqlsource.FlexEngagementEvents()...)
	return sqlsource.History{Events: &sqlsource.EventTables{Events: events}}
}

// CRMHistorySchema creates the demo CRM's activities, indexed by contact and time as a
// person's timeline reads them.
var CRMHistorySchema = []string{
	`CREATE TABLE activities (id TEXT PRIMARY KEY, contact_id TEXT NOT NULL, occurred_at TEXT NOT NULL, type TEXT NOT NULL,
			channel TEXT, direction TEXT, duration_seconds INTEGER, subject TEXT, summary TEXT, owner TEXT, url TEXT)`,
	`CREATE INDEX activities_contact ON activities (contact_id, occurred_at)`,
}

// WarehouseHistorySchema creates the demo warehouse's event tables as Profiles Sync names
// them, each indexed by segment_id and time.
var WarehouseHistorySchema = []string{
	`CREATE TABLE id_graph (segment_id TEXT NOT NULL, canonical_segment_id TEXT NOT NULL)`,
	`CREATE INDEX id_graph_canonical ON id_graph (canonical_segment_id)`,
	`CREATE TABLE id_graph_updates (segment_id TEXT NOT NULL, canonical_segment_id TEXT NOT NULL,
			triggering_event_type TEXT, triggering_event_id TEXT, timestamp TEXT NOT NULL)`,
	`CREATE INDEX id_graph_updates_canonical ON id_graph_updates (canonical_segment_id)`,
	`CREATE TABLE tracks (id TEXT PRIMARY KEY, segment_id TEXT NOT NULL, event TEXT NOT NULL, timestamp TEXT NOT NULL)`,
	`CREATE INDEX tracks_segment ON tracks (segment_id, timestamp)`,
	`CREATE TABLE pages (id TEXT PRIMARY KEY, segment_id TEXT NOT NULL, timestamp TEXT NOT NULL,
			name TEXT, title TEXT, url TEXT, path TEXT, referrer TEXT)`,
	`CREATE INDEX pages_segment ON pages (segment_id, timestamp)`,
	`CREATE TABLE order_completed (id TEXT PRIMARY KEY, segment_id TEXT NOT NULL, timestamp TEXT NOT NULL,
			order_id TEXT, revenue NUMERIC, currency TEXT, products INTEGER)`,
	`CREATE INDEX order_completed_segment ON order_completed (segment_id, timestamp)`,
	`CREATE TABLE flex_engagement_initiated (id TEXT PRIMARY KEY, segment_id TEXT NOT NULL, timestamp TEXT NOT NULL,
			channel_type TEXT, direction TEXT, duration NUMERIC, codes TEXT, sentiment TEXT)`,
	`CREATE INDEX flex_engagement_initiated_segment ON flex_engagement_initiated (segment_id, timestamp)`,
	`CREATE TABLE flex_engagement_completed (id TEXT PRIMARY KEY, segment_id TEXT NOT NULL, timestamp TEXT NOT NULL,
			channel_type TEXT, direction TEXT, duration NUMERIC, codes TEXT, sentiment TEXT)`,
	`CREATE INDEX flex_engagement_completed_segment ON flex_engagement_completed (segment_id, timestamp)`,
}

// Activities are the demo CRM's activities of Ada (c-1), Grace (c-2) and Alan (c-3): id,
// contact, occurred at, type, channel, direction, duration, subject, summary, owner, url.
var Activities = [][]any{
	{"a-1", "c-1", "2026-11-27T15:20:00Z", "call", "phone", "inbound", 420, "Billing question", "Asked about the November invoice; explained the proration.", "Sam Rivera", nil},
	{"a-2", "c-1", "2026-11-10T09:00:00Z", "note", nil, nil, nil, "Prefers email", "Asked to be contacted by email, not phone, on weekdays.", "Sam Rivera", nil},
	{"a-3", "c-1", "2026-10-02T14:00:00Z", "email", "email", "outbound", nil, "Welcome to Gold", nil, "Priya Shah", "https://crm.example.com/activities/a-3"},
	{"a-4", "c-1", "2026-06-18T11:30:00Z", "meeting", nil, nil, 1800, "Quarterly review", "Reviewed usage; interested in the annual plan.", "Priya Shah", nil},
	{"a-5", "c-2", "2026-11-26T16:00:00Z", "sms", "sms", "outbound", nil, "Appointment reminder", "Reminder for the Dec 2 appointment.", "Sam Rivera", nil},
	{"a-6", "c-2", "2026-08-03T10:15:00Z", "call", "phone", "inbound", 95, "Password reset", nil, "Lee Park", nil},
	{"a-7", "c-3", "2026-11-02T16:40:00Z", "email", "email", "inbound", nil, "Feature request", "Asked for an export of his order history.", "Lee Park", nil},
}

// IDGraph maps the demo warehouse's segment ids to profiles: Ada browsed anonymously
// (seg-ada-anon) before she logged in, which merged the two.
var IDGraph = [][]any{
	{"seg-ada", "seg-ada"}, {"seg-ada-anon", "seg-ada"}, {"seg-linus", "seg-linus"}, {"seg-visitor", "seg-visitor"},
	{"seg-grace", "seg-grace"}, {"seg-alan", "seg-alan"},
}

// IDGraphUpdates are the demo warehouse's profile creations and the merge of Ada's profiles.
var IDGraphUpdates = [][]any{
	{"seg-ada", "seg-ada", "identify", "evt-1", "2026-03-01T10:00:00Z"},
	{"seg-ada-anon", "seg-ada-anon", "page", "evt-2", "2026-11-19T20:00:00Z"},
	{"seg-ada-anon", "seg-ada", "identify", "evt-3", "2026-11-20T12:00:00Z"},
}

// Tracks are the demo warehouse's track events; "Order Completed" and Flex's are also in
// tables of their own, which the history reads instead.
var Tracks = [][]any{
	{"t-1", "seg-ada", "Order Completed", "2026-11-25T18:42:00Z"},
	{"t-2", "seg-ada", "Newsletter Opened", "2026-11-21T07:00:00Z"},
	{"t-3", "seg-ada", "Flex - Engagement Completed", "2026-11-28T10:05:12Z"},
	{"t-4", "seg-grace", "Newsletter Opened", "2026-11-14T07:00:00Z"},
}

// Pages are the demo warehouse's page views: id, segment id, time, name, title, url, path, referrer.
var Pages = [][]any{
	{"p-1", "seg-ada-anon", "2026-11-19T20:00:00Z", "Pricing", "Pricing", "https://shop.example.com/pricing", "/pricing", "https://www.google.com/"},
	{"p-2", "seg-ada", "2026-11-25T18:30:00Z", "Checkout", "Checkout", "https://shop.example.com/checkout", "/checkout", nil},
	{"p-3", "seg-alan", "2026-11-22T09:12:00Z", "Docs", "Export your data", "https://shop.example.com/docs/export", "/docs/export", nil},
}

// Orders are the demo warehouse's "Order Completed" events: id, segment id, time, order, revenue, currency, products.
var Orders = [][]any{
	{"o-1", "seg-ada", "2026-11-25T18:42:00Z", "1001", 129.9, "USD", 2},
	{"o-2", "seg-ada", "2026-09-14T08:12:00Z", "998", 54, "USD", 1},
	{"o-3", "seg-grace", "2026-11-15T13:05:00Z", "1003", 15.5, "USD", 1},
}

// FlexInitiated and FlexCompleted are Flex's interactions as the warehouse records them: id,
// segment id, time, channel type, direction, duration (seconds), codes, sentiment.
var (
	FlexInitiated = [][]any{
		{"fi-1", "seg-ada", "2026-11-28T10:00:00Z", "voice", "Inbound", nil, nil, nil},
	}
	FlexCompleted = [][]any{
		{"fc-1", "seg-ada", "2026-11-28T10:05:12Z", "voice", "Inbound", 312, "billing", "positive"},
		{"fc-2", "seg-grace", "2026-11-26T16:02:00Z", "sms", "Outbound", 45, "appointment", "neutral"},
	}
)

// SeedCRMHistory creates the demo CRM's activities and fills them; a no-op when they exist.
func SeedCRMHistory(ctx context.Context, db *sqlx.DB) error {
	return seed(ctx, db, CRMHistorySchema, func(tx *sqlx.Tx) error {
		return insert(ctx, tx, "activities", Activities)
	})
}

// SeedWarehouseHistory creates the demo warehouse's event tables and fills them; a no-op
// when they exist.
func SeedWarehouseHistory(ctx context.Context, db *sqlx.DB) error {
	return seed(ctx, db, WarehouseHistorySchema, func(tx *sqlx.Tx) error {
		for _, t := range []struct {
			table string
			rows  [][]any
		}{
			{"id_graph", IDGraph}, {"id_graph_updates", IDGraphUpdates}, {"tracks", Tracks}, {"pages", Pages},
			{"order_completed", Orders}, {"flex_engagement_initiated", FlexInitiated}, {"flex_engagement_completed", FlexCompleted},
		} {
			if err := insert(ctx, tx, t.table, t.rows); err != nil {
				return err
			}
		}
		return nil
	})
}

// insert inserts rows into table, values in column order.
func insert(ctx context.Context, tx *sqlx.Tx, table string, rows [][]any) error {
	for _, r := range rows {
		q := `INSERT INTO ` + table + ` VALUES (` + placeholders(len(r)) + `)`
		if _, err := tx.ExecContext(ctx, tx.Rebind(q), r...); err != nil {
			return err
		}
	}
	return nil
}

func placeholders(n int) string {
	s := "?"
	for range n - 1 {
		s += ", ?"
	}
	return s
}
