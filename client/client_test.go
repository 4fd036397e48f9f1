package client_test

import (
	"context"
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/porticohq/portico/client"
)

// Retry-After becomes Error.RetryAfter; a value too large for a Duration
// is the longest wait, never a wrapped negative one.
func TestError_RetryAfter(t *testing.T) {
	longest := time.Duration(math.MaxInt64/int64(time.Second)) * time.Second
	for _, tc := range []struct {
		header string
		want   time.Duration
	}{
		{"1", time.Second},
		{"", 0},
		{"soon", 0},
		{"-5", 0},
		{"9300000000", longest},
		{"99999999999999999999", longest},
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Retry-After", tc.header)
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte(`{"error":{"code":"unavailable","message":"The database is unavailable; try again shortly.","request_id":"req_1"}}`))
		}))
		_, err := client.New(srv.URL, client.WithAPIKey("pk_test")).GetApp(context.Background())
		srv.Close()
		var e *client.Error
		if !errors.As(err, &e) || e.Code != "unavailable" {
			t.Fatalf("Retry-After %q: %v", tc.header, err)
		}
		if e.RetryAfter != tc.want {
			t.Errorf("Retry-After %q: RetryAfter = %v, want %v", tc.header, e.RetryAfter, tc.want)
		}
	}
}
