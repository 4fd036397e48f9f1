package portico

// Metrics is told of what the service did, whichever adapter asked (the
// native API, a compatible surface, the page, the CLI), so that every
// session created or ended is counted once, where it happens. The server's
// Prometheus collectors implement it (portico_events_total, see
// docs/operations.md).
type Metrics interface {
	// Event counts one domain event: MetricSessionCreated,
	// MetricSessionRevoked or MetricStoreError.
	Event(name string)
}

// The events Metrics counts.
const (
	MetricSessionCreated = "session_created"
	// MetricSessionRevoked counts sessions ended before their expiry: by
	// an explicit revoke, a revoke of all of a user's sessions, an
	// eviction by the session limit, or a refresh token presented again.
	MetricSessionRevoked = "session_revoked"
	// MetricStoreError counts operations the database could not serve
	// (ErrStoreUnavailable), counted by the store where they fail.
	MetricStoreError = "store_error"
)

// count tells Metrics, when set, of n events.
func (s *Service) count(event string, n int) {
	if s.Metrics == nil {
		return
	}
	for range n {
		s.Metrics.Event(event)
	}
}
