package superface_test

import (
	"strings"
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
		if status, _, got := e.hub("POST", "/api/hub/perform/weather_forecast", "agent|ann", "{}"); status != 200 || got["status"] != "success" {
			t.Fatalf("first call: %d %v", status, got)
		}
		status, h, got := e.hub("POST", "/api/hub/perform/weather_forecast", "agent|ann", "{}")
		if status != 429 || h.Get("Retry-After") != "1" {
			t.Fatalf("second call: %d %q %v", status, h.Get("Retry-After"), got)
		}
		if status, _, got := e.hub("POST", "/api/hub/perform/weather_forecast", "agent|bob", "{}"); status != 200 || got["status"] != "success" {
			t.Fatalf("another user: %d %v", status, got)
		}
		e.clock.Advance(time.Second)
		if status, _, got := e.hub("POST", "/api/hub/perform/weather_forecast", "agent|ann", "{}"); status != 200 {
			t.Fatalf("after Retry-After: %d %v", status, got)
		}
	})
}

// An action that needs the user's approval answers requires_action with
// action_type confirm, and reaches the upstream only after approval.
func TestPerform_ApprovalRequiresAction(t *testing.T) {
	engines(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng, nil)
		e.setup()
		e.native("PATCH", "/v1/app", map[string]any{"settings": map[string]any{"approval_default_for_delete": "confirm"}}, 200)
		e.native("PUT", "/v1/integrations/weather", map[string]any{"name": "Weather", "base_url": e.upstream.URL + "/api", "auth": map[string]any{"type": "none"},
			"actions": []any{map[string]any{"name": "clear", "method": "DELETE", "path": "/forecast"}}}, 200)
		status, _, got := e.hub("POST", "/api/hub/perform/weather_clear", "agent|ann", "{}")
		if status != 200 || got["status"] != "requires_action" || got["action_type"] != "confirm" ||
			!strings.Contains(got["action_url"].(string), "/connect/") || !strings.Contains(got["assistant_hint"].(string), "'action_url'") {
			t.Fatalf("%d %v", status, got)
		}
		if n := e.upstream.count(); n != 0 {
			t.Fatalf("the upstream was reached %d times", n)
		}
	})
}
