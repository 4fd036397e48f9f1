// Package apideck speaks the wire format of the Apideck Vault (SPEC.md §8.5), under /vault/ over the domain.
//
// A Vault application is a Portico app (x-apideck-app-id is the app id,
// the bearer token one of its API keys), a consumer is a Portico user keyed
// by its external id, a unified API is an integration category and a
// service id an integration slug. Every answer, errors included, has the
// Vault's envelope.
package apideck

import (
	"log/slog"
	"net/http"
	"slices"
	"strings"

	"github.com/porticohq/portico/internal/compat"
	"github.com/porticohq/portico/internal/portico"
)

// The headers of the Vault API.
const (
	headerAppID      = "x-apideck-app-id"
	headerConsumerID = "x-apideck-consumer-id"
)

// consumerRule says what a route needs of x-apideck-consumer-id.
type consumerRule int

const (
	consumerIgnored consumerRule = iota
	consumerOptional
	consumerRequired
)

// call is what a handler knows of an authenticated request.
type call struct {
	app *portico.App
	// consumerID is the x-apideck-consumer-id header, "" when absent.
	consumerID string
}

type handler func(w http.ResponseWriter, r *http.Request, c *call) error

type server struct {
	svc  *portico.Service
	log  *slog.Logger
	auth func(w http.ResponseWriter, r *http.Request, rawKey string) (*portico.App, error)
}

type route struct {
	method, path string
	consumer     consumerRule
	h            handler
}

// Register mounts the surface's routes. Paths under /vault/ that are not
// routes, and routes asked with another method, answer 404 and 405 in the
// Vault's error envelope.
func Register(mount compat.Mount, o compat.Options) {
	s := &server{svc: o.Service, log: o.Logger, auth: o.Authenticate}
	routes := []route{
		{"POST", "/vault/sessions", consumerRequired, s.handleSessionCreate},

		{"GET", "/vault/consumers", consumerIgnored, s.handleConsumerList},
		{"POST", "/vault/consumers", consumerIgnored, s.handleConsumerCreate},
		{"GET", "/vault/consumers/{consumer_id}", consumerIgnored, s.handleConsumerGet},
		{"PATCH", "/vault/consumers/{consumer_id}", consumerIgnored, s.handleConsumerUpdate},
		{"DELETE", "/vault/consumers/{consumer_id}", consumerIgnored, s.handleConsumerDelete},

		{"GET", "/vault/connections", consumerOptional, s.handleConnectionList},
		{"GET", "/vault/connections/{unified_api}/{service_id}", consumerRequired, s.handleConnectionGet},
		{"PATCH", "/vault/connections/{unified_api}/{service_id}", consumerRequired, s.handleConnectionUpdate},
		{"DELETE", "/vault/connections/{unified_api}/{service_id}", consumerRequired, s.handleConnectionDelete},
	}
	methods := map[string][]string{}
	var paths []string
	for _, rt := range routes {
		mount(rt.method+" "+rt.path, s.wrap(rt.consumer, rt.h))
		if methods[rt.path] == nil {
			paths = append(paths, rt.path)
		}
		methods[rt.path] = append(methods[rt.path], rt.method)
	}
	// A pattern without a method loses to one with it, so these catch
	// exactly the other methods of each path.
	for _, p := range paths {
		allow := methods[p]
		if slices.Contains(allow, "GET") {
			allow = append(allow, "HEAD")
		}
		mount(p, s.fail(methodNotAllowed(allow)))
	}
	notFound := s.fail(&wireError{status: http.StatusNotFound, typeName: "EntityNotFoundError",
		message: "Unknown path: no Vault API endpoint has this path."})
	mount("/vault/", notFound)
	mount("/vault", notFound)
}

// wrap authenticates the request and checks the Vault headers before h:
// the API key (401), x-apideck-app-id (400 when missing, 401 when it is not
// the key's app) and x-apideck-consumer-id as the route needs it.
func (s *server) wrap(rule consumerRule, h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := s.authenticate(w, r, rule)
		if err == nil {
			err = h(w, r, c)
		}
		if err != nil {
			s.writeError(w, r, err)
		}
	})
}

func (s *server) authenticate(w http.ResponseWriter, r *http.Request, rule consumerRule) (*call, error) {
	app, err := s.auth(w, r, bearer(r))
	if err != nil {
		return nil, err
	}
	appID := strings.TrimSpace(r.Header.Get(headerAppID))
	if appID == "" {
		return nil, missingHeader(headerAppID)
	}
	if appID != app.ID {
		// The key and the application disagree: the caller is not who the
		// header says, which is an authentication failure, not a bad header.
		return nil, &wireError{status: http.StatusUnauthorized, typeName: "UnauthorizedError",
			message: "The x-apideck-app-id header does not name the application of this API key.",
			detail:  "Application mismatch"}
	}
	c := &call{app: app, consumerID: r.Header.Get(headerConsumerID)}
	switch {
	case c.consumerID == "" && rule == consumerRequired:
		return nil, missingHeader(headerConsumerID)
	case c.consumerID != "" && rule != consumerIgnored:
		if err := portico.CheckExternalID(c.consumerID); err != nil {
			return nil, &wireError{status: http.StatusBadRequest, typeName: "RequestHeadersValidationError",
				message: "Invalid Header: " + headerConsumerID + " " + strings.TrimPrefix(portico.AsError(err).Message, "external_id "),
				detail:  map[string]any{"header": headerConsumerID}}
		}
	}
	return c, nil
}

// bearer reads the API key of Authorization: Bearer <key>. Keys are never
// read from the query string.
func bearer(r *http.Request) string {
	auth := r.Header.Get("Authorization")
	if len(auth) > 7 && strings.EqualFold(auth[:7], "bearer ") {
		return strings.TrimSpace(auth[7:])
	}
	return ""
}

// fail answers every request with err.
func (s *server) fail(err error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { s.writeError(w, r, err) })
}

// user returns the consumer named by c.consumerID, or nil when no user has
// this key yet (reads never create one).
func (s *server) user(r *http.Request, c *call) (*portico.User, error) {
	if c.consumerID == "" {
		return nil, nil
	}
	u, err := s.svc.FindUserByKey(r.Context(), c.app.ID, c.consumerID)
	if portico.ErrorCode(err) == portico.CodeNotFound {
		return nil, nil
	}
	return u, err
}
