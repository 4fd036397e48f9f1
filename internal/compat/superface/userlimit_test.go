package superface_test

import (
	"testing"
	"time"

	"github.com/porticohq/portico/internal/store/storetest"
)

// The per-user perform limit holds on the Hub API as on the native one: 429
// with Retry-After for the user who spent it, nothing for another user.
func TestPerform_PerUserRateLimit(t *testing.T) {
	engines(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng, nil)
		e.setup()
		e.native("PATCH", "/v1/app", map[string]any{"settings": map[string]any{"perform_rate_per_user": 60, "perform_burst_per_user": 1}}, 200)
		if status, _, got := e.hub("POST", "/api/hub/perform/weather__forecast", "agent|ann", "{}"); status != 200 || got["status"] != "success" {
			t.Fatalf("first call: %d %v", status, got)
		}
		status, h, got := e.hub("POST", "/api/hub/perform/weather__forecast", "agent|ann", "{}")
		if status != 429 || h.Get("Retry-After") != "1" {
			t.Fatalf("second call: %d %q %v", status, h.Get("Retry-After"), got)
		}
		if status, _, got := e.hub("POST", "/api/hub/perform/weather__forecast", "agent|bob", "{}"); status != 200 || got["status"] != "success" {
			t.Fatalf("another user: %d %v", status, got)
		}
		e.clock.Advance(time.Second)
		if status, _, got := e.hub("POST", "/api/hub/perform/weather__forecast", "agent|ann", "{}"); status != 200 {
			t.Fatalf("after Retry-After: %d %v", status, got)
		}
	})
}
