package profile

import (
	"errors"
	"fmt"
)

// Code classifies an Error for clients; it is shown as `extensions.code`.
type Code string

// The codes a client can see.
const (
	CodeBadUserInput      Code = "BAD_USER_INPUT"
	CodeUnknownIdentifier Code = "UNKNOWN_IDENTIFIER"
	CodeSourceUnavailable Code = "SOURCE_UNAVAILABLE"
	CodeInternal          Code = "INTERNAL"
	// CodeUnauthenticated: the request carries no valid credentials.
	CodeUnauthenticated Code = "UNAUTHENTICATED"
	// CodeForbidden: the caller's role may not do this.
	CodeForbidden Code = "FORBIDDEN"
	// CodeComponentDisabled: the feature's component is turned off in the settings.
	CodeComponentDisabled Code = "COMPONENT_DISABLED"
	// CodeSettingsReadOnly: the client may read these settings but not change them.
	CodeSettingsReadOnly Code = "SETTINGS_READ_ONLY"
	// CodeConflict: the settings changed since the version the change was made against.
	CodeConflict Code = "CONFLICT"
)

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
	return &Error{Code: CodeSourceUnavailable, Message: message, Source: source, Err: cause}
}

// ErrorCode returns the code of the first Error in err's chain, or CodeInternal.
func ErrorCode(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}
