package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/porticohq/portico/internal/cli"
)

// chromium finds the browser: PORTICO_CHROMIUM, else Debian's chromium.
// Without one the browser tests skip, unless PORTICO_REQUIRE_BROWSER is set
// (CI sets it).
func chromium(t *testing.T) string {
	if p := os.Getenv("PORTICO_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("PORTICO_REQUIRE_BROWSER") != "" {
		t.Fatal("no Chromium found and PORTICO_REQUIRE_BROWSER is set")
	}
	t.Skip("no Chromium installed")
	return ""
}

// newBrowser starts headless Chromium with a fresh profile and no
// background traffic (the tests reach only 127.0.0.1).
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium(t)), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.WindowSize(1280, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(func() {
		cancelTimeout()
		cancel()
		cancelAlloc()
	})
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// shot saves a full-page PNG: in the test's temp dir, and under
// docs/screenshots when PORTICO_UPDATE_SCREENSHOTS=1.
func shot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if len(png) < 1000 {
		t.Fatalf("screenshot %s is empty", name)
	}
	dirs := []string{t.TempDir()}
	if os.Getenv("PORTICO_UPDATE_SCREENSHOTS") == "1" {
		dirs = append(dirs, filepath.Join("..", "..", "docs", "screenshots"))
	}
	for _, d := range dirs {
		os.MkdirAll(d, 0o755)
		if err := os.WriteFile(filepath.Join(d, name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(sel))); err != nil {
		t.Fatalf("wait for %s: %v", sel, err)
	}
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

func TestBrowser_ConnectAndDisconnectAPIKey(t *testing.T) {
	s := newSite(t)
	ctx := newBrowser(t)
	link, id, _ := s.session(map[string]any{
		"redirect_uri": "https://app.example.com/settings",
		"settings":     map[string]any{"sandbox_mode": true},
		"theme": map[string]any{"name": "Acme Cloud", "primary_color": "#7c3aed", "sidebar_background_color": "#111827",
			"privacy_url": "https://acme.example/privacy", "terms_url": "https://acme.example/terms"},
	})
	if err := chromedp.Do(ctx, chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS("h1"))); err != nil {
		t.Fatal(err)
	}
	url, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	color, err := chromedp.Run(ctx, chromedp.Evaluate[string](`getComputedStyle(document.querySelector('#integration-acme .button')).backgroundColor`))
	if err != nil {
		t.Fatal(err)
	}
	if url != s.URL+"/connect/" {
		t.Fatalf("the code stays in the address bar: %s", url)
	}
	if color != "rgb(124, 58, 237)" {
		t.Errorf("themed button colour = %s", color)
	}
	if got := text(t, ctx, ".brand"); got != "Acme Cloud" {
		t.Errorf("brand = %q", got)
	}
	if !strings.Contains(text(t, ctx, ".sandbox"), "Test environment") {
		t.Error("no sandbox banner")
	}
	shot(t, ctx, "connect-desktop")

	// The card leads to the integration's page; an invalid submission
	// comes back there with the error beside the form.
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#integration-acme .button")),
		chromedp.WaitVisible(chromedp.CSS("#acme-region")),
		chromedp.SendKeys(chromedp.CSS("#acme-region"), "eu"),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := chromedp.Evaluate[any](`document.querySelector('#acme-api_key').removeAttribute('required')`)(ctx, tg)
			return err
		}),
		chromedp.Click(chromedp.CSS("#connect-title ~ form button")),
		chromedp.WaitVisible(chromedp.CSS("#error")),
	); err != nil {
		t.Fatal(err)
	}
	// Connect with a key, typed as a person would.
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#acme-api_key"), "sk_live_browser"),
		chromedp.Click(chromedp.CSS("#connect-title ~ form button")),
		chromedp.WaitVisible(chromedp.CSS(".status-connected")),
	); err != nil {
		t.Fatal(err)
	}
	if got := text(t, ctx, ".notice"); got != "Connected." {
		t.Errorf("notice = %q", got)
	}
	if conns := s.connections(); len(conns) != 1 || conns[0].(map[string]any)["status"] != "connected" {
		t.Fatalf("connections: %v", conns)
	}
	shot(t, ctx, "connected-desktop")
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(360, 740)); err != nil {
		t.Fatal(err)
	}
	scrollWidth, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
	if scrollWidth > 360 {
		t.Errorf("the page is %d px wide on a 360 px phone", scrollWidth)
	}
	shot(t, ctx, "connected-phone")
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900)); err != nil {
		t.Fatal(err)
	}

	// Disconnect, confirmed on its own page.
	if err := chromedp.Do(ctx,
		chromedp.Navigate(s.URL+"/connect/integrations/acme"),
		chromedp.Click(chromedp.CSS(`a[href$="/disconnect"]`)),
		chromedp.Click(chromedp.CSS("button.danger")),
		chromedp.WaitVisible(chromedp.CSS(".status-revoked")),
	); err != nil {
		t.Fatal(err)
	}
	if st := s.connections()[0].(map[string]any)["status"]; st != "revoked" {
		t.Fatalf("after disconnect: %v", st)
	}

	// The used link shows its page; the revoked session ends the page.
	chromedp.Do(ctx, chromedp.Navigate(link))
	if got := text(t, ctx, "h1"); got != "This link has already been used" {
		t.Errorf("used link: %q", got)
	}
	s.api("DELETE", "/v1/sessions/"+id, nil, 204)
	chromedp.Do(ctx, chromedp.Navigate(s.URL+"/connect/"))
	if got := text(t, ctx, "h1"); got != "This session has ended" {
		t.Errorf("ended session: %q", got)
	}
}

