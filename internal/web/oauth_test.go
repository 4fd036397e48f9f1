package web_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/porticohq/portico/internal/cli"
	"github.com/porticohq/portico/internal/cli/clitest"
	"github.com/porticohq/portico/internal/portico"
	"github.com/porticohq/portico/internal/store/storetest"
	"github.com/porticohq/portico/internal/upstream"
)

// provider is an OAuth2 authorization server on loopback: it checks the
// client, the redirect URI and PKCE S256 as a real one does.
type provider struct {
	*httptest.Server
	mu         sync.Mutex
	challenges map[string]string // code → code_challenge
	redirects  map[string]string // code → redirect_uri
	exchanges  int
	refreshes  int
}

const (
	clientID     = "client-123"
	clientSecret = "secret-456"
)

func newProvider(t *testing.T) *provider {
	p := &provider{challenges: map[string]string{}, redirects: map[string]string{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /authorize", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if q.Get("response_type") != "code" || q.Get("client_id") != clientID || q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" {
			http.Error(w, "bad authorize request: "+r.URL.RawQuery, http.StatusBadRequest)
			return
		}
		code := fmt.Sprintf("code-%d", len(p.challenges)+1)
		p.mu.Lock()
		p.challenges[code], p.redirects[code] = q.Get("code_challenge"), q.Get("redirect_uri")
		p.mu.Unlock()
		back := func(extra url.Values) string {
			extra.Set("state", q.Get("state"))
			return q.Get("redirect_uri") + "?" + extra.Encode()
		}
		fmt.Fprintf(w, `<!doctype html><title>Provider</title><h1>Allow Portico to use your account?</h1>
<a id="approve" href="%s">Approve</a> <a id="deny" href="%s">Deny</a>`,
			html.EscapeString(back(url.Values{"code": {code}})),
			html.EscapeString(back(url.Values{"error": {"access_denied"}, "error_description": {"<script>alert(1)</script>"}})))
	})
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		id, secret, ok := r.BasicAuth()
		if !ok {
			id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
		}
		if r.PostForm.Get("grant_type") == "refresh_token" {
			p.mu.Lock()
			p.refreshes++
			n := p.refreshes
			p.mu.Unlock()
			w.Header().Set("Content-Type", "application/json")
			if id != clientID || secret != clientSecret || !strings.HasPrefix(r.PostForm.Get("refresh_token"), "rt-") {
				w.WriteHeader(http.StatusBadRequest)
				json.NewEncoder(w).Encode(map[string]string{"error": "invalid_grant"})
				return
			}
			json.NewEncoder(w).Encode(map[string]any{"access_token": fmt.Sprintf("at-refreshed-%d", n), "refresh_token": fmt.Sprintf("rt-refreshed-%d", n),
				"token_type": "Bearer", "expires_in": 3600})
			return
		}
		code := r.PostForm.Get("code")
		p.mu.Lock()
		challenge, known := p.challenges[code]
		redirect := p.redirects[code]
		delete(p.challenges, code)
		p.exchanges++
		p.mu.Unlock()
		sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
		w.Header().Set("Content-Type", "application/json")
		if id != clientID || secret != clientSecret || !known || r.PostForm.Get("grant_type") != "authorization_code" ||
			base64.RawURLEncoding.EncodeToString(sum[:]) != challenge || r.PostForm.Get("redirect_uri") != redirect {
			w.WriteHeader(http.StatusBadRequest)
			json.NewEncoder(w).Encode(map[string]string{"error": "invalid_grant", "error_description": "bad code, client or verifier"})
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"access_token": "at-" + code, "refresh_token": "rt-" + code,
			"token_type": "Bearer", "expires_in": 3600, "scope": "repo"})
	})
	p.Server = httptest.NewServer(mux)
	t.Cleanup(p.Close)
	return p
}

// oauthSite is a site whose app offers an OAuth2 integration of p.
func oauthSite(t *testing.T, p *provider, edits ...func(*cli.Config)) *site {
	s := newSite(t, append(edits, func(c *cli.Config) { c.AllowPrivateUpstreams = true })...)
	s.api("PUT", "/v1/integrations/gitlab", map[string]any{
		"name": "GitLab", "category": "code", "base_url": p.URL + "/api",
		"auth": map[string]any{"type": "oauth2",
			"oauth2": map[string]any{"authorize_url": p.URL + "/authorize", "token_url": p.URL + "/token",
				"client_id": clientID, "client_secret": clientSecret, "scopes": []string{"repo"}},
			"inject": map[string]any{"header": "Authorization", "format": "Bearer {access_token}"}},
	}, 201)
	return s
}

