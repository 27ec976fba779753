// Package messydata generates, from a seed, a CRM record table and a Segment-shaped warehouse
// (user_identifiers, user_traits) that hold the same people the way real exports do: phone
// numbers in the spellings people and tools produce, emails with case and whitespace noise,
// contacts entered twice, family members sharing a phone (each with a user_id of their own),
// and withheld caller ids. It also says who is who, so a test can measure precision and
// recall of identity resolution over every identifier and spelling.
package messydata

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/profilegate/profilegate/profile"
)

// PhoneSpellings render a US number, given as its ten national digits, the ways CRMs hold it.
var PhoneSpellings = []struct {
	Name   string
	Render func(d string) string
}{
	{"e164", func(d string) string { return "+1" + d }},
	{"national", func(d string) string { return "(" + d[:3] + ") " + d[3:6] + "-" + d[6:] }},
	{"dots", func(d string) string { return d[:3] + "." + d[3:6] + "." + d[6:] }},
	{"dashes", func(d string) string { return d[:3] + "-" + d[3:6] + "-" + d[6:] }},
	{"one_prefix", func(d string) string { return "1-" + d[:3] + "-" + d[3:6] + "-" + d[6:] }},
	{"padded", func(d string) string { return "  +1" + d + " " }},
	{"parens_no_space", func(d string) string { return "(" + d[:3] + ")" + d[3:6] + "-" + d[6:] }},
	{"extension", func(d string) string { return d[:3] + "-" + d[3:6] + "-" + d[6:] + " ext. 12" }},
	{"x_extension", func(d string) string { return d[:3] + " " + d[3:6] + " " + d[6:] + " x204" }},
	{"nbsp", func(d string) string { return d[:3] + "\u00a0" + d[3:6] + "\u00a0" + d[6:] }},
	{"full_width", func(d string) string { return fullWidth(d) }},
	{"international", func(d string) string { return "+1 " + d[:3] + "-" + d[3:6] + "-" + d[6:] }},
	{"plus_parens", func(d string) string { return "+1 (" + d[:3] + ") " + d[3:6] + " " + d[6:] }},
	{"digits", func(d string) string { return "1" + d }},
	{"national_digits", func(d string) string { return d }},
	{"rfc3966", func(d string) string { return "tel:+1-" + d[:3] + "-" + d[3:6] + "-" + d[6:] }},
	{"plus_dots", func(d string) string { return "+1." + d[:3] + "." + d[3:6] + "." + d[6:] }},
	{"slash", func(d string) string { return d[:3] + "/" + d[3:6] + "-" + d[6:] }},
	{"nb_hyphen", func(d string) string { return d[:3] + "\u2011" + d[3:6] + "\u2011" + d[6:] }},
	{"bidi_marks", func(d string) string { return "\u202a+1" + d + "\u202c" }},
}

// EmailSpellings render an email address the ways CRMs hold it.
var EmailSpellings = []struct {
	Name   string
	Render func(e string) string
}{
	{"as_is", func(e string) string { return e }},
	{"title_case", titleCase},
	{"upper", strings.ToUpper},
	{"padded", func(e string) string { return "  " + e + " " }},
	{"nbsp_padded", func(e string) string { return "\u00a0" + titleCase(e) + "\u00a0" }},
	{"tab_padded", func(e string) string { return "\t" + strings.ToUpper(e[:1]) + e[1:] + "  " }},
}

// Withheld are caller ids CRMs store in place of a number; they must never join two people.
var Withheld = []string{"anonymous", "Restricted", "PRIVATE", "unknown", "0000000000", "+1 000 000 0000"}

func fullWidth(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			r = r - '0' + '\uff10'
		}
		b.WriteRune(r)
	}
	return b.String()
}

func titleCase(e string) string {
	local, domain, _ := strings.Cut(e, "@")
	parts := strings.Split(local, ".")
	for i, p := range parts {
		if p != "" {
			parts[i] = strings.ToUpper(p[:1]) + p[1:]
		}
	}
	return strings.Join(parts, ".") + "@" + strings.ToUpper(domain[:1]) + domain[1:]
}

// Person is one human and what the sources hold of them.
type Person struct {
	First, Last string
	// Identifiers are the person's identifiers as profilegate normalizes them (withheld
	// caller ids left out): every one must find this person, whole.
	Identifiers []profile.Identifier
	// Records are the person's records, "crm/ID" and "warehouse/ID".
	Records []string
	// Spelled are the stored spellings of the person's phone and email, for reading back.
	Spelled []string
}

// Name is the person's full name, as the customer header shows it.
func (p *Person) Name() string { return p.First + " " + p.Last }

// Has reports whether the person carries id.
func (p *Person) Has(id profile.Identifier) bool {
	for _, x := range p.Identifiers {
		if x == id {
			return true
		}
	}
	return false
}

// Contact is a row of the CRM's contacts table.
type Contact struct {
	ID, FirstName, LastName, Email, Phone, CustomerSince string
	UpdatedAt                                            time.Time
}

