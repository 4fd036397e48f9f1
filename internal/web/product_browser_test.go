package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/porticohq/portico/internal/cli"
	"github.com/porticohq/portico/internal/cli/clitest"
	"github.com/porticohq/portico/internal/portico"
)

// The hosted page as a product (docs/hosted-page.md) in a real browser:
// every state is checked by axe-core at desktop and phone widths, must not
// scroll sideways from 360 to 1,440 px, and is photographed for docs/.

// axeSource is axe-core, installed by npm ci in testdata/axe. Without it
// the checks skip, except in CI (CI=true), where they fail.
func axeSource(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "axe", "node_modules", "axe-core", "axe.min.js"))
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("axe-core is not installed (run npm ci in internal/web/testdata/axe): %v", err)
		}
		t.Skip("axe-core is not installed: run npm ci in internal/web/testdata/axe")
	}
	return string(b)
}

// inspect checks the page the browser shows: no horizontal scroll at
// widths from 360 to 1,440 px, no axe-core violation at 1,280 and 360 px;
// and saves its screenshots at those two widths as name-desktop and
// name-phone.
func inspect(t *testing.T, ctx context.Context, axe, name string) {
	t.Helper()
	for _, w := range []int64{1440, 1024, 768, 480, 360} {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(w, 900)); err != nil {
			t.Fatal(err)
		}
		over, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.scrollingElement.scrollWidth - innerWidth`))
		if err != nil {
			t.Fatal(err)
		}
		if over > 0 {
			t.Errorf("%s: %d px of horizontal scroll at %d px", name, over, w)
		}
	}
	for _, v := range []struct {
		suffix string
		w, h   int64
	}{{"desktop", 1280, 900}, {"phone", 360, 780}} {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(v.w, v.h)); err != nil {
			t.Fatal(err)
		}
		violations(t, ctx, axe, name+" at "+v.suffix)
		shot(t, ctx, name+"-"+v.suffix)
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900)); err != nil {
		t.Fatal(err)
	}
}

// violations runs axe-core on the page (injected through the DevTools
// protocol, which the page's CSP does not govern) and fails on any
// violation.
// accessible checks the page in ctx with axe-core at 1,280 and 360 px,
// for states whose screenshots are taken elsewhere.
func accessible(t *testing.T, ctx context.Context, axe, name string) {
	t.Helper()
	for _, w := range []int64{1280, 360} {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(w, 900)); err != nil {
			t.Fatal(err)
		}
		violations(t, ctx, axe, fmt.Sprintf("%s at %d px", name, w))
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900)); err != nil {
		t.Fatal(err)
	}
}

func violations(t *testing.T, ctx context.Context, axe, where string) {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`if (!window.axe) { `+axe+` }; true`)); err != nil {
		t.Fatalf("inject axe-core: %v", err)
	}
	found, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`axe.run(document, {resultTypes: ["violations"]}).then(r =>
		r.violations.map(v => v.id + " (" + v.impact + "): " + v.help + " at " + v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(", ")))`,
		chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("axe-core: %v", err)
	}
	for _, v := range found {
		t.Errorf("%s: %s", where, v)
	}
}

func visit(t *testing.T, ctx context.Context, u string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Navigate(u), chromedp.WaitVisible(chromedp.CSS("h1"))); err != nil {
		t.Fatalf("open %s: %v", u, err)
	}
}

func do(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatal(err)
	}
}

func location(t *testing.T, ctx context.Context) string {
	t.Helper()
	u, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// catalogueSite is a site whose app offers 24 tools copied from the
// catalogue (GET /v1/catalog), two of them connected.
func catalogueSite(t *testing.T) (*site, string) {
	t.Helper()
	s := newSite(t)
	s.api("DELETE", "/v1/integrations/acme", nil, 204)
	var slugs []string
	for token := ""; len(slugs) < 24; {
		page := s.api("GET", "/v1/catalog?page_size=100"+token, nil, 200)
		for _, tpl := range page["data"].([]any) {
			m := tpl.(map[string]any)
			if len(slugs) < 24 {
				slugs = append(slugs, m["slug"].(string))
				body := map[string]any{"template": m["slug"]}
				if m["auth"].(map[string]any)["type"] == "oauth2" {
					body["auth"] = map[string]any{"oauth2": map[string]any{"client_id": "client", "client_secret": "secret"}}
				}
				s.api("PUT", "/v1/integrations/"+m["slug"].(string), body, 201)
			}
		}
		next, _ := page["next_page_token"].(string)
		if next == "" {
			break
		}
		token = "&page_token=" + next
	}
	if len(slugs) < 20 {
		t.Fatalf("the catalogue gave %d templates", len(slugs))
	}
	link, _, _ := s.session(map[string]any{"redirect_uri": "https://app.example.com/settings",
		"theme": map[string]any{"name": "Northwind", "primary_color": "#0f766e", "sidebar_background_color": "#0b3b38",
			"privacy_url": "https://northwind.example/privacy", "terms_url": "https://northwind.example/terms"}})
	return s, link
}

// connectStored gives the user a connection as if made and verified on
// the page: the catalogue's providers are not reachable from the tests.
func (s *site) connectStored(slug, label string) {
	s.t.Helper()
	ctx := context.Background()
	var userID string
	for _, u := range s.api("GET", "/v1/users", nil, 200)["data"].([]any) {
		if u.(map[string]any)["external_id"] == "u-1" {
			userID = u.(map[string]any)["id"].(string)
		}
	}
	c := &portico.Connection{ID: portico.NewID(portico.PrefixConnection), UserID: userID, Integration: slug, Status: portico.StatusConnected,
		Fields: []string{"api_key"}, Settings: map[string]string{}, AccountLabel: &label}
	app := s.api("GET", "/v1/app", nil, 200)
	c.AppID = app["id"].(string)
	if _, err := s.Store.PutConnection(ctx, c, func(id string) (string, error) {
		return s.Svc.Sealer.Seal([]byte(`{"api_key":"k"}`), portico.ConnectionAAD(c.AppID, c.UserID, id))
	}, nil); err != nil {
		s.t.Fatal(err)
	}
}

func TestBrowser_CatalogueSidebarAndSearch(t *testing.T) {
	axe := axeSource(t)
	s, link := catalogueSite(t)
	ctx := newBrowser(t)
	visit(t, ctx, link)
	s.connectStored("github", "annlee")
	s.connectStored("brevo", "ann@northwind.example")
	visit(t, ctx, s.URL+"/connect/")
	n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll(".cards > li").length`))
	if n < 20 {
		t.Fatalf("%d cards, want every integration", n)
	}
	if got := text(t, ctx, "#integration-brevo .account"); !strings.Contains(got, "Connected as ann@northwind.example · since") {
		t.Errorf("connected card says %q", got)
	}
	if got := text(t, ctx, "#integration-attio .category"); got != "CRM" {
		t.Errorf("category in words: %q", got)
	}
	inspect(t, ctx, axe, "catalogue")

	// The sidebar narrows to a category; the search (a GET form) within it.
	do(t, ctx, chromedp.Click(chromedp.CSS(`.cats a[href="/connect/?category=crm"]`)), chromedp.WaitVisible(chromedp.CSS(`.cats a[aria-current]`)))
	cards, _ := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll(".cards .category")].map(e => e.textContent)`))
	if len(cards) == 0 || strings.Count(strings.Join(cards, ","), "CRM") != len(cards) {
		t.Fatalf("the CRM category shows %v", cards)
	}
	visit(t, ctx, s.URL+"/connect/")
	do(t, ctx, chromedp.SendKeys(chromedp.CSS("#q"), "files"), chromedp.Submit(chromedp.CSS("#q")), chromedp.WaitVisible(chromedp.CSS(`#q[value="files"]`)))
	names, _ := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll(".cards h2")].map(e => e.textContent)`))
	if len(names) == 0 || len(names) >= n {
		t.Fatalf("searching for files shows %v", names)
	}
	if !strings.Contains(location(t, ctx), "q=files") {
		t.Errorf("the search is not a GET: %s", location(t, ctx))
	}
	inspect(t, ctx, axe, "search")
}

// helpdesk is a provider on loopback whose /me accepts the key "good".
func helpdesk(t *testing.T) *httptest.Server {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Header.Get("X-Api-Key") != "good" {
			w.WriteHeader(401)
			io.WriteString(w, `{"message":"Invalid API key"}`)
			return
		}
		io.WriteString(w, `{"name":"Ann Lee"}`)
	}))
	t.Cleanup(up.Close)
	return up
}

// closedPort is a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func helpdeskIntegration(base string) map[string]any {
	return map[string]any{
		"name": "Helpdesk", "category": "ticketing", "base_url": base + "/{subdomain}", "brand_color": "#7c3aed",
		"description":     "Tickets and customers of your Helpdesk workspace.",
		"settings_fields": []any{map[string]any{"name": "subdomain", "label": "Workspace", "placeholder": "acme", "pattern": "^[a-z0-9-]+$"}},
		"verify":          map[string]any{"method": "GET", "path": "/me", "label_pointer": "/name"},
		"guide": map[string]any{"steps": []any{"Sign in to Helpdesk as an administrator.", "Open Settings, then API.", "Create a key and copy it."},
			"url": "https://helpdesk.example/docs/api-keys"},
		"auth": map[string]any{"type": "api_key", "fields": []any{map[string]any{"name": "api_key", "label": "API key", "secret": true}},
			"inject": map[string]any{"header": "X-Api-Key", "format": "{api_key}"}},
	}
}

// The integration's page: form and guide, a key the provider rejects
// (inline, nothing stored), one it accepts ("Connected as"), settings
// edited, the activity, and a disconnect confirmed on its own page.
func TestBrowser_IntegrationPage(t *testing.T) {
	axe := axeSource(t)
	up := helpdesk(t)
	s := newSite(t, func(c *cli.Config) { c.AllowPrivateUpstreams = true })
	s.api("PUT", "/v1/integrations/helpdesk", helpdeskIntegration(up.URL), 201)
	link, _, _ := s.session(map[string]any{"settings": map[string]any{"allow_actions": []string{"disconnect", "reauthorize", "delete"}},
		"theme": map[string]any{"name": "Acme Cloud", "primary_color": "#4338ca"}})
	ctx := newBrowser(t)
	visit(t, ctx, link)
	visit(t, ctx, s.URL+"/connect/integrations/helpdesk")
	if got := text(t, ctx, ".guide ol"); !strings.Contains(got, "Open Settings, then API.") {
		t.Errorf("guide: %q", got)
	}
	inspect(t, ctx, axe, "integration")

	// Rejected by the provider: back at the form, the error focused.
	do(t, ctx, chromedp.SendKeys(chromedp.CSS("#helpdesk-api_key"), "bad"), chromedp.SendKeys(chromedp.CSS("#helpdesk-subdomain"), "acme"),
		chromedp.Click(chromedp.CSS("#connect-title ~ form button")), chromedp.WaitVisible(chromedp.CSS("#error")))
	if got := text(t, ctx, "#error"); got != "Helpdesk rejected this credential: 401 Invalid API key." {
		t.Errorf("rejection: %q", got)
	}
	if u := location(t, ctx); !strings.HasSuffix(u, "/connect/integrations/helpdesk#error") {
		t.Errorf("after the rejection the page is %s", u)
	}
	if v, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("#helpdesk-subdomain").value`)); v != "acme" {
		t.Errorf("the workspace typed is lost: %q", v)
	}
	if n := len(s.connections()); n != 0 {
		t.Fatalf("%d connections stored from a rejected key", n)
	}
	inspect(t, ctx, axe, "verify-rejected")

	// Accepted: "Connected as" the account the provider names. (The clock
	// moves a minute before each change, so that the activity pictures show
	// them in the order they were made.)
	s.Clock.Advance(time.Minute)
	do(t, ctx, chromedp.SendKeys(chromedp.CSS("#helpdesk-api_key"), "good"),
		chromedp.Click(chromedp.CSS("#connect-title ~ form button")), chromedp.WaitVisible(chromedp.CSS(".notice")))
	visit(t, ctx, s.URL+"/connect/integrations/helpdesk")
	if got := text(t, ctx, ".account"); !strings.HasPrefix(got, "Connected as Ann Lee · since ") {
		t.Errorf("account line: %q", got)
	}

	// The connection's settings, edited: checked and verified again.
	s.Clock.Advance(time.Minute)
	do(t, ctx, chromedp.SetValue(chromedp.CSS("#set-helpdesk-subdomain"), "north"),
		chromedp.Click(chromedp.CSS("#settings-title ~ form button")), chromedp.WaitVisible(chromedp.CSS(".notice")))
	if got := text(t, ctx, ".notice"); got != "Settings saved." {
		t.Errorf("settings notice: %q", got)
	}
	if st := s.connections()[0].(map[string]any)["settings"].(map[string]any)["subdomain"]; st != "north" {
		t.Errorf("settings after the edit: %v", st)
	}
	do(t, ctx, chromedp.SetValue(chromedp.CSS("#set-helpdesk-subdomain"), "not a host!"),
		chromedp.Click(chromedp.CSS("#settings-title ~ form button")), chromedp.WaitVisible(chromedp.CSS("#error")))
	if st := s.connections()[0].(map[string]any)["settings"].(map[string]any)["subdomain"]; st != "north" {
		t.Errorf("an invalid setting was stored: %v", st)
	}
	// The activity of the connection, after the activity writer's batch.
	deadline := time.Now().Add(5 * time.Second)
	for {
		visit(t, ctx, s.URL+"/connect/integrations/helpdesk")
		if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll(".events li").length`)); n > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if got := text(t, ctx, ".events"); !strings.Contains(got, "Connected") {
		t.Errorf("activity: %q", got)
	}
	inspect(t, ctx, axe, "integration-connected")
	visit(t, ctx, s.URL+"/connect/activity")
	inspect(t, ctx, axe, "activity")

	// Disconnect asks first, on a page of its own.
	visit(t, ctx, s.URL+"/connect/integrations/helpdesk")
	do(t, ctx, chromedp.Click(chromedp.CSS(`a[href$="/disconnect"]`)), chromedp.WaitVisible(chromedp.CSS("button.danger")))
	if got := text(t, ctx, "h1"); got != "Disconnect Helpdesk?" {
		t.Errorf("confirmation: %q", got)
	}
	if st := s.connections()[0].(map[string]any)["status"]; st != "connected" {
		t.Fatalf("the confirmation page changed the connection: %v", st)
	}
	inspect(t, ctx, axe, "confirm-disconnect")
	do(t, ctx, chromedp.Click(chromedp.CSS("button.danger")), chromedp.WaitVisible(chromedp.CSS(".notice")))
	if st := s.connections()[0].(map[string]any)["status"]; st != "revoked" {
		t.Fatalf("after the confirmation: %v", st)
	}
}

// A provider that cannot be reached: the credential is stored, with a
// warning.
func TestBrowser_VerifyUnreachable(t *testing.T) {
	axe := axeSource(t)
	s := newSite(t, func(c *cli.Config) { c.AllowPrivateUpstreams = true })
	s.api("PUT", "/v1/integrations/helpdesk", helpdeskIntegration("http://"+closedPort(t)), 201)
	link, _, _ := s.session(nil)
	ctx := newBrowser(t)
	visit(t, ctx, link)
	visit(t, ctx, s.URL+"/connect/integrations/helpdesk")
	do(t, ctx, chromedp.SendKeys(chromedp.CSS("#helpdesk-api_key"), "good"), chromedp.SendKeys(chromedp.CSS("#helpdesk-subdomain"), "acme"),
		chromedp.Click(chromedp.CSS("#connect-title ~ form button")), chromedp.WaitVisible(chromedp.CSS(".notice")))
	if got := text(t, ctx, ".notice"); !strings.Contains(got, "could not be reached") {
		t.Errorf("notice: %q", got)
	}
	if conns := s.connections(); len(conns) != 1 || conns[0].(map[string]any)["status"] != "connected" {
		t.Fatalf("connections: %v", conns)
	}
	inspect(t, ctx, axe, "verify-unreachable")
}

// hookReceiver collects the webhook events delivered to it.
type hookReceiver struct {
	mu     sync.Mutex
	events []map[string]any
}

func (h *hookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var e map[string]any
	json.NewDecoder(r.Body).Decode(&e)
	h.mu.Lock()
	h.events = append(h.events, e)
	h.mu.Unlock()
}

func (h *hookReceiver) find(typ string) map[string]any {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, e := range h.events {
		if e["type"] == typ {
			return e
		}
	}
	return nil
}

// "Don't see your tool?" reaches the app as integration.suggested.
func TestBrowser_Suggestion(t *testing.T) {
	axe := axeSource(t)
	hooks := &hookReceiver{}
	rcv := httptest.NewServer(hooks)
	t.Cleanup(rcv.Close)
	s := newSite(t, func(c *cli.Config) { c.AllowPrivateUpstreams = true })
	s.api("PATCH", "/v1/app", map[string]any{"settings": map[string]any{"webhook_url": rcv.URL}}, 200)
	link, _, _ := s.session(map[string]any{"settings": map[string]any{"show_suggestions": true}})
	ctx := newBrowser(t)
	visit(t, ctx, link)
	do(t, ctx, chromedp.Click(chromedp.CSS("#suggest button")), chromedp.WaitVisible(chromedp.CSS("#suggest")))
	do(t, ctx, chromedp.SendKeys(chromedp.CSS("#suggest-name"), "Basecamp"), chromedp.SendKeys(chromedp.CSS("#suggest-note"), "For our projects."),
		chromedp.Click(chromedp.CSS("#suggest button")), chromedp.WaitVisible(chromedp.CSS(".notice")))
	if got := text(t, ctx, ".notice"); got != "Thank you. Your suggestion was sent to Acme." {
		t.Errorf("notice: %q", got)
	}
	deadline := time.Now().Add(10 * time.Second)
	var e map[string]any
	for e == nil && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		e = hooks.find("integration.suggested")
	}
	if e == nil {
		t.Fatal("no integration.suggested event delivered")
	}
	if d := e["data"].(map[string]any); d["name"] != "Basecamp" || d["note"] != "For our projects." || d["external_user_id"] != "u-1" {
		t.Errorf("event data: %v", d)
	}
	inspect(t, ctx, axe, "suggestion")
}

// A used link, once its app is known, wears the app's brand.
func TestBrowser_ThemedLinkError(t *testing.T) {
	axe := axeSource(t)
	s := newSite(t)
	link, _, _ := s.session(map[string]any{"theme": map[string]any{"name": "Northwind", "sidebar_background_color": "#0b3b38"}})
	ctx := newBrowser(t)
	visit(t, ctx, link)
	res, _ := clitest.Get(t, clitest.Browser(), link)
	if res.StatusCode != http.StatusGone {
		t.Fatalf("used link: %d", res.StatusCode)
	}
	visit(t, ctx, link)
	if got := text(t, ctx, ".brand"); got != "Northwind" {
		t.Errorf("brand on the used link's page: %q", got)
	}
	inspect(t, ctx, axe, "link-used")
	visit(t, ctx, s.URL+"/connect/cfg_unknown")
	if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll(".brand").length`)); n != 0 {
		t.Errorf("an unknown link shows a brand")
	}
	inspect(t, ctx, axe, "link-unknown")
}

// A link asked for through the Superface Hub API with the SDKs' return
// link shows "Back to <app>", the app's allowed_redirect_uris permitting.
func TestBrowser_ReturnLink(t *testing.T) {
	axe := axeSource(t)
	s := newSite(t)
	req, _ := http.NewRequest("POST", s.Local+"/api/hub/session", nil)
	req.Header.Set("Authorization", "Bearer "+s.Key)
	req.Header.Set("x-superface-user-id", "u-1")
	req.Header.Set("x-superface-app-name", "Acme Assistant")
	req.Header.Set("x-superface-app-url", "https://app.example.com/settings")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	json.NewDecoder(res.Body).Decode(&out)
	res.Body.Close()
	ctx := newBrowser(t)
	visit(t, ctx, out["configuration_url"].(string))
	if got := text(t, ctx, ".return"); got != "Back to Acme Assistant" {
		t.Errorf("return link: %q", got)
	}
	if href, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector(".return").href`)); href != "https://app.example.com/settings" {
		t.Errorf("return link goes to %q", href)
	}
	inspect(t, ctx, axe, "return-link")
}
