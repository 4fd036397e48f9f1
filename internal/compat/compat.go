// Package compat holds what the compatible surfaces (SPEC.md §8) share: the
// options each adapter is built with. Each surface lives in its own package
// below this one and translates its wire format to domain calls.
package compat

import (
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
