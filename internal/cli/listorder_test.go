package cli_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/porticohq/portico/internal/store/storetest"
)

// Lists are oldest first, by creation time, then id (SPEC §4), and show
// times to the second: rows made within one second, on a real clock, come
// in the order of the ids they show.
func TestLists_OrderIsTimeThenID(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			w := newLeakWatch(t)
			s := startServer(t, w, e, nil)
			_, key := s.createApp("Order")
			n := node{t: t, url: s.URL, hc: &http.Client{}}
			n.call("PUT", "/v1/integrations/acme", key, map[string]any{"name": "Acme", "base_url": "https://api.acme.example",
				"auth": map[string]any{"type": "api_key", "fields": []any{map[string]any{"name": "api_key", "label": "API key", "secret": true}},
					"inject": map[string]any{"header": "X-Api-Key", "format": "{api_key}"}}})
			for i := range 40 {
				ext := "u-" + string(rune('a'+i%26)) + string(rune('a'+i/26))
				if st, body := n.call("POST", "/v1/sessions", key, map[string]any{"user": map[string]any{"external_id": ext}}); st != http.StatusCreated {
					t.Fatalf("session: %d %v", st, body)
				}
				u := "/v1/users?external_id=" + ext
				_, users := n.call("GET", u, key, nil)
				id := users["data"].([]any)[0].(map[string]any)["id"].(string)
				if st, body := n.call("PUT", "/v1/users/"+id+"/connections/acme", key, map[string]any{"credentials": map[string]any{"api_key": "k-" + ext}}); st/100 != 2 {
					t.Fatalf("connection: %d %v", st, body)
				}
			}
			for _, path := range []string{"/v1/sessions", "/v1/users", "/v1/connections"} {
				var got []string
				for page := path + "?page_size=7"; ; {
					st, body := n.call("GET", page, key, nil)
					if st != http.StatusOK {
						t.Fatalf("%s: %d %v", page, st, body)
					}
					for _, r := range body["data"].([]any) {
						m := r.(map[string]any)
						got = append(got, m["created_at"].(string)+" "+m["id"].(string))
					}
					next, _ := body["next_page_token"].(string)
					if next == "" {
						break
					}
					page = path + "?page_size=7&page_token=" + next
				}
				if len(got) != 40 || !slices.IsSorted(got) {
					t.Errorf("%s: %d rows, not by (created_at, id):\n%s", path, len(got), strings.Join(got, "\n"))
				}
			}
		})
	}
}
