// Package flexgraph answers Flex UI's own GraphQL operations at /flex/graphql: Twilio Flex's
// Unified Profiles data API, the part Flex UI 2.x asks (configurations of the header, details,
// identifiers, channel addresses, components and activities; the timeline and an activity's
// details), in Twilio's schema (schema.graphqls). Its resolvers render profilegate's settings
// and the desk's history in that schema's shapes; the logic stays in desk, settings and
// history.
package flexgraph

//go:generate go tool gqlgen generate --config gqlgen.yml
