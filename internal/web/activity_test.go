package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/porticohq/portico/internal/cli/clitest"
)

// The page lists what was done with the user's tools, newest first, overall
// and per connection, and never another user's rows.
func TestActivityPage_ListsTheUsersOwnRows(t *testing.T) {
	s := newSite(t)
	link, _, _ := s.session(nil)
	c := clitest.Browser()
	clitest.Get(t, c, link)
	_, page := clitest.Get(t, c, s.URL+"/connect/integrations/acme")
	csrf := csrfOf(t, page)
	if res, _ := post(t, c, s.URL+"/connect/integrations/acme", url.Values{"csrf_token": {csrf}, "api_key": {"sk_page_secret"}}, nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("connect: %d", res.StatusCode)
	}
	// Another user's call, which this user must not see.
	s.api("POST", "/v1/perform", map[string]any{"user": map[string]any{"external_id": "someone-else"}, "integration": "acme",
		"request": map[string]any{"method": "GET", "path": "/other-users-call"}}, 409)

	_, page = clitest.Get(t, c, s.URL+"/connect/integrations/acme")
	_, home := clitest.Get(t, c, s.URL+"/connect/")
	if !strings.Contains(page, `href="/connect/activity?integration=acme"`) || !strings.Contains(home, `href="/connect/activity"`) {
		t.Fatalf("the pages link no activity:\n%s\n%s", page, home)
	}
	res, all := clitest.Get(t, c, s.URL+"/connect/activity")
	if res.StatusCode != http.StatusOK || !strings.Contains(all, "Connected") || !strings.Contains(all, "Link created") {
		t.Fatalf("activity: %d\n%s", res.StatusCode, all)
	}
	if strings.Contains(all, "other-users-call") || strings.Contains(all, "sk_page_secret") {
		t.Fatalf("the activity shows another user's call or a secret:\n%s", all)
	}
	_, one := clitest.Get(t, c, s.URL+"/connect/activity?integration=acme")
	if !strings.Contains(one, "Connected") || strings.Contains(one, "Link created") {
		t.Fatalf("one tool's activity:\n%s", one)
	}
	if res, _ := clitest.Get(t, clitest.Browser(), s.URL+"/connect/activity"); res.StatusCode == http.StatusOK {
		t.Fatalf("activity without a page session: %d", res.StatusCode)
	}
}
