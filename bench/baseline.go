package bench

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // the databases are SQLite files

	"github.com/profilegate/profilegate/config"
	"github.com/profilegate/profilegate/header"
	"github.com/profilegate/profilegate/profile"
	"github.com/profilegate/profilegate/sqlitemem"
)

// Baseline is the hand-written server the gateway is measured against: net/http and
// database/sql answering the desktop's customer header for the generated data, with the
// gateway's normalization (package profile's Normalizer, which remembers the numbers it
// parsed), the same statements (the match index in the gateway's store, then one statement
// per source), the same three rounds with both sources asked at once, the same merge rule and
// ranking, and the same answer. It has no GraphQL, no loaders, no limits, no logs or metrics:
// it is the floor a gateway's overhead is measured from. It reads the request's variables and
// ignores its query.
type Baseline struct {
	crm, warehouse, index, contacts *sql.DB
	norm                            *profile.Normalizer
	stmts                           sync.Map // query text -> *sql.Stmt
}

// OpenBaseline opens the generated databases in dir: crm.db, warehouse.db, the gateway's store
// profilegate.db (its match index, read only) and baseline.db (the baseline's own unidentified
// contacts, in the store's table).
func OpenBaseline(ctx context.Context, dir string) (*Baseline, error) {
	norm, err := profile.NewNormalizer(nil, "US", nil)
	if err != nil {
		return nil, err
	}
	// The databases are opened as the gateway opens them by default: the same DSN, page cache
	// and pool.
	defaults := config.Default()
	b := &Baseline{norm: norm}
	// Its page caches in one buffer as the gateway's (package sqlitemem); in a process that
	// opened SQLite before, they are allocated page by page, as the gateway's then are.
	d := config.Database{Driver: "sqlite"}
	sqlitemem.Reserve(sqlitemem.Lines(4*defaults.DatabasePool(d).MaxOpen, defaults.SQLite.CacheKiB))
	for _, db := range []struct {
		to   **sql.DB
		file string
	}{{&b.crm, "crm.db"}, {&b.warehouse, "warehouse.db"}, {&b.index, "profilegate.db"}, {&b.contacts, "baseline.db"}} {
		d := config.Database{Driver: "sqlite", DSN: config.SQLiteDSN(dir + "/" + db.file)}
		if *db.to, err = sql.Open("sqlite", defaults.OpenDSN(d)); err != nil {
			return nil, err
		}
		pool := defaults.DatabasePool(d)
		(*db.to).SetMaxOpenConns(pool.MaxOpen)
		(*db.to).SetMaxIdleConns(pool.MaxIdle)
	}
	_, err = b.contacts.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS unidentified_contacts (identifier_key TEXT NOT NULL,
identifier_value TEXT NOT NULL, first_seen DATETIME NOT NULL, last_seen DATETIME NOT NULL, contact_count INTEGER NOT NULL,
PRIMARY KEY (identifier_key, identifier_value))`)
	return b, err
}

// Close closes the databases.
func (b *Baseline) Close() error {
	for _, db := range []*sql.DB{b.crm, b.warehouse, b.index, b.contacts} {
		db.Close()
	}
	return nil
}

// ServeHTTP answers POST {"variables": {"identifier": {"key", "value"}}} with the customer
// header, shaped as the gateway's.
func (b *Baseline) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Variables struct {
			Identifier profile.Identifier `json:"identifier"`
		} `json:"variables"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	h, err := b.header(r.Context(), req.Variables.Identifier)
	if err != nil {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"errors": []map[string]string{{"message": err.Error()}}})
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"data": map[string]any{"customerHeader": h}})
}

type baselineHeader struct {
	Name           string            `json:"name"`
	Badge          *string           `json:"badge"`
	AvatarURL      *string           `json:"avatarUrl"`
	OtherMatches   int               `json:"otherMatches"`
	SecondaryTrait *baselineTrait    `json:"secondaryTrait"`
	Profile        baselineProfileID `json:"profile"`
}

