// Package sessionstorage speaks the wire format of the Session Storage API
// (docs/compat/session-storage.md), under /session-storage/, over the domain: list, inspect,
// extend and delete an app's sessions with a client id (the app id) and a
// client secret (an API key).
package sessionstorage

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/porticohq/portico/internal/compat"
	"github.com/porticohq/portico/internal/jsonbody"
	"github.com/porticohq/portico/internal/portico"
)

type handler struct {
	compat.Options
}

// Register mounts the surface's routes; other methods of their paths get
// this surface's 405, other paths under /session-storage/ its 404.
func Register(mount compat.Mount, o compat.Options) {
	h := &handler{o}
	s := compat.NewSurface(mount, o.Logger, envelope)
	s.Handle(http.MethodGet, "/session-storage/sessions", h.authenticated(h.handleList))
	s.Handle(http.MethodGet, "/session-storage/sessions/{id}", h.authenticated(h.handleGet))
	s.Handle(http.MethodPost, "/session-storage/sessions/{id}", h.authenticated(h.handleExtend))
	s.Handle(http.MethodDelete, "/session-storage/sessions/{id}", h.authenticated(h.handleDelete))
	s.Fallback(func(r *http.Request, _ string, allow []string) error {
		return portico.Errorf(portico.CodeMethodNotAllowed, "%s is not allowed here; allowed: %s.", r.Method, strings.Join(allow, ", "))
	}, func(r *http.Request) error {
		return portico.Errorf(portico.CodeNotFound, "No such resource: %s.", r.URL.EscapedPath())
	}, "/session-storage/")
}

type handlerFunc func(w http.ResponseWriter, r *http.Request, app *portico.App) error

// sessionJSON is the session as the Session Storage API shows it.
type sessionJSON struct {
	ID        string `json:"id"`
	CreatedAt string `json:"created_at"`
	UpdatedAt string `json:"updated_at"`
	ExpiresAt string `json:"expires_at"`
}

func toJSON(s *portico.Session) sessionJSON {
	f := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
	return sessionJSON{ID: s.ID, CreatedAt: f(s.CreatedAt), UpdatedAt: f(s.UpdatedAt), ExpiresAt: f(s.ExpiresAt)}
}

type listJSON struct {
	Data          []sessionJSON `json:"data"`
	NextPageToken *string       `json:"next_page_token"`
}

// userIDRe is the shape of a Portico user id; any other user_id is an
// external user id.
var userIDRe = regexp.MustCompile(`^` + portico.PrefixUser + `[a-z2-7]{26}$`)

