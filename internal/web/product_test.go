package web_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/cli/clitest"
	"github.com/porticohq/portico/internal/portico"
)

// The session settings of the page (docs/hosted-page.md) show and hide
// what their names say, with the documented defaults.
func TestPage_SessionSettingsShapeThePage(t *testing.T) {
	s := newSite(t)
	s.api("PUT", "/v1/integrations/files", map[string]any{"name": "Files", "category": "file-storage", "base_url": "https://files.example/{tenant}",
		"settings_fields": []any{map[string]any{"name": "tenant", "label": "Tenant"}},
		"guide":           map[string]any{"steps": []any{"Open Settings."}, "url": "https://files.example/keys"},
		"auth": map[string]any{"type": "api_key", "fields": []any{map[string]any{"name": "api_key", "label": "API key", "secret": true}},
			"inject": map[string]any{"header": "X-Api-Key", "format": "{api_key}"}}}, 201)
	open := func(settings map[string]any) *http.Client {
		t.Helper()
		link, _, _ := s.session(map[string]any{"settings": settings})
		c := clitest.Browser()
		clitest.Get(t, c, link)
		return c
	}
	c := open(nil)
	_, page := clitest.Get(t, c, s.URL+"/connect/integrations/files")
	if res, _ := post(t, c, s.URL+"/connect/integrations/files", url.Values{"csrf_token": {csrfOf(t, page)}, "api_key": {"k-1"}, "tenant": {"north"}}, nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("connect: %d", res.StatusCode)
	}
	for _, tc := range []struct {
		setting, mark, path string
		shownByDefault      bool
	}{
		{"show_sidebar", `<nav class="cats"`, "/connect/", true},
		{"show_activity", `href="/connect/activity"`, "/connect/", true},
		{"show_suggestions", `id="suggest"`, "/connect/", false},
		{"hide_guides", `class="card guide"`, "/connect/integrations/files", true},
		{"hide_resource_settings", `id="settings-title"`, "/connect/integrations/files", true},
	} {
		for _, v := range []any{true, false, nil} {
			settings := map[string]any{}
			if v != nil {
				settings[tc.setting] = v
			}
			want := tc.shownByDefault
			if v != nil {
				want = v.(bool) != strings.HasPrefix(tc.setting, "hide_")
			}
			_, body := clitest.Get(t, open(settings), s.URL+tc.path)
			if got := strings.Contains(body, tc.mark); got != want {
				t.Errorf("%s = %v: %s shown %v, want %v", tc.setting, v, tc.mark, got, want)
			}
		}
	}
	// Without the activity there is no activity page.
	if res, _ := clitest.Get(t, open(map[string]any{"show_activity": false}), s.URL+"/connect/activity"); res.StatusCode != http.StatusNotFound {
		t.Errorf("activity page with show_activity false: %d", res.StatusCode)
	}
	// Hidden connection settings cannot be posted either.
	hidden := open(map[string]any{"hide_resource_settings": true})
	_, page = clitest.Get(t, hidden, s.URL+"/connect/integrations/files")
	if res, _ := post(t, hidden, s.URL+"/connect/integrations/files/settings", url.Values{"csrf_token": {csrfOf(t, page)}, "tenant": {"south"}}, nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("settings posted with hide_resource_settings: %d", res.StatusCode)
	}
	// Saved settings update the connection, and its activity says so
	// without claiming new credentials.
	c = open(nil)
	_, page = clitest.Get(t, c, s.URL+"/connect/integrations/files")
	if res, _ := post(t, c, s.URL+"/connect/integrations/files/settings", url.Values{"csrf_token": {csrfOf(t, page)}, "tenant": {"south"}}, nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("settings: %d", res.StatusCode)
	}
	if got := s.connections()[0].(map[string]any)["settings"].(map[string]any)["tenant"]; got != "south" {
		t.Fatalf("tenant after saving: %v", got)
	}
	if _, body := clitest.Get(t, c, s.URL+"/connect/activity"); !strings.Contains(body, "Connection updated") || strings.Contains(body, "Credentials updated") {
		t.Errorf("activity after saving settings:\n%s", body)
	}
}

