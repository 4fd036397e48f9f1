package apideck_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/cli"
	"github.com/porticohq/portico/internal/compat/compattest"
	"github.com/porticohq/portico/internal/portico"
)

// documentedSession is the request body of the x-codeSamples of
// POST /vault/sessions in the Vault's OpenAPI document.
const documentedSession = `{
  "consumer_metadata": {"account_name": "SpaceX", "user_name": "Elon Musk", "email": "elon@musk.com",
    "image": "https://www.spacex.com/static/images/share.jpg"},
  "redirect_uri": "https://mysaas.com/dashboard",
  "settings": {"unified_apis": ["crm"], "hide_resource_settings": false, "sandbox_mode": false,
    "isolation_mode": false, "session_length": "30m", "show_logs": true, "show_suggestions": false,
    "show_sidebar": true, "auto_redirect": false, "hide_guides": false, "allow_actions": ["delete"]},
  "theme": {"favicon": "https://res.cloudinary.com/apideck/icons/intercom",
    "logo": "https://res.cloudinary.com/apideck/icons/intercom", "primary_color": "#286efa",
    "sidepanel_background_color": "#286efa", "sidepanel_text_color": "#FFFFFF", "vault_name": "Intercom",
    "privacy_url": "https://compliance.apideck.com/privacy-policy",
    "terms_url": "https://www.termsfeed.com/terms-conditions/957c85c1b089ae9e3219c83eff65377e"},
  "custom_consumer_settings": {"feature_flag_1": true, "tax_rates": [{"id": "6", "label": "6%"}, {"id": "21", "label": "21%"}]}
}`

func allowRedirect(v *vault) {
	v.native("PATCH", "/v1/app", `{"settings":{"allowed_redirect_uris":["https://mysaas.com/dashboard"]}}`)
}

// createSession posts body for consumer and returns the session_uri and
// session_token, after checking the CreateSessionResponse shape.
func createSession(t *testing.T, v *vault, consumer, body string) (uri, token string) {
	t.Helper()
	status, h, res := v.call("POST", "/vault/sessions", body, consumer)
	data, _ := wantOK(t, status, res).(map[string]any)
	if got := compattest.Keys(data); !slices.Equal(got, []string{"session_token", "session_uri"}) {
		t.Fatalf("data fields %v", got)
	}
	if cc := h.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q", cc)
	}
	uri, _ = data["session_uri"].(string)
	token, _ = data["session_token"].(string)
	if !strings.HasPrefix(uri, v.URL+"/connect/") || !strings.HasPrefix(token, "pst_") {
		t.Fatalf("session_uri %q session_token %q", uri, token)
	}
	return uri, token
}

func TestSessionCreate_DocumentedExample(t *testing.T) {
	engines(t, func(t *testing.T, v *vault) {
		allowRedirect(v)
		before := time.Now()
		_, token := createSession(t, v, "test-consumer", documentedSession)

		sess, user, err := v.Service.ValidateToken(context.Background(), token)
		if err != nil {
			t.Fatal(err)
		}
		if user.ExternalID == nil || *user.ExternalID != "test-consumer" || user.Name != "Elon Musk" ||
			user.Email == nil || *user.Email != "elon@musk.com" {
			t.Errorf("user %+v", user)
		}
		var md map[string]any
		json.Unmarshal(user.Metadata, &md)
		if want := (map[string]any{"account_name": "SpaceX", "image": "https://www.spacex.com/static/images/share.jpg"}); !reflect.DeepEqual(md, want) {
			t.Errorf("user metadata %v, want %v", md, want)
		}
		if ttl := sess.ExpiresAt.Sub(before); ttl < 29*time.Minute || ttl > 31*time.Minute {
			t.Errorf("session lives %v, want 30m", ttl)
		}
		if sess.RedirectURI != "https://mysaas.com/dashboard" {
			t.Errorf("redirect_uri %q", sess.RedirectURI)
		}
		shown := true
		want := portico.SessionSettings{Integrations: []string{}, Categories: []string{"crm"}, AllowActions: []string{"delete"},
			Tools: portico.ToolSettings{Allow: []string{}, Deny: []string{}}, ShowSidebar: &shown, ShowActivity: &shown}
		if got, err := portico.SessionSettingsOf(sess); err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("settings %+v, want %+v", got, want)
		}
		var th portico.Theme
		json.Unmarshal(sess.Theme, &th)
		wantTheme := portico.Theme{Name: "Intercom", LogoURL: "https://res.cloudinary.com/apideck/icons/intercom",
			FaviconURL: "https://res.cloudinary.com/apideck/icons/intercom", PrimaryColor: "#286efa",
			SidebarBackgroundColor: "#286efa", SidebarTextColor: "#FFFFFF",
			PrivacyURL: "https://compliance.apideck.com/privacy-policy",
			TermsURL:   "https://www.termsfeed.com/terms-conditions/957c85c1b089ae9e3219c83eff65377e"}
		if th != wantTheme {
			t.Errorf("theme %+v, want %+v", th, wantTheme)
		}
		if got := string(sess.CustomSettings); got != `{"feature_flag_1":true,"tax_rates":[{"id":"6","label":"6%"},{"id":"21","label":"21%"}]}` {
			t.Errorf("custom settings %s", got)
		}
		if strings.Contains(v.Logs(), token) || strings.Contains(v.Logs(), v.key) {
			t.Errorf("a secret reached the logs")
		}
	})
}

