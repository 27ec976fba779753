package profile

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/profilegate/profilegate/errcode"
)

// memFetcher serves records from memory the way a source does: every record carrying any of
// the asked identifiers. It records what each source was asked.
type memFetcher struct {
	records map[string][]Record
	failing map[string]bool
	mu      sync.Mutex
	asked   map[string][][]Identifier
	done    int // resolutions that said they were done
}

func (m *memFetcher) Fetch(_ context.Context, frontier map[string][]Identifier) (map[string][]Record, map[string]error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.asked == nil {
		m.asked = map[string][][]Identifier{}
	}
	found, errs := map[string][]Record{}, map[string]error{}
	for source, ids := range frontier {
		m.asked[source] = append(m.asked[source], ids)
		if m.failing[source] {
			errs[source] = errors.New("connection refused")
			continue
		}
		for _, r := range m.records[source] {
			if slices.ContainsFunc(ids, r.Has) {
				found[source] = append(found[source], r)
			}
		}
	}
	return found, errs
}

func (m *memFetcher) Done(context.Context) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.done++
}

func rec(source, id string, ids ...string) Record {
	r := Record{Source: source, ID: id, UpdatedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	for _, kv := range ids {
		k, v, _ := strings.Cut(kv, "=")
		if k == "trait" {
			tk, tv, _ := strings.Cut(v, ":")
			r.Traits = append(r.Traits, TraitValue{Key: tk, Value: tv})
			continue
		}
		r.Identifiers = append(r.Identifiers, Identifier{Key: k, Value: v})
	}
	return r
}

func testStitcher(t *testing.T, depth int) *Stitcher {
	return NewStitcher(testNormalizer(t), Options{
		Sources: []SourceInfo{{Name: "crm", SystemOfRecord: true}, {Name: "warehouse"}},
		Depth:   depth,
	})
}

// people renders a match as "crm/1+warehouse/w1; crm/2" for compact assertions.
func people(m *Match) string {
	var out []string
	for _, p := range m.People {
		out = append(out, strings.Join(p.Sources, "+"))
	}
	return strings.Join(out, "; ")
}

func TestMatchStitching(t *testing.T) {
	ada := rec("crm", "1", "email=ada@example.com", "phonenumber=+14155550100", "trait=first_name:Ada", "trait=plan:silver")
	adaWH := rec("warehouse", "w1", "user_id=u-1001", "phonenumber=+14155550100", "anonymous_id=anon-42", "trait=plan:gold", "trait=ltv:12")
	grace := rec("crm", "2", "email=grace@example.com", "phonenumber=+14155550199")
	alan := rec("crm", "3", "email=alan@example.com", "phonenumber=+14155550199")
	famWH := rec("warehouse", "w2", "phonenumber=+14155550199")
	u1 := rec("crm", "4", "user_id=u-1", "email=shared@example.com")
	u2 := rec("warehouse", "w4", "user_id=u-2", "email=shared@example.com")
	anonCRM := rec("crm", "5", "email=anon@example.com", "phonenumber=anonymous")
	anonWH := rec("warehouse", "w5", "user_id=u-5", "phonenumber=anonymous")
	chainWH := rec("warehouse", "w6", "email=chain@example.com", "anonymous_id=anon-6")
	chainCRM := rec("crm", "6", "anonymous_id=anon-6")
	linus := rec("crm", "7", "email=linus@example.com", "phonenumber=+14155550177")
	linusAgain := rec("crm", "8", "email=linus@example.com")
	linusWH := rec("warehouse", "w7", "user_id=u-7", "email=linus@example.com")
	f := func() *memFetcher {
		return &memFetcher{records: map[string][]Record{
			"crm":       {ada, grace, alan, u1, anonCRM, chainCRM, linus, linusAgain},
			"warehouse": {adaWH, famWH, u2, anonWH, chainWH, linusWH},
		}}
	}
	tests := []struct {
		name  string
		depth int
		id    Identifier
		want  string
	}{
		{"CRM by email pulls warehouse by shared phone", 2, Identifier{KeyEmail, "Ada@Example.com"}, "crm+warehouse"},
		{"warehouse by user_id pulls CRM by shared phone", 2, Identifier{KeyUserID, "u-1001"}, "crm+warehouse"},
		{"by anonymous_id", 2, Identifier{KeyAnonymousID, "anon-42"}, "crm+warehouse"},
		{"family phone: two CRM contacts stay apart, warehouse record joins neither", 2, Identifier{KeyPhoneNumber, "+14155550199"}, "crm; crm; warehouse"},
		{"conflicting user_ids are not merged", 2, Identifier{KeyEmail, "shared@example.com"}, "crm; warehouse"},
		{"a CRM contact entered twice (one email) is one person, with the warehouse", 2, Identifier{KeyPhoneNumber, "+14155550177"}, "crm+warehouse"},
		{"blocked shared value does not stitch", 2, Identifier{KeyEmail, "anon@example.com"}, "crm"},
		{"depth 0 does not stitch", 0, Identifier{KeyEmail, "ada@example.com"}, "crm"},
		{"depth 1 reaches one hop", 1, Identifier{KeyEmail, "chain@example.com"}, "crm+warehouse"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := testStitcher(t, tt.depth).Match(context.Background(), f(), tt.id)
			if err != nil {
				t.Fatal(err)
			}
			if got := people(m); got != tt.want {
				t.Fatalf("people = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestMatchDepthLimitsRounds(t *testing.T) {
	// a CRM record reached only on the third hop: email -> warehouse (phone) -> crm (anon) -> ...
	recs := map[string][]Record{
		"crm":       {rec("crm", "1", "email=a@example.com", "phonenumber=+14155550101")},
		"warehouse": {rec("warehouse", "w1", "phonenumber=+14155550101", "anonymous_id=x")},
	}
	for depth, wantRounds := range map[int]int{0: 1, 1: 2, 2: 3} {
		f := &memFetcher{records: recs}
		if _, err := testStitcher(t, depth).Match(context.Background(), f, Identifier{KeyEmail, "a@example.com"}); err != nil {
			t.Fatal(err)
		}
		if got := len(f.asked["crm"]) + len(f.asked["warehouse"]) - 1; got != wantRounds {
			t.Errorf("depth %d: %d lookups after the first round's pair (%v), want %d", depth, got, f.asked, wantRounds)
		}
	}
}

func TestMatchMergedProfile(t *testing.T) {
	f := &memFetcher{records: map[string][]Record{
		"crm":       {rec("crm", "1", "email=ada@example.com", "phonenumber=+14155550100", "trait=first_name:Ada", "trait=plan:silver")},
		"warehouse": {rec("warehouse", "w1", "user_id=u-1001", "phonenumber=+14155550100", "trait=plan:gold", "trait=ltv:12")},
	}}
	s := NewStitcher(testNormalizer(t), Options{
		Sources:      []SourceInfo{{Name: "crm", SystemOfRecord: true}, {Name: "warehouse"}},
		Depth:        2,
		TraitSources: map[string][]string{"plan": {"warehouse"}},
		TraitLabels:  map[string]string{"ltv": "Lifetime value"},
	})
	m, err := s.Match(context.Background(), f, Identifier{KeyEmail, "ada@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	p := m.People[0]
	if p.ID != ProfileID(Identifier{KeyUserID, "u-1001"}) || p.Status != StatusIdentified {
		t.Errorf("id %s status %s, want the user_id's id and IDENTIFIED", p.ID, p.Status)
	}
	got := fmt.Sprint(p.Identifiers)
	if want := "[user_id:u-1001 email:ada@example.com phonenumber:+14155550100]"; got != want {
		t.Errorf("identifiers %s, want %s", got, want)
	}
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) // the records' change time, as neither source tells a trait's own
	want := map[string]Trait{
		"first_name": {Key: "first_name", Label: "First name", Value: "Ada", Source: "crm", UpdatedAt: at},
		"plan":       {Key: "plan", Label: "Plan", Value: "gold", Source: "warehouse", UpdatedAt: at},
		"ltv":        {Key: "ltv", Label: "Lifetime value", Value: "12", Source: "warehouse", UpdatedAt: at},
	}
	for k, w := range want {
		if tr, _ := p.Trait(k); tr != w {
			t.Errorf("trait %s = %+v, want %+v", k, tr, w)
		}
	}
}

func TestMatchStatusAndRanking(t *testing.T) {
	old := rec("warehouse", "w1", "phonenumber=+14155550123", "anonymous_id=a1")
	newer := rec("warehouse", "w2", "phonenumber=+14155550123", "user_id=u-2")
	newer.UpdatedAt = old.UpdatedAt.Add(-time.Hour)
	latest := rec("warehouse", "w3", "phonenumber=+14155550123", "anonymous_id=a3")
	latest.UpdatedAt = old.UpdatedAt.Add(time.Hour)
	both := rec("crm", "9", "phonenumber=+14155550123", "email=z@example.com")
	f := &memFetcher{records: map[string][]Record{"warehouse": {old, newer, latest}, "crm": {both}}}
	m, err := testStitcher(t, 2).Match(context.Background(), f, Identifier{KeyPhoneNumber, "4155550123"})
	if err != nil {
		t.Fatal(err)
	}
	// the CRM record could join any of three warehouse records, so it joins none
	var order []string
	for _, p := range m.People {
		order = append(order, p.Identifiers[0].Value)
	}
	want := "u-2 z@example.com +14155550123 +14155550123"
	if strings.Join(order, " ") != want {
		t.Fatalf("order %v, want %v", order, want)
	}
	if m.People[2].UpdatedAt != latest.UpdatedAt {
		t.Errorf("among unidentified people, the most recently updated should rank first")
	}
}

func TestMatchSourceFailure(t *testing.T) {
	f := &memFetcher{
		records: map[string][]Record{"warehouse": {rec("warehouse", "w1", "user_id=u-1", "email=a@example.com")}},
		failing: map[string]bool{"crm": true},
	}
	m, err := testStitcher(t, 2).Match(context.Background(), f, Identifier{KeyEmail, "a@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.People) != 1 || len(m.Errors) != 1 || m.Errors[0].Source != "crm" || m.Errors[0].Code != errcode.SourceUnavailable {
		t.Fatalf("people %d errors %v; want the warehouse person and a SOURCE_UNAVAILABLE from crm", len(m.People), m.Errors)
	}
	if len(f.asked["crm"]) != 1 {
		t.Errorf("a failed source was asked again in later rounds: %v", f.asked["crm"])
	}
}

func TestMatchBlockedAsksNoSource(t *testing.T) {
	f := &memFetcher{}
	m, err := testStitcher(t, 2).Match(context.Background(), f, Identifier{KeyPhoneNumber, "Restricted"})
	if err != nil || !m.Blocked || len(f.asked) != 0 {
		t.Fatalf("blocked=%v asked=%v err=%v; want blocked with no lookups", m.Blocked, f.asked, err)
	}
}

func TestMergeProtectionSharedRecord(t *testing.T) {
	// a warehouse record sharing a user_id with one CRM contact and only a phone with another
	// joins the user_id one: the stronger link wins.
	recs := []*Record{
		ptr(rec("crm", "1", "user_id=u-1", "phonenumber=+14155550111")),
		ptr(rec("crm", "2", "phonenumber=+14155550111")),
		ptr(rec("warehouse", "w", "user_id=u-1", "phonenumber=+14155550111")),
	}
	m := merger{norm: testNormalizer(t), rank: newKeyRank(DefaultIDPriority)}
	groups := m.merge(recs)
	if len(groups) != 2 || len(groups[0])+len(groups[1]) != 3 {
		t.Fatalf("got %d groups", len(groups))
	}
	for _, g := range groups {
		if len(g) == 2 && (g[0].ID != "1" || g[1].ID != "w") {
			t.Fatalf("warehouse record joined %s, want the user_id match", g[0].ID)
		}
	}
}

func ptr[T any](v T) *T { return &v }