// A suggestion needs show_suggestions and a name; a failed one comes back
// to the form with what was typed.
func TestPage_Suggestions(t *testing.T) {
	s := newSite(t)
	link, _, _ := s.session(map[string]any{"redirect_uri": "https://app.example.com/settings"})
	c := clitest.Browser()
	clitest.Get(t, c, link)
	_, page := clitest.Get(t, c, s.URL+"/connect/")
	if res, _ := post(t, c, s.URL+"/connect/suggestions", url.Values{"csrf_token": {csrfOf(t, page)}, "name": {"Basecamp"}}, nil); res.StatusCode != http.StatusForbidden {
		t.Errorf("a suggestion without show_suggestions: %d", res.StatusCode)
	}
	link, _, _ = s.session(map[string]any{"settings": map[string]any{"show_suggestions": true}})
	c = clitest.Browser()
	clitest.Get(t, c, link)
	_, page = clitest.Get(t, c, s.URL+"/connect/")
	res, _ := post(t, c, s.URL+"/connect/suggestions", url.Values{"csrf_token": {csrfOf(t, page)}, "name": {"  "}, "note": {"<b>soon</b>"}}, nil)
	if body := failedForm(t, c, s.URL, res); !strings.Contains(body, "Name the tool") || !strings.Contains(body, "&lt;b&gt;soon&lt;/b&gt;") {
		t.Fatalf("an empty suggestion:\n%s", body)
	}
	// A name that reorders the text around it would read one way in the
	// app's dashboard and be another.
	res, _ = post(t, c, s.URL+"/connect/suggestions", url.Values{"csrf_token": {csrfOf(t, page)}, "name": {"Base\u202ecamp"}}, nil)
	if body := failedForm(t, c, s.URL, res); !strings.Contains(body, "one line of at most") {
		t.Fatalf("a suggestion with a bidi override:\n%s", body)
	}
	suggest := func(name string) *http.Response {
		res, _ := post(t, c, s.URL+"/connect/suggestions", url.Values{"csrf_token": {csrfOf(t, page)}, "name": {name}}, nil)
		return res
	}
	if res, _ := post(t, c, s.URL+"/connect/suggestions", url.Values{"csrf_token": {csrfOf(t, page)}, "name": {"Basecamp", "Jira"}}, nil); res.StatusCode != http.StatusBadRequest {
		t.Errorf("a suggestion with two names: %d, want 400", res.StatusCode)
	}
	if res := suggest("Basecamp"); res.StatusCode != http.StatusSeeOther || !strings.Contains(res.Header.Get("Location"), "notice=suggested") {
		t.Fatalf("a suggestion: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	// Each is a webhook to the app: a page sends a few at once, then two a
	// minute, and says so in the form.
	for i := range portico.SuggestionsBurst - 1 {
		if res := suggest("Tool " + strconv.Itoa(i)); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("suggestion %d of the burst: %d", i+2, res.StatusCode)
		}
	}
	if body := failedForm(t, c, s.URL, suggest("One too many")); !strings.Contains(body, "plenty for now: try again in 30 seconds") || !strings.Contains(body, `value="One too many"`) {
		t.Fatalf("a suggestion past the bound:\n%s", body)
	}
	s.Clock.Advance(30 * time.Second)
	if res := suggest("Later"); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("a suggestion half a minute later: %d", res.StatusCode)
	}
}

// A confirmation page changes nothing, and exists only for an action the
// session allows on the user's own connection.
func TestPage_ConfirmationPages(t *testing.T) {
	s := newSite(t)
	link, _, _ := s.session(map[string]any{"settings": map[string]any{"allow_actions": []string{"disconnect"}}})
	c := clitest.Browser()
	clitest.Get(t, c, link)
	_, page := clitest.Get(t, c, s.URL+"/connect/integrations/acme")
	post(t, c, s.URL+"/connect/integrations/acme", url.Values{"csrf_token": {csrfOf(t, page)}, "api_key": {"k-1"}}, nil)
	id := s.connections()[0].(map[string]any)["id"].(string)
	res, body := clitest.Get(t, c, s.URL+"/connect/connections/"+id+"/disconnect")
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "Disconnect Acme &lt;CRM&gt;?") || !strings.Contains(body, `action="/connect/connections/`+id+`/disconnect"`) {
		t.Fatalf("confirmation: %d\n%s", res.StatusCode, body)
	}
	if st := s.connections()[0].(map[string]any)["status"]; st != "connected" {
		t.Fatalf("the confirmation page changed the connection: %v", st)
	}
	for _, path := range []string{"/connect/connections/" + id + "/delete", "/connect/connections/con_unknown/disconnect"} {
		if res, _ := clitest.Get(t, c, s.URL+path); res.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", path, res.StatusCode)
		}
	}
}
