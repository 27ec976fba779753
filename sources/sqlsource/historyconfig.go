package sqlsource

import (
	"maps"
	"strings"
	"time"

	"github.com/profilegate/profilegate/history"
)

// History configures where a source keeps the history of its people: a CRM's activities
// table (for a record table) or a warehouse's event tables (for an identity graph).
type History struct {
	Activities *ActivityTable `yaml:"activities"`
	Events     *EventTables   `yaml:"events"`
	// CompleteFrom is the instant the source's history is complete from, e.g. when the CRM
	// was introduced; Retention, when set, says it keeps only so long (Segment's Profile API
	// keeps 14 days). Neither: complete for the source's whole life.
	CompleteFrom *time.Time    `yaml:"complete_from"`
	Retention    time.Duration `yaml:"retention"`
}

// ActivityTable is a CRM's activities: one row per call, email, meeting, note or task of a
// contact, in the manner of Salesforce's Task/Event or HubSpot's engagements.
type ActivityTable struct {
	Table string `yaml:"table"`
	// IDColumn identifies an activity; RecordColumn holds the contact's id (the record
	// table's id_column); OccurredColumn when it happened.
	IDColumn       string `yaml:"id_column"`
	RecordColumn   string `yaml:"record_column"`
	OccurredColumn string `yaml:"occurred_column"`
	// TypeColumn says what the activity is ("call", "note").
	TypeColumn string `yaml:"type_column"`
	// The optional columns of an activity.
	ChannelColumn   string `yaml:"channel_column"`
	DirectionColumn string `yaml:"direction_column"`
	DurationColumn  string `yaml:"duration_column"`
	SubjectColumn   string `yaml:"subject_column"`
	SummaryColumn   string `yaml:"summary_column"`
	OwnerColumn     string `yaml:"owner_column"`
	URLColumn       string `yaml:"url_column"`
	// InteractionTypes are the types that are conversations with the person (INTERACTION);
	// the others are CRM_ACTIVITY. Default: call, sms, email, chat, whatsapp.
	InteractionTypes []string `yaml:"interaction_types"`
	// Channels and Directions map stored values (compared lower-cased) to channels and
	// directions, over the defaults (DefaultChannels, DefaultDirections).
	Channels   map[string]history.Channel   `yaml:"channels"`
	Directions map[string]history.Direction `yaml:"directions"`
}

// EventTables are a warehouse's events as Segment Profiles Sync lands them: tracks, pages and
// one table per event name, each row carrying the segment_id it was recorded under, which
// id_graph maps to the profile's canonical_segment_id; id_graph_updates records merges. A
// table set to "none" is not read.
type EventTables struct {
	IDGraph         string `yaml:"id_graph"`
	SegmentIDColumn string `yaml:"segment_id_column"`
	// CanonicalColumn is id_graph's and id_graph_updates' profile id column.
	CanonicalColumn string `yaml:"canonical_column"`
	IDColumn        string `yaml:"id_column"`
	TimestampColumn string `yaml:"timestamp_column"`
	// Tracks holds every track event, named by its event column; events with a table of
	// their own in Events are read from there, with their properties.
	Tracks      string `yaml:"tracks"`
	EventColumn string `yaml:"event_column"`
	// Pages holds page views; PageProperties are its columns shown.
	Pages          string   `yaml:"pages"`
	PageProperties []string `yaml:"page_properties"`
	// Merges is id_graph_updates: a row whose segment_id differs from its canonical one is a
	// merge (an IDENTITY activity).
	Merges string       `yaml:"merges"`
	Events []EventTable `yaml:"events"`
	// Channels and Directions map stored values (compared lower-cased) of interactions'
	// channel and direction columns, over the defaults.
	Channels   map[string]history.Channel   `yaml:"channels"`
	Directions map[string]history.Direction `yaml:"directions"`
}

// EventTable is one event's own table, its properties as columns.
type EventTable struct {
	Table string `yaml:"table"`
	// Event is the event's name, e.g. "Order Completed".
	Event string `yaml:"event"`
	// Properties are the columns shown as the event's properties.
	Properties []string `yaml:"properties"`
	// Interaction marks the events of conversations (Flex's "Flex - Engagement Completed"):
	// INTERACTION rather than EVENT, with a channel, a direction and a duration from these
	// columns.
	Interaction     bool   `yaml:"interaction"`
	ChannelColumn   string `yaml:"channel_column"`
	DirectionColumn string `yaml:"direction_column"`
	DurationColumn  string `yaml:"duration_column"`
}

// NoTable turns off one of EventTables' tables.
const NoTable = "none"

// FlexEngagementEvents are the tables Flex's interactions land in, as Segment Profiles Sync
// names them: the track events "Flex - Engagement Initiated" and "Flex - Engagement Completed"
// with the properties channelType, Direction and Duration (the activity's channel, direction
// and duration) and codes and sentiment (its properties).
func FlexEngagementEvents() []EventTable {
	flex := func(table, event string) EventTable {
		return EventTable{Table: table, Event: event, Interaction: true,
			Properties:    []string{"codes", "sentiment"},
			ChannelColumn: "channel_type", DirectionColumn: "direction", DurationColumn: "duration"}
	}
	return []EventTable{
		flex("flex_engagement_initiated", "Flex - Engagement Initiated"),
		flex("flex_engagement_completed", "Flex - Engagement Completed"),
	}
}

// SegmentDefaults fills the names Profiles Sync uses wherever e leaves them empty.
func (e *EventTables) SegmentDefaults() {
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&e.IDGraph, "id_graph")
	def(&e.SegmentIDColumn, "segment_id")
	def(&e.CanonicalColumn, "canonical_segment_id")
	def(&e.IDColumn, "id")
	def(&e.TimestampColumn, "timestamp")
	def(&e.Tracks, "tracks")
	def(&e.EventColumn, "event")
	def(&e.Pages, "pages")
	def(&e.Merges, "id_graph_updates")
	if e.PageProperties == nil {
		e.PageProperties = []string{"title", "url", "path", "referrer"}
	}
}

// DefaultChannels map the usual stored channel names to channels.
var DefaultChannels = map[string]history.Channel{
	"voice": history.ChannelVoice, "call": history.ChannelVoice, "phone": history.ChannelVoice,
	"sms": history.ChannelSMS, "text": history.ChannelSMS,
	"email":    history.ChannelEmail,
	"whatsapp": history.ChannelWhatsApp,
	"web":      history.ChannelWeb, "webchat": history.ChannelChat, "chat": history.ChannelChat, "messenger": history.ChannelChat,
}

// DefaultDirections map the usual stored direction names to directions.
var DefaultDirections = map[string]history.Direction{
	"inbound": history.Inbound, "in": history.Inbound, "incoming": history.Inbound,
	"outbound": history.Outbound, "out": history.Outbound, "outgoing": history.Outbound,
}

// DefaultInteractionTypes are the CRM activity types that are conversations.
var DefaultInteractionTypes = []string{"call", "sms", "email", "chat", "whatsapp"}

func channelMap(over map[string]history.Channel) map[string]history.Channel {
	m := maps.Clone(DefaultChannels)
	for k, v := range over {
		m[strings.ToLower(k)] = v
	}
	return m
}

func directionMap(over map[string]history.Direction) map[string]history.Direction {
	m := maps.Clone(DefaultDirections)
	for k, v := range over {
		m[strings.ToLower(k)] = v
	}
	return m
}
