package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/cli"
	"github.com/porticohq/portico/internal/cli/clitest"
)

func TestOpenLink_CookieRedirectAndSingleUse(t *testing.T) {
	s := newSite(t)
	link, _, _ := s.session(nil)
	c := clitest.Browser()
	// A link checker's HEAD leaves the link to the user: no cookie, and
	// the GET after it still opens the page.
	head, err := c.Head(link)
	if err != nil {
		t.Fatal(err)
	}
	head.Body.Close()
	if head.StatusCode != http.StatusOK || len(head.Cookies()) != 0 || head.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("HEAD: %d %v", head.StatusCode, head.Header)
	}
	res, _ := clitest.Get(t, c, link)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/connect/" {
		t.Fatalf("open: %d %v", res.StatusCode, res.Header)
	}
	var ck *http.Cookie
	for _, x := range res.Cookies() {
		if x.Name == "portico_session" {
			ck = x
		}
	}
	if ck == nil || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" || ck.Secure || ck.MaxAge <= 0 {
		t.Fatalf("cookie = %+v", ck)
	}
	for _, h := range []string{"Cache-Control", "Referrer-Policy", "X-Content-Type-Options"} {
		if res.Header.Get(h) == "" {
			t.Errorf("open link: no %s", h)
		}
	}
	res, body := clitest.Get(t, c, s.URL+"/connect/")
	if res.StatusCode != 200 || !strings.Contains(body, "Acme &lt;CRM&gt;") || strings.Contains(body, "Acme <CRM>") {
		t.Fatalf("page: %d\n%s", res.StatusCode, body)
	}
	csp := res.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'self'", "object-src 'none'", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %s", csp, want)
		}
	}
	if res.Header.Get("Referrer-Policy") != "no-referrer" || res.Header.Get("X-Content-Type-Options") != "nosniff" || res.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("headers: %v", res.Header)
	}
	// Used: 410 with plain words; unknown: 404.
	if res, body := clitest.Get(t, clitest.Browser(), link); res.StatusCode != http.StatusGone || !strings.Contains(body, "already been used") || !strings.Contains(body, "new link") {
		t.Fatalf("used link: %d %s", res.StatusCode, body)
	}
	if res, body := clitest.Get(t, clitest.Browser(), s.URL+"/connect/pcc_"+strings.Repeat("x", 43)); res.StatusCode != 404 || !strings.Contains(body, "not valid") {
		t.Fatalf("unknown link: %d %s", res.StatusCode, body)
	}
	// A link checker's HEAD sees a dead link as dead, as the GET does.
	for want, u := range map[int]string{http.StatusGone: link, http.StatusNotFound: s.URL + "/connect/pcc_" + strings.Repeat("x", 43)} {
		head, err := clitest.Browser().Head(u)
		if err != nil {
			t.Fatal(err)
		}
		head.Body.Close()
		if head.StatusCode != want {
			t.Errorf("HEAD %s: %d, want %d", u, head.StatusCode, want)
		}
	}
	if res, _ := clitest.Get(t, clitest.Browser(), s.URL+"/connect/"); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("page without cookie: %d", res.StatusCode)
	}
	// The code never reaches the log.
	code := strings.TrimPrefix(link, s.URL+"/connect/")
	if strings.Contains(s.logs.String(), code) {
		t.Fatal("the configuration code is in the log")
	}
}

func TestOpenLink_Expired(t *testing.T) {
	s := newSite(t)
	link, _, _ := s.session(nil)
	s.Clock.Advance(15 * time.Minute)
	if res, body := clitest.Get(t, clitest.Browser(), link); res.StatusCode != http.StatusGone || !strings.Contains(body, "expired") {
		t.Fatalf("expired link: %d %s", res.StatusCode, body)
	}
}

