package superface_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"

	"github.com/porticohq/portico/internal/store/storetest"
)

// The SDKs' return link (x-superface-app-name, x-superface-app-url) is kept
// on the session, and the hosted page offers "Back to <name>" only while
// the URL is one of the app's allowed_redirect_uris.
func TestSession_ReturnLink(t *testing.T) {
	engines(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng, nil)
		e.native("PATCH", "/v1/app", map[string]any{"settings": map[string]any{"allowed_redirect_uris": []string{"https://agent.example.com/chat"}}}, 200)
		page := func(appURL string) string {
			t.Helper()
			var got map[string]any
			status, _ := e.do("POST", "/api/hub/session", "", &got, "Authorization", "Bearer "+e.key, "x-superface-user-id", "agent|u-1",
				"x-superface-app-name", "Agent <Chat>", "x-superface-app-url", appURL)
			if status != 200 {
				t.Fatalf("session: %d %v", status, got)
			}
			link := got["configuration_url"].(string)
			e.secrets = append(e.secrets, strings.TrimPrefix(link, e.srv.URL+"/connect/"))
			jar, _ := cookiejar.New(nil)
			res, err := (&http.Client{Jar: jar}).Get(link)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			return string(b)
		}
		if got := page("https://agent.example.com/chat"); !strings.Contains(got, `<a class="return" href="https://agent.example.com/chat">Back to Agent &lt;Chat&gt;</a>`) {
			t.Fatalf("no return link on the page:\n%s", got)
		}
		// The session is reused with the new link, which the app does not
		// allow: no link.
		if got := page("https://evil.example/phish"); strings.Contains(got, `class="return"`) || strings.Contains(got, "evil.example") {
			t.Fatalf("a link outside allowed_redirect_uris is shown:\n%s", got)
		}
		if n := len(e.native("GET", "/v1/sessions?external_user_id=agent%7Cu-1", nil, 200)["data"].([]any)); n != 1 {
			t.Errorf("sessions: %d, want the one reused", n)
		}
	})
}
