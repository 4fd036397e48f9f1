package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/porticohq/portico/api"
	"github.com/porticohq/portico/client"
	"github.com/porticohq/portico/internal/cli"
	"github.com/porticohq/portico/internal/cli/clitest"
	"github.com/porticohq/portico/internal/portico"
)

// verifierURL is the app's user_verification_url in the HTTP tests: the
// browser is never sent there, the tests play the app.
const verifierURL = "https://app.example.com/verify?tenant=1"

// verifying turns user verification on (and a webhook, so that events are
// recorded).
func (s *site) verifying() {
	s.t.Helper()
	s.api("PATCH", "/v1/app", map[string]any{"settings": map[string]any{"user_verification_url": verifierURL,
		"webhook_url": "https://hooks.invalid/portico"}}, 200)
}

// openFlow opens a link in c and returns the flow id of the redirect to
// the app's verifier.
func openFlow(t *testing.T, c *http.Client, link string) string {
	t.Helper()
	res, body := clitest.Get(t, c, link)
	loc := res.Header.Get("Location")
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "https://app.example.com/verify?") {
		t.Fatalf("open %s: %d %s %s", link, res.StatusCode, loc, body)
	}
	for _, ck := range res.Cookies() {
		if ck.Name == "portico_session" && ck.MaxAge >= 0 {
			t.Fatalf("a page cookie before verification: %+v", ck)
		}
	}
	u, _ := http.NewRequest("GET", loc, nil)
	q := u.URL.Query()
	if q.Get("tenant") != "1" || !strings.HasPrefix(q.Get("flow"), "vfl_") || len(q) != 2 {
		t.Fatalf("verifier URL %s", loc)
	}
	return q.Get("flow")
}

// confirm plays the app: it names its logged-in user for the flow.
func (s *site) confirm(flow, externalID string, want int) map[string]any {
	s.t.Helper()
	return s.api("POST", "/v1/verifications/"+flow+"/confirm", map[string]any{"user": map[string]any{"external_id": externalID}}, want)
}

func errCode(m map[string]any) string {
	e, _ := m["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

// verificationEvents returns the data of the app's session.verification_failed events.
func (s *site) verificationEvents() []map[string]any {
	s.t.Helper()
	appID := s.api("GET", "/v1/app", nil, 200)["id"].(string)
	evs, err := s.Store.ListEvents(context.Background(), appID, 1000)
	if err != nil {
		s.t.Fatal(err)
	}
	var out []map[string]any
	for _, e := range evs {
		if e.Type == portico.EventSessionVerificationFailed {
			var body struct {
				Data map[string]any `json:"data"`
			}
			json.Unmarshal(e.Body, &body)
			out = append(out, body.Data)
		}
	}
	return out
}

func TestVerification_RightUserOnceAndRemembered(t *testing.T) {
	s := newSite(t)
	s.verifying()
	link, id, _ := s.session(nil)
	c := clitest.Browser()
	flow := openFlow(t, c, link)
	// Nothing opens before the app confirms.
	if res, _ := clitest.Get(t, c, s.URL+"/connect/"); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("page before confirmation: %d", res.StatusCode)
	}
	u1 := "u-1"
	back, err := client.New(s.Local, client.WithAPIKey(s.Key)).ConfirmVerification(context.Background(), flow, api.PerformUser{ExternalID: &u1})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(back, s.URL+"/connect/verified/pvr_") || strings.Contains(back, flow) {
		t.Fatalf("return_to %s", back)
	}
	if m := s.confirm(flow, "u-1", 410); errCode(m) != "gone" {
		t.Fatalf("second confirmation: %v", m)
	}
	res, _ := clitest.Get(t, c, back)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/connect/" {
		t.Fatalf("return: %d %v", res.StatusCode, res.Header)
	}
	if res, body := clitest.Get(t, c, s.URL+"/connect/"); res.StatusCode != 200 || !strings.Contains(body, "Acme &lt;CRM&gt;") {
		t.Fatalf("page: %d %s", res.StatusCode, body)
	}
	// The return URL works once, in any browser.
	if res, body := clitest.Get(t, clitest.Browser(), back); res.StatusCode != http.StatusGone || !strings.Contains(body, "already been used") {
		t.Fatalf("return again: %d %s", res.StatusCode, body)
	}
	// The same browser, with the user verified, opens the next link of
	// that user at once; another browser goes through the app again.
	next := s.api("POST", "/v1/sessions/"+id+"/configuration_url", nil, 201)["configuration_url"].(string)
	if res, _ := clitest.Get(t, c, next); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/connect/" {
		t.Fatalf("next link, verified browser: %d %v", res.StatusCode, res.Header)
	}
	openFlow(t, clitest.Browser(), s.api("POST", "/v1/sessions/"+id+"/configuration_url", nil, 201)["configuration_url"].(string))
	// A link of another user in the verified browser: through the app.
	other := s.api("POST", "/v1/sessions", map[string]any{"user": map[string]any{"external_id": "u-2"}}, 201)["configuration_url"].(string)
	openFlow(t, c, other)
	if evs := s.verificationEvents(); len(evs) != 0 {
		t.Fatalf("events %v", evs)
	}
}

