package cli_test

import (
	"net/http"
	"sync"
	"testing"

	"github.com/porticohq/portico/internal/store/storetest"
)

// On a real clock, of refreshes sent together with one token exactly one
// wins, and the winner's token presented again at once after its answer
// is a reuse that ends the session (SPEC §4). (Which of the others count
// as racing the winner depends on when each arrived: the store tests
// check that on a clock they set.)
func TestRefresh_RaceAndImmediateReuse(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			w := newLeakWatch(t)
			s := startServer(t, w, e, nil)
			_, key := s.createApp("Refresh")
			n := node{t: t, url: s.URL, hc: &http.Client{}}
			_, sess := n.call("POST", "/v1/sessions", key, map[string]any{"user": map[string]any{"external_id": "u-1"}, "refreshable": true})
			rt, _ := sess["refresh_token"].(string)
			if rt == "" {
				t.Fatalf("session: %v", sess)
			}
			var (
				wg      sync.WaitGroup
				mu      sync.Mutex
				won     []map[string]any
				refused int
			)
			for range 16 {
				wg.Go(func() {
					st, body := n.call("POST", "/v1/tokens/refresh", key, map[string]any{"refresh_token": rt})
					mu.Lock()
					defer mu.Unlock()
					switch st {
					case http.StatusOK:
						won = append(won, body)
					case http.StatusUnauthorized:
						refused++
					default:
						t.Errorf("refresh: %d %v", st, body)
					}
				})
			}
			wg.Wait()
			if len(won) != 1 || refused != 15 {
				t.Fatalf("%d refreshes won, %d refused; want 1 and 15", len(won), refused)
			}
			_, sess = n.call("POST", "/v1/sessions", key, map[string]any{"user": map[string]any{"external_id": "u-2"}, "refreshable": true})
			st, next := n.call("POST", "/v1/tokens/refresh", key, map[string]any{"refresh_token": sess["refresh_token"]})
			if st != http.StatusOK {
				t.Fatalf("refresh: %d %v", st, next)
			}
			if st, body := n.call("POST", "/v1/tokens/refresh", key, map[string]any{"refresh_token": sess["refresh_token"]}); st != http.StatusUnauthorized || body["error"].(map[string]any)["code"] != "invalid_token" {
				t.Fatalf("reuse: %d %v", st, body)
			}
			if st, body := n.call("GET", "/v1/me", next["token"].(string), nil); st != http.StatusUnauthorized {
				t.Fatalf("the session after an immediate reuse: %d %v", st, body)
			}
		})
	}
}
