package httpapi_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/porticohq/portico/internal/httpapi"
	"github.com/porticohq/portico/internal/portico"
	"github.com/porticohq/portico/internal/store/storetest"
)

// TestRoutePermissions_NamesPermissions: every entry of the table is a
// permission or NoAPIKey, and every native route that takes a key has
// one (the whole server's routes are walked in internal/cli).
func TestRoutePermissions_NamesPermissions(t *testing.T) {
	for pattern, need := range httpapi.RoutePermissions {
		if need != httpapi.NoAPIKey && !slices.Contains(portico.Permissions, need) {
			t.Errorf("%s needs %q, which is not a permission", pattern, need)
		}
	}
	for _, p := range routePatterns(t) {
		if _, ok := httpapi.RoutePermissions[p]; !ok {
			t.Errorf("routes.go registers %s, which RoutePermissions does not name", p)
		}
	}
}

// TestRoutePermissions_UnlistedRouteRefused: a route that reads an API key
// but has no permission in the table, or is marked as taking none, is
// refused as an internal error, whatever the key, and the log says why.
func TestRoutePermissions_UnlistedRouteRefused(t *testing.T) {
	e := newEnv(t, storetest.Engines(t)[0])
	_, key := e.newApp("Unlisted")
	read := func(w http.ResponseWriter, r *http.Request) {
		if _, err := e.API.AuthenticateKey(r, key); err != nil {
			e.API.WriteError(w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
	e.API.Handle("GET /v1/unlisted", http.HandlerFunc(read))
	r := e.do("GET", "/v1/unlisted", nil, nil)
	if r.Status != http.StatusInternalServerError || r.code() != "internal" || strings.Contains(string(r.Raw), "RoutePermissions") {
		t.Errorf("GET /v1/unlisted: %d %s", r.Status, r.Raw)
	}
	req := httptest.NewRequest("GET", "/v1/me", nil)
	req.Pattern = "GET /v1/me" // a session-token route: NoAPIKey
	if _, err := e.API.AuthenticateKey(req, key); portico.ErrorCode(err) != portico.CodeInternal {
		t.Errorf("a key on a route that takes none: %v", err)
	}
	if !strings.Contains(e.logs.String(), `route \"GET /v1/unlisted\" reads an API key but RoutePermissions names no permission for it`) {
		t.Errorf("the log does not say which route lacks a permission: %s", e.logs.String())
	}
}

// TestRoutePermissions_Documented: the table of docs/identity.md ("Key
// permissions") is RoutePermissions, route for route.
func TestRoutePermissions_Documented(t *testing.T) {
	raw, err := os.ReadFile("../../docs/identity.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(raw), "\n## Key permissions\n")
	if !ok {
		t.Fatal("docs/identity.md has no Key permissions section")
	}
	if i := strings.Index(section, "\n## "); i >= 0 {
		section = section[:i]
	}
	documented := map[string]string{}
	for _, m := range regexp.MustCompile("(?m)^\\| `([^`]+)` \\| `([^`]+)` \\|$").FindAllStringSubmatch(section, -1) {
		if _, dup := documented[m[1]]; dup {
			t.Errorf("docs/identity.md lists %s twice", m[1])
		}
		documented[m[1]] = m[2]
	}
	for pattern, need := range httpapi.RoutePermissions {
		if need == httpapi.NoAPIKey {
			if _, ok := documented[pattern]; ok {
				t.Errorf("docs/identity.md gives %s a permission; it takes no API key", pattern)
			}
			continue
		}
		if documented[pattern] != need {
			t.Errorf("docs/identity.md: %s needs %q, want %q", pattern, documented[pattern], need)
		}
		delete(documented, pattern)
	}
	for pattern := range documented {
		t.Errorf("docs/identity.md lists %s, which RoutePermissions does not", pattern)
	}
}
