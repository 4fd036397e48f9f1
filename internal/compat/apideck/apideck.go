// Package apideck speaks the wire format of the Apideck Vault (docs/compat/apideck.md), under /vault/ over the domain.
//
// A Vault application is a Portico app (x-apideck-app-id is the app id,
// the bearer token one of its API keys), a consumer is a Portico user keyed
// by its external id, a unified API is an integration category and a
// service id an integration slug. Every answer, errors included, has the
// Vault's envelope.
package apideck

import (
	"fmt"
	"net/http"
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
	compat.Options
}

// Register mounts the surface's routes. Paths under /vault/ that are not
// routes, and routes asked with another method, answer 404 and 405 in the
// Vault's error envelope.
func Register(mount compat.Mount, o compat.Options) {
	s := &server{o}
	v := compat.NewSurface(mount, o.Logger, envelope)
	for _, rt := range []struct {
		method, path string
		consumer     consumerRule
		h            handler
	}{
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

		{"GET", "/vault/logs", consumerRequired, s.handleLogs},
	} {
		v.Handle(rt.method, rt.path, s.wrap(rt.consumer, rt.h))
	}
	v.Fallback(func(_ *http.Request, _ string, allow []string) error {
		return &wireError{status: http.StatusMethodNotAllowed, typeName: "MethodNotAllowedError",
			message: "This endpoint does not take this method; it takes " + strings.Join(allow, ", ") + "."}
	}, func(*http.Request) error {
		return &wireError{status: http.StatusNotFound, typeName: "EntityNotFoundError",
			message: "Unknown path: no Vault API endpoint has this path."}
	}, "/vault/", "/vault")
}

// wrap authenticates the request and checks the Vault headers before h:
// the API key (401), x-apideck-app-id (400 when missing, 401 when it is not
// the key's app) and x-apideck-consumer-id as the route needs it.
func (s *server) wrap(rule consumerRule, h handler) compat.Handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		c, err := s.authenticate(r, rule)
		if err != nil {
			return err
		}
		return h(w, r, c)
	}
}

func (s *server) authenticate(r *http.Request, rule consumerRule) (*call, error) {
	if err := compat.OneCredential(r, portico.CodeInvalidAPIKey, "Authorization"); err != nil {
		return nil, err
	}
	for _, name := range []string{headerAppID, headerConsumerID} {
		if n := len(r.Header.Values(name)); n > 1 {
			return nil, &wireError{status: http.StatusBadRequest, typeName: "RequestHeadersValidationError",
				message: fmt.Sprintf("Invalid Header: %s is sent %d times; send it once.", name, n), detail: map[string]any{"header": name}}
		}
	}
	key := compat.Bearer(r)
	app, err := s.Authenticate(r, key)
	if err != nil && key == "" && portico.ErrorCode(err) == portico.CodeUnauthenticated {
		// The Vault takes its key in Authorization only.
		return nil, portico.Errorf(portico.CodeUnauthenticated, "An API key is required: send it as Authorization: Bearer <api_key>.")
	}
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

// user returns the consumer named by c.consumerID, or nil when no user has
// this key yet (reads never create one).
func (s *server) user(r *http.Request, c *call) (*portico.User, error) {
	if c.consumerID == "" {
		return nil, nil
	}
	u, err := s.Service.FindUserByKey(r.Context(), c.app.ID, c.consumerID)
	if portico.ErrorCode(err) == portico.CodeNotFound {
		return nil, nil
	}
	return u, err
}