func (h *handler) handleList(w http.ResponseWriter, r *http.Request, app *portico.App) error {
	q := r.URL.Query()
	var p portico.PageRequest
	if q.Has("page_size") {
		n, err := strconv.Atoi(q.Get("page_size"))
		if err != nil || n < 1 || n > portico.MaxPageSize {
			return portico.Invalid("page_size", "page_size must be a whole number between 1 and %d.", portico.MaxPageSize)
		}
		p.Size = n
	}
	p.Token = q.Get("page_token")
	var f portico.SessionFilter
	if q.Has("user_id") {
		id := q.Get("user_id")
		if userIDRe.MatchString(id) {
			f.UserID = &id
		} else {
			f.ExternalUserID = &id
		}
	}
	page, err := h.Service.ListSessions(r.Context(), app.ID, f, p)
	if err != nil {
		return err
	}
	out := listJSON{Data: make([]sessionJSON, 0, len(page.Data)), NextPageToken: page.Next}
	for i := range page.Data {
		out.Data = append(out.Data, toJSON(&page.Data[i]))
	}
	compat.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (h *handler) handleGet(w http.ResponseWriter, r *http.Request, app *portico.App) error {
	sess, err := h.Service.FindSession(r.Context(), app.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	compat.WriteJSON(w, http.StatusOK, struct {
		Data sessionJSON `json:"data"`
	}{toJSON(sess)})
	return nil
}

func (h *handler) handleDelete(w http.ResponseWriter, r *http.Request, app *portico.App) error {
	if err := h.Service.RevokeSession(r.Context(), app.ID, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// handleExtend takes ttl_seconds from the query string or from a body
// {"data":{"ttl_seconds":N}}, once.
func (h *handler) handleExtend(w http.ResponseWriter, r *http.Request, app *portico.App) error {
	ttl, err := ttlOf(r)
	if err != nil {
		return err
	}
	if _, err := h.Service.ExtendSession(r.Context(), app, r.PathValue("id"), ttl); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func ttlOf(r *http.Request) (int, error) {
	var in struct {
		Data *struct {
			TTLSeconds *int `json:"ttl_seconds"`
		} `json:"data"`
	}
	if err := decodeOptional(r, &in); err != nil {
		return 0, err
	}
	fromBody := in.Data != nil && in.Data.TTLSeconds != nil
	q := r.URL.Query()
	switch {
	case q.Has("ttl_seconds") && in.Data != nil:
		return 0, portico.Invalid("ttl_seconds", "Give ttl_seconds either in the query string or in the body, not both.")
	case q.Has("ttl_seconds"):
		// A count beyond int saturates (Atoi returns the bound with
		// ErrRange): it is above the cap, and refused as such.
		n, err := strconv.Atoi(q.Get("ttl_seconds"))
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return 0, portico.Invalid("ttl_seconds", "ttl_seconds must be a whole number of seconds.")
		}
		return n, nil
	case fromBody:
		return *in.Data.TTLSeconds, nil
	}
	return 0, portico.Invalid("ttl_seconds", "ttl_seconds is required, in the query string or as {\"data\":{\"ttl_seconds\":N}}.")
}

// decodeOptional reads an optional JSON body into v with the project's
// strict rules (jsonbody); the Content-Type is not checked.
func decodeOptional(r *http.Request, v any) error {
	body, err := jsonbody.Read(r, false, true)
	if err != nil || body == nil {
		return err
	}
	return jsonbody.Decode(body, v)
}

var errBadClient = portico.Errorf(portico.CodeInvalidAPIKey, "The ClientID and ClientSecret do not match an app.")

// authenticated runs fn for the app of the client credentials.
func (h *handler) authenticated(fn handlerFunc) compat.Handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		app, err := h.authenticate(r)
		if err != nil {
			return err
		}
		if err := compat.CheckQuery(r.URL.Query(), queryParams[r.Pattern]); err != nil {
			return err
		}
		return fn(w, r, app)
	}
}

// queryParams are the query parameters each route takes; another, or one
// sent twice, is refused (compat.CheckQuery), as on the native API.
var queryParams = map[string][]string{
	"GET /session-storage/sessions":       {"page_size", "page_token", "user_id"},
	"POST /session-storage/sessions/{id}": {"ttl_seconds"},
}

// authenticate checks ClientSecret as an API key under the server's rate
// limits, and that ClientID names the key's app. A client id of another
// app fails exactly as a wrong secret does.
func (h *handler) authenticate(r *http.Request) (*portico.App, error) {
	for _, name := range []string{"ClientID", "ClientSecret"} {
		if err := compat.OneCredential(r, portico.CodeInvalidAPIKey, name); err != nil {
			return nil, err
		}
	}
	id, secret := strings.TrimSpace(r.Header.Get("ClientID")), strings.TrimSpace(r.Header.Get("ClientSecret"))
	if id == "" {
		// Still counted against the client's failure budget.
		h.Authenticate(r, "")
		return nil, portico.Errorf(portico.CodeUnauthenticated, "The ClientID and ClientSecret headers are required.")
	}
	app, err := h.Authenticate(r, secret)
	switch code := portico.ErrorCode(err); {
	case code == portico.CodeUnauthenticated:
		return nil, portico.Errorf(portico.CodeUnauthenticated, "The ClientID and ClientSecret headers are required.")
	case code == portico.CodeInvalidAPIKey:
		return nil, errBadClient
	case err != nil:
		return nil, err
	}
	if subtle.ConstantTimeCompare([]byte(id), []byte(app.ID)) != 1 {
		return nil, errBadClient
	}
	return app, nil
}

// problem is one entry of the error envelope.
type problem struct {
	Type      string `json:"type"`
	Status    int    `json:"status"`
	Title     string `json:"title"`
	Detail    string `json:"detail"`
	Instance  string `json:"instance"`
	ErrorCode int    `json:"error_code"`
}

// errorCode is a status with the numeric error_code of the envelope.
type errorCode struct{ status, code int }

// codes maps domain codes to the status and the numeric error_code of the
// envelope (status × 100 + a variant, documented in
// docs/compat/session-storage.md).
var codes = map[portico.Code]errorCode{
	portico.CodeInvalid:              {http.StatusBadRequest, 40000},
	portico.CodeUnauthenticated:      {http.StatusUnauthorized, 40100},
	portico.CodeInvalidAPIKey:        {http.StatusUnauthorized, 40101},
	portico.CodeForbidden:            {http.StatusForbidden, 40300},
	portico.CodeNotFound:             {http.StatusNotFound, 40400},
	portico.CodeMethodNotAllowed:     {http.StatusMethodNotAllowed, 40500},
	portico.CodeConflict:             {http.StatusConflict, 40900},
	portico.CodePayloadTooLarge:      {http.StatusRequestEntityTooLarge, 41300},
	portico.CodeUnsupportedMediaType: {http.StatusUnsupportedMediaType, 41500},
	portico.CodeValidation:           {http.StatusUnprocessableEntity, 42200},
	portico.CodeRateLimited:          {http.StatusTooManyRequests, 42900},
	portico.CodeUnavailable:          {http.StatusServiceUnavailable, 50300},
}

// envelope renders an error as {"ok":false,"errors":[…]}.
func envelope(r *http.Request, err error) (int, any) {
	c, detail := compat.Translate(codes, errorCode{http.StatusInternalServerError, 50000}, err)
	typ := portico.AsError(err).Code
	if c.code == 50000 {
		typ = portico.CodeInternal // what was not translated is the server's fault
	}
	return c.status, struct {
		OK     bool      `json:"ok"`
		Errors []problem `json:"errors"`
	}{false, []problem{{Type: string(typ), Status: c.status, Title: http.StatusText(c.status), Detail: detail,
		Instance: r.URL.EscapedPath(), ErrorCode: c.code}}}
}
