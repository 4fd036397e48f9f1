package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/porticohq/portico/internal/portico"
)

// Metrics are the server's Prometheus collectors, on a registry of their own
// so that several servers can live in one process (tests).
type Metrics struct {
	Registry *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	// Events counts domain events: sessions created and revoked, webhook
	// deliveries, store errors. Labels never carry ids or secrets.
	Events *prometheus.CounterVec
	// webhooks counts webhook delivery attempts by outcome (delivered,
	// retry, failed).
	webhooks *prometheus.CounterVec
	// refreshes counts refreshes of OAuth2 tokens by outcome: refreshed,
	// or why one failed (rejected, no_refresh_token, unavailable).
	refreshes *prometheus.CounterVec
}

// NewMetrics registers the collectors.
func NewMetrics() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "portico_http_requests_total", Help: "HTTP requests by route pattern, method and status.",
		}, []string{"route", "method", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "portico_http_request_duration_seconds", Help: "HTTP request latency by route pattern.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"route"}),
		Events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "portico_events_total", Help: "Domain events: session_created, session_revoked, store_error (a database operation failed because the database was unreachable or busy).",
		}, []string{"event"}),
		webhooks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "portico_webhook_deliveries_total", Help: "Webhook delivery attempts by outcome: delivered, retry (failed, will retry), failed (given up).",
		}, []string{"outcome"}),
		refreshes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "portico_oauth_refreshes_total", Help: "Refreshes of OAuth2 access tokens by outcome: refreshed, or why one failed: rejected (the provider refused; the connection expired), no_refresh_token (expired), unavailable (the provider failed; retried).",
		}, []string{"outcome"}),
	}
	m.Registry.MustRegister(m.requests, m.duration, m.Events, m.webhooks, m.refreshes,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	// The series that alert rules watch exist from the start, at 0: a
	// counter born at 1 shows no increase() until its second event, so a
	// first failure would go unseen (docs/operations.md, deploy/prometheus-alerts.yaml).
	for _, o := range []string{portico.DeliveryDelivered, portico.DeliveryRetry, portico.DeliveryFailed} {
		m.webhooks.WithLabelValues(o)
	}
	for _, o := range []string{portico.RefreshSucceeded, portico.RefreshRejected, portico.RefreshNoRefreshToken, portico.RefreshUnavailable} {
		m.refreshes.WithLabelValues(o)
	}
	m.Events.WithLabelValues(portico.MetricStoreError)
	return m
}

func (m *Metrics) observe(route, method string, status int, d time.Duration) {
	m.requests.WithLabelValues(route, methodLabel(method), strconv.Itoa(status)).Inc()
	m.duration.WithLabelValues(route).Observe(d.Seconds())
}

// methodLabel is method as portico_http_requests_total counts it: a
// method HTTP does not define is "other", since the client picks it and
// each value would be a series of its own.
func methodLabel(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete,
		http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return method
	}
	return "other"
}

// Event counts one domain event.
func (m *Metrics) Event(name string) { m.Events.WithLabelValues(name).Inc() }

// WebhookDelivery counts one webhook delivery attempt's outcome.
func (m *Metrics) WebhookDelivery(outcome string) { m.webhooks.WithLabelValues(outcome).Inc() }

// OAuthRefresh counts one refresh of an OAuth2 token by its outcome
// (portico.Service.CountRefresh).
func (m *Metrics) OAuthRefresh(outcome string) { m.refreshes.WithLabelValues(outcome).Inc() }

// CountLookupPageReads exposes reads, the pages the SQLite token lookups
// have read past their connections' page caches, for session tokens and for
// API keys, as portico_sqlite_lookup_page_reads_total (docs/operations.md).
func (m *Metrics) CountLookupPageReads(reads func() (sessions, apiKeys uint64)) {
	for _, l := range []struct {
		label string
		value func() float64
	}{
		{"session", func() float64 { s, _ := reads(); return float64(s) }},
		{"api_key", func() float64 { _, k := reads(); return float64(k) }},
	} {
		m.Registry.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name:        "portico_sqlite_lookup_page_reads_total",
			Help:        "Pages the SQLite token lookups read from the store's file or its WAL because their connection's page cache lacked them, by lookup: session (tokens of GET /v1/me and every session call), api_key.",
			ConstLabels: prometheus.Labels{"lookup": l.label},
		}, l.value))
	}
}

func (m *Metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{})
}
