// Package compat holds what the compatible surfaces (SPEC.md §8) share: the
// options each adapter is built with. Each surface lives in its own package
// below this one and translates its wire format to domain calls.
package compat

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/porticohq/portico/internal/portico"
)

// Options are given to every compatible surface.
type Options struct {
	Service *portico.Service
	Logger  *slog.Logger
	// Authenticate checks a raw API key under the server's rate limits and
	// returns its app. Its errors are domain errors (CodeUnauthenticated
	// for an empty key, CodeInvalidAPIKey, CodeRateLimited with Retry-After
	// already set on w); each surface renders them in its own error shape.
	Authenticate func(w http.ResponseWriter, r *http.Request, rawKey string) (*portico.App, error)
}

// Mount registers a handler for a pattern behind the server's request id,
// logging and metrics.
type Mount func(pattern string, h http.Handler)

// WriteJSON writes v as a JSON answer with status. HTML is not escaped:
// answers hold URLs and hints that must stay readable, and are never HTML.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

// LogFailure is what every surface does before rendering an error whose
// status is 5xx: log the internal cause with the request id, route and code
// (the client sees none of it), and ask for a retry in a second when the
// store is unavailable. It does nothing below 500.
func LogFailure(log *slog.Logger, w http.ResponseWriter, r *http.Request, status int, err error) {
	if status < 500 {
		return
	}
	e := portico.AsError(err)
	log.LogAttrs(r.Context(), slog.LevelError, "request_failed",
		slog.String("request_id", w.Header().Get("X-Request-Id")), slog.String("route", r.Pattern),
		slog.String("code", string(e.Code)), slog.Any("error", errors.Unwrap(e)))
	if e.Code == portico.CodeUnavailable {
		w.Header().Set("Retry-After", "1")
	}
}
