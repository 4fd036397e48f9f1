package web_test

import (
	"bufio"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
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
		chromedp.WaitVisible(chromedp.CSS("#acme-api_key"))); err != nil {
		t.Fatal(err)
	}
	if u, _ := chromedp.Run(ann, chromedp.Location()); u != s.URL+"/connect/" {
		t.Fatalf("Ann is at %s", u)
	}
	if err := chromedp.Do(ann,
		chromedp.SendKeys(chromedp.CSS("#acme-api_key"), "sk_live_ann"),
		chromedp.Click(chromedp.CSS("#integration-acme form button")),
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
