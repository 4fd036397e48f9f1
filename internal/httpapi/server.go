// Package httpapi serves Portico's native JSON API (/v1), the health and
// metrics endpoints, and hosts the other adapters' routes behind the same
// middleware.
package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/porticohq/portico/internal/portico"
)

// Options configure a Server.
type Options struct {
	Service *portico.Service
	Logger  *slog.Logger
	Metrics *Metrics
	// KeyRate and KeyBurst limit requests per API key (0: no limit).
	KeyRate  float64
	KeyBurst int
	// IPFailRate and IPFailBurst limit failed authentications per client IP
	// (0: no limit).
	IPFailRate  float64
	IPFailBurst int
	// TrustedProxies are the load balancers whose X-Forwarded-For names
	// the client (see clientIP); empty: the connection's peer is the client.
	TrustedProxies []netip.Prefix
	// Now is the clock of the rate limiters (nil: time.Now).
	Now func() time.Time
}

// Server is the HTTP face of Portico.
type Server struct {
	svc      *portico.Service
	log      *slog.Logger
	metrics  *Metrics
	keyLimit *limiter
	ipLimit  *limiter
	// trustedProxies: see Options.TrustedProxies.
	trustedProxies []netip.Prefix
	mux            *http.ServeMux
	// patterns are the mux's patterns, in the order they were registered.
	patterns []string
	// ownURL are the patterns whose handlers check their URL themselves
	// (HandleOwnURL); written while routes are registered, read after.
	ownURL  map[string]bool
	handler http.Handler
	// inflight counts the requests being served (Wait).
	inflight sync.WaitGroup
}

// Wait waits for the requests being served to return, at most until ctx
// ends, and reports whether they all did. A stopping server calls it once
// it accepts no more requests.
func (s *Server) Wait(ctx context.Context) bool {
	done := make(chan struct{})
	go func() {
		s.inflight.Wait()
		close(done)
	}()
	select {
	case <-done:
		return true
	case <-ctx.Done():
		return false
	}
}

// New builds the server with every native route.
func New(o Options) *Server {
	now := o.Now
	if now == nil {
		now = time.Now
	}
	if o.Metrics == nil {
		o.Metrics = NewMetrics()
	}
	s := &Server{
		svc:            o.Service,
		log:            o.Logger,
		metrics:        o.Metrics,
		keyLimit:       newLimiter(o.KeyRate, o.KeyBurst, now),
		ipLimit:        newLimiter(o.IPFailRate, o.IPFailBurst, now),
		mux:            http.NewServeMux(),
		trustedProxies: o.TrustedProxies,
	}
	s.routes()
	s.handler = s.observe(s.mux)
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Handle mounts another adapter's handler (hosted page, compatible
// surfaces) behind the same request id, logging and metrics.
func (s *Server) Handle(pattern string, h http.Handler) {
	s.handle(pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if sw, ok := w.(*statusWriter); ok {
			sw.handled = true
		}
		h.ServeHTTP(w, r)
	}))
}

// HandleOwnURL is Handle for a handler that refuses a path or query
// compat.CheckURL refuses itself, in its own shape (a compatible surface's
// envelope, an OAuth error): the server leaves such a request to it.
func (s *Server) HandleOwnURL(pattern string, h http.Handler) {
	if s.ownURL == nil {
		s.ownURL = map[string]bool{}
	}
	s.ownURL[pattern] = true
	s.Handle(pattern, h)
}

// checksOwnURL reports whether r goes to a handler mounted with
// HandleOwnURL.
func (s *Server) checksOwnURL(r *http.Request) bool {
	_, pattern := s.mux.Handler(r)
	return s.ownURL[pattern]
}

// handle registers h for pattern on the mux and records the pattern.
func (s *Server) handle(pattern string, h http.Handler) {
	s.patterns = append(s.patterns, pattern)
	s.mux.Handle(pattern, h)
}

// Patterns returns every pattern registered on the server, its own routes
// and those of the adapters it hosts, in the order of registration.
func (s *Server) Patterns() []string { return slices.Clone(s.patterns) }

// Metrics returns the server's collectors.
func (s *Server) Metrics() *Metrics { return s.metrics }