func TestSessionCreate_Defaults(t *testing.T) {
	engines(t, func(t *testing.T, v *vault) {
		for _, tc := range []struct {
			name, body string
			want       time.Duration
		}{
			{"no body", "", time.Hour},
			{"empty object", "{}", time.Hour},
			{"seconds", `{"settings":{"session_length":"90s"}}`, 90 * time.Second},
			{"hours", `{"settings":{"session_length":"2h"}}`, 2 * time.Hour},
			{"days", `{"settings":{"session_length":"7d"}}`, 7 * 24 * time.Hour},
			{"week", `{"settings":{"session_length":"1w"}}`, 7 * 24 * time.Hour},
		} {
			t.Run(tc.name, func(t *testing.T) {
				before := time.Now()
				_, token := createSession(t, v, "u-defaults", tc.body)
				sess, _, err := v.Service.ValidateToken(context.Background(), token)
				if err != nil {
					t.Fatal(err)
				}
				if ttl := sess.ExpiresAt.Sub(before); ttl < tc.want-time.Minute || ttl > tc.want+time.Minute {
					t.Errorf("session lives %v, want %v", ttl, tc.want)
				}
				st, err := portico.SessionSettingsOf(sess)
				if err != nil {
					t.Fatal(err)
				}
				if want := []string{"delete", "disconnect", "reauthorize", "disable"}; !slices.Equal(st.AllowActions, want) {
					t.Errorf("allow_actions %v, want %v by default", st.AllowActions, want)
				}
			})
		}
		t.Run("app maximum caps the default", func(t *testing.T) {
			v.native("PATCH", "/v1/app", `{"settings":{"session_ttl_seconds":600,"max_session_ttl_seconds":1800}}`)
			before := time.Now()
			_, token := createSession(t, v, "u-defaults", "")
			sess, _, _ := v.Service.ValidateToken(context.Background(), token)
			if ttl := sess.ExpiresAt.Sub(before); ttl > 31*time.Minute {
				t.Errorf("session lives %v past the app's maximum", ttl)
			}
			status, _, res := v.call("POST", "/vault/sessions", `{"settings":{"session_length":"1h"}}`, "u-defaults")
			wantError(t, status, res, 422, "InvalidStateError", "settings.session_length")
		})
	})
}

