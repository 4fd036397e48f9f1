package sessionstorage_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/compat/compattest"
)

// TestMetrics_CountSessionsWhereverTheyEnd: portico_events_total counts
// sessions created and revoked in the service, so a revoke through this
// surface and a refresh token presented twice are counted like native
// ones, each session once.
func TestMetrics_CountSessionsWhereverTheyEnd(t *testing.T) {
	for _, eng := range compattest.Engines(t) {
		t.Run(eng.Name, func(t *testing.T) {
			e := newEnv(t, eng, nil)
			events := func() string {
				t.Helper()
				_, _, body := e.srv.Do("GET", "/metrics", "")
				var out []string
				for _, line := range strings.Split(string(body), "\n") {
					if strings.HasPrefix(line, `portico_events_total{event="session_`) {
						out = append(out, line)
					}
				}
				return strings.Join(out, "; ")
			}
			want := func(what string, created, revoked int) {
				t.Helper()
				w := fmt.Sprintf(`portico_events_total{event="session_created"} %d`, created)
				if revoked > 0 {
					w += fmt.Sprintf(`; portico_events_total{event="session_revoked"} %d`, revoked)
				}
				if got := events(); got != w {
					t.Errorf("%s: %s, want %s", what, got, w)
				}
			}

			id, _ := e.newSession(e.key, map[string]any{"external_id": "ann"})
			status, _, m := e.srv.JSON("POST", "/v1/sessions", map[string]any{"user": map[string]any{"external_id": "bob"}, "refreshable": true},
				"Authorization", "Bearer "+e.key)
			if status != 201 {
				t.Fatalf("refreshable session: %d %v", status, m)
			}
			want("two created", 2, 0)

			if status, _, m := e.ss("DELETE", "/session-storage/sessions/"+id, nil); status != 204 {
				t.Fatalf("delete: %d %v", status, m)
			}
			e.ss("DELETE", "/session-storage/sessions/"+id, nil)
			want("revoked through session-storage, twice", 2, 1)

			rt := m["refresh_token"].(string)
			refresh := func() int {
				status, _, _ := e.srv.JSON("POST", "/v1/tokens/refresh", map[string]any{"refresh_token": rt}, "Authorization", "Bearer "+e.key)
				return status
			}
			if s := refresh(); s != 200 {
				t.Fatalf("refresh: %d", s)
			}
			e.clock.Add(time.Microsecond) // after the rotation, not in a race with it
			if s := refresh(); s != 401 {
				t.Fatalf("reused refresh token: %d", s)
			}
			want("revoked on reuse", 2, 2)
			if s := refresh(); s != 401 {
				t.Fatalf("reused refresh token again: %d", s)
			}
			want("reused again, already revoked", 2, 2)
		})
	}
}
