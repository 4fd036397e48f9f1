package web_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/cli"
	"github.com/porticohq/portico/internal/cli/clitest"
)

// The approval URL of a call opens the page, which shows the call with
// Approve and Decline (CSRF-protected); approving lets the next identical
// call through once, declining never.
func TestApprovalScreen_ApproveAndDecline(t *testing.T) {
	var hits atomic.Int32
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	t.Cleanup(up.Close)
	s := newSite(t, func(c *cli.Config) { c.AllowPrivateUpstreams = true })
	s.api("PUT", "/v1/integrations/repos", map[string]any{"name": "Repos", "base_url": up.URL, "auth": map[string]any{"type": "none"},
		"actions": []any{map[string]any{"name": "delete-repo", "method": "DELETE", "path": "/repos/{repo}", "approval": "confirm",
			"input_schema": map[string]any{"type": "object", "properties": map[string]any{"repo": map[string]any{"type": "string"}}}}}}, 201)
	perform := func(repo string, want int) map[string]any {
		t.Helper()
		return s.api("POST", "/v1/perform", map[string]any{"user": map[string]any{"external_id": "u-1"}, "integration": "repos",
			"action": "delete-repo", "input": map[string]any{"repo": repo}}, want)
	}
	details := func(body map[string]any) map[string]any {
		return body["error"].(map[string]any)["details"].(map[string]any)
	}

	d := details(perform("web", 409))
	c := clitest.Browser()
	clitest.Get(t, c, d["approval_url"].(string))
	_, page := clitest.Get(t, c, s.URL+"/connect/")
	id := d["approval_id"].(string)
	if !strings.Contains(page, `id="approval-`+id+`"`) || !strings.Contains(page, "DELETE /repos/web") {
		t.Fatalf("the page does not show the call:\n%s", page)
	}
	csrf := csrfOf(t, page)
	if res, _ := post(t, c, s.URL+"/connect/approvals/"+id+"/approve", url.Values{}, nil); res.StatusCode != http.StatusForbidden {
		t.Fatalf("approve without the CSRF token: %d", res.StatusCode)
	}
	perform("web", 409)
	if res, _ := post(t, c, s.URL+"/connect/approvals/"+id+"/approve", url.Values{"csrf_token": {csrf}}, nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("approve: %d", res.StatusCode)
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("the upstream was reached %d times before the retry", n)
	}
	perform("web", 200)
	perform("web", 409)
	if n := hits.Load(); n != 1 {
		t.Fatalf("%d upstream calls after one approval", n)
	}

	d = details(perform("api", 409))
	_, page = clitest.Get(t, c, s.URL+"/connect/")
	if res, _ := post(t, c, s.URL+"/connect/approvals/"+d["approval_id"].(string)+"/decline", url.Values{"csrf_token": {csrfOf(t, page)}}, nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("decline: %d", res.StatusCode)
	}
	res, page := clitest.Get(t, c, s.URL+"/connect/?notice=declined")
	if res.StatusCode != 200 || strings.Contains(page, `id="approval-`+d["approval_id"].(string)+`"`) {
		t.Fatalf("a declined call is still shown:\n%s", page)
	}
	res, _ = post(t, c, s.URL+"/connect/approvals/"+d["approval_id"].(string)+"/approve", url.Values{"csrf_token": {csrf}}, nil)
	if body := failedForm(t, c, s.URL, res); !strings.Contains(body, "declined") {
		t.Fatalf("approving a declined call:\n%s", body)
	}
	perform("api", 409)
	if n := hits.Load(); n != 1 {
		t.Fatalf("a declined call reached the upstream (%d calls)", n)
	}
}

// reposSite is a site whose integration repos has an action that needs
// approval, and notes one that does not; perform calls repos for u-1.
func reposSite(t *testing.T, hits *atomic.Int32) (*site, func(repo string, want int) map[string]any) {
	t.Helper()
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	t.Cleanup(up.Close)
	s := newSite(t, func(c *cli.Config) { c.AllowPrivateUpstreams = true })
	s.api("PUT", "/v1/integrations/repos", map[string]any{"name": "Repos", "base_url": up.URL, "auth": map[string]any{"type": "none"},
		"actions": []any{map[string]any{"name": "delete-repo", "method": "DELETE", "path": "/repos/{repo}", "approval": "confirm",
			"input_schema": map[string]any{"type": "object", "properties": map[string]any{"repo": map[string]any{"type": "string"}}}}}}, 201)
	s.api("PUT", "/v1/integrations/notes", map[string]any{"name": "Notes", "base_url": up.URL, "auth": map[string]any{"type": "api_key",
		"fields": []any{map[string]any{"name": "api_key", "label": "API key", "secret": true}},
		"inject": map[string]any{"header": "Authorization", "format": "Bearer {api_key}"}}}, 201)
	return s, func(repo string, want int) map[string]any {
		t.Helper()
		return s.api("POST", "/v1/perform", map[string]any{"user": map[string]any{"external_id": "u-1"}, "integration": "repos",
			"action": "delete-repo", "input": map[string]any{"repo": repo}}, want)
	}
}

