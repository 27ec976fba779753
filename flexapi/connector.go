// Package flexapi answers Flex UI's own requests unchanged: the Profile Connector REST API that
// Flex UI 2.x's automated search calls (POST Profiles/Find with a task's attributes, GET
// Profiles/{sid}, Identifiers and Traits), in the request and answer shapes of
// @twilio/flex-ui's ProfileConnector types, on the desk's identity resolution and settings.
// Authentication is the gateway's: Flex sends its token as HTTP Basic `token:<credential>`,
// which the edge reads as the bearer credential it is.
package flexapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/profilegate/profilegate/auth"
	"github.com/profilegate/profilegate/desk"
	"github.com/profilegate/profilegate/errcode"
	"github.com/profilegate/profilegate/loaders"
	"github.com/profilegate/profilegate/profile"
	"github.com/profilegate/profilegate/settings"
)

// Desk is what the Profile Connector asks of the agent desk service.
type Desk interface {
	FindProfiles(ctx context.Context, f profile.Fetcher, addresses []profile.Identifier, writeIfNotFound bool) ([]desk.Ranked, []*errcode.Error, error)
	Profile(ctx context.Context, f profile.Fetcher, id string, asAdmin bool) (*profile.Profile, []*errcode.Error, error)
}

// Settings supplies the current settings.
type Settings interface {
	Current() *settings.Snapshot
}

// Connector serves the Profile Connector API under its base path.
type Connector struct {
	Desk     Desk
	Settings Settings
	// Attributes maps a task attribute's key to the identifier key it holds, or to Auto (an
	// address: an email, or a phone number with or without a channel prefix). Attributes not
	// named are ignored: Flex sends every task attribute it has.
	Attributes map[string]string
}

// Auto is the attribute mapping that tells an email from a phone number by its value.
const Auto = "auto"

// DefaultAttributes are the task attributes Flex's automated search sends.
var DefaultAttributes = map[string]string{"from": Auto, "email": profile.KeyEmail, "phone": profile.KeyPhoneNumber, "phone_number": profile.KeyPhoneNumber}

// Handler serves the API with base stripped from the path: POST /Profiles/Find, GET
// /Profiles/{sid}, GET /Identifiers, GET /Traits.
func (c *Connector) Handler(base string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /Profiles/Find", c.find)
	mux.HandleFunc("GET /Profiles/{sid}", c.profile)
	mux.HandleFunc("GET /Profiles/Find", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Allow", http.MethodPost)
		fail(w, errcode.Errorf(errcode.MethodNotAllowed, "Profiles/Find is POST, with a form body"))
	})
	mux.HandleFunc("GET /Identifiers", c.identifiers)
	mux.HandleFunc("GET /Traits", c.traits)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fail(w, errcode.Errorf(errcode.NotFound, "%s %s is not a Profile Connector endpoint: POST Profiles/Find, GET Profiles/{sid}, GET Identifiers, GET Traits", r.Method, r.URL.Path))
	})
	return http.StripPrefix(base, agentsOnly(mux))
}

// agentsOnly lets agents and admins through, as the GraphQL API's @hasRole(AGENT) does.
func agentsOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !auth.Has(r.Context(), auth.RoleAgent) {
			fail(w, errcode.Errorf(errcode.Forbidden, "the Profile Connector needs the agent role"))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// BasicToken lets Flex's credentials through the gateway's authentication: Flex sends
// `Authorization: Basic base64(token:<credential>)`, which is the bearer credential.
func BasicToken(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if user, cred, ok := r.BasicAuth(); ok && user == "token" && cred != "" {
			r = r.Clone(r.Context())
			r.Header.Set("Authorization", "Bearer "+cred)
		}
		next.ServeHTTP(w, r)
	})
}

