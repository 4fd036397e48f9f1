package web_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/porticohq/portico/internal/cli"
	"github.com/porticohq/portico/internal/cli/clitest"
)

// apiKeyOf reads the api_key stored for the site's one acme connection.
func (s *site) apiKeyOf(t *testing.T) string {
	t.Helper()
	id := s.connections()[0].(map[string]any)["id"].(string)
	app := s.api("GET", "/v1/app", nil, 200)["id"].(string)
	c, err := s.Store.FindConnectionByID(context.Background(), app, id)
	if err != nil {
		t.Fatal(err)
	}
	creds, err := s.Svc.OpenCredentials(c)
	if err != nil {
		t.Fatal(err)
	}
	return creds["api_key"]
}

// Without reauthorize in allow_actions the page hides the form of a
// connected integration, and the server refuses its credentials too (form
// and OAuth alike); a connection that is not connected may be connected
// again.
func TestPage_ReplacingCredentialsNeedsReauthorize(t *testing.T) {
	p := newProvider(t)
	s := oauthSite(t, p)
	link, _, _ := s.session(map[string]any{"settings": map[string]any{"allow_actions": []string{"disconnect"}}})
	c := clitest.Browser()
	clitest.Get(t, c, link)
	_, page := clitest.Get(t, c, s.URL+"/connect/integrations/acme")
	csrf := csrfOf(t, page)
	connect := func(key string) int {
		res, _ := post(t, c, s.URL+"/connect/integrations/acme", url.Values{"csrf_token": {csrf}, "api_key": {key}}, nil)
		return res.StatusCode
	}
	if st := connect("k-1"); st != http.StatusSeeOther {
		t.Fatalf("first connect: %d", st)
	}
	if _, page := clitest.Get(t, c, s.URL+"/connect/integrations/acme"); strings.Contains(page, `name="api_key"`) {
		t.Fatal("the form of a connected integration is shown without reauthorize")
	}
	if st := connect("k-2"); st != http.StatusForbidden {
		t.Fatalf("replacing the credentials without reauthorize: %d, want 403", st)
	}
	if got := s.apiKeyOf(t); got != "k-1" {
		t.Fatalf("the refused form stored %q", got)
	}
	id := s.connections()[0].(map[string]any)["id"].(string)
	if res, _ := post(t, c, s.URL+"/connect/connections/"+id+"/disconnect", url.Values{"csrf_token": {csrf}}, nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("disconnect: %d", res.StatusCode)
	}
	if st := connect("k-3"); st != http.StatusSeeOther {
		t.Fatalf("connecting a disconnected integration again: %d", st)
	}
	if got := s.apiKeyOf(t); got != "k-3" {
		t.Fatalf("after connecting again: %q", got)
	}

	// OAuth: connected through a session with the default allow_actions
	// (which have reauthorize); one without it may not start again.
	oc := clitest.Browser()
	if res, _ := clitest.Get(t, oc, authorize(t, startOAuth(t, s, oc), "approve")); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("OAuth callback: %d", res.StatusCode)
	}
	link2, _, _ := s.session(map[string]any{"settings": map[string]any{"allow_actions": []string{"disconnect"}}})
	nc := clitest.Browser()
	clitest.Get(t, nc, link2)
	_, confirm := clitest.Get(t, nc, s.URL+"/connect/connections/"+id+"/disconnect")
	exchanges := p.exchanges
	if res, _ := post(t, nc, s.URL+"/connect/oauth/gitlab/start", url.Values{"csrf_token": {csrfOf(t, confirm)}}, nil); res.StatusCode != http.StatusForbidden {
		t.Fatalf("starting OAuth again without reauthorize: %d, want 403", res.StatusCode)
	}
	if p.exchanges != exchanges {
		t.Fatal("a refused start reached the provider")
	}
}

// A tampered page token of the activity is a 400 page, not a failure.
func TestPage_ActivityPageTokenTampered(t *testing.T) {
	s := newSite(t)
	link, _, _ := s.session(nil)
	c := clitest.Browser()
	clitest.Get(t, c, link)
	res, body := clitest.Get(t, c, s.URL+"/connect/activity?page_token=junk")
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, "This request was not understood") {
		t.Fatalf("a tampered page token: %d\n%s", res.StatusCode, body)
	}
	if strings.Contains(s.logs.String(), "connect_failed") {
		t.Error("a tampered page token was logged as a failure")
	}
}

