package authserver_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/porticohq/portico/internal/cli"
	"github.com/porticohq/portico/internal/cli/clitest"
	"github.com/porticohq/portico/internal/portico"
	"github.com/porticohq/portico/internal/store/storetest"
)

// site is a whole server with one app whose sign-in is user verification,
// played by the test: it confirms whichever user it is told is logged in.
type site struct {
	t     *testing.T
	URL   string
	Key   string
	AppID string
	Svc   *portico.Service
	Clock *storetest.Clock
}

const verifierURL = "https://app.example.com/verify"

func newSite(t *testing.T, allowPrivate bool) *site {
	t.Helper()
	return newSiteWith(t, func(cfg *cli.Config) { cfg.AllowPrivateUpstreams = allowPrivate })
}

// newSiteWith is newSite with a configuration edit may change.
func newSiteWith(t *testing.T, edit func(*cli.Config)) *site {
	t.Helper()
	clock := storetest.NewClock()
	var cfg cli.Config
	cfg.DataDir, cfg.Addr, cfg.ShutdownTimeout = t.TempDir(), "127.0.0.1:0", 5*time.Second
	cfg.LogOutput, cfg.LogFormat, cfg.Clock = io.Discard, "json", clock.Now
	edit(&cfg)
	srv := clitest.Start(t, cfg)
	s := &site{t: t, URL: srv.URL(), Svc: srv.Service, Clock: clock}
	s.AppID, s.Key = s.newApp("Acme")
	return s
}

// newApp creates an app with user verification and one tool.
func (s *site) newApp(name string) (id, key string) {
	s.t.Helper()
	app, key, err := s.Svc.CreateApp(context.Background(), name)
	if err != nil {
		s.t.Fatal(err)
	}
	s.call(key, "PATCH", "/v1/app", map[string]any{"settings": map[string]any{"user_verification_url": verifierURL}}, 200)
	s.call(key, "PUT", "/v1/integrations/notes", map[string]any{"name": "Notes", "base_url": "https://notes.example.com", "auth": map[string]any{"type": "none"},
		"actions": []any{map[string]any{"name": "list-notes", "method": "GET", "path": "/notes"}}}, 201)
	return app.ID, key
}

func (s *site) call(key, method, path string, body any, want int) map[string]any {
	s.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, s.URL+path, rd)
	req.Header.Set("Authorization", "Bearer "+key)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var out map[string]any
	json.Unmarshal(raw, &out)
	if res.StatusCode != want {
		s.t.Fatalf("%s %s: %d %s, want %d", method, path, res.StatusCode, raw, want)
	}
	return out
}

// register registers a client with these redirect URIs.
func (s *site) register(appID string, redirects ...string) string {
	s.t.Helper()
	b, _ := json.Marshal(map[string]any{"client_name": "Test Agent", "redirect_uris": redirects, "token_endpoint_auth_method": "none"})
	res, err := http.Post(s.URL+"/a/"+appID+"/register", "application/json", bytes.NewReader(b))
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	json.NewDecoder(res.Body).Decode(&out)
	if res.StatusCode != 201 {
		s.t.Fatalf("register: %d %v", res.StatusCode, out)
	}
	return out["client_id"].(string)
}

const redirect = "http://127.0.0.1:9/callback"

// pkce returns a verifier and its S256 challenge.
func pkce() (string, string) {
	v := oauth2.GenerateVerifier()
	return v, oauth2.S256ChallengeFromVerifier(v)
}

// authorizeURL is the /authorize URL of an ordinary request of clientID.
func (s *site) authorizeURL(appID, clientID, challenge string, edit func(url.Values)) string {
	q := url.Values{"response_type": {"code"}, "client_id": {clientID}, "redirect_uri": {redirect}, "state": {"st-1"},
		"code_challenge": {challenge}, "code_challenge_method": {"S256"}, "resource": {s.URL + "/a/" + appID + "/mcp"}}
	if edit != nil {
		edit(q)
	}
	return s.URL + "/a/" + appID + "/authorize?" + q.Encode()
}

// signIn follows an /authorize answer through the app's verifier (played
// here: it confirms externalID) to the consent page, and returns the
// page's URL and body.
func (s *site) signIn(c *http.Client, key string, res *http.Response, externalID string) (string, string) {
	s.t.Helper()
	loc := res.Header.Get("Location")
	if strings.HasPrefix(loc, verifierURL) {
		u, _ := url.Parse(loc)
		back := s.call(key, "POST", "/v1/verifications/"+u.Query().Get("flow")+"/confirm", map[string]any{"user": map[string]any{"external_id": externalID}}, 200)["return_to"].(string)
		res, _ = clitest.Get(s.t, c, back)
		loc = res.Header.Get("Location")
	}
	if res.StatusCode != http.StatusSeeOther || !strings.Contains(loc, "/consent/") {
		s.t.Fatalf("to consent: %d %s", res.StatusCode, loc)
	}
	consent := s.URL + loc
	res, body := clitest.Get(s.t, c, consent)
	if res.StatusCode != 200 || res.Header.Get("X-Frame-Options") != "DENY" || !strings.Contains(res.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
		s.t.Fatalf("consent page: %d %v", res.StatusCode, res.Header)
	}
	return consent, body
}