// A page shows and decides the approvals of the integrations its session
// shows only.
func TestApprovalScreen_OnlyTheSessionsIntegrations(t *testing.T) {
	var hits atomic.Int32
	s, perform := reposSite(t, &hits)
	id := perform("web", 409)["error"].(map[string]any)["details"].(map[string]any)["approval_id"].(string)
	link := s.api("POST", "/v1/sessions", map[string]any{"user": map[string]any{"external_id": "u-1"},
		"settings": map[string]any{"integrations": []any{"notes"}}}, 201)["configuration_url"].(string)
	c := clitest.Browser()
	if res, body := clitest.Get(t, c, link); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("open: %d %s", res.StatusCode, body)
	}
	res, page := clitest.Get(t, c, s.URL+"/connect/")
	if res.StatusCode != 200 || strings.Contains(page, id) {
		t.Fatalf("a session of notes shows an approval of repos:\n%s", page)
	}
	_, form := clitest.Get(t, c, s.URL+"/connect/integrations/notes")
	res, _ = post(t, c, s.URL+"/connect/approvals/"+id+"/approve", url.Values{"csrf_token": {csrfOf(t, form)}}, nil)
	if body := failedForm(t, c, s.URL, res); !strings.Contains(body, "not found") {
		t.Fatalf("approving another integration's call:\n%s", body)
	}
	perform("web", 409)
	if n := hits.Load(); n != 0 {
		t.Fatalf("the call reached the upstream %d times", n)
	}
}

// On a page opened with a session token — what an agent holds too — an app
// that verifies its users confirms the user before a decision counts.
func TestApprovalScreen_TokenPageConfirmsTheUserFirst(t *testing.T) {
	var hits atomic.Int32
	s, perform := reposSite(t, &hits)
	s.verifying()
	id := perform("web", 409)["error"].(map[string]any)["details"].(map[string]any)["approval_id"].(string)
	tok := s.api("POST", "/v1/sessions", map[string]any{"user": map[string]any{"external_id": "u-1"}}, 201)["token"].(string)
	c := clitest.Browser()
	if res, _ := post(t, c, s.URL+"/connect/open", url.Values{"token": {tok}}, nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("open with token: %d", res.StatusCode)
	}
	_, page := clitest.Get(t, c, s.URL+"/connect/")
	if !strings.Contains(page, `id="approval-`+id+`"`) {
		t.Fatalf("the token's page does not show the call:\n%s", page)
	}
	res, _ := post(t, c, s.URL+"/connect/approvals/"+id+"/approve", url.Values{"csrf_token": {csrfOf(t, page)}}, nil)
	loc := res.Header.Get("Location")
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "https://app.example.com/verify?") {
		t.Fatalf("approve on a token's page: %d %s", res.StatusCode, loc)
	}
	perform("web", 409)
	if n := hits.Load(); n != 0 {
		t.Fatalf("the call reached the upstream before the user was confirmed (%d calls)", n)
	}
	u, _ := url.Parse(loc)
	back := s.confirm(u.Query().Get("flow"), "u-1", 200)["return_to"].(string)
	if res, _ := clitest.Get(t, c, back); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/connect/?approval="+id {
		t.Fatalf("return: %d %s, want the page with the call being decided first", res.StatusCode, res.Header.Get("Location"))
	}
	_, page = clitest.Get(t, c, s.URL+"/connect/")
	res, _ = post(t, c, s.URL+"/connect/approvals/"+id+"/approve", url.Values{"csrf_token": {csrfOf(t, page)}}, nil)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/connect/?notice=approved" {
		t.Fatalf("approve once confirmed: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	perform("web", 200)
	if n := hits.Load(); n != 1 {
		t.Fatalf("%d upstream calls after the approval", n)
	}
}

// An approval URL names its call, which the page shows first, however many
// calls wait before it: older calls cannot hide it past the list's 100.
func TestApprovalScreen_TheURLsCallComesFirst(t *testing.T) {
	var hits atomic.Int32
	s, perform := reposSite(t, &hits)
	s.api("PATCH", "/v1/app", map[string]any{"settings": map[string]any{"perform_burst_per_user": 1000}}, 200)
	for i := range 105 {
		perform("old-"+strconv.Itoa(i), 409)
	}
	s.Clock.Advance(time.Second)
	d := perform("web", 409)["error"].(map[string]any)["details"].(map[string]any)
	id, link := d["approval_id"].(string), d["approval_url"].(string)
	if !strings.HasSuffix(link, "?approval="+id) {
		t.Fatalf("approval_url %s does not name %s", link, id)
	}
	c := clitest.Browser()
	res, _ := clitest.Get(t, c, link)
	if loc := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || loc != "/connect/?approval="+id {
		t.Fatalf("open: %d %s", res.StatusCode, loc)
	}
	_, page := clitest.Get(t, c, s.URL+"/connect/?approval="+id)
	first := strings.Index(page, `id="approval-`)
	if first < 0 || !strings.HasPrefix(page[first:], `id="approval-`+id+`"`) {
		t.Fatalf("the URL's call is not first on the page")
	}
	if n := strings.Count(page, `id="approval-`); n != 101 {
		t.Errorf("%d calls shown, want the URL's and the 100 oldest", n)
	}
	// Another id, or one not pending, leaves the list as it is.
	for _, q := range []string{"?approval=apr_nope", "?approval=" + url.QueryEscape("<x>"), ""} {
		if res, page := clitest.Get(t, c, s.URL+"/connect/"+q); res.StatusCode != 200 || strings.Count(page, `id="approval-`) != 100 {
			t.Errorf("%q: %d, %d calls shown", q, res.StatusCode, strings.Count(page, `id="approval-`))
		}
	}
}
