package web_test

import (
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/porticohq/portico/internal/cli"
	"github.com/porticohq/portico/internal/cli/clitest"
)

// tab is a browser tab for a site whose public URL is https: it keeps the
// cookies itself, since a cookie jar does not send Secure cookies to the
// plain-http address the test server listens on.
type tab struct {
	t       *testing.T
	s       *site
	cookies map[string]*http.Cookie
}

func newTab(t *testing.T, s *site) *tab { return &tab{t: t, s: s, cookies: map[string]*http.Cookie{}} }

func (b *tab) do(method, path string, form url.Values, hdr map[string]string) (*http.Response, string) {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, b.s.Local+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	for _, c := range b.cookies {
		req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	}
	res, err := clitest.Browser().Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	for _, c := range res.Cookies() {
		b.cookies[c.Name] = c
	}
	raw, _ := io.ReadAll(res.Body)
	return res, string(raw)
}

const listed = "https://app.example.com"

// httpsSite is a site with an https public URL whose app lists one frame
// origin.
func httpsSite(t *testing.T) *site {
	s := newSite(t, func(c *cli.Config) { c.PublicURL = "https://connect.test" })
	s.api("PATCH", "/v1/app", map[string]any{"settings": map[string]any{
		"allowed_redirect_uris": []string{"https://redirect.example.com/done"},
		"allowed_frame_origins": []string{listed, "http://localhost:3000"}}}, 200)
	return s
}

// openLink opens a new session's link with query (the widget's
// parameters) and returns the tab and the answer to the open.
func openLink(t *testing.T, s *site, query string, extra map[string]any) (*tab, *http.Response) {
	t.Helper()
	link, _, _ := s.session(extra)
	b := newTab(t, s)
	res, _ := b.do("GET", strings.TrimPrefix(link, s.URL)+query, nil, nil)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("open: %d", res.StatusCode)
	}
	return b, res
}

func TestWidget_Script(t *testing.T) {
	s := newSite(t)
	res, body := clitest.Get(t, clitest.Browser(), s.Local+"/connect/portico.js")
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/javascript; charset=utf-8" ||
		res.Header.Get("X-Content-Type-Options") != "nosniff" || res.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Fatalf("GET /connect/portico.js: %d %v", res.StatusCode, res.Header)
	}
	if !strings.Contains(body, "window.Portico = { open: open }") {
		t.Fatal("the script does not define Portico.open")
	}
	// CSP-compatible: nothing a strict policy refuses.
	for _, bad := range []string{"eval(", "new Function", "innerHTML", "setAttribute(\"style\"", "setAttribute(\"on"} {
		if strings.Contains(body, bad) {
			t.Errorf("the script uses %s", bad)
		}
	}
}

