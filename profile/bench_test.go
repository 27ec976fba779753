package profile

import (
	"context"
	"strconv"
	"testing"
)

// BenchmarkMatch measures identity resolution alone (normalize, three stitching rounds over two
// in-memory sources, merge, rank), to set beside the whole-request benchmark of the gateway.
func BenchmarkMatch(b *testing.B) {
	n, err := NewNormalizer(nil, "US", nil)
	if err != nil {
		b.Fatal(err)
	}
	s := NewStitcher(n, Options{Sources: []SourceInfo{{Name: "crm", SystemOfRecord: true}, {Name: "warehouse"}}, Depth: DefaultDepth})
	f := &memFetcher{records: map[string][]Record{
		"crm":       {rec("crm", "1", "email=ada@example.com", "phonenumber=+14155550100", "trait=first_name:Ada", "trait=last_name:Lovelace")},
		"warehouse": {rec("warehouse", "w1", "user_id=u-1001", "phonenumber=+14155550100", "anonymous_id=anon-42", "trait=plan:gold")},
	}}
	id := Identifier{Key: KeyPhoneNumber, Value: "(415) 555-0100"}
	for b.Loop() {
		f.asked = nil
		m, err := s.Match(context.Background(), f, id)
		if err != nil || len(m.People) != 1 || len(m.People[0].Sources) != 2 {
			b.Fatalf("match %+v, %v", m, err)
		}
	}
}

// BenchmarkMatchHub resolves a switchboard number held by MaxRecords-1 CRM contacts and one
// warehouse record: the worst case merge protection has to decide.
func BenchmarkMatchHub(b *testing.B) {
	n, _ := NewNormalizer(nil, "US", nil)
	s := NewStitcher(n, Options{Sources: []SourceInfo{{Name: "crm", SystemOfRecord: true}, {Name: "warehouse"}}, Depth: DefaultDepth})
	f := &memFetcher{records: map[string][]Record{"warehouse": {rec("warehouse", "w", "phonenumber=+14155550000", "user_id=u-hub")}}}
	for i := range MaxRecords - 1 {
		f.records["crm"] = append(f.records["crm"], rec("crm", strconv.Itoa(i), "phonenumber=+14155550000", "email=c"+strconv.Itoa(i)+"@example.com"))
	}
	for b.Loop() {
		f.asked = nil
		m, err := s.Match(context.Background(), f, Identifier{Key: KeyPhoneNumber, Value: "+14155550000"})
		if err != nil || len(m.People) != MaxRecords {
			b.Fatalf("%d people, %v", len(m.People), err)
		}
	}
}