// The page's cookie lives past the session's current end, up to the app's
// maximum lifetime: an extension keeps the page open.
func TestPage_CookieOutlivesAnExtension(t *testing.T) {
	s := newSite(t)
	link, id, _ := s.session(map[string]any{"ttl_seconds": 60})
	c := clitest.Browser()
	res, _ := clitest.Get(t, c, link)
	var maxAge int
	for _, ck := range res.Cookies() {
		if strings.HasSuffix(ck.Name, "session") {
			maxAge = ck.MaxAge
		}
	}
	// Default max_session_ttl_seconds: 7 days, plus an hour.
	if want := 7*24*3600 + 3600; maxAge < want-5 || maxAge > want {
		t.Fatalf("cookie Max-Age %d, want about %d", maxAge, want)
	}
	s.api("POST", "/v1/sessions/"+id+"/extend", map[string]any{"ttl_seconds": 3600}, 200)
	s.Clock.Advance(2 * time.Minute)
	if res, _ := clitest.Get(t, c, s.URL+"/connect/"); res.StatusCode != http.StatusOK {
		t.Fatalf("the page after an extension: %d", res.StatusCode)
	}
	s.Clock.Advance(2 * time.Hour)
	if res, body := clitest.Get(t, c, s.URL+"/connect/"); res.StatusCode != http.StatusGone || !strings.Contains(body, "This session has ended") {
		t.Fatalf("the page after the session's end: %d\n%s", res.StatusCode, body)
	}
}

// A failed form whose values would not fit in a cookie still shows its
// error.
func TestPage_FailedFormWithLongValues(t *testing.T) {
	s := newSite(t)
	link, _, _ := s.session(nil)
	c := clitest.Browser()
	clitest.Get(t, c, link)
	_, page := clitest.Get(t, c, s.URL+"/connect/integrations/acme")
	res, _ := post(t, c, s.URL+"/connect/integrations/acme", url.Values{"csrf_token": {csrfOf(t, page)}, "api_key": {""}, "region": {strings.Repeat("r", 5000)}}, nil)
	if body := failedForm(t, c, s.URL, res); strings.Contains(body, strings.Repeat("r", 5000)) {
		t.Fatal("the long value was kept")
	}
}

// The activity lists the integrations the session shows only, as the
// rest of the page does.
func TestPage_ActivityKeepsToTheSessionsIntegrations(t *testing.T) {
	s := newSite(t)
	s.api("PUT", "/v1/integrations/beta", map[string]any{
		"name": "Beta", "category": "crm", "base_url": "https://api.beta.example",
		"auth": map[string]any{"type": "api_key", "fields": []any{map[string]any{"name": "api_key", "label": "API key", "secret": true}},
			"inject": map[string]any{"header": "X-Api-Key", "format": "{api_key}"}},
	}, 201)
	link, _, _ := s.session(nil)
	c := clitest.Browser()
	clitest.Get(t, c, link)
	_, page := clitest.Get(t, c, s.URL+"/connect/integrations/acme")
	for _, slug := range []string{"acme", "beta"} {
		if res, _ := post(t, c, s.URL+"/connect/integrations/"+slug, url.Values{"csrf_token": {csrfOf(t, page)}, "api_key": {"k"}}, nil); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("connect %s: %d", slug, res.StatusCode)
		}
	}
	if err := s.Store.FlushActivity(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, all := clitest.Get(t, c, s.URL+"/connect/activity"); !strings.Contains(all, "Acme &lt;CRM&gt;") || !strings.Contains(all, "Beta") {
		t.Fatalf("the activity of a session showing both:\n%s", all)
	}

	scoped, _, _ := s.session(map[string]any{"settings": map[string]any{"integrations": []string{"beta"}}})
	sc := clitest.Browser()
	clitest.Get(t, sc, scoped)
	if _, body := clitest.Get(t, sc, s.URL+"/connect/activity"); strings.Contains(body, "Acme &lt;CRM&gt;") || !strings.Contains(body, "Beta") {
		t.Fatalf("the activity of a session showing beta only:\n%s", body)
	}
	if res, _ := clitest.Get(t, sc, s.URL+"/connect/activity?integration=acme"); res.StatusCode != http.StatusNotFound {
		t.Fatalf("another integration's activity: %d, want 404", res.StatusCode)
	}
}

