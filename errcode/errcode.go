// Package errcode owns profilegate's one error type and the one table of the codes a client
// can see in `extensions.code`: for each, the HTTP status it is answered with and whether it
// refuses the whole request (no `data`) or fails one field beside the others. Every package
// makes its errors here, and the transport maps them to HTTP in one place.
package errcode

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Code classifies an Error for clients; it is shown as `extensions.code`.
type Code string

// The codes a client can see. Codes of gqlgen's own (GRAPHQL_PARSE_FAILED,
// GRAPHQL_VALIDATION_FAILED, PERSISTED_QUERY_NOT_FOUND, COMPLEXITY_LIMIT_EXCEEDED) are in the
// table too, so the transport answers them like ours.
const (
	// Field errors: the request ran and this field, or this source's part, failed. Some of
	// them also refuse a whole request (BAD_USER_INPUT for a body that is not JSON).
	BadUserInput      Code = "BAD_USER_INPUT"
	UnknownIdentifier Code = "UNKNOWN_IDENTIFIER"
	SourceUnavailable Code = "SOURCE_UNAVAILABLE"
	// SourceIncomplete: a source answered, but may not have found every match (its match
	// index is still being built); what it found is in the answer, and nobody it did not
	// find is taken as a new contact.
	SourceIncomplete Code = "SOURCE_INCOMPLETE"
	Internal         Code = "INTERNAL"
	// Forbidden: the caller's role may not do this.
	Forbidden Code = "FORBIDDEN"
	// ComponentDisabled: the feature's component is turned off in the settings.
	ComponentDisabled Code = "COMPONENT_DISABLED"
	// SettingsReadOnly: the client may read these settings but not change them.
	SettingsReadOnly Code = "SETTINGS_READ_ONLY"
	// Conflict: the settings changed since the version the change was made against.
	Conflict Code = "CONFLICT"
	// NotFound: a REST endpoint (the Profile Connector) has no such path or resource.
	NotFound Code = "NOT_FOUND"

	// Refusals at the HTTP layer, before GraphQL sees the request.
	Unauthenticated Code = "UNAUTHENTICATED"
	RequestTooLarge Code = "REQUEST_TOO_LARGE"
	// RequestTimeout: the client did not send its body within limits.body_read_timeout.
	RequestTimeout Code = "REQUEST_TIMEOUT"
	// RateLimited: the caller is over one of its limits (limits.per_caller); Retry-After says
	// when to try again.
	RateLimited          Code = "RATE_LIMITED"
	Overloaded           Code = "OVERLOADED"
	NotAcceptable        Code = "NOT_ACCEPTABLE"
	UnsupportedMediaType Code = "UNSUPPORTED_MEDIA_TYPE"
	MethodNotAllowed     Code = "METHOD_NOT_ALLOWED"
	// HostNotAllowed: with auth off, a request named a host other than loopback (DNS rebinding).
	HostNotAllowed Code = "HOST_NOT_ALLOWED"

	// Request errors: GraphQL refused the operation before executing it.
	ParseFailed            Code = "GRAPHQL_PARSE_FAILED"
	ValidationFailed       Code = "GRAPHQL_VALIDATION_FAILED"
	PersistedQueryNotFound Code = "PERSISTED_QUERY_NOT_FOUND"
	// PersistedQueryInvalid: a persisted query's hash is malformed, does not match its query,
	// or its version is not 1.
	PersistedQueryInvalid Code = "PERSISTED_QUERY_INVALID"
	// OperationNotTrusted: trusted_documents is on and the operation is not one of them.
	OperationNotTrusted Code = "OPERATION_NOT_TRUSTED"
	// IntrospectionDisabled: introspection is turned off.
	IntrospectionDisabled   Code = "INTROSPECTION_DISABLED"
	TokenLimitExceeded      Code = "TOKEN_LIMIT_EXCEEDED"
	DepthLimitExceeded      Code = "DEPTH_LIMIT_EXCEEDED"
	RootFieldLimitExceeded  Code = "ROOT_FIELD_LIMIT_EXCEEDED"
	AliasLimitExceeded      Code = "ALIAS_LIMIT_EXCEEDED"
	ComplexityLimitExceeded Code = "COMPLEXITY_LIMIT_EXCEEDED"
)