// find is POST Profiles/Find: form fields UniqueName, Attributes (each a JSON {key, value},
// or a JSON list of them; the field may repeat) and WriteIfNotFound.
func (c *Connector) find(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		fail(w, errcode.Errorf(errcode.BadUserInput, "the body is not a form (application/x-www-form-urlencoded): %s", errcode.Truncate(err.Error(), 80)))
		return
	}
	if !uniqueName(w, r.PostForm) {
		return
	}
	attrs, err := attributes(r.PostForm["Attributes"])
	if err != nil {
		fail(w, err)
		return
	}
	write := false
	switch v := r.PostForm.Get("WriteIfNotFound"); v {
	case "", "false":
	case "true":
		write = true
	default:
		fail(w, errcode.Errorf(errcode.BadUserInput, "WriteIfNotFound is true or false, not %q", errcode.Truncate(v, 16)))
		return
	}
	addresses := c.addresses(attrs)
	if len(addresses) == 0 {
		fail(w, errcode.Errorf(errcode.BadUserInput, "no attribute holds an identifier; send at least one of %s", strings.Join(c.keys(), ", ")))
		return
	}
	ranked, failures, err := c.Desk.FindProfiles(r.Context(), loaders.For(r.Context()), addresses, write)
	if err != nil {
		fail(w, err)
		return
	}
	if len(ranked) == 0 && len(failures) > 0 {
		fail(w, failures[0]) // a source that failed may know the contact: no answer rather than "unknown"
		return
	}
	for _, f := range failures { // the answer stands; the header says what it may lack
		w.Header().Add("X-Source-Unavailable", f.Source)
	}
	snap := c.Settings.Current()
	out := ProfilesResponse{Profiles: []RankedProfile{}}
	for _, rp := range ranked {
		status := StatusUnknown
		if rp.Known() {
			status = StatusIdentified
		}
		pct := rp.MatchPercentage
		out.Profiles = append(out.Profiles, RankedProfile{Profile: render(rp.Profile, snap), MatchPercentage: &pct, Status: status})
	}
	reply(w, http.StatusOK, out)
}

// profile is GET Profiles/{sid}: a profile by the sid Find returned.
func (c *Connector) profile(w http.ResponseWriter, r *http.Request) {
	if !uniqueName(w, r.URL.Query()) {
		return
	}
	p, failures, err := c.Desk.Profile(r.Context(), loaders.For(r.Context()), r.PathValue("sid"), auth.Has(r.Context(), auth.RoleAdmin))
	switch {
	case err != nil:
		fail(w, err)
	case p == nil && len(failures) > 0:
		fail(w, failures[0])
	case p == nil:
		fail(w, errcode.Errorf(errcode.NotFound, "no profile has the sid %q", errcode.Truncate(r.PathValue("sid"), 64)))
	default:
		reply(w, http.StatusOK, render(p, c.Settings.Current()))
	}
}

// identifiers is GET Identifiers: the configured identifiers in priority order.
func (c *Connector) identifiers(w http.ResponseWriter, r *http.Request) {
	if !uniqueName(w, r.URL.Query()) {
		return
	}
	snap := c.Settings.Current()
	out := IdentifiersResponse{Identifiers: []Identifier{}}
	for i, id := range snap.Identifiers {
		prio := i + 1
		out.Identifiers = append(out.Identifiers, Identifier{Key: id.Key, Priority: &prio, FriendlyName: id.DisplayName})
	}
	reply(w, http.StatusOK, out)
}

// traits is GET Traits: the configured traits, each with the Flex profile field it fills and
// the details groups it is shown in.
func (c *Connector) traits(w http.ResponseWriter, r *http.Request) {
	if !uniqueName(w, r.URL.Query()) {
		return
	}
	snap := c.Settings.Current()
	out := TraitsResponse{Traits: []Trait{}}
	for _, t := range snap.Traits {
		tr := Trait{From: t.Key, FriendlyName: t.DisplayName, Categories: []string{}}
		if to := Field(t.Key, snap); to != "" {
			tr.To = &to
		}
		for _, g := range snap.DetailGroups() {
			if slices.ContainsFunc(g.Traits, func(d settings.DetailTrait) bool { return d.Key == t.Key }) {
				tr.Categories = append(tr.Categories, g.Name)
			}
		}
		out.Traits = append(out.Traits, tr)
	}
	reply(w, http.StatusOK, out)
}