func TestOpenToken(t *testing.T) {
	s := newSite(t)
	_, _, tok := s.session(nil)
	c := clitest.Browser()
	res, _ := post(t, c, s.URL+"/connect/open", url.Values{"token": {tok}}, nil)
	if res.StatusCode != http.StatusSeeOther || len(res.Cookies()) == 0 {
		t.Fatalf("open with token: %d", res.StatusCode)
	}
	if res, _ := clitest.Get(t, c, s.URL+"/connect/"); res.StatusCode != 200 {
		t.Fatalf("page: %d", res.StatusCode)
	}
	// As with links (SPEC §5): a token never issued is 404, one whose
	// session ended is 410.
	for _, bad := range []string{"pst_nope", "", "prt_nope", "not a token"} {
		if res, body := post(t, clitest.Browser(), s.URL+"/connect/open", url.Values{"token": {bad}}, nil); res.StatusCode != http.StatusNotFound || !strings.Contains(body, "not valid") {
			t.Fatalf("unknown token %q: %d %s", bad, res.StatusCode, body)
		}
	}
	_, id, revoked := s.session(nil)
	s.api("DELETE", "/v1/sessions/"+id, nil, 204)
	_, _, expired := s.session(map[string]any{"ttl_seconds": 60})
	s.Clock.Advance(2 * time.Minute)
	for name, ended := range map[string]string{"revoked": revoked, "expired": expired} {
		if res, body := post(t, clitest.Browser(), s.URL+"/connect/open", url.Values{"token": {ended}}, nil); res.StatusCode != http.StatusGone || !strings.Contains(body, "ended") {
			t.Fatalf("%s session: %d %s", name, res.StatusCode, body)
		}
	}
}

// A widget on the app's own site posts the token cross-origin: admitted
// only from an origin the app lists.
func TestOpenToken_CrossOrigin(t *testing.T) {
	s := newSite(t)
	s.api("PATCH", "/v1/app", map[string]any{"settings": map[string]any{
		"allowed_redirect_uris": []string{"https://app.example.com/settings"},
		"allowed_frame_origins": []string{"https://widget.example.com"}}}, 200)
	_, _, tok := s.session(nil)
	cases := []struct {
		origin string
		want   int
	}{
		{"https://evil.example", http.StatusForbidden},
		{"null", http.StatusForbidden},
		{"https://app.example.com.evil.example", http.StatusForbidden},
		{"http://app.example.com", http.StatusForbidden},
		{"https://app.example.com", http.StatusSeeOther},
		{"https://widget.example.com", http.StatusSeeOther},
	}
	for _, c := range cases {
		res, _ := post(t, clitest.Browser(), s.URL+"/connect/open", url.Values{"token": {tok}},
			map[string]string{"Origin": c.origin, "Sec-Fetch-Site": "cross-site"})
		if res.StatusCode != c.want {
			t.Errorf("Origin %s: status %d, want %d", c.origin, res.StatusCode, c.want)
		}
		if c.want != http.StatusSeeOther && len(res.Cookies()) != 0 {
			t.Errorf("Origin %s: a refused request set a cookie", c.origin)
		}
	}
	// A cross-site request without an Origin is refused too.
	if res, _ := post(t, clitest.Browser(), s.URL+"/connect/open", url.Values{"token": {tok}},
		map[string]string{"Sec-Fetch-Site": "cross-site"}); res.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site without Origin: %d", res.StatusCode)
	}
}