// Row is a row of the warehouse's user_identifiers or user_traits table.
type Row struct {
	ProfileID, Name, Value string
	Timestamp              time.Time
}

// Data is a generated CRM and warehouse, and who is who.
type Data struct {
	People      []*Person
	Contacts    []Contact
	Identifiers []Row
	Traits      []Row
}

var (
	firstNames = []string{"Ada", "Grace", "Alan", "Katherine", "Linus", "Barbara", "Edsger", "Frances", "Donald", "Radia", "Ken", "Margaret", "Dennis", "Hedy", "Tim", "Shafi", "Claude", "Annie", "John", "Sophie"}
	lastNames  = []string{"Lovelace", "Hopper", "Turing", "Johnson", "Torvalds", "Liskov", "Dijkstra", "Allen", "Knuth", "Perlman", "Thompson", "Hamilton", "Ritchie", "Lamarr", "Lee", "Goldwasser", "Shannon", "Easley", "Backus", "Wilson"}
	areaCodes  = []string{"415", "617", "628", "206", "212", "646", "312", "213", "305", "512", "303", "404"}
	domains    = []string{"example.com", "example.org", "mail.example.net"}
)

// Generate makes n people from seed; the same seed gives the same data.
func Generate(seed uint64, n int) *Data {
	g := &generator{rnd: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), phones: map[string]bool{}, d: &Data{}}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < n; i++ {
		first, last := firstNames[g.rnd.IntN(len(firstNames))], lastNames[g.rnd.IntN(len(lastNames))]
		p := &Person{First: first, Last: last}
		email := fmt.Sprintf("%s.%s.%d@%s", strings.ToLower(first), strings.ToLower(last), i, domains[g.rnd.IntN(len(domains))])
		phone := g.phone()
		at := t0.Add(time.Duration(i) * time.Minute)
		switch kind := i % 20; {
		case kind == 19 && i+1 < n: // a family: this person and the next share a phone, each has a user_id
			next := &Person{First: firstNames[g.rnd.IntN(len(firstNames))], Last: last}
			nextEmail := fmt.Sprintf("%s.%s.%d@%s", strings.ToLower(next.First), strings.ToLower(last), i+1, domains[0])
			g.crm(p, email, phone, at)
			g.warehouse(p, fmt.Sprintf("u-%05d", i), email, phone, at)
			g.crm(next, nextEmail, phone, at)
			g.warehouse(next, fmt.Sprintf("u-%05d", i+1), nextEmail, phone, at)
			g.d.People = append(g.d.People, p, next)
			i++
			continue
		case kind < 11: // CRM and warehouse
			g.crm(p, email, phone, at)
			g.warehouse(p, fmt.Sprintf("u-%05d", i), email, phone, at)
		case kind < 14: // CRM only
			g.crm(p, email, phone, at)
		case kind < 16: // warehouse only
			g.warehouse(p, fmt.Sprintf("u-%05d", i), email, phone, at)
		case kind < 18: // entered twice in the CRM: the same email, the phone once or twice
			g.crm(p, email, phone, at)
			second := ""
			if kind == 17 {
				second = phone
			}
			g.crm(p, email, second, at.Add(time.Hour))
			g.warehouse(p, fmt.Sprintf("u-%05d", i), email, phone, at)
		default: // the CRM holds a withheld caller id; the warehouse has the number
			g.crmRaw(p, email, Withheld[g.rnd.IntN(len(Withheld))], at)
			g.warehouse(p, fmt.Sprintf("u-%05d", i), email, phone, at)
		}
		g.d.People = append(g.d.People, p)
	}
	return g.d
}

type generator struct {
	rnd    *rand.Rand
	phones map[string]bool
	seq    int
	d      *Data
}

// phone returns a new US number's ten national digits.
func (g *generator) phone() string {
	for {
		d := areaCodes[g.rnd.IntN(len(areaCodes))] + fmt.Sprintf("%03d%04d", 200+g.rnd.IntN(780), g.rnd.IntN(10000))
		if !g.phones[d] {
			g.phones[d] = true
			return d
		}
	}
}

func (g *generator) spellPhone(d string) string {
	return PhoneSpellings[g.rnd.IntN(len(PhoneSpellings))].Render(d)
}

func (g *generator) spellEmail(e string) string {
	return EmailSpellings[g.rnd.IntN(len(EmailSpellings))].Render(e)
}

func (p *Person) add(id profile.Identifier) {
	if !p.Has(id) {
		p.Identifiers = append(p.Identifiers, id)
	}
}

// crm adds a contact; phone is ten national digits, or "" for none.
func (g *generator) crm(p *Person, email, phone string, at time.Time) {
	stored := ""
	if phone != "" {
		stored = g.spellPhone(phone)
		p.add(profile.Identifier{Key: profile.KeyPhoneNumber, Value: "+1" + phone})
	}
	g.crmRaw(p, email, stored, at)
}