func TestSessionCreate_Errors(t *testing.T) {
	engines(t, func(t *testing.T, v *vault) {
		allowRedirect(v)
		otherApp, otherKey := v.NewApp("Other")
		type tc struct {
			name    string
			headers []string
			body    string
			status  int
			typ     string
			field   string
		}
		full := func(consumer string) []string { return append(v.headers(consumer), "Content-Type", "application/json") }
		cases := []tc{
			{"no key", []string{"x-apideck-app-id", v.appID, "x-apideck-consumer-id", "c"}, "", 401, "UnauthorizedError", ""},
			{"unknown key", []string{"Authorization", "Bearer pk_nope", "x-apideck-app-id", v.appID, "x-apideck-consumer-id", "c"}, "", 401, "UnauthorizedError", ""},
			{"basic instead of bearer", []string{"Authorization", "Basic " + v.key, "x-apideck-app-id", v.appID, "x-apideck-consumer-id", "c"}, "", 401, "UnauthorizedError", ""},
			{"session token as the key", []string{"Authorization", "Bearer pst_" + strings.Repeat("a", 43), "x-apideck-app-id", v.appID, "x-apideck-consumer-id", "c"}, "", 401, "UnauthorizedError", ""},
			{"no app id", []string{"Authorization", "Bearer " + v.key, "x-apideck-consumer-id", "c"}, "", 400, "RequestHeadersValidationError", ""},
			{"another app's id", []string{"Authorization", "Bearer " + v.key, "x-apideck-app-id", otherApp, "x-apideck-consumer-id", "c"}, "", 401, "UnauthorizedError", ""},
			{"another app's key", []string{"Authorization", "Bearer " + otherKey, "x-apideck-app-id", v.appID, "x-apideck-consumer-id", "c"}, "", 401, "UnauthorizedError", ""},
			{"no consumer", v.headers(""), "", 400, "RequestHeadersValidationError", ""},
			{"consumer too long", v.headers(strings.Repeat("x", 256)), "", 400, "RequestHeadersValidationError", ""},
			{"unknown field", full("c"), `{"consumer":{}}`, 400, "RequestValidationError", "consumer"},
			{"unknown settings field", full("c"), `{"settings":{"ttl":"1h"}}`, 400, "RequestValidationError", "settings.ttl"},
			{"unknown theme field", full("c"), `{"theme":{"colour":"#fff"}}`, 400, "RequestValidationError", "theme.colour"},
			{"unknown metadata field", full("c"), `{"consumer_metadata":{"phone":"1"}}`, 400, "RequestValidationError", "consumer_metadata.phone"},
			{"key in another case", full("c"), `{"Redirect_URI":"https://mysaas.com/dashboard"}`, 400, "RequestValidationError", "Redirect_URI"},
			{"duplicate key", full("c"), `{"settings":{"sandbox_mode":true,"sandbox_mode":false}}`, 400, "RequestValidationError", "settings.sandbox_mode"},
			{"boolean as string", full("c"), `{"settings":{"sandbox_mode":"yes"}}`, 400, "RequestValidationError", "settings.sandbox_mode"},
			{"list as string", full("c"), `{"settings":{"unified_apis":"crm"}}`, 400, "RequestValidationError", "settings.unified_apis"},
			{"length as number", full("c"), `{"settings":{"session_length":30}}`, 400, "RequestValidationError", "settings.session_length"},
			{"theme as list", full("c"), `{"theme":[]}`, 400, "RequestValidationError", "theme"},
			{"custom settings as list", full("c"), `{"custom_consumer_settings":[1]}`, 400, "RequestValidationError", "custom_consumer_settings"},
			{"body is a list", full("c"), `[]`, 400, "RequestValidationError", ""},
			{"broken JSON", full("c"), `{"settings":`, 400, "RequestValidationError", ""},
			{"trailing data", full("c"), `{} {}`, 400, "RequestValidationError", ""},
			{"not JSON", append(v.headers("c"), "Content-Type", "text/plain"), `{}`, 415, "RequestValidationError", ""},
			{"length without unit", full("c"), `{"settings":{"session_length":"30"}}`, 400, "RequestValidationError", "settings.session_length"},
			{"length in years", full("c"), `{"settings":{"session_length":"1y"}}`, 400, "RequestValidationError", "settings.session_length"},
			{"length with fraction", full("c"), `{"settings":{"session_length":"1.5h"}}`, 400, "RequestValidationError", "settings.session_length"},
			{"length with space", full("c"), `{"settings":{"session_length":"1 h"}}`, 400, "RequestValidationError", "settings.session_length"},
			{"length empty", full("c"), `{"settings":{"session_length":""}}`, 400, "RequestValidationError", "settings.session_length"},
			{"length negative", full("c"), `{"settings":{"session_length":"-1h"}}`, 400, "RequestValidationError", "settings.session_length"},
			{"length zero", full("c"), `{"settings":{"session_length":"0m"}}`, 422, "InvalidStateError", "settings.session_length"},
			{"length over a week", full("c"), `{"settings":{"session_length":"8d"}}`, 422, "InvalidStateError", "settings.session_length"},
			{"length a second over a week", full("c"), `{"settings":{"session_length":"604801s"}}`, 422, "InvalidStateError", "settings.session_length"},
			// Lengths whose seconds would wrap around inside a Duration.
			{"length of the largest count", full("c"), `{"settings":{"session_length":"9999999w"}}`, 422, "InvalidStateError", "settings.session_length"},
			{"length past seven digits", full("c"), `{"settings":{"session_length":"9300000000s"}}`, 400, "RequestValidationError", "settings.session_length"},
			{"unknown action", full("c"), `{"settings":{"allow_actions":["delete","fly"]}}`, 400, "RequestValidationError", "settings.allow_actions[1]"},
			{"bad unified api", full("c"), `{"settings":{"unified_apis":["CRM!"]}}`, 422, "InvalidStateError", "settings.unified_apis"},
			{"redirect not allowed", full("c"), `{"redirect_uri":"https://evil.example.com/"}`, 422, "InvalidStateError", "redirect_uri"},
			{"bad colour", full("c"), `{"theme":{"primary_color":"red"}}`, 422, "InvalidStateError", "theme.primary_color"},
			{"bad sidebar colour", full("c"), `{"theme":{"sidepanel_text_color":"#12"}}`, 422, "InvalidStateError", "theme.sidepanel_text_color"},
			{"bad logo", full("c"), `{"theme":{"logo":"javascript:alert(1)"}}`, 422, "InvalidStateError", "theme.logo"},
			{"long vault name", full("c"), `{"theme":{"vault_name":"` + strings.Repeat("n", 101) + `"}}`, 422, "InvalidStateError", "theme.vault_name"},
			{"bad email", full("new-consumer"), `{"consumer_metadata":{"email":"not an email"}}`, 422, "InvalidStateError", "consumer_metadata.email"},
			// The domain's rule for text: the line separator is a control character too.
			{"account name with a line separator", full("new-consumer"), `{"consumer_metadata":{"account_name":"Space\u2028X"}}`, 422, "InvalidStateError", "consumer_metadata.account_name"},
			{"image with a line separator", full("new-consumer"), `{"consumer_metadata":{"image":"https://example.com/a\u2029.png"}}`, 422, "InvalidStateError", "consumer_metadata.image"},
			{"bad image", full("new-consumer"), `{"consumer_metadata":{"image":"data:image/png;base64,AAAA"}}`, 422, "InvalidStateError", "consumer_metadata.image"},
			{"custom settings too large", full("c"), `{"custom_consumer_settings":{"x":"` + strings.Repeat("a", portico.MaxMetadataSize) + `"}}`, 422, "InvalidStateError", "custom_consumer_settings"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				status, _, res := v.raw("POST", "/vault/sessions", c.body, c.headers...)
				wantError(t, status, res, c.status, c.typ, c.field)
			})
		}
		// Nothing was half-written: the consumers of the failed requests
		// do not exist.
		for _, id := range []string{"c", "new-consumer"} {
			status, _, res := v.call("GET", "/vault/consumers/"+id, "", "")
			wantError(t, status, res, 404, "EntityNotFoundError", "")
		}
	})
}