func TestVerification_WrongUserEndsTheFlow(t *testing.T) {
	s := newSite(t)
	s.verifying()
	s.api("POST", "/v1/users", map[string]any{"external_id": "u-2"}, 201)
	link, id, _ := s.session(nil)
	c := clitest.Browser()
	flow := openFlow(t, c, link)
	m := s.confirm(flow, "u-2", 403)
	if errCode(m) != "forbidden" || m["error"].(map[string]any)["details"].(map[string]any)["reason"] != "user_mismatch" {
		t.Fatalf("mismatch: %v", m)
	}
	// Ended: the right user cannot take it over, and nothing opened.
	if m := s.confirm(flow, "u-1", 410); errCode(m) != "gone" {
		t.Fatalf("after mismatch: %v", m)
	}
	if res, _ := clitest.Get(t, c, s.URL+"/connect/"); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("page after mismatch: %d", res.StatusCode)
	}
	evs := s.verificationEvents()
	if len(evs) != 1 || evs[0]["id"] != id || evs[0]["flow_id"] != flow || evs[0]["reason"] != "user_mismatch" ||
		evs[0]["confirmed_user"].(map[string]any)["external_id"] != "u-2" {
		t.Fatalf("events %v", evs)
	}
	// A user the app does not have is a mismatch too.
	link2 := s.api("POST", "/v1/sessions/"+id+"/configuration_url", nil, 201)["configuration_url"].(string)
	if m := s.confirm(openFlow(t, clitest.Browser(), link2), "nobody", 403); errCode(m) != "forbidden" {
		t.Fatalf("unknown user: %v", m)
	}
	if len(s.connections()) != 0 {
		t.Fatal("a connection was stored")
	}
}

func TestVerification_Expiry(t *testing.T) {
	s := newSite(t)
	s.verifying()
	link, id, _ := s.session(nil)
	flow := openFlow(t, clitest.Browser(), link)
	s.Clock.Advance(portico.VerificationTTL)
	if m := s.confirm(flow, "u-1", 410); errCode(m) != "gone" {
		t.Fatalf("expired flow: %v", m)
	}
	// Confirmed in time, returned too late.
	link = s.api("POST", "/v1/sessions/"+id+"/configuration_url", nil, 201)["configuration_url"].(string)
	c := clitest.Browser()
	back := s.confirm(openFlow(t, c, link), "u-1", 200)["return_to"].(string)
	s.Clock.Advance(portico.VerificationTTL - time.Second)
	s.Clock.Advance(time.Second)
	if res, body := clitest.Get(t, c, back); res.StatusCode != http.StatusGone || !strings.Contains(body, "expired") {
		t.Fatalf("late return: %d %s", res.StatusCode, body)
	}
	if res, _ := clitest.Get(t, c, s.URL+"/connect/"); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("page after late return: %d", res.StatusCode)
	}
}

func TestVerification_AnotherAppsFlow(t *testing.T) {
	s := newSite(t)
	s.verifying()
	link, _, _ := s.session(nil)
	flow := openFlow(t, clitest.Browser(), link)
	_, otherKey, err := s.Svc.CreateApp(context.Background(), "Other")
	if err != nil {
		t.Fatal(err)
	}
	mine := s.Key
	s.Key = otherKey
	s.api("POST", "/v1/users", map[string]any{"external_id": "u-1"}, 201)
	if m := s.confirm(flow, "u-1", 404); errCode(m) != "not_found" {
		t.Fatalf("another app's flow: %v", m)
	}
	s.Key = mine
	s.confirm(flow, "u-1", 200)
}

func TestVerification_RevokedSession(t *testing.T) {
	s := newSite(t)
	s.verifying()
	link, id, _ := s.session(nil)
	flow := openFlow(t, clitest.Browser(), link)
	s.api("DELETE", "/v1/sessions/"+id, nil, 204)
	if m := s.confirm(flow, "u-1", 410); errCode(m) != "gone" {
		t.Fatalf("revoked before confirmation: %v", m)
	}
	if evs := s.verificationEvents(); len(evs) != 1 || evs[0]["reason"] != "session_ended" {
		t.Fatalf("events %v", evs)
	}
	// Revoked between confirmation and return: the page does not open.
	link, id, _ = s.session(nil)
	c := clitest.Browser()
	back := s.confirm(openFlow(t, c, link), "u-1", 200)["return_to"].(string)
	s.api("DELETE", "/v1/sessions/"+id, nil, 204)
	if res, body := clitest.Get(t, c, back); res.StatusCode != http.StatusGone || !strings.Contains(body, "session has ended") {
		t.Fatalf("return after revocation: %d %s", res.StatusCode, body)
	}
}

