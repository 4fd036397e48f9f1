package upstream_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/portico"
	"github.com/porticohq/portico/internal/upstream"
)

// A provider's expires_in becomes expires_at without ever wrapping around:
// whatever the answer says, in JSON or form-encoded, the recorded expiry is
// in the future and at most MaxTokenLifetime away, or absent.
func TestOAuth2_ExpiresInIsClamped(t *testing.T) {
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	capped := now.Add(upstream.MaxTokenLifetime).Format(time.RFC3339)
	for _, tc := range []struct {
		name, contentType, body string
		want                    string // expires_at; "" = none recorded
	}{
		{"json", "application/json", `{"access_token":"at","expires_in":3600}`, now.Add(time.Hour).Format(time.RFC3339)},
		{"json string", "application/json", `{"access_token":"at","expires_in":"3600"}`, now.Add(time.Hour).Format(time.RFC3339)},
		{"json beyond a Duration", "application/json", `{"access_token":"at","expires_in":9300000000}`, capped},
		{"json beyond 32 bits", "application/json", `{"access_token":"at","expires_in":4294971296}`, capped},
		{"json negative", "application/json", `{"access_token":"at","expires_in":-5}`, ""},
		{"json negative that wraps in 32 bits", "application/json", `{"access_token":"at","expires_in":-4294963696}`, ""},
		{"json zero", "application/json", `{"access_token":"at","expires_in":0}`, ""},
		{"json absent", "application/json", `{"access_token":"at"}`, ""},
		{"form", "application/x-www-form-urlencoded", `access_token=at&expires_in=28800`, now.Add(8 * time.Hour).Format(time.RFC3339)},
		{"form beyond a Duration", "application/x-www-form-urlencoded", `access_token=at&expires_in=9300000000`, capped},
		{"form beyond int64", "application/x-www-form-urlencoded", `access_token=at&expires_in=99999999999999999999`, capped},
		{"form negative", "application/x-www-form-urlencoded", `access_token=at&expires_in=-9300000000`, ""},
		{"form not a number", "application/x-www-form-urlencoded", `access_token=at&expires_in=soon`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", tc.contentType)
				io.WriteString(w, tc.body)
			}))
			defer srv.Close()
			integ := &portico.Integration{Slug: "crm", Name: "CRM", Auth: portico.AuthConfig{Type: portico.AuthOAuth2,
				OAuth2: &portico.OAuth2Config{AuthorizeURL: srv.URL + "/authorize", TokenURL: srv.URL + "/token", ClientID: "c"}}}
			o := &upstream.OAuth2{}
			creds, err := o.Exchange(context.Background(), integ, "s", "https://portico.test/cb", "code", "verifier", now)
			if err != nil {
				t.Fatalf("exchange: %v", err)
			}
			if got := creds[portico.TokenExpiresAt]; got != tc.want {
				t.Errorf("exchange: expires_at = %q, want %q", got, tc.want)
			}
			creds, err = o.Refresh(context.Background(), integ, "s", portico.Credentials{portico.TokenRefresh: "rt"}, now)
			if err != nil {
				t.Fatalf("refresh: %v", err)
			}
			if got := creds[portico.TokenExpiresAt]; got != tc.want {
				t.Errorf("refresh: expires_at = %q, want %q", got, tc.want)
			}
		})
	}
}