func TestConnect_FormCSRFAndValidation(t *testing.T) {
	s := newSite(t)
	link, id, _ := s.session(map[string]any{"redirect_uri": "https://app.example.com/settings"})
	c := clitest.Browser()
	clitest.Get(t, c, link)
	_, page := clitest.Get(t, c, s.URL+"/connect/integrations/acme")
	csrf := csrfOf(t, page)
	form := url.Values{"csrf_token": {csrf}, "api_key": {"sk_live_123"}}

	// Refused: no token, a token of another page session, a foreign Origin.
	other := clitest.Browser()
	otherLink, _, _ := s.session(nil)
	clitest.Get(t, other, otherLink)
	_, otherPage := clitest.Get(t, other, s.URL+"/connect/integrations/acme")
	for name, tc := range map[string]struct {
		form url.Values
		hdr  map[string]string
	}{
		"no csrf token":           {url.Values{"api_key": {"k"}}, nil},
		"another session's token": {url.Values{"api_key": {"k"}, "csrf_token": {csrfOf(t, otherPage)}}, nil},
		"foreign origin":          {form, map[string]string{"Origin": "https://evil.example"}},
		"cross-site fetch":        {form, map[string]string{"Sec-Fetch-Site": "cross-site"}},
	} {
		res, _ := post(t, c, s.URL+"/connect/integrations/acme", tc.form, tc.hdr)
		if res.StatusCode != http.StatusForbidden {
			t.Errorf("%s: %d, want 403", name, res.StatusCode)
		}
		// The refusal is a page like any other, with the page's policy.
		if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "frame-ancestors") {
			t.Errorf("%s: Content-Security-Policy %q", name, csp)
		}
	}
	// Credentials in a URL: a GET only shows the page, a query on POST is
	// refused.
	if res, _ := clitest.Get(t, c, s.URL+"/connect/integrations/acme?api_key=k&csrf_token="+url.QueryEscape(csrf)); res.StatusCode != http.StatusOK || len(s.connections()) != 0 {
		t.Errorf("GET with credentials: %d, %d connections", res.StatusCode, len(s.connections()))
	}
	if res, _ := post(t, c, s.URL+"/connect/integrations/acme?api_key=k", form, nil); res.StatusCode != http.StatusBadRequest {
		t.Errorf("POST with a query: %d, want 400", res.StatusCode)
	}
	// Invalid: the required field missing → back to the form, the error
	// inline.
	res, _ := post(t, c, s.URL+"/connect/integrations/acme", url.Values{"csrf_token": {csrf}, "region": {"<eu>"}}, nil)
	if body := failedForm(t, c, s.URL, res); !strings.Contains(body, `role="alert"`) || !strings.Contains(body, "&lt;eu&gt;") {
		t.Fatalf("invalid form:\n%s", body)
	}
	if n := len(s.connections()); n != 0 {
		t.Fatalf("%d connections stored by refused requests", n)
	}
	// Valid.
	res, _ = post(t, c, s.URL+"/connect/integrations/acme", form, map[string]string{"Origin": s.URL, "Sec-Fetch-Site": "same-origin"})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("connect: %d", res.StatusCode)
	}
	conns := s.connections()
	if len(conns) != 1 || conns[0].(map[string]any)["status"] != "connected" {
		t.Fatalf("connections: %v", conns)
	}
	_, page = clitest.Get(t, c, s.URL+"/connect/")
	if strings.Contains(page, "sk_live_123") || !strings.Contains(page, "status-connected") {
		t.Fatalf("page after connect:\n%s", page)
	}
	// Done returns to the redirect URI.
	if res, _ := post(t, c, s.URL+"/connect/done", url.Values{"csrf_token": {csrf}}, nil); res.Header.Get("Location") != "https://app.example.com/settings" {
		t.Fatalf("done: %d %v", res.StatusCode, res.Header.Get("Location"))
	}
	// Disconnect.
	connID := conns[0].(map[string]any)["id"].(string)
	if res, _ := post(t, c, s.URL+"/connect/connections/"+connID+"/disconnect", url.Values{"csrf_token": {csrf}}, nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("disconnect: %d", res.StatusCode)
	}
	if st := s.connections()[0].(map[string]any)["status"]; st != "revoked" {
		t.Fatalf("status after disconnect: %v", st)
	}
	// The session ends: the next request shows it.
	s.api("DELETE", "/v1/sessions/"+id, nil, 204)
	if res, body := clitest.Get(t, c, s.URL+"/connect/"); res.StatusCode != http.StatusGone || !strings.Contains(body, "This session has ended") {
		t.Fatalf("after revocation: %d %s", res.StatusCode, body)
	}
	if strings.Contains(s.logs.String(), "sk_live_123") {
		t.Fatal("a credential reached the log")
	}
}

// A value of white space only is refused like an empty one, with the
// message the API gives, and nothing is stored.
func TestConnect_BlankIsEmpty(t *testing.T) {
	s := newSite(t)
	link, _, _ := s.session(nil)
	c := clitest.Browser()
	clitest.Get(t, c, link)
	_, page := clitest.Get(t, c, s.URL+"/connect/integrations/acme")
	csrf := csrfOf(t, page)
	for _, blank := range []string{"   ", " \t\r\n", "\u00a0"} {
		res, _ := post(t, c, s.URL+"/connect/integrations/acme", url.Values{"csrf_token": {csrf}, "api_key": {blank}, "region": {"eu"}}, nil)
		if body := failedForm(t, c, s.URL, res); !strings.Contains(body, "API key is required.") || !strings.Contains(body, `value="eu"`) {
			t.Fatalf("api_key %q:\n%s", blank, body)
		}
	}
	if n := len(s.connections()); n != 0 {
		t.Fatalf("%d connections stored from blank values", n)
	}
	// A blank optional field is left out.
	res, _ := post(t, c, s.URL+"/connect/integrations/acme", url.Values{"csrf_token": {csrf}, "api_key": {"k-1"}, "region": {"  "}}, nil)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("connect: %d", res.StatusCode)
	}
	conns := s.connections()
	if len(conns) != 1 || fmt.Sprint(conns[0].(map[string]any)["fields"]) != "[api_key]" {
		t.Fatalf("connections: %v", conns)
	}
}