// The widget's parameters change the page only for an origin the app
// lists in allowed_frame_origins, and for a known mode.
func TestWidget_OpenChecksTheOrigin(t *testing.T) {
	s := httpsSite(t)
	cases := []struct {
		name, mode, origin string
		widget             bool
	}{
		{"popup", "popup", listed, true},
		{"modal", "modal", listed, true},
		{"second origin", "modal", "http://localhost:3000", true},
		{"unlisted origin", "popup", "https://evil.example", false},
		{"a redirect URI's origin", "popup", "https://redirect.example.com", false},
		{"a look-alike", "popup", "https://app.example.com.evil.example", false},
		{"trailing slash", "popup", listed + "/", false},
		{"another scheme", "popup", "http://app.example.com", false},
		{"null", "popup", "null", false},
		{"no origin", "popup", "", false},
		{"unknown mode", "tab", listed, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, open := openLink(t, s, "?"+url.Values{"widget": {c.mode}, "origin": {c.origin}}.Encode(), nil)
			res, page := b.do("GET", "/connect/", nil, nil)
			csp := res.Header.Get("Content-Security-Policy")
			hasWidget := strings.Contains(page, `id="portico-widget"`)
			if hasWidget != c.widget {
				t.Fatalf("widget on the page = %v, want %v", hasWidget, c.widget)
			}
			coop := res.Header.Get("Cross-Origin-Opener-Policy")
			if !c.widget {
				if coop != "same-origin" || !strings.Contains(csp, "script-src 'none'") || strings.Contains(page, "<script") {
					t.Fatalf("a plain page: COOP %q, CSP %q", coop, csp)
				}
				if _, ok := b.cookies["__Host-portico_widget"]; ok {
					t.Fatal("a refused origin got the widget cookie")
				}
				return
			}
			// The popup keeps its opener; scripts come from Portico only.
			if coop != "" || open.Header.Get("Cross-Origin-Opener-Policy") != "" {
				t.Fatalf("COOP %q on the page, %q on the open", coop, open.Header.Get("Cross-Origin-Opener-Policy"))
			}
			if !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "frame-ancestors "+listed+" http://localhost:3000") ||
				res.Header.Get("X-Frame-Options") != "" {
				t.Fatalf("CSP %q, X-Frame-Options %q", csp, res.Header.Get("X-Frame-Options"))
			}
			if !strings.Contains(open.Header.Get("Content-Security-Policy"), "frame-ancestors "+listed) || open.Header.Get("X-Frame-Options") != "" {
				t.Fatalf("the open's redirect cannot be framed: %v", open.Header)
			}
			if !strings.Contains(page, `data-origin="`+c.origin+`"`) || !strings.Contains(page, `data-mode="`+c.mode+`"`) ||
				!strings.Contains(page, `<script src="/connect/static/page-events.js"></script>`) {
				t.Fatalf("widget markup:\n%s", page)
			}
			// A framed page's cookies reach the frame of another site:
			// SameSite=None, partitioned; a popup's stay Lax.
			for _, name := range []string{"__Host-portico_session", "__Host-portico_widget"} {
				ck := b.cookies[name]
				if ck == nil {
					t.Fatalf("no cookie %s", name)
				}
				framed := ck.SameSite == http.SameSiteNoneMode && ck.Partitioned
				if !ck.Secure || !ck.HttpOnly || framed != (c.mode == "modal") || (!framed && ck.SameSite != http.SameSiteLaxMode) {
					t.Fatalf("cookie %s: %+v", name, ck)
				}
			}
		})
	}
	if !strings.Contains(s.logs.String(), `"msg":"widget_origin_refused"`) {
		t.Error("a refused origin is not logged")
	}
}

// A widget posting the token (POST /connect/open from the app's page)
// gets the widget too.
func TestWidget_OpenWithToken(t *testing.T) {
	s := httpsSite(t)
	_, _, tok := s.session(nil)
	b := newTab(t, s)
	res, _ := b.do("POST", "/connect/open", url.Values{"token": {tok}, "widget": {"modal"}, "origin": {listed}},
		map[string]string{"Origin": listed, "Sec-Fetch-Site": "cross-site"})
	if res.StatusCode != http.StatusSeeOther || b.cookies["__Host-portico_widget"] == nil {
		t.Fatalf("open: %d, cookies %v", res.StatusCode, b.cookies)
	}
	if _, page := b.do("GET", "/connect/", nil, nil); !strings.Contains(page, `data-origin="`+listed+`"`) {
		t.Fatalf("no widget:\n%s", page)
	}
	// The same session opened again without the widget is a plain page.
	res, _ = b.do("POST", "/connect/open", url.Values{"token": {tok}}, map[string]string{"Origin": listed, "Sec-Fetch-Site": "cross-site"})
	if ck := b.cookies["__Host-portico_widget"]; res.StatusCode != http.StatusSeeOther || ck == nil || ck.MaxAge >= 0 {
		t.Fatalf("reopen: %d, widget cookie %+v", res.StatusCode, ck)
	}
	delete(b.cookies, "__Host-portico_widget")
	if res, page := b.do("GET", "/connect/", nil, nil); strings.Contains(page, "portico-widget") || res.Header.Get("Cross-Origin-Opener-Policy") != "same-origin" {
		t.Fatalf("a plain reopen is still a widget:\n%s", page)
	}
}

