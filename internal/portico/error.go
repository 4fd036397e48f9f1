package portico

import (
	"errors"
	"fmt"
)

// Code classifies an error. The values are the wire codes of the native API
// (SPEC.md §3); adapters translate them to their own vocabularies.
type Code string

// Error codes. Anything without a code is CodeInternal.
const (
	CodeInvalid              Code = "invalid_request"
	CodeUnauthenticated      Code = "unauthenticated"
	CodeInvalidAPIKey        Code = "invalid_api_key"
	CodeInvalidToken         Code = "invalid_token"
	CodeQuotaExceeded        Code = "quota_exceeded"
	CodeForbidden            Code = "forbidden"
	CodeNotFound             Code = "not_found"
	CodeMethodNotAllowed     Code = "method_not_allowed"
	CodeConflict             Code = "conflict"
	CodeSessionLimitReached  Code = "session_limit_reached"
	CodeConnectionRequired   Code = "connection_required"
	CodePayloadTooLarge      Code = "payload_too_large"
	CodeUnsupportedMediaType Code = "unsupported_media_type"
	CodeValidation           Code = "validation_failed"
	CodeRateLimited          Code = "rate_limited"
	CodeInternal             Code = "internal"
	CodeUnavailable          Code = "unavailable"
	// CodeUpstreamUnreachable: a perform's upstream call failed in
	// transport, was refused by the address guard or a redirect rule, or
	// answered more than the size bound (details.reason says which).
	CodeUpstreamUnreachable Code = "upstream_unreachable"
	// CodeUpstreamTimeout: a perform's upstream call did not finish in time.
	CodeUpstreamTimeout Code = "upstream_timeout"
)

// Error is the one error type of the domain. Message is safe to show to a
// client; Err is the cause, for logs only.
type Error struct {
	Code    Code
	Message string
	// Field names the offending input field, when there is one.
	Field string
	// Details carries extra machine-readable facts (never secrets).
	Details map[string]any
	Err     error
}

func (e *Error) Error() string {
	s := string(e.Code) + ": " + e.Message
	if e.Field != "" {
		s += " (field " + e.Field + ")"
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// ErrStoreUnavailable is the cause of a CodeUnavailable error whose
// database could not be reached or stayed busy; the server counts those
// requests as the store_error event of its metrics (docs/operations.md).
var ErrStoreUnavailable = errors.New("the database is unavailable")

// Errorf returns an *Error with a formatted, client-safe message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid reports malformed input in field (400 invalid_request).
func Invalid(field, format string, args ...any) *Error {
	return &Error{Code: CodeInvalid, Field: field, Message: fmt.Sprintf(format, args...)}
}

// Invalidf reports a well-formed but unacceptable value in field (422 validation_failed).
func Invalidf(field, format string, args ...any) *Error {
	return &Error{Code: CodeValidation, Field: field, Message: fmt.Sprintf(format, args...)}
}

// NotFound reports an unknown id of the named kind ("Session", "User" …).
func NotFound(kind string) *Error {
	return &Error{Code: CodeNotFound, Message: kind + " not found."}
}

// ErrorCode returns the code of err, CodeInternal when it has none and ""
// when err is nil.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// AsError returns err as an *Error; errors without a code become an internal
// error whose message reveals nothing.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) && e.Code != CodeInternal {
		return e
	}
	return &Error{Code: CodeInternal, Message: "Internal error.", Err: err}
}