// A callback without a code is refused before the token endpoint (RFC
// 6749 §4.1.2), and a provider's error text is cut at a character, never
// inside one.
func TestOAuth_CallbackWithoutCodeOrWithLongError(t *testing.T) {
	p := newProvider(t)
	s := oauthSite(t, p)
	c := clitest.Browser()
	cb, _ := url.Parse(authorize(t, startOAuth(t, s, c), "approve"))
	q := cb.Query()
	q.Del("code")
	cb.RawQuery = q.Encode()
	if res, body := clitest.Get(t, c, cb.String()); res.StatusCode != http.StatusBadRequest || !strings.Contains(body, "without an authorization") {
		t.Fatalf("a callback without a code: %d\n%s", res.StatusCode, body)
	}
	if p.exchanges != 0 {
		t.Fatal("a callback without a code reached the token endpoint")
	}

	cb, _ = url.Parse(authorize(t, startOAuth(t, s, c), "approve"))
	q = cb.Query()
	q.Del("code")
	q.Set("error", "access_denied")
	q.Set("error_description", "a"+strings.Repeat("é", 200))
	cb.RawQuery = q.Encode()
	res, body := clitest.Get(t, c, cb.String())
	if res.StatusCode != http.StatusBadRequest || !utf8.ValidString(body) || !strings.Contains(body, "é…") {
		t.Fatalf("a long provider error: %d, valid UTF-8 %v", res.StatusCode, utf8.ValidString(body))
	}
}

