// Package superface speaks the wire format of the Superface Hub API
// (docs/compat/superface.md) under /api/hub/ over the domain: an agent's backend, with
// an API key and its own id for each user, gets configuration URLs, the
// app's actions as function definitions, and performs them for the user.
package superface

import (
	"net/http"
	"regexp"

	"github.com/porticohq/portico/internal/compat"
	"github.com/porticohq/portico/internal/portico"
)

// UserIDHeader names the user every per-user call acts for.
const UserIDHeader = "x-superface-user-id"

// The return link the SDKs send with a session request: the hosted page
// shows "Back to <name>" when the URL is one of the app's
// allowed_redirect_uris.
const (
	AppNameHeader = "x-superface-app-name"
	AppURLHeader  = "x-superface-app-url"
)

// userIDRe is the user id format of the Superface SDKs.
var userIDRe = regexp.MustCompile(`^[a-zA-Z0-9_|-]{1,100}$`)

type handler struct {
	compat.Options
}

// Register mounts the surface's routes, one method each; the other methods
// of their paths answer 405 with Allow, and other paths under /api/hub/
// 404. Every answer may hold a configuration URL or a user's data: none is
// for a cache.
func Register(mount compat.Mount, o compat.Options) {
	h := &handler{o}
	s := compat.NewSurface(noStore(mount), o.Logger, envelope)
	for _, rt := range []struct {
		method, path string
		fn           compat.Handler
	}{
		{"POST", "/api/hub/session", h.handleSession},
		{"GET", "/api/hub/fd", h.handleFunctions},
		{"POST", "/api/hub/perform/{name}", h.handlePerform},
		{"GET", "/api/hub/tools/{name}", h.handleTool},
	} {
		s.Handle(rt.method, rt.path, rt.fn)
	}
	s.Fallback(func(r *http.Request, path string, allow []string) error {
		return portico.Errorf(portico.CodeMethodNotAllowed, "%s %s is not supported; use %s.", r.Method, path, allow[0])
	}, func(*http.Request) error {
		return portico.Errorf(portico.CodeNotFound, "There is no endpoint at this path under /api/hub/.")
	}, "/api/hub/")
}

// noStore mounts handlers whose answers, errors included, are not for a
// cache.
func noStore(mount compat.Mount) compat.Mount {
	return func(pattern string, h http.Handler) {
		mount(pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Cache-Control", "no-store")
			h.ServeHTTP(w, r)
		}))
	}
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
	app, uid, err := h.caller(r)
	if err != nil {
		return err
	}
	ret := portico.ReturnLink{Name: r.Header.Get(AppNameHeader), URL: r.Header.Get(AppURLHeader)}
	link, ttl, err := h.Service.UserConfigLink(r.Context(), app, uid, ret)
	if err != nil {
		return err
	}
	compat.WriteJSON(w, http.StatusOK, sessionResponse{Status: "success", ConfigurationURL: link.URL,
		AssistantHint: "Tell user to go to URL at 'configuration_url' to configure to open configuration. Always show the whole URL to the user. The 'configuration_url' expires in " + portico.HumanDuration(ttl) + "."})
	return nil
}

// authenticate checks Authorization: Bearer <api key> under the server's
// rate limits.
func (h *handler) authenticate(r *http.Request) (*portico.App, error) {
	if err := compat.OneCredential(r, portico.CodeInvalidAPIKey, "Authorization"); err != nil {
		return nil, err
	}
	key := compat.Bearer(r)
	app, err := h.Authenticate(r, key)
	if err != nil && key == "" && portico.ErrorCode(err) == portico.CodeUnauthenticated {
		return nil, portico.Errorf(portico.CodeUnauthenticated, "An API key is required: send it as Authorization: Bearer <api_key>.")
	}
	return app, err
}

// caller authenticates the app and reads the user the call is for.
func (h *handler) caller(r *http.Request) (*portico.App, string, error) {
	app, err := h.authenticate(r)
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

// statusOf translates domain codes to the Hub's statuses.
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

// envelope renders an error as {"title","detail"}.
func envelope(_ *http.Request, err error) (int, any) {
	status, msg := compat.Translate(statusOf, http.StatusInternalServerError, err)
	return status, problem{Title: http.StatusText(status), Detail: msg}
}