func TestAutoRedirectAndTheme(t *testing.T) {
	s := newSite(t)
	link, _, _ := s.session(map[string]any{"redirect_uri": "https://app.example.com/settings",
		"settings": map[string]any{"auto_redirect": true, "sandbox_mode": true, "integrations": []string{"acme"}},
		"theme":    map[string]any{"name": "Brand\"X", "primary_color": "#ff0000", "logo_url": "https://cdn.example.com/logo.png"}})
	c := clitest.Browser()
	clitest.Get(t, c, link)
	_, page := clitest.Get(t, c, s.URL+"/connect/integrations/acme")
	for _, want := range []string{"--primary:#ff0000", "Test environment", `src="https://cdn.example.com/logo.png"`, "Brand&#34;X"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	res, _ := post(t, c, s.URL+"/connect/integrations/acme", url.Values{"csrf_token": {csrfOf(t, page)}, "api_key": {"k-123456"}}, nil)
	if loc := res.Header.Get("Location"); !strings.HasPrefix(loc, "https://app.example.com/settings?") || !strings.Contains(loc, "portico_status=connected") {
		t.Fatalf("auto redirect: %d %q", res.StatusCode, loc)
	}
}

func TestConnectionActions_FollowAllowActions(t *testing.T) {
	s := newSite(t)
	connect := func(actions []string) (*http.Client, string, string) {
		t.Helper()
		link, _, _ := s.session(map[string]any{"settings": map[string]any{"allow_actions": actions}})
		c := clitest.Browser()
		clitest.Get(t, c, link)
		_, page := clitest.Get(t, c, s.URL+"/connect/integrations/acme")
		csrf := csrfOf(t, page)
		post(t, c, s.URL+"/connect/integrations/acme", url.Values{"csrf_token": {csrf}, "api_key": {"k-0123456789"}}, nil)
		_, page = clitest.Get(t, c, s.URL+"/connect/integrations/acme")
		return c, csrf, page
	}
	// Only disable allowed: no disconnect or delete button, and posting them
	// is refused.
	c, csrf, page := connect([]string{"disable"})
	id := s.connections()[0].(map[string]any)["id"].(string)
	if !strings.Contains(page, id+"/disable") || strings.Contains(page, id+"/disconnect") || strings.Contains(page, id+"/delete") {
		t.Fatalf("buttons for [disable]:\n%s", page)
	}
	for _, action := range []string{"disconnect", "delete"} {
		if res, _ := post(t, c, s.URL+"/connect/connections/"+id+"/"+action, url.Values{"csrf_token": {csrf}}, nil); res.StatusCode != http.StatusForbidden {
			t.Errorf("%s not allowed: %d, want 403", action, res.StatusCode)
		}
	}
	if res, _ := post(t, c, s.URL+"/connect/connections/"+id+"/explode", url.Values{"csrf_token": {csrf}}, nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("unknown action: %d, want 404", res.StatusCode)
	}
	if res, _ := post(t, c, s.URL+"/connect/connections/"+id+"/disable", url.Values{"csrf_token": {csrf}}, nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("disable: %d", res.StatusCode)
	}
	if st := s.connections()[0].(map[string]any)["status"]; st != "revoked" {
		t.Fatalf("after disable: %v", st)
	}
	// Delete removes the record; another user's session cannot touch it.
	c, csrf, _ = connect([]string{"delete"})
	id = s.connections()[0].(map[string]any)["id"].(string)
	stranger := clitest.Browser()
	other := s.api("POST", "/v1/sessions", map[string]any{"user": map[string]any{"external_id": "u-2"}, "settings": map[string]any{"allow_actions": []string{"delete"}}}, 201)
	clitest.Get(t, stranger, other["configuration_url"].(string))
	_, spage := clitest.Get(t, stranger, s.URL+"/connect/integrations/acme")
	if res, _ := post(t, stranger, s.URL+"/connect/connections/"+id+"/delete", url.Values{"csrf_token": {csrfOf(t, spage)}}, nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("another user's connection: %d, want 404", res.StatusCode)
	}
	if res, _ := post(t, c, s.URL+"/connect/connections/"+id+"/delete", url.Values{"csrf_token": {csrf}}, nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("delete: %d", res.StatusCode)
	}
	if n := len(s.connections()); n != 0 {
		t.Fatalf("%d connections after delete", n)
	}
}

func TestIsolationMode(t *testing.T) {
	s := newSite(t)
	s.api("PUT", "/v1/integrations/weather", map[string]any{"name": "Weather", "category": "data", "base_url": "https://api.weather.example",
		"auth": map[string]any{"type": "none"}}, 201)
	link, _, _ := s.session(map[string]any{"settings": map[string]any{"isolation_mode": true, "integrations": []string{"weather"}}})
	c := clitest.Browser()
	clitest.Get(t, c, link)
	_, page := clitest.Get(t, c, s.URL+"/connect/")
	if strings.Contains(page, `class="side"`) || strings.Contains(page, "Acme &lt;CRM&gt;") || !strings.Contains(page, "Weather") {
		t.Fatalf("isolation mode page:\n%s", page)
	}
}

func TestFrameAncestorsFollowTheApp(t *testing.T) {
	s := newSite(t)
	if r := s.api("PATCH", "/v1/app", map[string]any{"settings": map[string]any{"allowed_frame_origins": []string{"ftp://x"}}}, 422); r["error"] == nil {
		t.Fatal("a bad origin was accepted")
	}
	s.api("PATCH", "/v1/app", map[string]any{"settings": map[string]any{"allowed_frame_origins": []string{"https://app.example.com", "http://localhost:3000"}}}, 200)
	link, _, _ := s.session(nil)
	c := clitest.Browser()
	clitest.Get(t, c, link)
	res, _ := clitest.Get(t, c, s.URL+"/connect/")
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors https://app.example.com http://localhost:3000") || res.Header.Get("X-Frame-Options") != "" {
		t.Fatalf("CSP %q, X-Frame-Options %q", csp, res.Header.Get("X-Frame-Options"))
	}
}