// startOAuth opens a page session and starts the authorization; it returns
// the provider's authorize URL.
func startOAuth(t *testing.T, s *site, c *http.Client) string {
	t.Helper()
	link, _, _ := s.session(nil)
	clitest.Get(t, c, link)
	_, page := clitest.Get(t, c, s.URL+"/connect/integrations/acme")
	res, _ := post(t, c, s.URL+"/connect/oauth/gitlab/start", url.Values{"csrf_token": {csrfOf(t, page)}}, nil)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("start: %d", res.StatusCode)
	}
	return res.Header.Get("Location")
}

// authorize follows the provider's approve (or deny) link and returns the
// callback URL it sends the browser to.
func authorize(t *testing.T, authURL, which string) string {
	t.Helper()
	res, body := clitest.Get(t, http.DefaultClient, authURL)
	if res.StatusCode != 200 {
		t.Fatalf("authorize: %d %s", res.StatusCode, body)
	}
	_, rest, _ := strings.Cut(body, `id="`+which+`" href="`)
	href, _, _ := strings.Cut(rest, `"`)
	return html.UnescapeString(href)
}

func TestOAuth_CallbackChecks(t *testing.T) {
	p := newProvider(t)
	s := oauthSite(t, p)
	c := clitest.Browser()
	authURL := startOAuth(t, s, c)
	u, _ := url.Parse(authURL)
	if u.Query().Get("redirect_uri") != s.URL+"/connect/oauth/callback" || u.Query().Get("state") == "" {
		t.Fatalf("authorize URL %s", authURL)
	}
	callback := authorize(t, authURL, "approve")
	cb, _ := url.Parse(callback)
	state := cb.Query().Get("state")
	// Altered in its last character, to one it does not already have.
	altered := state[:len(state)-1] + "A"
	if state[len(state)-1] == 'A' {
		altered = state[:len(state)-1] + "B"
	}

	// Missing and altered state: refused, nothing exchanged.
	for name, q := range map[string]string{
		"missing state":  "code=" + cb.Query().Get("code"),
		"altered state":  "code=" + cb.Query().Get("code") + "&state=" + url.QueryEscape(altered),
		"repeated state": "code=" + cb.Query().Get("code") + "&state=" + url.QueryEscape(state) + "&state=" + url.QueryEscape(state),
		"repeated code":  "code=" + cb.Query().Get("code") + "&code=x&state=" + url.QueryEscape(state),
	} {
		if res, _ := clitest.Get(t, c, s.URL+"/connect/oauth/callback?"+q); res.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: %d, want 400", name, res.StatusCode)
		}
	}
	// A foreign state: started in another page session.
	other := clitest.Browser()
	otherCallback := authorize(t, startOAuth(t, s, other), "approve")
	if res, _ := clitest.Get(t, c, otherCallback); res.StatusCode != http.StatusForbidden {
		t.Errorf("foreign state: %d, want 403", res.StatusCode)
	}
	if p.exchanges != 0 || len(s.connections()) != 0 {
		t.Fatalf("refused callbacks reached the provider (%d) or stored (%d)", p.exchanges, len(s.connections()))
	}
	// The right one works, once.
	res, _ := clitest.Get(t, c, callback)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/connect/?notice=connected" {
		t.Fatalf("callback: %d %v", res.StatusCode, res.Header.Get("Location"))
	}
	conns := s.connections()
	if len(conns) != 1 || conns[0].(map[string]any)["status"] != "connected" || conns[0].(map[string]any)["expires_at"] == nil {
		t.Fatalf("connections: %v", conns)
	}
	if res, _ := clitest.Get(t, c, callback); res.StatusCode != http.StatusBadRequest {
		t.Errorf("replayed callback: %d, want 400", res.StatusCode)
	}
	if !strings.Contains(s.logs.String(), `"route":"GET /connect/oauth/callback"`) {
		t.Error("callbacks are not logged by route")
	}
	// A page's request is logged with its session's app.
	appID := s.api("GET", "/v1/app", nil, 200)["id"].(string)
	for _, line := range strings.Split(s.logs.String(), "\n") {
		var l map[string]any
		if json.Unmarshal([]byte(line), &l) == nil && l["msg"] == "request" && l["route"] == "GET /connect/integrations/{slug}" && l["app_id"] != appID {
			t.Errorf("a page's log line without its app %s: %s", appID, line)
		}
	}
	for _, leaked := range []string{"at-code-1", "rt-code-1", clientSecret} {
		if strings.Contains(s.logs.String(), leaked) {
			t.Errorf("the log holds %s", leaked)
		}
	}
}