func TestBrowser_ExpiredLink(t *testing.T) {
	s := newSite(t)
	ctx := newBrowser(t)
	link, _, _ := s.session(nil)
	s.Clock.Advance(16 * time.Minute)
	chromedp.Do(ctx, chromedp.Navigate(link))
	if got := text(t, ctx, "h1"); got != "This link has expired" {
		t.Fatalf("expired link: %q", got)
	}
	shot(t, ctx, "link-expired")
}

// The approval screen in a real browser: the user approves one call and
// declines another; only the approved one reaches the upstream, once.
func TestBrowser_ApproveAndDecline(t *testing.T) {
	var hits atomic.Int32
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	t.Cleanup(up.Close)
	s := newSite(t, func(c *cli.Config) { c.AllowPrivateUpstreams = true })
	ctx := newBrowser(t)
	s.api("PATCH", "/v1/app", map[string]any{"settings": map[string]any{"approval_default_for_delete": "confirm"}}, 200)
	s.api("PUT", "/v1/integrations/repos", map[string]any{"name": "Repos", "base_url": up.URL, "auth": map[string]any{"type": "none"},
		"actions": []any{map[string]any{"name": "delete-repo", "method": "DELETE", "path": "/repos/{repo}",
			"input_schema": map[string]any{"type": "object", "properties": map[string]any{"repo": map[string]any{"type": "string"}}}}}}, 201)
	perform := func(repo string, want int) map[string]any {
		t.Helper()
		body := s.api("POST", "/v1/perform", map[string]any{"user": map[string]any{"external_id": "u-1"}, "integration": "repos",
			"action": "delete-repo", "input": map[string]any{"repo": repo}}, want)
		if want != 409 {
			return nil
		}
		return body["error"].(map[string]any)["details"].(map[string]any)
	}
	keep := perform("web", 409)
	drop := perform("api", 409)
	if err := chromedp.Do(ctx, chromedp.Navigate(keep["approval_url"].(string)), chromedp.WaitVisible(chromedp.CSS("#approval-"+keep["approval_id"].(string)))); err != nil {
		t.Fatal(err)
	}
	if got := text(t, ctx, "#approval-"+keep["approval_id"].(string)); !strings.Contains(got, "DELETE /repos/web") {
		t.Fatalf("the approval shows %q", got)
	}
	shot(t, ctx, "approval")
	accessible(t, ctx, axeSource(t), "approval")
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#approval-"+keep["approval_id"].(string)+" form button")),
		chromedp.WaitVisible(chromedp.CSS(".notice")),
	); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#approval-"+drop["approval_id"].(string)+" form + form button")),
		chromedp.WaitNotPresent(chromedp.CSS("#approval-"+drop["approval_id"].(string))),
	); err != nil {
		t.Fatal(err)
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("the upstream was reached %d times before the retries", n)
	}
	perform("web", 200)
	perform("api", 409)
	if n := hits.Load(); n != 1 {
		t.Fatalf("%d upstream calls, want the approved one", n)
	}
}