// crmRaw adds a contact whose phone column holds stored as it is.
func (g *generator) crmRaw(p *Person, email, stored string, at time.Time) {
	g.seq++
	id := fmt.Sprintf("c-%d", g.seq)
	spelled := g.spellEmail(email)
	g.d.Contacts = append(g.d.Contacts, Contact{ID: id, FirstName: p.First, LastName: p.Last, Email: spelled, Phone: stored,
		CustomerSince: at.AddDate(-g.rnd.IntN(8), 0, 0).Format(time.DateOnly), UpdatedAt: at})
	p.add(profile.Identifier{Key: profile.KeyEmail, Value: email})
	p.Records = append(p.Records, "crm/"+id)
	p.Spelled = append(p.Spelled, spelled, stored)
}

// warehouse adds a Segment profile with a user_id, the email and the phone (in stored
// spellings of their own) and an anonymous id.
func (g *generator) warehouse(p *Person, userID, email, phone string, at time.Time) {
	g.seq++
	pid := fmt.Sprintf("seg-%d", g.seq)
	anon := fmt.Sprintf("anon-%d", g.seq)
	rows := []Row{
		{pid, "user_id", userID, at},
		{pid, "email", g.spellEmail(email), at},
		{pid, "phone", g.spellPhone(phone), at.Add(time.Second)},
		{pid, "anonymous_id", anon, at},
	}
	g.d.Identifiers = append(g.d.Identifiers, rows...)
	g.d.Traits = append(g.d.Traits, Row{pid, "first_name", p.First, at}, Row{pid, "last_name", p.Last, at},
		Row{pid, "plan", []string{"silver", "gold", "platinum"}[g.rnd.IntN(3)], at})
	for _, id := range []profile.Identifier{{Key: profile.KeyUserID, Value: userID}, {Key: profile.KeyEmail, Value: email},
		{Key: profile.KeyPhoneNumber, Value: "+1" + phone}, {Key: profile.KeyAnonymousID, Value: anon}} {
		p.add(id)
	}
	p.Records = append(p.Records, "warehouse/"+pid)
}

// Load creates the CRM's contacts table in crm and the warehouse's tables in warehouse (one
// database may be both) and writes the data, in one transaction each.
func (d *Data) Load(ctx context.Context, crm, warehouse *sqlx.DB) error {
	ts := "TEXT"
	if crm.DriverName() == "pgx" {
		ts = "TIMESTAMPTZ"
	}
	if _, err := crm.ExecContext(ctx, `CREATE TABLE contacts (id TEXT PRIMARY KEY, first_name TEXT, last_name TEXT,
email TEXT, phone TEXT, customer_since TEXT, updated_at `+ts+`)`); err != nil {
		return err
	}
	var contacts [][]any
	for _, c := range d.Contacts {
		contacts = append(contacts, []any{c.ID, c.FirstName, c.LastName, c.Email, nullable(c.Phone), c.CustomerSince, stamp(crm, c.UpdatedAt)})
	}
	if err := insert(ctx, crm, "contacts (id, first_name, last_name, email, phone, customer_since, updated_at)", contacts); err != nil {
		return err
	}
	ts = "TEXT"
	if warehouse.DriverName() == "pgx" {
		ts = "TIMESTAMPTZ"
	}
	for _, table := range []string{"user_identifiers (canonical_segment_id TEXT, type TEXT, value TEXT, timestamp " + ts + ")",
		"user_traits (canonical_segment_id TEXT, name TEXT, value TEXT, timestamp " + ts + ")"} {
		if _, err := warehouse.ExecContext(ctx, "CREATE TABLE "+table); err != nil {
			return err
		}
	}
	for table, rows := range map[string][]Row{"user_identifiers (canonical_segment_id, type, value, timestamp)": d.Identifiers,
		"user_traits (canonical_segment_id, name, value, timestamp)": d.Traits} {
		var vals [][]any
		for _, r := range rows {
			vals = append(vals, []any{r.ProfileID, r.Name, r.Value, stamp(warehouse, r.Timestamp)})
		}
		if err := insert(ctx, warehouse, table, vals); err != nil {
			return err
		}
	}
	return nil
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// stamp is a timestamp as the database's column takes it: ISO text in SQLite.
func stamp(db *sqlx.DB, t time.Time) any {
	if db.DriverName() == "pgx" {
		return t
	}
	return t.UTC().Format(time.RFC3339)
}

func insert(ctx context.Context, db *sqlx.DB, into string, rows [][]any) error {
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	const batch = 100
	for start := 0; start < len(rows); start += batch {
		part := rows[start:min(start+batch, len(rows))]
		one := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(part[0])), ", ") + ")"
		var args []any
		for _, r := range part {
			args = append(args, r...)
		}
		q := "INSERT INTO " + into + " VALUES " + strings.TrimSuffix(strings.Repeat(one+", ", len(part)), ", ")
		if _, err := tx.ExecContext(ctx, tx.Rebind(q), args...); err != nil {
			return fmt.Errorf("insert into %s: %w", into, err)
		}
	}
	return tx.Commit()
}
