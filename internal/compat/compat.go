// Package compat holds what the compatible surfaces (docs/compat/) share:
// the options each is built with, the one bearer parser, the JSON writer,
// and Surface, which routes a surface and renders its errors through its
// envelope function. Each surface lives in its own package below this one
// and is its routes, its envelope and its translations to domain calls.
package compat

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/porticohq/portico/internal/portico"
)

// Options are given to every compatible surface.
type Options struct {
	Service *portico.Service
	Logger  *slog.Logger
	// Authenticate is the server's one authentication of an API key: the
	// per-IP failure budget, the key itself, then the key's own budget. A
	// surface passes the key from wherever its wire format carries it
	// (Bearer(r) for most). Its errors are domain errors
	// (CodeUnauthenticated for an empty key, CodeInvalidAPIKey,
	// CodeRateLimited with RetryAfter set); each surface renders them in
	// its own error shape.
	Authenticate func(r *http.Request, rawKey string) (*portico.App, error)
}

// Mount registers a handler for a pattern behind the server's request id,
// logging and metrics. A surface checks the URLs of its routes itself
// (CheckURL, rendered by its envelope), so the server leaves them to it:
// mount surfaces with the server's HandleOwnURL.
type Mount func(pattern string, h http.Handler)

// Bearer returns the credential of an Authorization: Bearer header, or ""
// when there is none. Credentials are never read from the query string.
func Bearer(r *http.Request) string {
	auth := r.Header.Get("Authorization")
	if len(auth) > 7 && strings.EqualFold(auth[:7], "bearer ") {
		return strings.TrimSpace(auth[7:])
	}
	return ""
}

// CredentialParams are the names under which a credential is sometimes put
// in a query string, where no surface takes one: a request that sends one
// is told where credentials go.
var CredentialParams = []string{"api_key", "key", "token", "access_token"}

// OneCredential refuses a request that names its credential more than once
// in the headers a surface reads it from (Authorization, X-API-Key …): a
// header sent twice, or two headers that carry different values. Which app
// or user a request acts for must never depend on the order of its
// headers. The error has the code of a refused credential of the surface
// (CodeInvalidAPIKey, CodeInvalidToken): like the other messages told from
// the request alone, it says nothing of what the store holds.
func OneCredential(r *http.Request, code portico.Code, headers ...string) error {
	var first, firstHeader string
	for _, h := range headers {
		vs := r.Header.Values(h)
		if len(vs) > 1 {
			return portico.Errorf(code, "Send one credential: the %s header is sent %d times.", h, len(vs))
		}
		v := ""
		if len(vs) == 1 {
			v = strings.TrimSpace(vs[0])
			if h == "Authorization" {
				v = Bearer(r)
			}
		}
		if v == "" {
			continue
		}
		if first != "" && v != first {
			return portico.Errorf(code, "Send one credential: %s and %s carry different ones.", firstHeader, h)
		}
		first, firstHeader = v, h
	}
	return nil
}

// WriteJSON writes v as a JSON answer with status, for every surface and
// the native API. HTML is not escaped: answers hold URLs, field names and
// hints that must stay readable, and are never HTML. A value that cannot
// be encoded (a bug: only the project's own types are) is a bare 500.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	WriteJSONBody(w, status, buf.Bytes())
}

// WriteJSONBody writes b, an encoded JSON answer, with the headers of
// every JSON answer; for answers encoded without encoding/json.
func WriteJSONBody(w http.ResponseWriter, status int, b []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	w.Write(b)
}

// Failure is what every surface, the native API included, does before
// rendering an error with status: write the Retry-After the error carries
// (a rate limit), and for a 5xx log the internal cause with the request
// id, route and code (the client sees none of it) and ask for a retry in a
// second when the store is unavailable.
func Failure(log *slog.Logger, w http.ResponseWriter, r *http.Request, status int, err error) {
	var pe *portico.Error
	if errors.As(err, &pe) && pe.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((pe.RetryAfter+time.Second-1)/time.Second)))
	}
	if status < 500 {
		return
	}
	e := portico.AsError(err)
	// The cause, for the log only; an error without one (an upstream
	// answer over the size bound) is described by its message.
	cause := slog.String("error", e.Message)
	if c := errors.Unwrap(e); c != nil {
		cause = slog.Any("error", c)
	}
	log.LogAttrs(r.Context(), slog.LevelError, "request_failed",
		slog.String("request_id", w.Header().Get("X-Request-Id")), slog.String("route", r.Pattern),
		slog.String("code", string(e.Code)), cause)
	if e.Code == portico.CodeUnavailable {
		w.Header().Set("Retry-After", "1")
	}
}