// uniqueName reports whether the request names the profile connector, as every call of Flex's
// does, answering 400 when it does not.
func uniqueName(w http.ResponseWriter, v url.Values) bool {
	if v.Get("UniqueName") != "" {
		return true
	}
	fail(w, errcode.Errorf(errcode.BadUserInput, "UniqueName is required: the profile connector's unique name"))
	return false
}

// attribute is one of a task's attributes as Flex sends it.
type attribute struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// attributes reads the Attributes fields: each a JSON object, or a JSON list of objects.
func attributes(fields []string) ([]attribute, error) {
	if len(fields) == 0 {
		return nil, errcode.Errorf(errcode.BadUserInput, `Attributes is required: the task's attributes as JSON, e.g. {"key":"from","value":"+14155550100"}`)
	}
	var out []attribute
	for _, f := range fields {
		f = strings.TrimSpace(f)
		var one attribute
		var list []attribute
		switch {
		case strings.HasPrefix(f, "[") && json.Unmarshal([]byte(f), &list) == nil:
			out = append(out, list...)
		case strings.HasPrefix(f, "{") && json.Unmarshal([]byte(f), &one) == nil:
			out = append(out, one)
		default:
			return nil, errcode.Errorf(errcode.BadUserInput, `Attributes: %q is not JSON {"key": ..., "value": ...} or a list of them`, errcode.Truncate(f, 64))
		}
	}
	if len(out) > 50 {
		return nil, errcode.Errorf(errcode.BadUserInput, "Attributes: at most 50, got %d", len(out))
	}
	return out, nil
}

// addresses turns the attributes the connector knows into identifiers to look up.
func (c *Connector) addresses(attrs []attribute) []profile.Identifier {
	var out []profile.Identifier
	for _, a := range attrs {
		key, ok := c.Attributes[a.Key]
		if !ok {
			if !slices.Contains(c.Settings.Current().IDPriority, a.Key) {
				continue
			}
			key = a.Key // a configured identifier key names itself
		}
		value := strings.TrimSpace(a.Value)
		if key == Auto {
			key, value = guess(value)
		}
		if key == "" || value == "" {
			continue
		}
		id := profile.Identifier{Key: key, Value: value}
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// guess tells an address's identifier key: an email has an @, a phone number may carry the
// channel's prefix (whatsapp:+14155550100); a Twilio Client identity (client:...) is no
// customer's address.
func guess(value string) (string, string) {
	lower := strings.ToLower(value)
	for _, prefix := range []string{"whatsapp:", "sms:", "tel:", "mms:", "rcs:"} {
		if strings.HasPrefix(lower, prefix) {
			return profile.KeyPhoneNumber, value[len(prefix):]
		}
	}
	switch {
	case strings.HasPrefix(lower, "client:") || strings.HasPrefix(lower, "sip:"):
		return "", ""
	case strings.HasPrefix(lower, "mailto:"):
		return profile.KeyEmail, value[len("mailto:"):]
	case strings.Contains(value, "@"):
		return profile.KeyEmail, value
	}
	return profile.KeyPhoneNumber, value
}

func (c *Connector) keys() []string {
	var ks []string
	for k := range c.Attributes {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// apiError is an error as the Profile Connector answers it, in Twilio's REST error shape.
type apiError struct {
	Status  int    `json:"status"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Source  string `json:"source,omitempty"`
}

// fail answers err at the status its code has; an uncoded error is INTERNAL with no details.
func fail(w http.ResponseWriter, err error) {
	var e *errcode.Error
	if !errors.As(err, &e) {
		e = errcode.Errorf(errcode.Internal, "internal error")
	}
	msg := e.Message
	if e.Source != "" {
		msg = e.Source + ": " + msg
	}
	reply(w, e.Code.Status(), apiError{Status: e.Code.Status(), Code: string(e.Code), Message: msg, Source: e.Source})
}

func reply(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"status":500,"code":"INTERNAL","message":"internal error"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
