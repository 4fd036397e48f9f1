package httpapi

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/portico"
)

// Every request carries when it arrived, by the service's clock, before
// any handler runs: a refresh that waits on authentication or on a lock
// is still judged by its arrival (SPEC §4, concurrent refreshes).
func TestObserve_RecordsTheArrival(t *testing.T) {
	at := time.Date(2026, 12, 6, 5, 0, 0, 0, time.UTC)
	s := &Server{svc: portico.NewService(nil, &portico.Service{Now: func() time.Time { return at }}),
		log: slog.New(slog.NewTextHandler(io.Discard, nil)), metrics: NewMetrics()}
	var got time.Time
	h := s.observe(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = portico.CallerFrom(r.Context()).Arrived }))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("POST", "/v1/tokens/refresh", nil))
	if !got.Equal(at) {
		t.Fatalf("arrival %v, want %v", got, at)
	}
}