// Info is what the table says of a code.
type Info struct {
	// Status is the HTTP status of a request this code stops as a whole; a field error is
	// answered 200 beside the rest of the data.
	Status int
	// Request marks a code of an operation GraphQL refused before executing it: the answer has
	// no `data`, and its status is 200 for application/json clients and Status for
	// application/graphql-response+json ones, as GraphQL over HTTP says.
	Request bool
}

var table = map[Code]Info{
	BadUserInput:      {Status: http.StatusBadRequest},
	UnknownIdentifier: {Status: http.StatusBadRequest},
	SourceUnavailable: {Status: http.StatusBadGateway},
	SourceIncomplete:  {Status: http.StatusServiceUnavailable},
	Internal:          {Status: http.StatusInternalServerError},
	Forbidden:         {Status: http.StatusForbidden},
	ComponentDisabled: {Status: http.StatusForbidden},
	SettingsReadOnly:  {Status: http.StatusForbidden},
	Conflict:          {Status: http.StatusConflict},
	NotFound:          {Status: http.StatusNotFound},

	Unauthenticated:      {Status: http.StatusUnauthorized},
	RequestTooLarge:      {Status: http.StatusRequestEntityTooLarge},
	RequestTimeout:       {Status: http.StatusRequestTimeout},
	RateLimited:          {Status: http.StatusTooManyRequests},
	Overloaded:           {Status: http.StatusServiceUnavailable},
	NotAcceptable:        {Status: http.StatusNotAcceptable},
	UnsupportedMediaType: {Status: http.StatusUnsupportedMediaType},
	MethodNotAllowed:     {Status: http.StatusMethodNotAllowed},
	HostNotAllowed:       {Status: http.StatusForbidden},

	ParseFailed:             {Status: http.StatusBadRequest, Request: true},
	ValidationFailed:        {Status: http.StatusBadRequest, Request: true},
	PersistedQueryNotFound:  {Status: http.StatusBadRequest, Request: true},
	PersistedQueryInvalid:   {Status: http.StatusBadRequest, Request: true},
	OperationNotTrusted:     {Status: http.StatusBadRequest, Request: true},
	IntrospectionDisabled:   {Status: http.StatusBadRequest, Request: true},
	TokenLimitExceeded:      {Status: http.StatusBadRequest, Request: true},
	DepthLimitExceeded:      {Status: http.StatusBadRequest, Request: true},
	RootFieldLimitExceeded:  {Status: http.StatusBadRequest, Request: true},
	AliasLimitExceeded:      {Status: http.StatusBadRequest, Request: true},
	ComplexityLimitExceeded: {Status: http.StatusBadRequest, Request: true},
}

// Lookup returns what the table says of c; ok is false for a code it does not hold.
func Lookup(c Code) (info Info, ok bool) {
	info, ok = table[c]
	return info, ok
}

// Status is the HTTP status c is answered with when it stops a request; 400 for a code the
// table does not hold (a request error of gqlgen's we have not met).
func (c Code) Status() int {
	if info, ok := table[c]; ok {
		return info.Status
	}
	return http.StatusBadRequest
}

// Codes returns every code in the table.
func Codes() []Code {
	out := make([]Code, 0, len(table))
	for c := range table {
		out = append(out, c)
	}
	return out
}

// Error is profilegate's one error type. Message is safe to show to a client; Err, when set,
// is the underlying cause and is only logged. Source names the profile source an error came
// from, so a failure downstream is told apart from one of ours.
type Error struct {
	Code    Code
	Message string
	Source  string
	Err     error
}

func (e *Error) Error() string {
	msg := e.Message
	if e.Source != "" {
		msg = e.Source + ": " + msg
	}
	if e.Err != nil {
		return msg + ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an Error with a code and a client-safe message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// SourceError returns a SOURCE_UNAVAILABLE error for the named source, keeping cause for the logs.
func SourceError(source, message string, cause error) *Error {
	return &Error{Code: SourceUnavailable, Message: message, Source: source, Err: cause}
}

// Of returns the code of the first Error in err's chain, or Internal.
func Of(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// Truncate shortens s to n runes for quoting it back to a client, marking the cut with "…";
// invalid UTF-8 is replaced.
func Truncate(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