// A form that sends a field twice is refused (which to take would be a
// guess); the static files have no folder listing; "Done" goes back only
// to a redirect URI the app still allows.
func TestPage_DuplicateFieldsListingsAndDone(t *testing.T) {
	s := newSite(t)
	link, _, _ := s.session(map[string]any{"redirect_uri": "https://app.example.com/settings"})
	c := clitest.Browser()
	clitest.Get(t, c, link)
	_, page := clitest.Get(t, c, s.URL+"/connect/integrations/acme")
	csrf := csrfOf(t, page)
	if res, _ := post(t, c, s.URL+"/connect/integrations/acme", url.Values{"csrf_token": {csrf}, "api_key": {"first", "second"}}, nil); res.StatusCode != http.StatusBadRequest {
		t.Fatalf("a credential sent twice: %d, want 400", res.StatusCode)
	}
	if len(s.connections()) != 0 {
		t.Fatal("a form with a field sent twice stored a connection")
	}
	for _, path := range []string{"/connect/static/"} {
		if res, body := clitest.Get(t, c, s.URL+path); res.StatusCode != http.StatusNotFound || strings.Contains(body, "<a href") {
			t.Errorf("GET %s: %d, want 404 and no listing", path, res.StatusCode)
		}
	}
	if res, _ := post(t, c, s.URL+"/connect/done", url.Values{"csrf_token": {csrf}}, nil); res.Header.Get("Location") != "https://app.example.com/settings" {
		t.Fatalf("done: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	s.api("PATCH", "/v1/app", map[string]any{"settings": map[string]any{"allowed_redirect_uris": []string{"https://app.example.com/other"}}}, 200)
	if res, _ := post(t, c, s.URL+"/connect/done", url.Values{"csrf_token": {csrf}}, nil); res.Header.Get("Location") != "/connect/?notice=done" {
		t.Fatalf("done after the app dropped the URI: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
}

// /connect/open takes a POST from the app: a GET is told so (405), not
// taken for a link.
func TestPage_OpenIsAPost(t *testing.T) {
	s := newSite(t)
	res, body := clitest.Get(t, clitest.Browser(), s.URL+"/connect/open")
	if res.StatusCode != http.StatusMethodNotAllowed || res.Header.Get("Allow") != "POST" || !strings.Contains(body, "takes a form post") {
		t.Fatalf("GET /connect/open: %d %q\n%s", res.StatusCode, res.Header.Get("Allow"), body)
	}
}

// Any other /connect/ address is a page, with the page's headers: an
// unknown one is 404, a known one asked with another method 405 with its
// methods.
func TestPage_UnroutedAddressesArePages(t *testing.T) {
	s := newSite(t)
	c := clitest.Browser()
	for _, tc := range []struct {
		method, path string
		status       int
		allow, says  string
	}{
		{"GET", "/connect/no/such/page", http.StatusNotFound, "", "This page does not exist"},
		{"POST", "/connect/no/such/page", http.StatusNotFound, "", "This page does not exist"},
		{"DELETE", "/connect/integrations/acme", http.StatusMethodNotAllowed, "GET, HEAD, POST", "does not take that request"},
		{"PUT", "/connect/suggestions", http.StatusMethodNotAllowed, "POST", "does not take that request"},
		{"POST", "/connect/activity", http.StatusMethodNotAllowed, "GET, HEAD", "does not take that request"},
		{"DELETE", "/connect/pcc_unknown", http.StatusNotFound, "", "This page does not exist"},
		// A URL no page can hold is refused as a page, not as the API.
		{"GET", "/connect/activity?page_token=%FF", http.StatusBadRequest, "", "This request was not understood"},
		{"GET", "/connect/activity?a=1;b=2", http.StatusBadRequest, "", "This request was not understood"},
		{"POST", "/connect/approvals/apr_x%00y/approve", http.StatusBadRequest, "", "This request was not understood"},
		{"GET", "/connect/no/such%00page", http.StatusBadRequest, "", "This request was not understood"},
	} {
		req, _ := http.NewRequest(tc.method, s.URL+tc.path, nil)
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != tc.status || res.Header.Get("Allow") != tc.allow || !strings.Contains(string(body), tc.says) ||
			!strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") || res.Header.Get("X-Frame-Options") != "DENY" ||
			!strings.Contains(res.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
			t.Errorf("%s %s: %d Allow %q %v\n%s", tc.method, tc.path, res.StatusCode, res.Header.Get("Allow"), res.Header, body)
		}
	}
}

// Forms sent at once from two tabs all pass the check before any is
// stored (the provider's verification takes a while): without
// reauthorize, one connects and the others are refused, not stored over
// it.
func TestPage_ConcurrentConnectsWithoutReauthorize(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(200 * time.Millisecond)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"name":"Ann Lee"}`))
	}))
	defer up.Close()
	s := newSite(t, func(c *cli.Config) { c.AllowPrivateUpstreams = true })
	s.api("PUT", "/v1/integrations/slow", map[string]any{
		"name": "Slow", "base_url": up.URL,
		"verify": map[string]any{"method": "GET", "path": "/me", "label_pointer": "/name"},
		"auth": map[string]any{"type": "api_key", "fields": []any{map[string]any{"name": "api_key", "label": "API key", "secret": true}},
			"inject": map[string]any{"header": "X-Api-Key", "format": "{api_key}"}},
	}, 201)
	link, _, _ := s.session(map[string]any{"settings": map[string]any{"integrations": []string{"slow"}, "allow_actions": []string{"disconnect"}}})
	c := clitest.Browser()
	clitest.Get(t, c, link)
	_, page := clitest.Get(t, c, s.URL+"/connect/integrations/slow")
	csrf := csrfOf(t, page)
	codes := make([]int, 4)
	var wg sync.WaitGroup
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, _ := post(t, c, s.URL+"/connect/integrations/slow", url.Values{"csrf_token": {csrf}, "api_key": {"k-" + strconv.Itoa(i)}}, nil)
			codes[i] = res.StatusCode
		}()
	}
	wg.Wait()
	won := -1
	for i, code := range codes {
		switch {
		case code == http.StatusSeeOther && won < 0:
			won = i
		case code != http.StatusForbidden:
			t.Fatalf("answers %v: want one 303 and the others 403", codes)
		}
	}
	if won < 0 {
		t.Fatalf("answers %v: none connected", codes)
	}
	if got := s.apiKeyOf(t); got != "k-"+strconv.Itoa(won) {
		t.Fatalf("stored %q, but k-%d connected", got, won)
	}
}
