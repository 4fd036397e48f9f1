package web_test

import (
	"bufio"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"golang.org/x/oauth2"
)

// startVerifier builds and runs examples/verifier against the site, and
// returns where it listens.
func startVerifier(t *testing.T, s *site) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "verifier")
	build := exec.Command("go", "build", "-o", bin, "./examples/verifier")
	build.Dir = filepath.Join("..", "..")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build the example verifier: %v\n%s", err, out)
	}
	cmd := exec.Command(bin)
	cmd.Env = []string{"PORTICO_URL=" + s.Local, "PORTICO_API_KEY=" + s.Key, "ADDR=127.0.0.1:0"}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	line, err := bufio.NewReader(out).ReadString('\n')
	base, ok := strings.CutPrefix(strings.TrimSpace(line), "listening on ")
	if err != nil || !ok {
		t.Fatalf("the verifier said %q: %v", line, err)
	}
	return base
}

// A link forwarded to someone else, opened in a browser where the app has
// that other person logged in, shows and stores nothing; the link's own
// user, logged in to the app, connects.
func TestBrowser_VerificationForwardedLink(t *testing.T) {
	s := newSite(t)
	verifier := startVerifier(t, s)
	s.api("PATCH", "/v1/app", map[string]any{"settings": map[string]any{"user_verification_url": verifier + "/verify",
		"webhook_url": "https://hooks.invalid/portico"}}, 200)
	link, id, _ := s.session(nil) // Ann, u-1

	bob := newBrowser(t)
	if err := chromedp.Do(bob, chromedp.Navigate(verifier+"/login?user=u-2"), chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS("body"))); err != nil {
		t.Fatal(err)
	}
	if got := text(t, bob, "body"); !strings.Contains(got, "not meant for you") {
		t.Fatalf("Bob sees %q", got)
	}
	if err := chromedp.Do(bob, chromedp.Navigate(s.URL+"/connect/")); err != nil {
		t.Fatal(err)
	}
	if got := text(t, bob, "h1"); got != "Open the link from your app" {
		t.Fatalf("Bob's page: %q", got)
	}
	if evs := s.verificationEvents(); len(evs) != 1 || evs[0]["id"] != id || evs[0]["reason"] != "user_mismatch" {
		t.Fatalf("events %v", evs)
	}

	ann := newBrowser(t)
	link = s.api("POST", "/v1/sessions/"+id+"/configuration_url", nil, 201)["configuration_url"].(string)
	if err := chromedp.Do(ann, chromedp.Navigate(verifier+"/login?user=u-1"), chromedp.Navigate(link),
		chromedp.WaitVisible(chromedp.CSS("#integration-acme"))); err != nil {
		t.Fatal(err)
	}
	if u, _ := chromedp.Run(ann, chromedp.Location()); u != s.URL+"/connect/" {
		t.Fatalf("Ann is at %s", u)
	}
	if err := chromedp.Do(ann,
		chromedp.Click(chromedp.CSS("#integration-acme h2 a")),
		chromedp.WaitVisible(chromedp.CSS("#acme-api_key")),
		chromedp.SendKeys(chromedp.CSS("#acme-api_key"), "sk_live_ann"),
		chromedp.Click(chromedp.CSS("#connect-title ~ form button")),
		chromedp.WaitVisible(chromedp.CSS(".status-connected")),
	); err != nil {
		t.Fatal(err)
	}
	conns := s.connections()
	if len(conns) != 1 || conns[0].(map[string]any)["status"] != "connected" {
		t.Fatalf("connections: %v", conns)
	}
	if user := s.api("GET", "/v1/users/"+conns[0].(map[string]any)["user_id"].(string), nil, 200); user["external_id"] != "u-1" {
		t.Fatalf("connected for %v", user)
	}
	if evs := s.verificationEvents(); len(evs) != 1 {
		t.Fatalf("events after Ann: %v", evs)
	}
}

// An MCP client's authorization in a real browser: the sign-in through the
// example verifier, the consent page, Allow; the code it gets is
// exchanged for a token of the app's resource.
func TestBrowser_AuthorizeConsent(t *testing.T) {
	s := newSite(t)
	verifier := startVerifier(t, s)
	s.api("PATCH", "/v1/app", map[string]any{"settings": map[string]any{"user_verification_url": verifier + "/verify"}}, 200)
	appID := s.api("GET", "/v1/app", nil, 200)["id"].(string)
	s.api("PUT", "/v1/integrations/notes", map[string]any{"name": "Notes", "base_url": "https://notes.example.com", "auth": map[string]any{"type": "none"},
		"actions": []any{map[string]any{"name": "list-notes", "description": "List your notes.", "method": "GET", "path": "/notes"}}}, 201)
	client := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("Connected.")) }))
	t.Cleanup(client.Close)
	callback := client.URL + "/callback"
	res, err := http.Post(s.Local+"/a/"+appID+"/register", "application/json",
		strings.NewReader(`{"client_name":"Claude","redirect_uris":["`+callback+`"]}`))
	if err != nil {
		t.Fatal(err)
	}
	var reg struct {
		ClientID string `json:"client_id"`
	}
	json.NewDecoder(res.Body).Decode(&reg)
	res.Body.Close()
	verifierCode := oauth2.GenerateVerifier()
	q := url.Values{"response_type": {"code"}, "client_id": {reg.ClientID}, "redirect_uri": {callback}, "state": {"xyz"},
		"code_challenge": {oauth2.S256ChallengeFromVerifier(verifierCode)}, "code_challenge_method": {"S256"}, "resource": {s.URL + "/a/" + appID + "/mcp"}}

	ctx := newBrowser(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(verifier+"/login?user=u-1"), chromedp.Navigate(s.URL+"/a/"+appID+"/authorize?"+q.Encode()),
		chromedp.WaitVisible(chromedp.CSS("#allow"))); err != nil {
		t.Fatal(err)
	}
	if got := text(t, ctx, "main"); !strings.Contains(got, "Claude") || !strings.Contains(got, strings.TrimPrefix(client.URL, "http://")) || !strings.Contains(got, "notes_list_notes") {
		t.Fatalf("consent page: %q", got)
	}
	shot(t, ctx, "consent")
	accessible(t, ctx, axeSource(t), "consent")
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#allow"))); err != nil {
		t.Fatal(err)
	}
	var loc string
	for range 50 {
		if loc, _ = chromedp.Run(ctx, chromedp.Location()); strings.HasPrefix(loc, callback) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	back, _ := url.Parse(loc)
	if !strings.HasPrefix(loc, callback) || back.Query().Get("state") != "xyz" || back.Query().Get("iss") != s.URL+"/a/"+appID {
		t.Fatalf("back at %s", loc)
	}
	res, err = http.PostForm(s.Local+"/a/"+appID+"/token", url.Values{"grant_type": {"authorization_code"}, "code": {back.Query().Get("code")},
		"client_id": {reg.ClientID}, "redirect_uri": {callback}, "code_verifier": {verifierCode}})
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	json.NewDecoder(res.Body).Decode(&tok)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.HasPrefix(tok.AccessToken, "pat_") {
		t.Fatalf("token: %d %+v", res.StatusCode, tok)
	}
	if sessions := s.api("GET", "/v1/sessions?external_user_id=u-1", nil, 200)["data"].([]any); len(sessions) != 1 {
		t.Fatalf("sessions of u-1: %v", sessions)
	}
}
