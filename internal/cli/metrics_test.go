package cli_test

import (
	"net/http"
	"regexp"
	"strconv"
	"testing"

	"github.com/porticohq/portico/internal/store/storetest"
)

// On SQLite, /metrics counts the pages the token lookups read past their
// connections' caches, by lookup; PostgreSQL's lookups have no such cache
// in the process, and the series is absent there (docs/operations.md).
func TestMetrics_SQLiteLookupPageReads(t *testing.T) {
	series := regexp.MustCompile(`(?m)^portico_sqlite_lookup_page_reads_total\{lookup="(session|api_key)"\} (\d+)$`)
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			s := startServer(t, newLeakWatch(t), e, nil)
			_, key := s.createApp("metrics")
			if code, body := httpGet(t, s.URL+"/v1/app", http.Header{"Authorization": {"Bearer " + key}}); code != http.StatusOK {
				t.Fatalf("GET /v1/app: %d %s", code, body)
			}
			_, metrics := httpGet(t, s.URL+"/metrics", nil)
			got := map[string]int{}
			for _, m := range series.FindAllStringSubmatch(string(metrics), -1) {
				got[m[1]], _ = strconv.Atoi(m[2])
			}
			if e.Name != "sqlite" {
				if len(got) != 0 {
					t.Fatalf("lookup page reads on %s: %v", e.Name, got)
				}
				return
			}
			if _, ok := got["session"]; !ok || got["api_key"] == 0 {
				t.Fatalf("after an API key lookup on a cold store, the page reads are %v; want a session series and api_key > 0", got)
			}
		})
	}
}