type baselineTrait struct {
	Label     string  `json:"label"`
	Formatted *string `json:"formatted"`
	TimeSince *string `json:"timeSince"`
}

type baselineProfileID struct {
	ID      string   `json:"id"`
	Status  string   `json:"status"`
	Sources []string `json:"sources"`
}

// record is one source row, as the gateway's profile.Record.
type record struct {
	source, id  string
	updated     time.Time
	identifiers []profile.Identifier
	traits      map[string]string
}

func (b *Baseline) header(ctx context.Context, raw profile.Identifier) (*baselineHeader, error) {
	id, err := b.norm.Normalize(raw)
	if err != nil {
		return nil, err
	}
	records, seeds, err := b.gather(ctx, id)
	if err != nil {
		return nil, err
	}
	people := merge(records, seeds)
	now := time.Now()
	h := &baselineHeader{SecondaryTrait: &baselineTrait{Label: "Customer since"}}
	if len(people) == 0 {
		badge := "New Contact"
		h.Name, h.Badge = id.Value, &badge
		h.Profile = baselineProfileID{ID: profile.ProfileID(id), Status: "UNIDENTIFIED", Sources: []string{}}
		_, err := b.contacts.ExecContext(ctx, `INSERT INTO unidentified_contacts (identifier_key, identifier_value, first_seen, last_seen, contact_count)
VALUES (?, ?, ?, ?, 1)
ON CONFLICT (identifier_key, identifier_value) DO UPDATE
SET last_seen = excluded.last_seen, contact_count = unidentified_contacts.contact_count + 1
RETURNING identifier_key, identifier_value, first_seen, last_seen, contact_count`, id.Key, id.Value, now.UTC(), now.UTC())
		return h, err
	}
	best := people[0]
	h.OtherMatches = len(people) - 1
	h.Name = strings.TrimSpace(best.trait("first_name") + " " + best.trait("last_name"))
	if v := best.trait("customer_since"); v != "" {
		formatted := v
		if d, ok := header.ParseDate(v); ok {
			formatted = header.FormatDate(d)
			h.SecondaryTrait.TimeSince = header.TimeSince(d, now)
		}
		h.SecondaryTrait.Formatted = &formatted
	}
	if v := best.trait("profile_image_url"); v != "" {
		h.AvatarURL = &v
	}
	status := "UNIDENTIFIED"
	if best.identified {
		status = "IDENTIFIED"
	}
	h.Profile = baselineProfileID{ID: profile.ProfileID(best.bestID()), Status: status, Sources: best.sources}
	return h, nil
}

// gather runs the three lookup rounds, both sources at once in each, as the gateway does.
func (b *Baseline) gather(ctx context.Context, id profile.Identifier) ([]*record, map[*record]bool, error) {
	asked := map[string]map[profile.Identifier]bool{"crm": {}, "warehouse": {}}
	frontier := map[string][]profile.Identifier{"crm": {id}, "warehouse": {id}}
	seen := map[string]bool{}
	seeds := map[*record]bool{}
	var all []*record
	for round := 0; round <= profile.DefaultDepth && len(frontier) > 0; round++ {
		var wg sync.WaitGroup
		var crmRecs, whRecs []*record
		var crmErr, whErr error
		if ids := frontier["crm"]; len(ids) > 0 {
			wg.Go(func() { crmRecs, crmErr = b.lookupCRM(ctx, ids) })
		}
		if ids := frontier["warehouse"]; len(ids) > 0 {
			wg.Go(func() { whRecs, whErr = b.lookupWarehouse(ctx, ids) })
		}
		wg.Wait()
		if err := cmp.Or(crmErr, whErr); err != nil {
			return nil, nil, err
		}
		for src, ids := range frontier {
			for _, x := range ids {
				asked[src][x] = true
			}
		}
		frontier = map[string][]profile.Identifier{}
		for _, r := range slices.Concat(crmRecs, whRecs) {
			if seen[r.source+"/"+r.id] || len(all) >= profile.MaxRecords {
				continue
			}
			seen[r.source+"/"+r.id] = true
			all = append(all, r)
			if round == 0 {
				seeds[r] = true
			}
			other := "crm"
			if r.source == "crm" {
				other = "warehouse"
			}
			for _, x := range r.identifiers {
				if !b.norm.Blocked(x) && !asked[other][x] && !slices.Contains(frontier[other], x) {
					frontier[other] = append(frontier[other], x)
				}
			}
		}
	}
	return all, seeds, nil
}