// Another page session presenting a victim's state is refused, and the
// state is not spent: the victim's own callback still completes.
func TestOAuth_StrangerCannotBurnTheState(t *testing.T) {
	for _, eng := range storetest.Engines(t) {
		t.Run(eng.Name, func(t *testing.T) {
			p := newProvider(t)
			s := oauthSite(t, p, on(t, eng))
			victim := clitest.Browser()
			callback := authorize(t, startOAuth(t, s, victim), "approve")

			stranger := clitest.Browser()
			link, _, _ := s.session(map[string]any{"user": map[string]any{"external_id": "u-2"}})
			if res, _ := clitest.Get(t, stranger, link); res.StatusCode != http.StatusSeeOther {
				t.Fatalf("stranger opens a page: %d", res.StatusCode)
			}
			if res, _ := clitest.Get(t, stranger, callback); res.StatusCode != http.StatusForbidden {
				t.Fatalf("the stranger's callback: %d, want 403", res.StatusCode)
			}
			if p.exchanges != 0 || len(s.connections()) != 0 {
				t.Fatalf("the stranger's callback reached the provider (%d) or stored (%d)", p.exchanges, len(s.connections()))
			}

			res, _ := clitest.Get(t, victim, callback)
			if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/connect/?notice=connected" {
				t.Fatalf("the victim's callback after the stranger's: %d %v, want 303 to /connect/?notice=connected",
					res.StatusCode, res.Header.Get("Location"))
			}
			conns := s.connections()
			if len(conns) != 1 || conns[0].(map[string]any)["status"] != "connected" {
				t.Fatalf("connections: %v", conns)
			}
		})
	}
}

// refusingAddr returns a loopback address that refuses connections until
// the test ends: a socket bound to it without listening holds the port.
// (A listener closed at once frees its port, which a server that another
// test starts meanwhile can take, and then answers.)
func refusingAddr(t *testing.T) string {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("127.0.0.1:%d", sa.(*syscall.SockaddrInet4).Port)
}