func TestVerification_TurnedOnLaterClosesOpenPages(t *testing.T) {
	s := newSite(t)
	link, _, _ := s.session(nil)
	c := clitest.Browser()
	clitest.Get(t, c, link)
	if res, _ := clitest.Get(t, c, s.URL+"/connect/"); res.StatusCode != 200 {
		t.Fatalf("page: %d", res.StatusCode)
	}
	s.verifying()
	if res, _ := clitest.Get(t, c, s.URL+"/connect/"); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("unverified page once verification is on: %d", res.StatusCode)
	}
}

// An approval URL is a link like any other: verified first.
func TestVerification_ApprovalURL(t *testing.T) {
	s := newSite(t, func(c *cli.Config) { c.AllowPrivateUpstreams = true })
	s.verifying()
	s.api("PATCH", "/v1/app", map[string]any{"settings": map[string]any{"approval_default_for_delete": "confirm"}}, 200)
	s.api("PUT", "/v1/integrations/repos", map[string]any{"name": "Repos", "base_url": "http://127.0.0.1:9", "auth": map[string]any{"type": "none"},
		"actions": []any{map[string]any{"name": "delete-repo", "method": "DELETE", "path": "/repos/web"}}}, 201)
	body := s.api("POST", "/v1/perform", map[string]any{"user": map[string]any{"external_id": "u-1"}, "integration": "repos", "action": "delete-repo"}, 409)
	details := body["error"].(map[string]any)["details"].(map[string]any)
	approval, id := details["approval_url"].(string), details["approval_id"].(string)
	c := clitest.Browser()
	back := s.confirm(openFlow(t, c, approval), "u-1", 200)["return_to"].(string)
	// The page the app sends the browser back to still shows the URL's
	// call first.
	if res, _ := clitest.Get(t, c, back); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/connect/?approval="+id {
		t.Fatalf("back from the verifier: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	if res, page := clitest.Get(t, c, s.URL+"/connect/?approval="+id); res.StatusCode != 200 || !strings.Contains(page, `id="approval-`+id+`"`) {
		t.Fatalf("approval page: %d", res.StatusCode)
	}
}

// TestVerification_UserNamedAsStored: a confirmation names the user as the
// rest of the API does. An email matches in any case and with spaces
// around it, whether or not the user has an external id; a user named in
// two ways, or a value no user can have, is refused with 422 naming the
// field, and the flow stays open for the right confirmation.
func TestVerification_UserNamedAsStored(t *testing.T) {
	s := newSite(t)
	s.verifying()
	link, id, _ := s.session(map[string]any{"user": map[string]any{"external_id": "u-1", "email": "Ann@Example.com"}})
	flow := openFlow(t, clitest.Browser(), link)
	userID := s.api("GET", "/v1/sessions/"+id, nil, 200)["user_id"].(string)
	for _, c := range []struct {
		user  map[string]any
		field string
	}{
		{map[string]any{"id": userID, "external_id": "u-2"}, "user"},
		{map[string]any{"id": "usr_nobody", "external_id": "u-1"}, "user"},
		{map[string]any{}, "user"},
		{map[string]any{"external_id": "u-1\x00"}, "user.external_id"},
		{map[string]any{"external_id": strings.Repeat("u", 256)}, "user.external_id"},
		{map[string]any{"email": "not an email"}, "user.email"},
	} {
		m := s.api("POST", "/v1/verifications/"+flow+"/confirm", map[string]any{"user": c.user}, 422)
		if e := m["error"].(map[string]any); e["code"] != "validation_failed" || e["details"].(map[string]any)["field"] != c.field {
			t.Fatalf("%v: %v", c.user, m)
		}
	}
	if evs := s.verificationEvents(); len(evs) != 0 {
		t.Fatalf("a refused confirmation ended the flow: %v", evs)
	}
	back := s.api("POST", "/v1/verifications/"+flow+"/confirm", map[string]any{"user": map[string]any{"email": "  ANN@example.COM "}}, 200)
	if u, _ := back["return_to"].(string); !strings.HasPrefix(u, s.URL+"/connect/verified/") {
		t.Fatalf("confirmed by email: %v", back)
	}
	// By id too, on a new link.
	next := s.api("POST", "/v1/sessions/"+id+"/configuration_url", nil, 201)["configuration_url"].(string)
	s.api("POST", "/v1/verifications/"+openFlow(t, clitest.Browser(), next)+"/confirm", map[string]any{"user": map[string]any{"id": userID}}, 200)
}