// query runs a lookup's statement, prepared, as a point read, as the gateway's
// (stmtcache.PointQueryx): every lookup here SEARCHes an index of a file in WAL mode, so it runs
// without the request's cancellation, checked before it.
func (b *Baseline) query(ctx context.Context, db *sql.DB, q string, args []any) (*sql.Rows, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ctx = context.WithoutCancel(ctx)
	if st, ok := b.stmts.Load(q); ok {
		return st.(*sql.Stmt).QueryContext(ctx, args...)
	}
	st, err := db.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	if prev, loaded := b.stmts.LoadOrStore(q, st); loaded {
		st.Close()
		st = prev.(*sql.Stmt)
	}
	return st.QueryContext(ctx, args...)
}

// indexed asks the gateway's match index for the records of source filed under ids.
func (b *Baseline) indexed(ctx context.Context, source string, ids []profile.Identifier) ([]any, error) {
	probes := make([]string, pow2(len(ids)))
	var args []any
	for i := range probes {
		id := ids[min(i, len(ids)-1)]
		probes[i] = "SELECT record_id FROM match_index WHERE source = (SELECT COALESCE(NULLIF(entries, ''), source) FROM match_index_state WHERE source = ?) AND key = ? AND value = ?"
		args = append(args, source, id.Key, id.Value)
	}
	rows, err := b.query(ctx, b.index, strings.Join(probes, "\nUNION\n")+"\nLIMIT 200", args)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []any
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

func (b *Baseline) lookupCRM(ctx context.Context, ids []profile.Identifier) ([]*record, error) {
	recordIDs, err := b.indexed(ctx, "crm", ids)
	if err != nil {
		return nil, err
	}
	var conds []string
	var args []any
	var emails, phones []any
	for _, id := range ids {
		switch id.Key {
		case profile.KeyEmail:
			emails = append(emails, id.Value)
		case profile.KeyPhoneNumber:
			vs, _ := b.norm.PhoneVariants(id.Value, profile.PhoneFormats)
			for _, v := range vs {
				phones = append(phones, v)
			}
		}
	}
	for _, c := range []struct {
		col  string
		vals []any
	}{{"lower(email)", emails}, {"phone", phones}, {"id", recordIDs}} {
		if len(c.vals) > 0 {
			cond, a := in(c.col, c.vals)
			conds = append(conds, cond)
			args = append(args, a...)
		}
	}
	if len(conds) == 0 {
		return nil, nil
	}
	rows, err := b.query(ctx, b.crm, `SELECT id, updated_at, email, phone, first_name, last_name, customer_since, profile_image_url FROM contacts WHERE `+
		strings.Join(conds, " OR ")+` LIMIT 200`, args)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*record
	for rows.Next() {
		var id, updated string
		var email, phone, first, last, since, image sql.NullString
		if err := rows.Scan(&id, &updated, &email, &phone, &first, &last, &since, &image); err != nil {
			return nil, err
		}
		r := &record{source: "crm", id: id, traits: map[string]string{}}
		r.updated, _ = time.Parse(time.RFC3339, updated)
		for _, x := range []struct {
			key string
			v   sql.NullString
		}{{profile.KeyEmail, email}, {profile.KeyPhoneNumber, phone}} {
			if x.v.Valid {
				if n, err := b.norm.Normalize(profile.Identifier{Key: x.key, Value: x.v.String}); err == nil {
					r.identifiers = append(r.identifiers, n)
				}
			}
		}
		for key, v := range map[string]sql.NullString{"first_name": first, "last_name": last, "customer_since": since, "profile_image_url": image} {
			if v.Valid {
				r.traits[key] = v.String
			}
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

var warehouseTypes = map[string][]any{
	profile.KeyAnonymousID: {"anonymous_id"}, profile.KeyEmail: {"email"},
	profile.KeyPhoneNumber: {"phone", "phonenumber"}, profile.KeyUserID: {"user_id"},
}

func (b *Baseline) lookupWarehouse(ctx context.Context, ids []profile.Identifier) ([]*record, error) {
	profileIDs, err := b.indexed(ctx, "warehouse", ids)
	if err != nil {
		return nil, err
	}
	byKey := map[string][]any{}
	for _, id := range ids {
		byKey[id.Key] = append(byKey[id.Key], id.Value)
	}
	var conds []string
	var args []any
	for _, key := range []string{profile.KeyAnonymousID, profile.KeyEmail, profile.KeyPhoneNumber, profile.KeyUserID} {
		if vals := byKey[key]; len(vals) > 0 {
			types := warehouseTypes[key]
			cond, a := in("value", vals)
			conds = append(conds, "(type IN ("+marks(len(types))+") AND "+cond+")")
			args = append(append(args, types...), a...)
		}
	}
	if len(profileIDs) > 0 {
		cond, a := in("canonical_segment_id", profileIDs)
		conds = append(conds, cond)
		args = append(args, a...)
	}
	if len(conds) == 0 {
		return nil, nil
	}
	rows, err := b.query(ctx, b.warehouse, `WITH m AS (SELECT DISTINCT canonical_segment_id AS pid FROM user_identifiers WHERE `+strings.Join(conds, " OR ")+` LIMIT 200)
SELECT 'i' AS kind, x.canonical_segment_id, x.type, CAST(x.value AS TEXT), x.timestamp FROM user_identifiers x WHERE x.canonical_segment_id IN (SELECT pid FROM m)
UNION ALL
SELECT 't' AS kind, x.canonical_segment_id, x.name, CAST(x.value AS TEXT), x.timestamp FROM user_traits x WHERE x.canonical_segment_id IN (SELECT pid FROM m)
ORDER BY 1, 2, 3`, args)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	byID := map[string]*record{}
	var out []*record
	for rows.Next() {
		var kind, pid, name string
		var value, ts sql.NullString
		if err := rows.Scan(&kind, &pid, &name, &value, &ts); err != nil {
			return nil, err
		}
		r := byID[pid]
		if r == nil {
			r = &record{source: "warehouse", id: pid, traits: map[string]string{}}
			byID[pid] = r
			out = append(out, r)
		}
		if at, err := time.Parse(time.RFC3339, ts.String); err == nil && at.After(r.updated) {
			r.updated = at
		}
		if !value.Valid {
			continue
		}
		if kind == "t" {
			r.traits[name] = value.String
			continue
		}
		key := name
		if name == "phone" {
			key = profile.KeyPhoneNumber
		}
		if n, err := b.norm.Normalize(profile.Identifier{Key: key, Value: value.String}); err == nil {
			r.identifiers = append(r.identifiers, n)
		}
	}
	return out, rows.Err()
}

func marks(n int) string { return strings.TrimSuffix(strings.Repeat("?, ", n), ", ") }

// in renders `col IN (...)` for vals padded to a power of two by repeating the last, as the
// gateway does, so both prepare the same few statement shapes.
func in(col string, vals []any) (string, []any) {
	padded := slices.Clone(vals)
	for len(padded) < pow2(len(vals)) {
		padded = append(padded, vals[len(vals)-1])
	}
	return col + " IN (" + marks(len(padded)) + ")", padded
}

func pow2(n int) int {
	p := 1
	for p < n {
		p *= 2
	}
	return p
}

// person is merged records.
type person struct {
	records    []*record
	sources    []string
	identified bool
	updated    time.Time
}

// trait takes a trait from the CRM first, the source of the newest record within a source.
func (p *person) trait(key string) string {
	for _, r := range p.records {
		if v, ok := r.traits[key]; ok {
			return v
		}
	}
	return ""
}

func (p *person) has(key string) bool {
	for _, r := range p.records {
		for _, id := range r.identifiers {
			if id.Key == key {
				return true
			}
		}
	}
	return false
}

// bestID is the identifier the profile id is made of: user_id, email, phone, anonymous id.
func (p *person) bestID() profile.Identifier {
	var best profile.Identifier
	rank := func(k string) int { return slices.Index(profile.DefaultIDPriority, k) }
	for _, r := range p.records {
		for _, id := range r.identifiers {
			if best.Key == "" || rank(id.Key) < rank(best.Key) || (id.Key == best.Key && id.Value < best.Value) {
				best = id
			}
		}
	}
	return best
}

// merge joins records sharing an identifier, except that a shared phone does not join two
// groups that each hold a record of the same source (a household), and returns the people
// holding a seed, best first: more sources, a user_id, identified, newest.
func merge(records []*record, seeds map[*record]bool) []*person {
	parent := make([]int, len(records))
	for i := range parent {
		parent[i] = i
	}
	var find func(int) int
	find = func(i int) int {
		if parent[i] != i {
			parent[i] = find(parent[i])
		}
		return parent[i]
	}
	sourcesOf := func(root int) map[string]bool {
		s := map[string]bool{}
		for i, r := range records {
			if find(i) == root {
				s[r.source] = true
			}
		}
		return s
	}
	for _, phones := range []bool{false, true} {
		first := map[profile.Identifier]int{}
		for i, r := range records {
			for _, id := range r.identifiers {
				if (id.Key == profile.KeyPhoneNumber) != phones {
					continue
				}
				j, ok := first[id]
				if !ok {
					first[id] = i
					continue
				}
				a, b := find(i), find(j)
				if a == b {
					continue
				}
				if phones {
					sa, sb := sourcesOf(a), sourcesOf(b)
					clash := false
					for s := range sa {
						clash = clash || sb[s]
					}
					if clash {
						continue
					}
				}
				parent[a] = b
			}
		}
	}
	groups := map[int]*person{}
	var people []*person
	for i, r := range records {
		root := find(i)
		p := groups[root]
		if p == nil {
			p = &person{}
			groups[root] = p
		}
		p.records = append(p.records, r)
	}
	for root, p := range groups {
		held := false
		for _, r := range p.records {
			held = held || seeds[r]
		}
		if !held {
			delete(groups, root)
			continue
		}
		slices.SortStableFunc(p.records, func(a, b *record) int {
			return cmp.Or(cmp.Compare(one(b.source == "crm"), one(a.source == "crm")), b.updated.Compare(a.updated))
		})
		for _, r := range p.records {
			if !slices.Contains(p.sources, r.source) {
				p.sources = append(p.sources, r.source)
			}
			p.identified = p.identified || r.source == "crm"
			if r.updated.After(p.updated) {
				p.updated = r.updated
			}
		}
		p.identified = p.identified || p.has(profile.KeyUserID)
		people = append(people, p)
	}
	slices.SortFunc(people, func(a, b *person) int {
		return cmp.Or(cmp.Compare(len(b.sources), len(a.sources)), cmp.Compare(one(b.has(profile.KeyUserID)), one(a.has(profile.KeyUserID))),
			cmp.Compare(one(b.identified), one(a.identified)), b.updated.Compare(a.updated), cmp.Compare(a.bestID().String(), b.bestID().String()))
	})
	return people
}

// one is 1 for true, for ordering by a flag with cmp.Compare.
func one(b bool) int {
	if b {
		return 1
	}
	return 0
}