func TestSessionCreate_RateLimited(t *testing.T) {
	for _, e := range compattest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			v := start(t, e, func(c *cli.Config) { c.RateLimitKey, c.RateLimitKeyBurst = 0.001, 1 })
			createSession(t, v, "u-1", "")
			status, h, res := v.call("POST", "/vault/sessions", "", "u-1")
			wantError(t, status, res, 429, "TooManyRequestsError", "")
			if h.Get("Retry-After") == "" {
				t.Errorf("no Retry-After")
			}
		})
	}
}

// TestSessionCreate_HostedPage opens the session_uri as a browser would
// and checks that unified_apis decides which integrations the page lists.
func TestSessionCreate_HostedPage(t *testing.T) {
	engines(t, func(t *testing.T, v *vault) {
		v.integration("pipedrive", "crm", "api_key")
		v.integration("hubspot", "crm", "none")
		v.integration("dropbox", "file-storage", "api_key")
		for _, tc := range []struct {
			name, body string
			want, not  []string
		}{
			{"crm only", `{"settings":{"unified_apis":["crm"]}}`, []string{"pipedrive", "hubspot"}, []string{"dropbox"}},
			{"file storage only", `{"settings":{"unified_apis":["file-storage"]}}`, []string{"dropbox"}, []string{"pipedrive", "hubspot"}},
			{"every unified api", `{}`, []string{"pipedrive", "hubspot", "dropbox"}, nil},
			{"several", `{"settings":{"unified_apis":["crm","file-storage"]}}`, []string{"pipedrive", "hubspot", "dropbox"}, nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				uri, _ := createSession(t, v, "page-consumer", tc.body)
				page := openPage(t, uri)
				for _, slug := range tc.want {
					if !strings.Contains(page, `id="integration-`+slug+`"`) {
						t.Errorf("the page does not list %s", slug)
					}
				}
				for _, slug := range tc.not {
					if strings.Contains(page, `id="integration-`+slug+`"`) {
						t.Errorf("the page lists %s", slug)
					}
				}
			})
		}
		t.Run("single use", func(t *testing.T) {
			uri, _ := createSession(t, v, "page-consumer", "")
			openPage(t, uri)
			res, err := http.Get(uri)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusGone {
				t.Errorf("second open: %d, want 410", res.StatusCode)
			}
		})
	})
}

// openPage follows a configuration URL with a cookie jar, as a browser
// does, and returns the hosted page.
func openPage(t *testing.T, uri string) string {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	res, err := client.Get(uri)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK || res.Request.URL.Path != "/connect/" {
		t.Fatalf("opening %s: %d at %s", uri, res.StatusCode, res.Request.URL)
	}
	return string(b)
}