// Over https every hosted-page response pins https (HSTS) and isolates the
// page from other origins' windows (COOP); over plain http neither is sent.
func TestSecurityHeaders_FollowThePublicURL(t *testing.T) {
	for _, tc := range []struct {
		publicURL  string
		hsts, coop string
	}{
		{"https://connect.example.com", "max-age=63072000; includeSubDomains", "same-origin"},
		{"", "", ""}, // the default, http://<addr>
	} {
		t.Run("public URL "+tc.publicURL, func(t *testing.T) {
			s := newSite(t, func(c *cli.Config) { c.PublicURL = tc.publicURL })
			link, _, _ := s.session(nil)
			code := link[strings.LastIndex(link, "/")+1:]
			c := clitest.Browser()
			for _, path := range []string{"/connect/" + code, "/connect/", "/connect/pcc_unknown", "/connect/static/style.css"} {
				res, _ := clitest.Get(t, c, s.Local+path)
				if got := res.Header.Get("Strict-Transport-Security"); got != tc.hsts {
					t.Errorf("GET %s (%d): Strict-Transport-Security = %q, want %q", path, res.StatusCode, got, tc.hsts)
				}
				if got := res.Header.Get("Cross-Origin-Opener-Policy"); got != tc.coop {
					t.Errorf("GET %s (%d): Cross-Origin-Opener-Policy = %q, want %q", path, res.StatusCode, got, tc.coop)
				}
			}
			res, _ := post(t, c, s.Local+"/connect/open", url.Values{"token": {"pst_unknown"}}, nil)
			if got := res.Header.Get("Strict-Transport-Security"); got != tc.hsts {
				t.Errorf("POST /connect/open (%d): Strict-Transport-Security = %q, want %q", res.StatusCode, got, tc.hsts)
			}
		})
	}
}
