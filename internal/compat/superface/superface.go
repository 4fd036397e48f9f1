// Package superface speaks the wire format of the Superface Hub API
// (SPEC.md §8.1) under /api/hub/ over the domain: an agent's backend, with
// an API key and its own id for each user, gets configuration URLs, the
// app's actions as function definitions, and performs them for the user.
package superface

import (
	"log/slog"
	"net/http"
	"regexp"
	"strings"

	"github.com/porticohq/portico/internal/compat"
	"github.com/porticohq/portico/internal/portico"
)

// UserIDHeader names the user every per-user call acts for.
const UserIDHeader = "x-superface-user-id"

// userIDRe is the user id format of the Superface SDKs.
var userIDRe = regexp.MustCompile(`^[a-zA-Z0-9_|-]{1,100}$`)

type handler struct {
	svc  *portico.Service
	log  *slog.Logger
	auth func(w http.ResponseWriter, r *http.Request, rawKey string) (*portico.App, error)
}

// routes are the surface's paths with their one method each; the
// fallback under /api/hub/ answers 405 for them and 404 for anything else.
var routes = []struct{ method, pattern string }{
	{"POST", "/api/hub/session"},
	{"GET", "/api/hub/fd"},
	{"POST", "/api/hub/perform/{name}"},
	{"GET", "/api/hub/tools/{name}"},
}

// Register mounts the surface's routes.
func Register(mount compat.Mount, o compat.Options) {
	h := &handler{svc: o.Service, log: o.Logger, auth: o.Authenticate}
	fns := []func(http.ResponseWriter, *http.Request) error{h.handleSession, h.handleFunctions, h.handlePerform, h.handleTool}
	for i, rt := range routes {
		mount(rt.method+" "+rt.pattern, h.serve(fns[i]))
	}
	mount("/api/hub/", h.serve(h.handleUnknown))
}

// sessionResponse is the answer of POST /api/hub/session.
type sessionResponse struct {
	Status           string `json:"status"`
	ConfigurationURL string `json:"configuration_url"`
	AssistantHint    string `json:"assistant_hint"`
}

// handleSession gives the user a configuration URL: a new code for the
// user's newest active session, or a new session (portico.UserConfigLink
// says when). The request has no body; one sent anyway is ignored, as
// Superface ignores it.
func (h *handler) handleSession(w http.ResponseWriter, r *http.Request) error {
	app, uid, err := h.caller(w, r)
	if err != nil {
		return err
	}
	link, ttl, err := h.svc.UserConfigLink(r.Context(), app, uid)
	if err != nil {
		return err
	}
	compat.WriteJSON(w, http.StatusOK, sessionResponse{Status: "success", ConfigurationURL: link.URL,
		AssistantHint: "Tell user to go to URL at 'configuration_url' to configure to open configuration. Always show the whole URL to the user. The 'configuration_url' expires in " + portico.HumanDuration(ttl) + "."})
	return nil
}

// handleUnknown answers every other path under /api/hub/: 405 with Allow
// for a known path with another method, else 404.
func (h *handler) handleUnknown(w http.ResponseWriter, r *http.Request) error {
	for _, rt := range routes {
		if pathMatches(rt.pattern, r.URL.Path) {
			w.Header().Set("Allow", rt.method)
			return portico.Errorf(portico.CodeMethodNotAllowed, "%s %s is not supported; use %s.", r.Method, rt.pattern, rt.method)
		}
	}
	return portico.Errorf(portico.CodeNotFound, "There is no endpoint at this path under /api/hub/.")
}

// pathMatches matches a path against a pattern whose {name} wildcards
// stand for one non-empty segment.
func pathMatches(pattern, path string) bool {
	ps, xs := strings.Split(pattern, "/"), strings.Split(path, "/")
	if len(ps) != len(xs) {
		return false
	}
	for i := range ps {
		if strings.HasPrefix(ps[i], "{") {
			if xs[i] == "" {
				return false
			}
		} else if ps[i] != xs[i] {
			return false
		}
	}
	return true
}

// authenticate checks Authorization: Bearer <api key> under the server's
// rate limits.
func (h *handler) authenticate(w http.ResponseWriter, r *http.Request) (*portico.App, error) {
	key := ""
	if a := r.Header.Get("Authorization"); len(a) > 7 && strings.EqualFold(a[:7], "bearer ") {
		key = strings.TrimSpace(a[7:])
	}
	app, err := h.auth(w, r, key)
	if err != nil && key == "" && portico.ErrorCode(err) == portico.CodeUnauthenticated {
		return nil, portico.Errorf(portico.CodeUnauthenticated, "An API key is required: send it as Authorization: Bearer <api_key>.")
	}
	return app, err
}

// caller authenticates the app and reads the user the call is for.
func (h *handler) caller(w http.ResponseWriter, r *http.Request) (*portico.App, string, error) {
	app, err := h.authenticate(w, r)
	if err != nil {
		return nil, "", err
	}
	uid, err := userID(r)
	if err != nil {
		return nil, "", err
	}
	return app, uid, nil
}

// userID reads and checks the x-superface-user-id header.
func userID(r *http.Request) (string, error) {
	vs := r.Header.Values(UserIDHeader)
	switch {
	case len(vs) == 0:
		return "", portico.Invalid(UserIDHeader, "The %s header is required: the id your app gives this user.", UserIDHeader)
	case len(vs) > 1:
		return "", portico.Invalid(UserIDHeader, "Send the %s header once.", UserIDHeader)
	case !userIDRe.MatchString(vs[0]):
		return "", portico.Invalid(UserIDHeader, "The %s header must be 1 to 100 characters of a-z, A-Z, 0-9, _, | and -.", UserIDHeader)
	}
	return vs[0], nil
}

// problem is the error shape of the Hub API.
type problem struct {
	Title  string `json:"title"`
	Detail string `json:"detail"`
}

// statusOf is the one table from domain codes to statuses.
var statusOf = map[portico.Code]int{
	portico.CodeInvalid:              http.StatusBadRequest,
	portico.CodeValidation:           http.StatusBadRequest,
	portico.CodeUnauthenticated:      http.StatusUnauthorized,
	portico.CodeInvalidAPIKey:        http.StatusUnauthorized,
	portico.CodeForbidden:            http.StatusForbidden,
	portico.CodeQuotaExceeded:        http.StatusForbidden,
	portico.CodeNotFound:             http.StatusNotFound,
	portico.CodeMethodNotAllowed:     http.StatusMethodNotAllowed,
	portico.CodeConflict:             http.StatusConflict,
	portico.CodeSessionLimitReached:  http.StatusConflict,
	portico.CodePayloadTooLarge:      http.StatusRequestEntityTooLarge,
	portico.CodeUnsupportedMediaType: http.StatusUnsupportedMediaType,
	portico.CodeRateLimited:          http.StatusTooManyRequests,
	portico.CodeUnavailable:          http.StatusServiceUnavailable,
}

// serve adapts an error-returning handler and renders its errors as
// {"title","detail"}. Every answer may hold a configuration URL or a
// user's data: none is for a cache.
func (h *handler) serve(fn func(w http.ResponseWriter, r *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		err := fn(w, r)
		if err == nil {
			return
		}
		e := portico.AsError(err)
		status, ok := statusOf[e.Code]
		msg := e.Message
		if !ok {
			status, msg = http.StatusInternalServerError, "Internal error."
		}
		compat.LogFailure(h.log, w, r, status, err)
		compat.WriteJSON(w, status, problem{Title: http.StatusText(status), Detail: msg})
	})
}
