package bench

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/profilegate/profilegate/demo"
)

// The generated history: every person has CRMActivities activities in the CRM, and each
// person the warehouse holds has WarehouseEvents events there (Profiles Sync's tables, as the
// demo's), of which VisibleEvents show in the demo's history settings (a "Newsletter Opened"
// is hidden, and "Order Completed" is read from its own table rather than from tracks).
const (
	CRMActivities   = 6
	WarehouseEvents = 6
	VisibleEvents   = 4
)

// HistoryLen is how many activities person p's history shows under the demo's settings.
func (p Person) HistoryLen() int {
	if p.InWarehouse() {
		return CRMActivities + VisibleEvents
	}
	return CRMActivities
}

var historyEnd = time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)

// at is the k-th instant of person p's history: spread over two years, different per person.
func (p Person) at(k int) string {
	return historyEnd.Add(-time.Duration(k*2017+p.I%997) * time.Hour / 3).Format(time.RFC3339)
}

// GenerateHistory adds the demo's history tables to the CRM and the warehouse Generate wrote
// in dir, filled for n people: CRMActivities activities each, and WarehouseEvents events for
// each person the warehouse holds.
func GenerateHistory(ctx context.Context, dir string, n int, progress func(string)) error {
	start := time.Now()
	if err := load(ctx, filepath.Join(dir, "crm.db"), demo.CRMHistorySchema, []table{{"activities", 11, activityRows}}, n); err != nil {
		return err
	}
	progress(fmt.Sprintf("crm: %d activities in %s", n*CRMActivities, time.Since(start).Round(time.Second)))
	start = time.Now()
	if err := load(ctx, filepath.Join(dir, "warehouse.db"), demo.WarehouseHistorySchema, []table{
		{"id_graph", 2, idGraphRows}, {"tracks", 4, trackRows}, {"pages", 8, pageRows}, {"order_completed", 7, orderRows},
		{"flex_engagement_initiated", 8, flexRows(0)}, {"flex_engagement_completed", 8, flexRows(1)},
	}, n); err != nil {
		return err
	}
	progress(fmt.Sprintf("warehouse: events of %d profiles in %s", n*4/5, time.Since(start).Round(time.Second)))
	return nil
}

var activityTypes = []struct{ typ, channel, direction, subject string }{
	{"call", "phone", "inbound", "Billing question"}, {"email", "email", "outbound", "Renewal offer"},
	{"note", "", "", "Prefers email"}, {"sms", "sms", "outbound", "Appointment reminder"},
	{"meeting", "", "", "Quarterly review"}, {"call", "phone", "outbound", "Follow-up"},
}

func activityRows(p Person, add func(...any)) {
	for k := range CRMActivities {
		a := activityTypes[k%len(activityTypes)]
		var duration any
		if a.typ == "call" {
			duration = 60 + (p.I+k)%900
		}
		add(fmt.Sprintf("a-%d-%d", p.I, k), fmt.Sprintf("c-%d", p.I), p.at(2*k), a.typ, null(a.channel), null(a.direction), duration,
			a.subject, "Summary of "+a.subject, "Agent "+firstNames[(p.I+k)%len(firstNames)], nil)
	}
}

func segment(p Person) string { return fmt.Sprintf("seg-%d", p.I) }

func idGraphRows(p Person, add func(...any)) {
	if p.InWarehouse() {
		add(segment(p), segment(p))
	}
}

func trackRows(p Person, add func(...any)) {
	if p.InWarehouse() {
		add(fmt.Sprintf("t-%d-0", p.I), segment(p), "Order Completed", p.at(3))
		add(fmt.Sprintf("t-%d-1", p.I), segment(p), "Newsletter Opened", p.at(5))
	}
}

func pageRows(p Person, add func(...any)) {
	if p.InWarehouse() {
		add(fmt.Sprintf("p-%d", p.I), segment(p), p.at(1), "Pricing", "Pricing", "https://shop.example.com/pricing", "/pricing", nil)
	}
}

func orderRows(p Person, add func(...any)) {
	if p.InWarehouse() {
		add(fmt.Sprintf("o-%d", p.I), segment(p), p.at(3), fmt.Sprint(p.I), float64(p.I%500)+0.5, "USD", 1+p.I%4)
	}
}

func flexRows(which int) func(Person, func(...any)) {
	return func(p Person, add func(...any)) {
		if !p.InWarehouse() {
			return
		}
		var duration any
		if which == 1 { // an engagement's duration is known when it completes
			duration = 30 + p.I%600
		}
		add(fmt.Sprintf("f%d-%d", which, p.I), segment(p), p.at(7-which), "voice", "Inbound", duration, "billing", "neutral")
	}
}

func null(s string) any {
	if s == "" {
		return nil
	}
	return s
}
