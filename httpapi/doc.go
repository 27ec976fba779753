// Package httpapi owns the gateway's HTTP surface in front of the GraphQL handler: who the
// caller is, which Flex UI they run, and the GraphQL-shaped error bodies refusals are answered
// with.
package httpapi
