package httpapi_test

import (
	"testing"
	"time"

	"github.com/porticohq/portico/internal/store/storetest"
)

// A user who spent perform_burst_per_user gets 429 rate_limited with
// Retry-After, recorded as such; another user of the app is not slowed,
// and the budget refills at perform_rate_per_user.
func TestPerform_PerUserRateLimit(t *testing.T) {
	engines(t, func(t *testing.T, eng storetest.Engine) {
		f := newPerformFixture(t, eng)
		e, k := f.e, f.key
		if r := e.do("PATCH", "/v1/app", k, map[string]any{"settings": map[string]any{"perform_rate_per_user": 30, "perform_burst_per_user": 2}}); r.Status != 200 ||
			r.Body["settings"].(map[string]any)["perform_rate_per_user"] != float64(30) {
			t.Fatalf("patch: %d %s", r.Status, r.Raw)
		}
		call := func(user map[string]any) response {
			return e.do("POST", "/v1/perform", k, map[string]any{"user": user, "integration": "open", "request": map[string]any{"method": "GET", "path": "/x"}})
		}
		for i := range 2 {
			if r := call(u1()); r.Status != 200 {
				t.Fatalf("call %d: %d %s", i, r.Status, r.Raw)
			}
		}
		r := call(u1())
		if r.Status != 429 || r.code() != "rate_limited" || r.Header.Get("Retry-After") != "2" {
			t.Fatalf("over the burst: %d %v %s", r.Status, r.Header.Get("Retry-After"), r.Raw)
		}
		// Another user spends from a budget of its own.
		for i := range 2 {
			if r := call(map[string]any{"id": f.vipUser}); r.Status != 200 {
				t.Fatalf("other user, call %d: %d %s", i, r.Status, r.Raw)
			}
		}
		// The same user named by id spends from the same budget.
		if r := call(map[string]any{"id": f.user}); r.Status != 429 {
			t.Fatalf("u-1 by id, over the burst: %d %s", r.Status, r.Raw)
		}
		// A new user: the call that creates them spends from the budget
		// they then have, so burst calls in all, not burst + 1.
		for i, want := range []int{409, 409, 429} {
			r := e.do("POST", "/v1/perform", k, map[string]any{"user": map[string]any{"external_id": "u-new"}, "integration": "crm",
				"request": map[string]any{"method": "GET", "path": "/x"}})
			if r.Status != want {
				t.Fatalf("new user, call %d: %d %s", i, r.Status, r.Raw)
			}
		}
		e.Clock.Advance(2 * time.Second)
		if r := call(u1()); r.Status != 200 {
			t.Fatalf("after Retry-After: %d %s", r.Status, r.Raw)
		}
		if r := call(u1()); r.Status != 429 {
			t.Fatalf("one call refilled, two made: %d %s", r.Status, r.Raw)
		}
		if rows := activityRows(t, e, "/v1/activity?outcome=rate_limited&user_id="+f.user, k); len(rows) != 3 || rows[0]["user_id"] != f.user {
			t.Errorf("rate_limited rows %v", rows)
		}
		for name, v := range map[string]any{"perform_rate_per_user": 0, "perform_burst_per_user": 1000001} {
			if r := e.do("PATCH", "/v1/app", k, map[string]any{"settings": map[string]any{name: v}}); r.Status != 422 || r.code() != "validation_failed" {
				t.Errorf("%s %v: %d %s", name, v, r.Status, r.Raw)
			}
		}
	})
}