// decide posts Allow or Deny and returns the redirect back to the client.
func (s *site) decide(c *http.Client, consent, body, decision string) *url.URL {
	s.t.Helper()
	_, rest, _ := strings.Cut(body, `name="csrf_token" value="`)
	csrf, _, _ := strings.Cut(rest, `"`)
	req, _ := http.NewRequest("POST", consent, strings.NewReader(url.Values{"csrf_token": {csrf}, "decision": {decision}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", s.URL)
	res, err := c.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	res.Body.Close()
	u, err := url.Parse(res.Header.Get("Location"))
	if res.StatusCode != http.StatusSeeOther || err != nil || !strings.HasPrefix(u.String(), redirect) {
		s.t.Fatalf("decision: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	if u.Query().Get("state") != "st-1" || u.Query().Get("iss") != s.URL+"/a/"+s.AppID {
		s.t.Fatalf("state and iss (RFC 9207) in %s", u)
	}
	return u
}

// code runs a whole authorization for u-1 and returns the code.
func (s *site) code(clientID, challenge string) string {
	s.t.Helper()
	c := clitest.Browser()
	res, _ := clitest.Get(s.t, c, s.authorizeURL(s.AppID, clientID, challenge, nil))
	consent, body := s.signIn(c, s.Key, res, "u-1")
	return s.decide(c, consent, body, "allow").Query().Get("code")
}

func (s *site) oauth(clientID string) *oauth2.Config {
	return &oauth2.Config{ClientID: clientID, RedirectURL: redirect, Endpoint: oauth2.Endpoint{
		AuthURL: s.URL + "/a/" + s.AppID + "/authorize", TokenURL: s.URL + "/a/" + s.AppID + "/token", AuthStyle: oauth2.AuthStyleInParams}}
}

// tokenErr posts to /token and returns the status and OAuth error code.
// revoke revokes token at the app's revocation endpoint, which answers 200.
func (s *site) revoke(token string) {
	s.t.Helper()
	res, err := http.PostForm(s.URL+"/a/"+s.AppID+"/revoke", url.Values{"token": {token}})
	if err != nil || res.StatusCode != 200 {
		s.t.Fatalf("revoke: %v %v", res, err)
	}
	res.Body.Close()
}

// refreshed is a token endpoint's answer of new tokens.
type refreshed struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
}

// refresh posts form to the app's token endpoint and returns the status
// and the tokens answered.
func (s *site) refresh(form url.Values) (int, refreshed) {
	s.t.Helper()
	res, err := http.PostForm(s.URL+"/a/"+s.AppID+"/token", form)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	var out refreshed
	json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out
}

func (s *site) tokenErr(appID string, form url.Values) (int, string) {
	s.t.Helper()
	res, err := http.PostForm(s.URL+"/a/"+appID+"/token", form)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	var out struct {
		Error string `json:"error"`
	}
	json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out.Error
}

// listTools opens an MCP session at the resource with token and lists
// the tools; it returns the status of the first request.
func (s *site) listTools(resource, token string) (int, string) {
	s.t.Helper()
	post := func(body string, h map[string]string) (*http.Response, string) {
		req, _ := http.NewRequest("POST", resource, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		req.Header.Set("Authorization", "Bearer "+token)
		for k, v := range h {
			req.Header.Set(k, v)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			s.t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, string(b)
	}
	res, body := post(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`, nil)
	if res.StatusCode != 200 {
		return res.StatusCode, res.Header.Get("WWW-Authenticate") + " " + body
	}
	_, body = post(`{"jsonrpc":"2.0","id":2,"method":"tools/list"}`, map[string]string{"Mcp-Session-Id": res.Header.Get("Mcp-Session-Id"), "MCP-Protocol-Version": "2025-11-25"})
	return 200, body
}

func TestAuthServer_Metadata(t *testing.T) {
	s := newSite(t, false)
	iss := s.URL + "/a/" + s.AppID
	for _, path := range []string{"/.well-known/oauth-authorization-server/a/" + s.AppID, "/a/" + s.AppID + "/.well-known/oauth-authorization-server"} {
		res, body := clitest.Get(t, http.DefaultClient, s.URL+path)
		var m map[string]any
		json.Unmarshal([]byte(body), &m)
		if res.StatusCode != 200 || m["issuer"] != iss || m["authorization_endpoint"] != iss+"/authorize" || m["token_endpoint"] != iss+"/token" ||
			m["registration_endpoint"] != iss+"/register" || m["client_id_metadata_document_supported"] != true ||
			m["authorization_response_iss_parameter_supported"] != true || strings.Join(toStrings(m["code_challenge_methods_supported"]), ",") != "S256" {
			t.Fatalf("%s: %d %s", path, res.StatusCode, body)
		}
	}
	res, body := clitest.Get(t, http.DefaultClient, s.URL+"/.well-known/oauth-protected-resource/a/"+s.AppID+"/mcp")
	var prm map[string]any
	json.Unmarshal([]byte(body), &prm)
	if res.StatusCode != 200 || prm["resource"] != iss+"/mcp" || toStrings(prm["authorization_servers"])[0] != iss {
		t.Fatalf("resource metadata: %d %s", res.StatusCode, body)
	}
	// Unauthenticated: 401 naming the metadata.
	if st, www := s.listTools(iss+"/mcp", ""); st != 401 || !strings.Contains(www, `resource_metadata="`+s.URL+"/.well-known/oauth-protected-resource/a/"+s.AppID+`/mcp"`) {
		t.Fatalf("unauthenticated: %d %s", st, www)
	}
	if res, _ := clitest.Get(t, http.DefaultClient, s.URL+"/.well-known/oauth-authorization-server/a/app_nope"); res.StatusCode != 404 {
		t.Fatalf("unknown app: %d", res.StatusCode)
	}
	// A client in a browser may read the documents and preflight /token.
	if res, _ := clitest.Get(t, http.DefaultClient, s.URL+"/.well-known/oauth-authorization-server/a/"+s.AppID); res.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Fatalf("metadata without CORS: %v", res.Header)
	}
	req, _ := http.NewRequest("OPTIONS", s.URL+"/a/"+s.AppID+"/token", nil)
	req.Header.Set("Origin", "http://localhost:6274")
	req.Header.Set("Access-Control-Request-Method", "POST")
	pre, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	pre.Body.Close()
	if pre.StatusCode != 204 || pre.Header.Get("Access-Control-Allow-Origin") != "*" || !strings.Contains(pre.Header.Get("Access-Control-Allow-Methods"), "POST") {
		t.Fatalf("preflight: %d %v", pre.StatusCode, pre.Header)
	}
}

func toStrings(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

// The whole flow with golang.org/x/oauth2 as the client: code, tokens,
// tools through the resource, refresh rotation and reuse, revocation, and
// the audience.
func TestAuthServer_CodeTokensRefreshRevoke(t *testing.T) {
	s := newSite(t, false)
	ctx := context.Background()
	clientID := s.register(s.AppID, redirect)
	cfg := s.oauth(clientID)
	verifier, challenge := pkce()
	code := s.code(clientID, challenge)
	tok, err := cfg.Exchange(ctx, code, oauth2.VerifierOption(verifier), oauth2.SetAuthURLParam("resource", s.URL+"/a/"+s.AppID+"/mcp"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tok.AccessToken, portico.PrefixAccessToken) || !strings.HasPrefix(tok.RefreshToken, portico.PrefixOAuthRefresh) || tok.Expiry.IsZero() {
		t.Fatalf("token %+v", tok)
	}
	resource := s.URL + "/a/" + s.AppID + "/mcp"
	if st, body := s.listTools(resource, tok.AccessToken); st != 200 || !strings.Contains(body, "notes_list_notes") {
		t.Fatalf("tools/list: %d %s", st, body)
	}
	// The session is the user's, listed with the app's sessions.
	sessions := s.call(s.Key, "GET", "/v1/sessions?external_user_id=u-1", nil, 200)["data"].([]any)
	if len(sessions) != 1 || sessions[0].(map[string]any)["custom_settings"].(map[string]any)["oauth_client_id"] != clientID {
		t.Fatalf("sessions %v", sessions)
	}
	// Audience: not at /mcp, not the native API, not another app's resource.
	otherID, _ := s.newApp("Other")
	for _, u := range []string{s.URL + "/mcp", s.URL + "/a/" + otherID + "/mcp"} {
		if st, _ := s.listTools(u, tok.AccessToken); st != 401 {
			t.Fatalf("%s took the token: %d", u, st)
		}
	}
	if _, body := s.listTools(s.URL+"/mcp", tok.AccessToken); !strings.Contains(body, "it works only at its app's /a/<app id>/mcp") {
		t.Fatalf("/mcp does not say where an access token works: %s", body)
	}
	if res, _ := getBearer(t, s.URL+"/v1/me", tok.AccessToken); res != 401 {
		t.Fatalf("/v1/me took the access token: %d", res)
	}

	// Refresh rotates; the old refresh token reused revokes the session.
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}, "client_id": {clientID}}
	st, fresh := s.refresh(form)
	if st != 200 || fresh.AccessToken == tok.AccessToken || fresh.RefreshToken == tok.RefreshToken || fresh.RefreshToken == "" {
		t.Fatalf("refresh: %d %+v", st, fresh)
	}
	if st, _ := s.listTools(resource, tok.AccessToken); st != 401 {
		t.Fatalf("the rotated access token still works: %d", st)
	}
	if st, _ := s.listTools(resource, fresh.AccessToken); st != 200 {
		t.Fatalf("the new access token: %d", st)
	}
	// Reused after the rotation (the test clock stands still: a
	// microsecond on), not in a race with it.
	s.Clock.Advance(time.Microsecond)
	if st, e := s.tokenErr(s.AppID, form); st != 400 || e != "invalid_grant" {
		t.Fatalf("reuse: %d %s", st, e)
	}
	if st, _ := s.listTools(resource, fresh.AccessToken); st != 401 {
		t.Fatalf("reuse did not revoke the session: %d", st)
	}

	// Revocation ends the session of a new grant.
	verifier, challenge = pkce()
	tok, err = cfg.Exchange(ctx, s.code(clientID, challenge), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	s.revoke(tok.AccessToken)
	if st, _ := s.listTools(resource, tok.AccessToken); st != 401 {
		t.Fatalf("revoked token: %d", st)
	}
	if st, e := s.tokenErr(s.AppID, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}}); st != 400 || e != "invalid_grant" {
		t.Fatalf("refresh after revocation: %d %s", st, e)
	}

	// A refresh token is bound to its client: another client presenting
	// it gets invalid_grant, and the session ends.
	other := s.register(s.AppID, redirect)
	verifier, challenge = pkce()
	tok, err = cfg.Exchange(ctx, s.code(clientID, challenge), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	if st, e := s.tokenErr(s.AppID, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}, "client_id": {other}}); st != 400 || e != "invalid_grant" {
		t.Fatalf("refresh by another client: %d %s", st, e)
	}
	if st, _ := s.listTools(resource, tok.AccessToken); st != 401 {
		t.Fatalf("a refresh by another client left the session live: %d", st)
	}
}

func getBearer(t *testing.T, u, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// Authorization requests that are refused: on a page when the client or
// its redirect cannot be trusted, back to the client otherwise; never a
// code.
func TestAuthServer_AuthorizeRefusals(t *testing.T) {
	s := newSite(t, false)
	clientID := s.register(s.AppID, redirect)
	_, challenge := pkce()
	for _, tc := range []struct {
		name      string
		edit      func(url.Values)
		wantPage  bool   // refused on a page (400), not redirected
		wantError string // the error sent back
	}{
		{"unknown client", func(q url.Values) { q.Set("client_id", "pcl_nope") }, true, ""},
		{"no client", func(q url.Values) { q.Del("client_id") }, true, ""},
		{"redirect with a trailing slash", func(q url.Values) { q.Set("redirect_uri", redirect+"/") }, true, ""},
		{"redirect with another host case", func(q url.Values) { q.Set("redirect_uri", "http://127.0.0.1:9/Callback") }, true, ""},
		{"redirect with a query", func(q url.Values) { q.Set("redirect_uri", redirect+"?x=1") }, true, ""},
		{"redirect on another port", func(q url.Values) { q.Set("redirect_uri", "http://127.0.0.1:10/callback") }, true, ""},
		{"no redirect", func(q url.Values) { q.Del("redirect_uri") }, true, ""},
		{"missing PKCE", func(q url.Values) { q.Del("code_challenge"); q.Del("code_challenge_method") }, false, "invalid_request"},
		{"plain PKCE", func(q url.Values) { q.Set("code_challenge_method", "plain") }, false, "invalid_request"},
		{"state missing", func(q url.Values) { q.Del("state") }, false, "invalid_request"},
		{"another resource", func(q url.Values) { q.Set("resource", s.URL+"/mcp") }, false, "invalid_target"},
		{"no resource", func(q url.Values) { q.Del("resource") }, false, "invalid_target"},
		{"token response type", func(q url.Values) { q.Set("response_type", "token") }, false, "unsupported_response_type"},
		// RFC 6749 §3.1: a parameter sent twice is refused, before the
		// client or its redirect is trusted.
		{"response type twice", func(q url.Values) { q.Add("response_type", "token") }, true, ""},
		{"client twice", func(q url.Values) { q.Add("client_id", "pcl_other") }, true, ""},
		{"redirect twice", func(q url.Values) { q.Add("redirect_uri", "https://evil.example/cb") }, true, ""},
		// Bytes no parameter can hold: a page for the client or its
		// redirect, back to the client for any other.
		{"client with NUL", func(q url.Values) { q.Set("client_id", clientID+"\x00") }, true, ""},
		{"redirect not UTF-8", func(q url.Values) { q.Set("redirect_uri", redirect+"\xff") }, true, ""},
		{"state with NUL", func(q url.Values) { q.Set("state", "a\x00b") }, false, "invalid_request"},
		{"state not UTF-8", func(q url.Values) { q.Set("state", "\xff\xfe") }, false, "invalid_request"},
		{"a parameter name with NUL", func(q url.Values) { q.Set("x\x00", "1") }, false, "invalid_request"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, body := clitest.Get(t, clitest.Browser(), s.authorizeURL(s.AppID, clientID, challenge, tc.edit))
			loc := res.Header.Get("Location")
			if tc.wantPage {
				if res.StatusCode != 400 || loc != "" || !strings.Contains(body, "not valid") {
					t.Fatalf("%d %s %s", res.StatusCode, loc, body)
				}
				return
			}
			u, _ := url.Parse(loc)
			if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, redirect) || u.Query().Get("error") != tc.wantError ||
				u.Query().Has("code") || u.Query().Get("iss") != s.URL+"/a/"+s.AppID {
				t.Fatalf("%d %s", res.StatusCode, loc)
			}
		})
	}
	// A query that does not parse, which url.Values would read with the
	// pair dropped: not the request the client sent, so not redirected.
	for _, raw := range []string{"scope=mcp;x", "scope=%zz"} {
		res, body := clitest.Get(t, clitest.Browser(), s.authorizeURL(s.AppID, clientID, challenge, nil)+"&"+raw)
		if res.StatusCode != 400 || res.Header.Get("Location") != "" || !strings.Contains(body, "cannot be read") {
			t.Fatalf("%s: %d %s %s", raw, res.StatusCode, res.Header.Get("Location"), body)
		}
	}
}

// Consent denied: access_denied, no code; a decision is taken once.
func TestAuthServer_ConsentDenied(t *testing.T) {
	s := newSite(t, false)
	clientID := s.register(s.AppID, redirect)
	_, challenge := pkce()
	c := clitest.Browser()
	res, _ := clitest.Get(t, c, s.authorizeURL(s.AppID, clientID, challenge, nil))
	consent, body := s.signIn(c, s.Key, res, "u-1")
	for _, want := range []string{"Test Agent", "127.0.0.1:9", "notes_list_notes", "Allow", "Deny"} {
		if !strings.Contains(body, want) {
			t.Fatalf("the consent page lacks %q:\n%s", want, body)
		}
	}
	u := s.decide(c, consent, body, "deny")
	if u.Query().Get("error") != "access_denied" || u.Query().Has("code") {
		t.Fatalf("denied: %s", u)
	}
	if res, _ := clitest.Get(t, c, consent); res.StatusCode != http.StatusGone {
		t.Fatalf("consent page after the decision: %d", res.StatusCode)
	}
	// Signed in now: the next authorization skips the app's verifier.
	res, _ = clitest.Get(t, c, s.authorizeURL(s.AppID, clientID, challenge, nil))
	if loc := res.Header.Get("Location"); !strings.HasPrefix(loc, "/a/"+s.AppID+"/consent/") {
		t.Fatalf("signed-in browser sent to %s", loc)
	}
	// ... and a configuration link of the same user opens at once, one of
	// another user goes through the app.
	link := s.call(s.Key, "POST", "/v1/sessions", map[string]any{"user": map[string]any{"external_id": "u-1"}}, 201)["configuration_url"].(string)
	if res, _ := clitest.Get(t, c, link); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/connect/" {
		t.Fatalf("the signed-in user's link: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	link = s.call(s.Key, "POST", "/v1/sessions", map[string]any{"user": map[string]any{"external_id": "u-2"}}, 201)["configuration_url"].(string)
	if res, _ := clitest.Get(t, c, link); !strings.HasPrefix(res.Header.Get("Location"), verifierURL) {
		t.Fatalf("another user's link: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	// Another browser cannot use this browser's consent page, nor post
	// without the CSRF token.
	consent, _ = s.signIn(c, s.Key, res, "u-1")
	if res, _ := clitest.Get(t, clitest.Browser(), consent); res.StatusCode != http.StatusGone {
		t.Fatalf("consent page in another browser: %d", res.StatusCode)
	}
	req, _ := http.NewRequest("POST", consent, strings.NewReader("decision=allow&csrf_token=forged"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden || res.Header.Get("Location") != "" {
		t.Fatalf("forged decision: %d", res.StatusCode)
	}
}

// At the app's session limit (reject), refreshing an expired OAuth
// session is refused (invalid_grant), as creating one would be; revoking
// it with its refresh token still ends it.
func TestAuthServer_RevivalAtTheSessionLimit(t *testing.T) {
	s := newSite(t, false)
	s.call(s.Key, "PATCH", "/v1/app", map[string]any{"settings": map[string]any{"max_sessions_per_user": 1, "session_limit_policy": "reject"}}, 200)
	clientID := s.register(s.AppID, redirect)
	verifier, challenge := pkce()
	tok, err := s.oauth(clientID).Exchange(context.Background(), s.code(clientID, challenge), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	s.Clock.Advance(2 * time.Hour)
	s.call(s.Key, "POST", "/v1/sessions", map[string]any{"user": map[string]any{"external_id": "u-1"}}, 201)
	refresh := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}, "client_id": {clientID}}
	if st, e := s.tokenErr(s.AppID, refresh); st != 400 || e != "invalid_grant" {
		t.Fatalf("refresh at the limit: %d %s", st, e)
	}
	s.revoke(tok.RefreshToken)
	// Under a wider limit, the refresh token would revive its session,
	// had the revocation not ended it.
	s.call(s.Key, "PATCH", "/v1/app", map[string]any{"settings": map[string]any{"max_sessions_per_user": 10}}, 200)
	if st, e := s.tokenErr(s.AppID, refresh); st != 400 || e != "invalid_grant" {
		t.Fatalf("refresh after revocation: %d %s", st, e)
	}
}

// Revocation ends the session whatever the token's state: an access token
// that expired (whose refresh token could still bring the session back),
// and a refresh token rotated away a moment ago by a refresh that raced
// the revocation.
func TestAuthServer_RevokeEndsTheSessionOfAnExpiredOrJustRotatedToken(t *testing.T) {
	s := newSite(t, false)
	clientID := s.register(s.AppID, redirect)
	cfg := s.oauth(clientID)
	resource := s.URL + "/a/" + s.AppID + "/mcp"
	grant := func() *oauth2.Token {
		t.Helper()
		verifier, challenge := pkce()
		tok, err := cfg.Exchange(context.Background(), s.code(clientID, challenge), oauth2.VerifierOption(verifier))
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}

	tok := grant()
	s.Clock.Advance(2 * time.Hour)
	if st, _ := s.listTools(resource, tok.AccessToken); st != 401 {
		t.Fatalf("the access token outlived its session: %d", st)
	}
	s.revoke(tok.AccessToken)
	if st, e := s.tokenErr(s.AppID, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}, "client_id": {clientID}}); st != 400 || e != "invalid_grant" {
		t.Fatalf("refresh after revoking the expired access token: %d %s", st, e)
	}

	tok = grant()
	st, fresh := s.refresh(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}, "client_id": {clientID}})
	if st != 200 || fresh.AccessToken == "" {
		t.Fatalf("refresh: %d %+v", st, fresh)
	}
	s.revoke(tok.RefreshToken) // within the leeway of the refresh above
	if st, _ := s.listTools(resource, fresh.AccessToken); st != 401 {
		t.Fatalf("revoking the refresh token just rotated away left the session live: %d", st)
	}
	if st, e := s.tokenErr(s.AppID, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {fresh.RefreshToken}, "client_id": {clientID}}); st != 400 || e != "invalid_grant" {
		t.Fatalf("the new refresh token after revocation: %d %s", st, e)
	}
}

// The token and revocation endpoints refuse a parameter sent twice (RFC
// 6749 §3.2) and a client secret (§5.2 invalid_client: clients here are
// public); neither uses the code, which then still works.
func TestAuthServer_DuplicateParametersAndSecretsRefused(t *testing.T) {
	s := newSite(t, false)
	clientID := s.register(s.AppID, redirect)
	other := s.register(s.AppID, redirect)
	verifier, challenge := pkce()
	code := s.code(clientID, challenge)
	exchange := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "client_id": {clientID}, "redirect_uri": {redirect}, "code_verifier": {verifier}}
	with := func(k string, v ...string) url.Values {
		f := url.Values{}
		for key, vs := range exchange {
			f[key] = vs
		}
		f[k] = v
		return f
	}
	if st, e := s.tokenErr(s.AppID, with("client_id", clientID, other)); st != 400 || e != "invalid_request" {
		t.Fatalf("client_id twice: %d %s", st, e)
	}
	if st, e := s.tokenErr(s.AppID, with("code_verifier", verifier, "zzz")); st != 400 || e != "invalid_request" {
		t.Fatalf("code_verifier twice: %d %s", st, e)
	}
	if st, e := s.tokenErr(s.AppID, with("client_secret", "s3cret")); st != 401 || e != "invalid_client" {
		t.Fatalf("a client secret in the body: %d %s", st, e)
	}
	req, _ := http.NewRequest("POST", s.URL+"/a/"+s.AppID+"/token", strings.NewReader(exchange.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(clientID, "bogus")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 401 || res.Header.Get("WWW-Authenticate") == "" {
		t.Fatalf("a client secret in Basic: %d %q", res.StatusCode, res.Header.Get("WWW-Authenticate"))
	}
	res, err = http.PostForm(s.URL+"/a/"+s.AppID+"/revoke", url.Values{"token": {"pat_a", "pat_b"}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 400 {
		t.Fatalf("revoke with token twice: %d", res.StatusCode)
	}
	// token is required (RFC 7009 §2.1): none, or an empty one, is refused.
	for _, f := range []url.Values{{"token_type_hint": {"access_token"}}, {"token": {""}}} {
		res, err = http.PostForm(s.URL+"/a/"+s.AppID+"/revoke", f)
		if err != nil {
			t.Fatal(err)
		}
		var e struct{ Error string }
		json.NewDecoder(res.Body).Decode(&e)
		res.Body.Close()
		if res.StatusCode != 400 || e.Error != "invalid_request" {
			t.Fatalf("revoke %v: %d %q", f, res.StatusCode, e.Error)
		}
	}
	// None of the refusals used the code.
	if st, e := s.tokenErr(s.AppID, exchange); st != 200 {
		t.Fatalf("the code after the refusals: %d %s", st, e)
	}

	// A client may name itself in Basic with an empty password
	// (golang.org/x/oauth2's default), alone or beside the same client_id.
	for _, inBody := range []bool{false, true} {
		verifier, challenge := pkce()
		f := url.Values{"grant_type": {"authorization_code"}, "code": {s.code(clientID, challenge)}, "redirect_uri": {redirect}, "code_verifier": {verifier}}
		if inBody {
			f.Set("client_id", clientID)
		}
		req, _ := http.NewRequest("POST", s.URL+"/a/"+s.AppID+"/token", strings.NewReader(f.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(url.QueryEscape(clientID), "")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 200 {
			t.Fatalf("client_id in Basic (also in the body: %v): %d", inBody, res.StatusCode)
		}
	}
	verifier, challenge = pkce()
	f := url.Values{"grant_type": {"authorization_code"}, "code": {s.code(clientID, challenge)}, "redirect_uri": {redirect}, "code_verifier": {verifier}, "client_id": {clientID}}
	req, _ = http.NewRequest("POST", s.URL+"/a/"+s.AppID+"/token", strings.NewReader(f.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(other, "")
	if res, err = http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 400 {
		t.Fatalf("one client_id in Basic, another in the body: %d", res.StatusCode)
	}
}

// Registration takes no credential, so it spends from the client
// address's budget of failed authentications: past it, 429 with
// Retry-After.
func TestAuthServer_RegistrationSpendsTheAddressBudget(t *testing.T) {
	s := newSiteWith(t, func(c *cli.Config) { c.RateLimitIP, c.RateLimitIPBurst = 0.01, 3 })
	for range 3 {
		s.register(s.AppID, redirect)
	}
	b, _ := json.Marshal(map[string]any{"client_name": "Flood", "redirect_uris": []string{redirect}})
	res, err := http.Post(s.URL+"/a/"+s.AppID+"/register", "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	var out struct {
		Error string `json:"error"`
	}
	json.NewDecoder(res.Body).Decode(&out)
	res.Body.Close()
	if res.StatusCode != 429 || out.Error != "rate_limited" || res.Header.Get("Retry-After") == "" {
		t.Fatalf("a fourth registration: %d %q Retry-After %q", res.StatusCode, out.Error, res.Header.Get("Retry-After"))
	}
}

// The token endpoint's refusals: wrong verifier, replayed code (which
// revokes the first exchange's session), expired code, another client or
// redirect URI, an unknown grant type.
func TestAuthServer_TokenRefusals(t *testing.T) {
	s := newSite(t, false)
	clientID := s.register(s.AppID, redirect, "http://localhost:9/cb")
	other := s.register(s.AppID, redirect)
	exchange := func(code, verifier string, edit func(url.Values)) (int, string) {
		f := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "client_id": {clientID}, "redirect_uri": {redirect}, "code_verifier": {verifier}}
		if edit != nil {
			edit(f)
		}
		return s.tokenErr(s.AppID, f)
	}
	for _, tc := range []struct {
		name string
		edit func(url.Values)
	}{
		{"wrong verifier", func(f url.Values) { f.Set("code_verifier", oauth2.GenerateVerifier()) }},
		{"another client", func(f url.Values) { f.Set("client_id", other) }},
		{"another registered redirect", func(f url.Values) { f.Set("redirect_uri", "http://localhost:9/cb") }},
		{"another resource", func(f url.Values) { f.Set("resource", s.URL+"/mcp") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			verifier, challenge := pkce()
			code := s.code(clientID, challenge)
			if st, e := exchange(code, verifier, tc.edit); st != 400 || e != "invalid_grant" {
				t.Fatalf("%d %s", st, e)
			}
			// The code is spent even so.
			if st, e := exchange(code, verifier, nil); st != 400 || e != "invalid_grant" {
				t.Fatalf("after a refused exchange: %d %s", st, e)
			}
		})
	}
	// A missing verifier or code is a malformed request (RFC 6749 §5.2),
	// and spends no code: the rightful client exchanges it afterwards.
	t.Run("no verifier", func(t *testing.T) {
		verifier, challenge := pkce()
		code := s.code(clientID, challenge)
		if st, e := exchange(code, verifier, func(f url.Values) { f.Del("code_verifier") }); st != 400 || e != "invalid_request" {
			t.Fatalf("%d %s", st, e)
		}
		if st, e := exchange("", verifier, nil); st != 400 || e != "invalid_request" {
			t.Fatalf("no code: %d %s", st, e)
		}
		if _, err := s.oauth(clientID).Exchange(context.Background(), code, oauth2.VerifierOption(verifier)); err != nil {
			t.Fatalf("the code after a malformed request: %v", err)
		}
	})
	t.Run("replay revokes", func(t *testing.T) {
		verifier, challenge := pkce()
		code := s.code(clientID, challenge)
		tok, err := s.oauth(clientID).Exchange(context.Background(), code, oauth2.VerifierOption(verifier))
		if err != nil {
			t.Fatal(err)
		}
		if st, e := exchange(code, verifier, nil); st != 400 || e != "invalid_grant" {
			t.Fatalf("replay: %d %s", st, e)
		}
		if st, _ := s.listTools(s.URL+"/a/"+s.AppID+"/mcp", tok.AccessToken); st != 401 {
			t.Fatalf("the first exchange's token after a replay: %d", st)
		}
	})
	// Presented several times at once, the code leaves no working token,
	// however the exchanges interleave.
	t.Run("concurrent replays revoke", func(t *testing.T) {
		for range 5 {
			verifier, challenge := pkce()
			code := s.code(clientID, challenge)
			toks := make([]*oauth2.Token, 4)
			var wg sync.WaitGroup
			for i := range toks {
				wg.Go(func() {
					toks[i], _ = s.oauth(clientID).Exchange(context.Background(), code, oauth2.VerifierOption(verifier))
				})
			}
			wg.Wait()
			for _, tok := range toks {
				if tok == nil {
					continue
				}
				if st, _ := s.listTools(s.URL+"/a/"+s.AppID+"/mcp", tok.AccessToken); st != 401 {
					t.Fatalf("a token of a code presented %d times at once still works: %d", len(toks), st)
				}
			}
		}
	})
	t.Run("expired code", func(t *testing.T) {
		verifier, challenge := pkce()
		code := s.code(clientID, challenge)
		s.Clock.Advance(portico.AuthCodeTTL)
		if st, e := exchange(code, verifier, nil); st != 400 || e != "invalid_grant" {
			t.Fatalf("%d %s", st, e)
		}
	})
	t.Run("unknown code", func(t *testing.T) {
		if st, e := exchange("pac_"+strings.Repeat("x", 43), oauth2.GenerateVerifier(), nil); st != 400 || e != "invalid_grant" {
			t.Fatalf("%d %s", st, e)
		}
	})
	t.Run("grant type", func(t *testing.T) {
		if st, e := s.tokenErr(s.AppID, url.Values{"grant_type": {"password"}}); st != 400 || e != "unsupported_grant_type" {
			t.Fatalf("%d %s", st, e)
		}
	})
	t.Run("another app's token endpoint", func(t *testing.T) {
		otherApp, _ := s.newApp("Other")
		verifier, challenge := pkce()
		code := s.code(clientID, challenge)
		if st, e := s.tokenErr(otherApp, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "client_id": {clientID},
			"redirect_uri": {redirect}, "code_verifier": {verifier}}); st != 400 || e != "invalid_grant" {
			t.Fatalf("%d %s", st, e)
		}
	})
}

func TestAuthServer_Registration(t *testing.T) {
	s := newSite(t, false)
	const valid = `{"redirect_uris":["https://example.com/cb"]}`
	for _, tc := range []struct {
		name, body string
		// contentType is application/json but where named: metadata of
		// another type (a cross-site form may post text/plain without a
		// preflight) is refused with 415 and registers nothing.
		contentType string
	}{
		{"no redirect", `{"client_name":"x","redirect_uris":[]}`, ""},
		{"http to a public host", `{"redirect_uris":["http://example.com/cb"]}`, ""},
		{"fragment", `{"redirect_uris":["https://example.com/cb#x"]}`, ""},
		{"wildcard host", `{"redirect_uris":["https://*.example.com/cb"]}`, ""},
		{"wildcard path", `{"redirect_uris":["https://ok.example/*"]}`, ""},
		{"client secret", `{"redirect_uris":["https://example.com/cb"],"token_endpoint_auth_method":"client_secret_basic"}`, ""},
		{"implicit", `{"redirect_uris":["https://example.com/cb"],"response_types":["token"]}`, ""},
		{"not JSON", `redirect_uris=x`, ""},
		// Read as the native API reads JSON: a key twice (which of them a
		// parser takes differs), or bytes that are not UTF-8.
		{"redirect_uris twice", `{"redirect_uris":["https://example.com/cb"],"redirect_uris":["https://evil.example/cb"]}`, ""},
		{"name not UTF-8", "{\"client_name\":\"x\xff\",\"redirect_uris\":[\"https://example.com/cb\"]}", ""},
		{"text/plain", valid, "text/plain"},
		{"a form", valid, "application/x-www-form-urlencoded"},
		{"no type", valid, " "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ct := "application/json"
			if tc.contentType != "" {
				ct = tc.contentType
			}
			res, err := http.Post(s.URL+"/a/"+s.AppID+"/register", ct, strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			var out map[string]any
			json.NewDecoder(res.Body).Decode(&out)
			if tc.contentType != "" {
				if res.StatusCode != http.StatusUnsupportedMediaType || out["error"] != "invalid_client_metadata" {
					t.Fatalf("Content-Type %q: %d %v", tc.contentType, res.StatusCode, out)
				}
				return
			}
			if res.StatusCode != 400 || (out["error"] != "invalid_redirect_uri" && out["error"] != "invalid_client_metadata") {
				t.Fatalf("%d %v", res.StatusCode, out)
			}
		})
	}
	// A client of one app is unknown to another.
	clientID := s.register(s.AppID, "https://claude.ai/api/mcp/auth_callback")
	otherID, _ := s.newApp("Other")
	_, challenge := pkce()
	res, _ := clitest.Get(t, clitest.Browser(), s.authorizeURL(otherID, clientID, challenge, func(q url.Values) { q.Set("redirect_uri", "https://claude.ai/api/mcp/auth_callback") }))
	if res.StatusCode != 400 {
		t.Fatalf("another app's client: %d", res.StatusCode)
	}
}

// Client ID metadata documents: fetched through the address guard,
// size-capped, client_id equal to the URL, cached.
func TestAuthServer_ClientMetadataDocuments(t *testing.T) {
	var fetches int
	var docs *httptest.Server
	docs = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetches++
		self := docs.URL + r.URL.Path
		switch r.URL.Path {
		case "/agent.json":
			json.NewEncoder(w).Encode(map[string]any{"client_id": self, "client_name": "Doc Agent", "redirect_uris": []string{redirect}})
		case "/liar.json":
			json.NewEncoder(w).Encode(map[string]any{"client_id": docs.URL + "/agent.json", "redirect_uris": []string{redirect}})
		case "/huge.json":
			w.Write([]byte(`{"client_id":"` + self + `","redirect_uris":["` + redirect + `"],"x":"` + strings.Repeat("a", portico.MaxClientMetadataBytes) + `"}`))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(docs.Close)

	// Without --allow-private-upstreams the address guard refuses a
	// document at a loopback or private address, and plain http.
	strict := newSite(t, false)
	_, challenge := pkce()
	for _, id := range []string{strings.Replace(docs.URL, "http://", "https://", 1) + "/agent.json", "https://10.1.2.3/agent.json", "https://[::1]/agent.json"} {
		res, body := clitest.Get(t, clitest.Browser(), strict.authorizeURL(strict.AppID, id, challenge, nil))
		if res.StatusCode != 400 || fetches != 0 || !strings.Contains(body, "address is not allowed") {
			t.Fatalf("a document at %s: %d, %d fetches\n%s", id, res.StatusCode, fetches, body)
		}
	}
	if res, _ := clitest.Get(t, clitest.Browser(), strict.authorizeURL(strict.AppID, docs.URL+"/agent.json", challenge, nil)); res.StatusCode != 400 || fetches != 0 {
		t.Fatalf("a document over http: %d", res.StatusCode)
	}

	s := newSite(t, true)
	verifier, challenge := pkce()
	c := clitest.Browser()
	res, _ := clitest.Get(t, c, s.authorizeURL(s.AppID, docs.URL+"/agent.json", challenge, nil))
	consent, page := s.signIn(c, s.Key, res, "u-1")
	if !strings.Contains(page, "Doc Agent") {
		t.Fatalf("consent page:\n%s", page)
	}
	code := s.decide(c, consent, page, "allow").Query().Get("code")
	if _, err := s.oauth(docs.URL+"/agent.json").Exchange(context.Background(), code, oauth2.VerifierOption(verifier)); err != nil {
		t.Fatal(err)
	}
	before := fetches
	clitest.Get(t, clitest.Browser(), s.authorizeURL(s.AppID, docs.URL+"/agent.json", challenge, nil))
	if fetches != before {
		t.Fatalf("the document was fetched again within the cache time: %d → %d", before, fetches)
	}
	for _, path := range []string{"/liar.json", "/huge.json", "/missing.json"} {
		if res, _ := clitest.Get(t, clitest.Browser(), s.authorizeURL(s.AppID, docs.URL+path, challenge, nil)); res.StatusCode != 400 {
			t.Fatalf("%s: %d", path, res.StatusCode)
		}
	}
}

// An app without user_verification_url has no sign-in, so its
// authorization server is off: discovery, registration and /token answer
// 404, /authorize a page before any client metadata document is fetched,
// and the resource metadata names no authorization server. Revocation
// still answers.
func TestAuthServer_OffWithoutSignIn(t *testing.T) {
	var fetches atomic.Int32
	docs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetches.Add(1)
		http.NotFound(w, r)
	}))
	t.Cleanup(docs.Close)
	s := newSite(t, true)
	app, key, err := s.Svc.CreateApp(context.Background(), "No sign-in")
	if err != nil {
		t.Fatal(err)
	}
	off := func(res *http.Response, body string) {
		t.Helper()
		var e map[string]string
		json.Unmarshal([]byte(body), &e)
		if res.StatusCode != 404 || e["error"] != "invalid_request" || !strings.Contains(e["error_description"], "user_verification_url") {
			t.Fatalf("%s %s: %d %s", res.Request.Method, res.Request.URL.Path, res.StatusCode, body)
		}
	}
	for _, path := range []string{"/.well-known/oauth-authorization-server/a/" + app.ID, "/a/" + app.ID + "/.well-known/oauth-authorization-server"} {
		res, body := clitest.Get(t, http.DefaultClient, s.URL+path)
		off(res, body)
	}
	post := func(path, contentType, body string) (*http.Response, string) {
		res, err := http.Post(s.URL+path, contentType, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, string(b)
	}
	off(post("/a/"+app.ID+"/register", "application/json", `{"client_name":"Agent","redirect_uris":["`+redirect+`"]}`))
	off(post("/a/"+app.ID+"/token", "application/x-www-form-urlencoded", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"prt_x"}, "client_id": {"pcl_x"}}.Encode()))
	if res, body := post("/a/"+app.ID+"/revoke", "application/x-www-form-urlencoded", url.Values{"token": {"prt_x"}}.Encode()); res.StatusCode != 200 {
		t.Fatalf("revoke: %d %s", res.StatusCode, body)
	}

	_, challenge := pkce()
	res, body := clitest.Get(t, clitest.Browser(), s.authorizeURL(app.ID, docs.URL+"/agent.json", challenge, nil))
	if res.StatusCode != 400 || res.Header.Get("Location") != "" || !strings.Contains(body, "has not turned on sign-in") || fetches.Load() != 0 {
		t.Fatalf("authorize: %d, %d fetches\n%s", res.StatusCode, fetches.Load(), body)
	}

	res, body = clitest.Get(t, http.DefaultClient, s.URL+"/.well-known/oauth-protected-resource/a/"+app.ID+"/mcp")
	var prm map[string]any
	json.Unmarshal([]byte(body), &prm)
	if _, named := prm["authorization_servers"]; res.StatusCode != 200 || prm["resource"] != s.URL+"/a/"+app.ID+"/mcp" || named {
		t.Fatalf("resource metadata: %d %s", res.StatusCode, body)
	}
	if st, www := s.listTools(s.URL+"/a/"+app.ID+"/mcp", ""); st != 401 || !strings.Contains(www, `resource_metadata="`+s.URL+"/.well-known/oauth-protected-resource/a/"+app.ID+`/mcp"`) {
		t.Fatalf("unauthenticated: %d %s", st, www)
	}
	// Setting the sign-in turns the server on.
	s.call(key, "PATCH", "/v1/app", map[string]any{"settings": map[string]any{"user_verification_url": verifierURL}}, 200)
	if res, body := clitest.Get(t, http.DefaultClient, s.URL+"/.well-known/oauth-authorization-server/a/"+app.ID); res.StatusCode != 200 {
		t.Fatalf("metadata once on: %d %s", res.StatusCode, body)
	}
	s.register(app.ID, redirect)
}