// A failed code exchange shows the user a plain sentence — never the token
// URL, an address or the address guard's reason — and logs the detail with
// the request id.
func TestOAuth_ExchangeFailureIsPlain(t *testing.T) {
	closedAddr := refusingAddr(t)
	p := newProvider(t)
	// A token endpoint that answers 200 without a token.
	tokenless := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"token_type":"bearer"}`))
	}))
	defer tokenless.Close()
	// One that answers with an access token Portico cannot store.
	oversized := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"access_token": strings.Repeat("a", 9000), "token_type": "bearer"})
	}))
	defer oversized.Close()
	// One that fails for the moment.
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte(`{"error":"temporarily_unavailable"}`))
	}))
	defer failing.Close()
	for _, tc := range []struct {
		name string
		// tokenURL and authorizeURL define the integration; the site runs
		// with --allow-private-upstreams when private.
		tokenURL, authorizeURL string
		private                bool
		// stored puts the URLs in the store directly: a definition saved
		// before definitions were judged by the guard's address policy,
		// which a PUT now refuses.
		stored       bool
		clientSecret string
		page         string   // the sentence the user sees
		hidden       []string // what the page must not show
		logged       string   // what the log line holds
	}{
		{
			name: "refused by the address guard",
			// 127.0.0.1 through NAT64: public on its face, loopback once dialled.
			tokenURL: "https://[64:ff9b::7f00:1]:8443/oauth/token", authorizeURL: "https://[64:ff9b::7f00:1]:8443/authorize",
			stored: true, clientSecret: clientSecret,
			page:   "GitLab could not be reached to finish connecting. Try again in a moment.",
			hidden: []string{"64:ff9b", "7f00", "8443", "/oauth/token", "loopback", "NAT64", "refused"},
			logged: "loopback address (through NAT64)",
		},
		{
			name:     "unreachable",
			tokenURL: "http://" + closedAddr + "/oauth/token", authorizeURL: p.URL + "/authorize", private: true,
			clientSecret: clientSecret,
			page:         "GitLab could not be reached to finish connecting. Try again in a moment.",
			hidden:       []string{closedAddr, "127.0.0.1", "/oauth/token", "connection refused", "dial tcp"},
			logged:       "connection refused",
		},
		{
			name:     "an answer without a token",
			tokenURL: tokenless.URL + "/oauth/token", authorizeURL: p.URL + "/authorize", private: true,
			clientSecret: clientSecret,
			page:         "GitLab answered without a usable token. Try again in a moment.",
			hidden:       []string{tokenless.URL, "127.0.0.1", "/oauth/token", "access_token", "could not be reached"},
			logged:       "missing access_token",
		},
		{
			name:     "an answer with a token that cannot be stored",
			tokenURL: oversized.URL + "/oauth/token", authorizeURL: p.URL + "/authorize", private: true,
			clientSecret: clientSecret,
			page:         "GitLab answered without a usable token. Try again in a moment.",
			hidden:       []string{oversized.URL, "/oauth/token", "access_token", "8192", "not understood"},
			logged:       "access_token must be at most 8192 bytes",
		},
		{
			name:     "a provider failing for the moment",
			tokenURL: failing.URL + "/oauth/token", authorizeURL: p.URL + "/authorize", private: true,
			clientSecret: clientSecret,
			page:         "GitLab could not be reached to finish connecting. Try again in a moment.",
			hidden:       []string{failing.URL, "/oauth/token", "503", "temporarily_unavailable", "did not accept"},
			logged:       "the provider answered 503 Service Unavailable",
		},
		{
			name:     "refused by the provider",
			tokenURL: p.URL + "/token", authorizeURL: p.URL + "/authorize", private: true,
			clientSecret: "wrong-secret",
			page:         "GitLab did not accept the connection. Try again.",
			hidden:       []string{p.URL, "127.0.0.1", "invalid_grant", "bad code, client or verifier"},
			logged:       "invalid_grant",
		},
	} {
		for _, eng := range storetest.Engines(t) {
			t.Run(tc.name+"/"+eng.Name, func(t *testing.T) {
				s := newSite(t, on(t, eng), func(c *cli.Config) { c.AllowPrivateUpstreams = tc.private })
				tokenURL, authorizeURL := tc.tokenURL, tc.authorizeURL
				if tc.stored {
					tokenURL, authorizeURL = "https://gitlab.example.com/oauth/token", "https://gitlab.example.com/authorize"
				}
				s.api("PUT", "/v1/integrations/gitlab", map[string]any{
					"name": "GitLab", "category": "code", "base_url": "https://gitlab.example.com/api",
					"auth": map[string]any{"type": "oauth2",
						"oauth2": map[string]any{"authorize_url": authorizeURL, "token_url": tokenURL,
							"client_id": clientID, "client_secret": tc.clientSecret, "scopes": []string{"repo"}},
						"inject": map[string]any{"header": "Authorization", "format": "Bearer {access_token}"}},
				}, 201)
				if tc.stored {
					storeURLs(t, s, "gitlab", tc.tokenURL, tc.authorizeURL)
				}
				c := clitest.Browser()
				authURL := startOAuth(t, s, c)
				callback := s.URL + "/connect/oauth/callback?code=code-1&state="
				if tc.private {
					callback = authorize(t, authURL, "approve")
				} else {
					u, _ := url.Parse(authURL)
					callback += url.QueryEscape(u.Query().Get("state"))
				}
				res, body := clitest.Get(t, c, callback)
				if res.StatusCode != http.StatusBadGateway || !strings.Contains(body, tc.page) ||
					!strings.Contains(body, `<a class="button" href="/connect/integrations/gitlab">Try again</a>`) {
					t.Fatalf("callback: %d, want 502 with %q and a way back:\n%s", res.StatusCode, tc.page, body)
				}
				for _, h := range append(tc.hidden, tc.tokenURL) {
					if strings.Contains(body, h) || strings.Contains(body, html.EscapeString(h)) {
						t.Errorf("the page shows %q:\n%s", h, body)
					}
				}
				if ip := regexp.MustCompile(`\b\d{1,3}(\.\d{1,3}){3}\b`).FindString(body); ip != "" {
					t.Errorf("the page shows an IP address %s", ip)
				}
				id := res.Header.Get("X-Request-Id")
				found := false
				for _, line := range strings.Split(s.logs.String(), "\n") {
					var l map[string]any
					if json.Unmarshal([]byte(line), &l) != nil || l["msg"] != "oauth_exchange_failed" {
						continue
					}
					found = true
					if id == "" || l["request_id"] != id || !strings.Contains(fmt.Sprint(l["error"]), tc.logged) {
						t.Errorf("log line %s, want request_id %q and an error holding %q", line, id, tc.logged)
					}
				}
				if !found {
					t.Errorf("no oauth_exchange_failed line in the log:\n%s", s.logs.String())
				}
				if len(s.connections()) != 0 {
					t.Errorf("a failed exchange stored a connection")
				}
			})
		}
	}
}

// A session revoked while the provider exchanges the code ends the page
// there, and so does its user's deletion: the tokens that arrive after it
// are not stored.
func TestOAuth_SessionEndsDuringTheExchange(t *testing.T) {
	for _, eng := range storetest.Engines(t) {
		for _, end := range []string{"revoke the session", "delete the user"} {
			t.Run(eng.Name+"/"+end, func(t *testing.T) {
				p := newProvider(t)
				asked, answer := make(chan struct{}), make(chan struct{})
				slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					close(asked)
					<-answer
					p.Config.Handler.ServeHTTP(w, r)
				}))
				defer slow.Close()
				s := newSite(t, on(t, eng), func(c *cli.Config) { c.AllowPrivateUpstreams = true })
				s.api("PUT", "/v1/integrations/gitlab", map[string]any{
					"name": "GitLab", "base_url": p.URL + "/api",
					"auth": map[string]any{"type": "oauth2",
						"oauth2": map[string]any{"authorize_url": p.URL + "/authorize", "token_url": slow.URL + "/token",
							"client_id": clientID, "client_secret": clientSecret, "scopes": []string{"repo"}},
						"inject": map[string]any{"header": "Authorization", "format": "Bearer {access_token}"}},
				}, 201)
				c := clitest.Browser()
				link, id, _ := s.session(nil)
				userID := s.api("GET", "/v1/sessions/"+id, nil, 200)["user_id"].(string)
				clitest.Get(t, c, link)
				_, page := clitest.Get(t, c, s.URL+"/connect/integrations/gitlab")
				res, _ := post(t, c, s.URL+"/connect/oauth/gitlab/start", url.Values{"csrf_token": {csrfOf(t, page)}}, nil)
				callback := authorize(t, res.Header.Get("Location"), "approve")
				type answered struct {
					status int
					body   string
					err    error
				}
				done := make(chan answered, 1)
				go func() {
					res, err := c.Get(callback)
					if err != nil {
						done <- answered{err: err}
						return
					}
					defer res.Body.Close()
					b, err := io.ReadAll(res.Body)
					done <- answered{res.StatusCode, string(b), err}
				}()
				<-asked
				if end == "revoke the session" {
					s.api("DELETE", "/v1/sessions/"+id, nil, 204)
				} else {
					s.api("DELETE", "/v1/users/"+userID, nil, 204)
				}
				close(answer)
				got := <-done
				if got.err != nil || got.status != http.StatusGone || !strings.Contains(got.body, "This session has ended") {
					t.Errorf("callback: %d %v, want 410 This session has ended:\n%s", got.status, got.err, got.body)
				}
				if conns := s.api("GET", "/v1/connections", nil, 200)["data"].([]any); len(conns) != 0 {
					t.Errorf("stored after the session ended: %v", conns)
				}
			})
		}
	}
}

func TestOAuth_ProviderErrorIsEscaped(t *testing.T) {
	p := newProvider(t)
	s := oauthSite(t, p)
	c := clitest.Browser()
	deny := authorize(t, startOAuth(t, s, c), "deny")
	res, body := clitest.Get(t, c, deny)
	if res.StatusCode != http.StatusBadRequest || strings.Contains(body, "<script>alert(1)</script>") || !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Fatalf("provider error: %d\n%s", res.StatusCode, body)
	}
	// The way back: the integration, to connect again.
	if !strings.Contains(body, `<a class="button" href="/connect/integrations/gitlab">Try again</a>`) {
		t.Errorf("no way back from the refusal:\n%s", body)
	}
}

func TestBrowser_OAuth2EndToEnd(t *testing.T) {
	p := newProvider(t)
	s := oauthSite(t, p)
	ctx := newBrowser(t)
	link, _, _ := s.session(nil)
	if err := chromedp.Do(ctx,
		chromedp.Navigate(link),
		chromedp.Click(chromedp.CSS("#integration-gitlab .button")),
		chromedp.Click(chromedp.CSS("#connect-title ~ form button")),
		chromedp.WaitVisible(chromedp.CSS("#approve")),
		chromedp.Click(chromedp.CSS("#approve")),
		chromedp.WaitVisible(chromedp.CSS("#integration-gitlab .status-connected")),
	); err != nil {
		t.Fatal(err)
	}
	conns := s.connections()
	if len(conns) != 1 || conns[0].(map[string]any)["integration"] != "gitlab" {
		t.Fatalf("connections: %v", conns)
	}
	shot(t, ctx, "oauth-connected")

	// The stored tokens refresh at the provider's token endpoint.
	bg := context.Background()
	appID := s.api("GET", "/v1/app", nil, 200)["id"].(string)
	conn, err := s.Svc.FindConnection(bg, appID, conns[0].(map[string]any)["id"].(string))
	if err != nil {
		t.Fatal(err)
	}
	creds, err := s.Svc.OpenCredentials(conn)
	if err != nil || creds[portico.TokenAccess] != "at-code-1" || creds[portico.TokenRefresh] != "rt-code-1" {
		t.Fatalf("stored tokens: %v", err)
	}
	integ, _ := s.Svc.FindIntegration(bg, appID, "gitlab")
	secret, _ := s.Svc.OAuth2ClientSecret(integ)
	fresh, err := (&upstream.OAuth2{}).Refresh(bg, integ, secret, creds, s.Svc.Now())
	if err != nil || fresh[portico.TokenAccess] != "at-refreshed-1" || fresh[portico.TokenRefresh] != "rt-refreshed-1" || fresh[portico.TokenExpiresAt] == "" {
		t.Fatalf("refresh: %v", err)
	}
	if _, err := (&upstream.OAuth2{}).Refresh(bg, integ, "wrong-secret", creds, s.Svc.Now()); !errors.Is(err, upstream.ErrExchange) {
		t.Fatalf("refresh with a wrong client secret: %v", err)
	}
}

// storeURLs rewrites an integration's OAuth2 endpoints in the store,
// past the checks of a PUT.
func storeURLs(t *testing.T, s *site, slug, tokenURL, authorizeURL string) {
	t.Helper()
	ctx := context.Background()
	app, _, err := s.Svc.AuthenticateAPIKey(ctx, s.Key)
	if err != nil {
		t.Fatal(err)
	}
	ins, err := s.Store.ListIntegrations(ctx, app.ID, portico.ListQuery{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range ins {
		if in.Slug == slug {
			in.Auth.OAuth2.TokenURL, in.Auth.OAuth2.AuthorizeURL = tokenURL, authorizeURL
			if _, err := s.Store.PutIntegration(ctx, &in, false); err != nil {
				t.Fatal(err)
			}
			return
		}
	}
	t.Fatalf("no integration %s", slug)
}

// A refusal at the provider ends on a page that says what happened and
// leads back to the integration, where Try again starts over.
func TestBrowser_OAuth2Denied(t *testing.T) {
	p := newProvider(t)
	s := oauthSite(t, p)
	ctx := newBrowser(t)
	link, _, _ := s.session(nil)
	if err := chromedp.Do(ctx,
		chromedp.Navigate(link),
		chromedp.Click(chromedp.CSS("#integration-gitlab .button")),
		chromedp.Click(chromedp.CSS("#connect-title ~ form button")),
		chromedp.WaitVisible(chromedp.CSS("#deny")),
		chromedp.Click(chromedp.CSS("#deny")),
		chromedp.WaitVisible(chromedp.CSS("main.message a.button")),
	); err != nil {
		t.Fatal(err)
	}
	shot(t, ctx, "oauth-denied")
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("main.message a.button")),
		chromedp.WaitVisible(chromedp.CSS("#connect-title ~ form button")),
	); err != nil {
		t.Fatalf("Try again: %v", err)
	}
}
