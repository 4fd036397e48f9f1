package portico

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"
)

// Code classifies an error. The values are the wire codes of the native API
// (docs/openapi.json, "Errors"); adapters translate them to their own vocabularies.
type Code string

// Error codes. Anything without a code is CodeInternal.
const (
	CodeInvalid          Code = "invalid_request"
	CodeUnauthenticated  Code = "unauthenticated"
	CodeInvalidAPIKey    Code = "invalid_api_key"
	CodeInvalidToken     Code = "invalid_token"
	CodeQuotaExceeded    Code = "quota_exceeded"
	CodeForbidden        Code = "forbidden"
	CodeNotFound         Code = "not_found"
	CodeMethodNotAllowed Code = "method_not_allowed"
	CodeConflict         Code = "conflict"
	// CodeGone: a single-use flow that was used, refused or has expired.
	CodeGone                 Code = "gone"
	CodeSessionLimitReached  Code = "session_limit_reached"
	CodeConnectionRequired   Code = "connection_required"
	CodeApprovalRequired     Code = "approval_required"
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
	// RetryAfter, when positive, is how long the client should wait before
	// trying again (CodeRateLimited); every renderer writes it as the
	// Retry-After header, in whole seconds.
	RetryAfter time.Duration
	Err        error
	// NotSent marks a CodeUpstreamUnreachable call that never reached the
	// upstream (an address refused, a name that did not resolve, a dial
	// that failed), which a caller may send again as it is. Any other
	// failure may have come after the upstream acted on the call. Not on
	// the wire: the MCP server words its answer by it.
	NotSent bool
	// kind is the resource a NotFound error is about ("User"), so that
	// NameNotFound can complete it with the value the caller gave.
	kind string
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
// database could not be reached or stayed busy; the store counts each
// such failure as MetricStoreError (docs/operations.md).
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
	return &Error{Code: CodeNotFound, Message: kind + " not found.", kind: kind}
}

// MaxEchoLen bounds, in bytes, a value of the caller's that an error
// message repeats.
const MaxEchoLen = 255

// Echo returns a value of the caller's fit to repeat in an error: valid
// UTF-8, at most MaxEchoLen bytes (a longer one is cut and ends with …).
// The wire encodings escape it; %q quotes control characters.
func Echo(v string) string {
	v = strings.ToValidUTF8(v, "\uFFFD")
	if len(v) <= MaxEchoLen {
		return v
	}
	cut := MaxEchoLen
	for cut > 0 && !utf8.RuneStart(v[cut]) {
		cut--
	}
	return v[:cut] + "…"
}

// CleanText reports whether s is UTF-8 without NUL: what every id,
// filter and parameter of Portico's holds, and what PostgreSQL accepts in
// text (README.md, "Errors").
func CleanText(s string) bool { return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 }

// ParseQuery reads a URL's raw query strictly. url.Values, as
// (*url.URL).Query reads it, drops a pair holding a raw ';' or a malformed
// %-escape, so ?user_id=usr_1; would reach a list as no filter at all; such
// a query is CodeInvalid on field query instead.
func ParseQuery(raw string) (url.Values, error) {
	q, err := url.ParseQuery(raw)
	if err != nil {
		return nil, Invalid("query", "The URL's query cannot be read: separate its parameters with &, and write a ; or a %% in a value as %%3B or %%25.")
	}
	return q, nil
}

// idPrefixes are the prefixes of the ids whose not-found errors say what
// an id looks like.
var idPrefixes = map[string]string{"User": PrefixUser, "Session": PrefixSession, "Connection": PrefixConnection}

// SecretKind names the kind of Portico secret raw's prefix announces ("a
// session token"), or "" for none. It reads the prefix only: a message
// built from it reveals nothing but what the caller sent.
func SecretKind(raw string) string {
	switch {
	case strings.HasPrefix(raw, PrefixAPIKeySecret):
		return "an API key"
	case strings.HasPrefix(raw, PrefixSessionToken):
		return "a session token"
	case strings.HasPrefix(raw, PrefixRefreshToken):
		return "a refresh token"
	case strings.HasPrefix(raw, PrefixConfigCode):
		return "a configuration code"
	case strings.HasPrefix(raw, PrefixWebhookSec):
		return "a webhook secret"
	}
	return ""
}

// UnknownID reports that no kind has the id the caller gave in field
// (details.field): the message names the value, and when the value lacks
// the kind's prefix says what the ids look like (a user's own id sent
// where Portico's is expected gets the query that finds it). A value that
// is a Portico secret is not repeated.
func UnknownID(kind, field, value string) *Error {
	e := &Error{Code: CodeNotFound, Field: field, kind: kind}
	prefix := idPrefixes[kind]
	switch secret := SecretKind(value); {
	case secret != "":
		e.Message = fmt.Sprintf("%s not found: this is %s, not an id.", kind, secret)
		if prefix != "" {
			e.Message = fmt.Sprintf("%s not found: this is %s; %s ids start with %s.", kind, secret, strings.ToLower(kind), prefix)
		}
	case prefix == "" || strings.HasPrefix(value, prefix):
		e.Message = fmt.Sprintf("%s %q not found.", kind, Echo(value))
	case kind == "User" && CheckExternalID(value) == nil:
		e.Message = fmt.Sprintf("User %q not found. User ids start with %s; to find a user by your own id use GET /v1/users?external_id=%s.",
			value, prefix, url.QueryEscape(value))
	default:
		e.Message = fmt.Sprintf("%s %q not found. %s ids start with %s.", kind, Echo(value), kind, prefix)
	}
	return e
}

// UnknownName is UnknownID for a name the app chose (an integration's
// slug, an action's name): details.value repeats it as well. An
// integration the app has not installed but the catalogue holds is told
// how to install it.
func UnknownName(kind, field, value string) *Error {
	v := Echo(value)
	msg := fmt.Sprintf("%s %q not found.", kind, v)
	if _, ok := catalog[value]; ok && kind == "Integration" {
		msg = fmt.Sprintf("%s %q not found. The catalogue has it: install it with PUT /v1/integrations/%s and the body {\"template\":%q}.", kind, v, value, value)
	}
	return &Error{Code: CodeNotFound, Field: field, kind: kind, Message: msg, Details: map[string]any{"value": v}}
}

// NameNotFound completes err, when it is the NotFound of kind, with the
// value the caller gave in field (UnknownName for integrations and
// actions, UnknownID otherwise); any other error is returned as it is.
func NameNotFound(err error, kind, field, value string) error {
	var e *Error
	if !errors.As(err, &e) || e.Code != CodeNotFound || e.kind != kind {
		return err
	}
	if kind == "Integration" || kind == "Action" {
		return UnknownName(kind, field, value)
	}
	return UnknownID(kind, field, value)
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