// A change reaches the page as a signed flag: the page reports it once;
// a forged or another session's flag reports nothing.
func TestWidget_ChangeFlag(t *testing.T) {
	s := httpsSite(t)
	b, _ := openLink(t, s, "?widget=popup&origin="+url.QueryEscape(listed),
		map[string]any{"redirect_uri": "https://redirect.example.com/done", "settings": map[string]any{"auto_redirect": true}})
	_, page := b.do("GET", "/connect/", nil, nil)
	if strings.Contains(page, `action="/connect/done"`) {
		t.Error("a page in a widget shows Done")
	}
	_, form := b.do("GET", "/connect/integrations/acme", nil, nil)
	res, _ := b.do("POST", "/connect/integrations/acme", url.Values{"csrf_token": {csrfOf(t, form)}, "api_key": {"sk_1"}}, map[string]string{"Sec-Fetch-Site": "same-origin"})
	loc := res.Header.Get("Location")
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/connect/?notice=connected&event=") {
		t.Fatalf("after connect (auto_redirect is off in a widget): %d %s", res.StatusCode, loc)
	}
	connID := s.connections()[0].(map[string]any)["id"].(string)
	event := func(path string) map[string]any {
		t.Helper()
		_, page := b.do("GET", path, nil, nil)
		_, rest, ok := strings.Cut(page, `data-event="`)
		if !ok {
			return nil
		}
		raw, _, _ := strings.Cut(rest, `"`)
		var ev map[string]any
		if err := json.Unmarshal([]byte(html.UnescapeString(raw)), &ev); err != nil {
			t.Fatalf("data-event %s: %v", raw, err)
		}
		return ev
	}
	got := event(loc)
	want := map[string]any{"type": "connect", "connection": map[string]any{"integration": "acme", "name": "Acme <CRM>", "connection_id": connID}}
	if js, _ := json.Marshal(got); string(js) != mustJSON(want) {
		t.Fatalf("event %s, want %s", js, mustJSON(want))
	}
	tampered := loc[:len(loc)-2] + "xx"
	if ev := event(tampered); ev != nil {
		t.Errorf("a forged flag is reported: %v", ev)
	}

	// Another session's page does not take this one's flag.
	other, _ := openLink(t, s, "?widget=popup&origin="+url.QueryEscape(listed), nil)
	if _, page := other.do("GET", loc, nil, nil); strings.Contains(page, "data-event") {
		t.Error("another session's flag is reported")
	}

	// Disconnect reports the integration too.
	_, page = b.do("GET", "/connect/connections/"+connID+"/disconnect", nil, nil)
	res, _ = b.do("POST", "/connect/connections/"+connID+"/disconnect", url.Values{"csrf_token": {csrfOf(t, page)}}, map[string]string{"Sec-Fetch-Site": "same-origin"})
	want["type"] = "disconnect"
	if js, _ := json.Marshal(event(res.Header.Get("Location"))); string(js) != mustJSON(want) {
		t.Fatalf("event %s, want %s", js, mustJSON(want))
	}
}

// Removing the origin from the app's list ends the widget at once.
func TestWidget_OriginRemoved(t *testing.T) {
	s := httpsSite(t)
	b, _ := openLink(t, s, "?widget=modal&origin="+url.QueryEscape(listed), nil)
	s.api("PATCH", "/v1/app", map[string]any{"settings": map[string]any{"allowed_frame_origins": []string{"http://localhost:3000"}}}, 200)
	res, page := b.do("GET", "/connect/", nil, nil)
	if strings.Contains(page, "portico-widget") || !strings.Contains(res.Header.Get("Content-Security-Policy"), "script-src 'none'") ||
		strings.Contains(res.Header.Get("Content-Security-Policy"), listed) {
		t.Fatalf("CSP %q, page:\n%s", res.Header.Get("Content-Security-Policy"), page)
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// In a frame, the page's own error pages may be framed too: the browser
// would otherwise replace them with its own "refused to connect".
func TestWidget_ErrorPagesFrameable(t *testing.T) {
	s := httpsSite(t)
	link, id, _ := s.session(nil)
	b := newTab(t, s)
	b.do("GET", strings.TrimPrefix(link, s.URL)+"?widget=modal&origin="+url.QueryEscape(listed), nil, nil)
	res, _ := b.do("POST", "/connect/integrations/acme", url.Values{"csrf_token": {"forged"}, "api_key": {"k"}}, map[string]string{"Sec-Fetch-Site": "same-origin"})
	if res.StatusCode != http.StatusForbidden || !strings.Contains(res.Header.Get("Content-Security-Policy"), "frame-ancestors "+listed) {
		t.Fatalf("bad CSRF: %d, CSP %q", res.StatusCode, res.Header.Get("Content-Security-Policy"))
	}
	s.api("DELETE", "/v1/sessions/"+id, nil, 204)
	res, page := b.do("GET", "/connect/", nil, nil)
	if res.StatusCode != http.StatusGone || !strings.Contains(page, "This session has ended") ||
		!strings.Contains(res.Header.Get("Content-Security-Policy"), "frame-ancestors "+listed) || res.Header.Get("X-Frame-Options") != "" {
		t.Fatalf("ended session: %d, CSP %q, XFO %q", res.StatusCode, res.Header.Get("Content-Security-Policy"), res.Header.Get("X-Frame-Options"))
	}
}
