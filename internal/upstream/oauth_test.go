package upstream_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
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
		{"json exponent", "application/json", `{"access_token":"at","expires_in":1e10}`, capped},
		{"json exponent, small", "application/json", `{"access_token":"at","expires_in":3.6e3}`, now.Add(time.Hour).Format(time.RFC3339)},
		{"json fraction", "application/json", `{"access_token":"at","expires_in":3600.5}`, now.Add(time.Hour).Format(time.RFC3339)},
		{"json beyond int64", "application/json", `{"access_token":"at","expires_in":9223372036854775808}`, capped},
		{"json far beyond int64", "application/json", `{"access_token":"at","expires_in":1e300}`, capped},
		{"json below int64", "application/json", `{"access_token":"at","expires_in":-9223372036854775809}`, ""},
		{"json text charset", "application/json; charset=utf-8", `{"access_token":"at","expires_in":7.2e3,"scope":"a b"}`, now.Add(2 * time.Hour).Format(time.RFC3339)},
		{"json negative", "application/json", `{"access_token":"at","expires_in":-5}`, ""},
		{"json string beyond int64", "application/json", `{"access_token":"at","expires_in":"99999999999999999999"}`, capped},
		{"json string exponent", "application/json", `{"access_token":"at","expires_in":"3.6e3"}`, now.Add(time.Hour).Format(time.RFC3339)},
		{"json string fraction", "application/json", `{"access_token":"at","expires_in":"3600.5"}`, now.Add(time.Hour).Format(time.RFC3339)},
		{"json string negative", "application/json", `{"access_token":"at","expires_in":"-5"}`, ""},
		{"json string with leading zeros", "application/json", `{"access_token":"at","expires_in":"03600"}`, ""},
		{"json string not a number", "application/json", `{"access_token":"at","expires_in":"soon"}`, ""},
		{"json boolean", "application/json", `{"access_token":"at","expires_in":true}`, ""},
		{"json object", "application/json", `{"access_token":"at","expires_in":{"s":1}}`, ""},
		{"json null", "application/json", `{"access_token":"at","expires_in":null}`, ""},
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

// The catalogue's OAuth2 extras (docs/catalog-data.md) shape the authorize
// URL and the token request: the scope separator, extra authorize
// parameters, PKCE on or off, and how the client authenticates to the
// token endpoint.
func TestOAuth2_CatalogueExtras(t *testing.T) {
	type seen struct {
		basicUser, formID, formSecret, verifier string
	}
	got := make(chan seen, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		u, _, _ := r.BasicAuth()
		got <- seen{basicUser: u, formID: r.PostForm.Get("client_id"), formSecret: r.PostForm.Get("client_secret"), verifier: r.PostForm.Get("code_verifier")}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"access_token":"at"}`)
	}))
	defer srv.Close()
	off := false
	for _, tc := range []struct {
		name   string
		cfg    portico.OAuth2Config
		checkU func(q url.Values) string
		want   seen
	}{
		{"comma, params, no PKCE, post", portico.OAuth2Config{Scopes: []portico.Scope{{Name: "read"}, {Name: "write"}}, ScopeSeparator: ",",
			AuthorizeParams: map[string]string{"access_type": "online", "prompt": "consent"}, PKCE: &off, TokenEndpointAuthMethod: portico.TokenAuthPost},
			func(q url.Values) string {
				if q.Get("scope") != "read,write" || q.Get("prompt") != "consent" || q.Get("access_type") != "online" || q.Has("code_challenge") {
					return q.Encode()
				}
				return ""
			}, seen{formID: "cid", formSecret: "shh"}},
		{"space, PKCE, basic", portico.OAuth2Config{Scopes: []portico.Scope{{Name: "read"}, {Name: "write"}}, ScopeSeparator: " ",
			TokenEndpointAuthMethod: portico.TokenAuthBasic},
			func(q url.Values) string {
				if q.Get("scope") != "read write" || q.Get("access_type") != "offline" || q.Get("code_challenge_method") != "S256" {
					return q.Encode()
				}
				return ""
			}, seen{basicUser: "cid", verifier: "v3rifier-v3rifier-v3rifier-v3rifier-v3rifier"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg
			cfg.AuthorizeURL, cfg.TokenURL, cfg.ClientID = "https://provider.example/authorize", srv.URL+"/token", "cid"
			integ := &portico.Integration{Slug: "p", Name: "P", Auth: portico.AuthConfig{Type: portico.AuthOAuth2, OAuth2: &cfg}}
			o := &upstream.OAuth2{}
			au, err := url.Parse(o.AuthCodeURL(integ, "https://portico.test/cb", "st", "v3rifier-v3rifier-v3rifier-v3rifier-v3rifier"))
			if err != nil {
				t.Fatal(err)
			}
			if bad := tc.checkU(au.Query()); bad != "" {
				t.Errorf("authorize URL query %s", bad)
			}
			if _, err := o.Exchange(context.Background(), integ, "shh", "https://portico.test/cb", "code", "v3rifier-v3rifier-v3rifier-v3rifier-v3rifier", time.Now()); err != nil {
				t.Fatal(err)
			}
			if s := <-got; s != tc.want {
				t.Errorf("token request %+v, want %+v", s, tc.want)
			}
		})
	}
}

// A provider's refusal is kept in the error (for the log) cut short, and
// without the secrets the request carried, should the provider echo them:
// as given, %-encoded as in the form, or as the Basic credentials of the
// Authorization header.
func TestOAuth2_RefusalKeepsNoSecret(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		form, _ := url.ParseQuery(string(body))
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		desc := "refresh token " + form.Get("refresh_token") + form.Get("code") + " of a client whose secret is " +
			form.Get("client_secret") + " and verifier " + form.Get("code_verifier") + ", auth=" + r.Header.Get("Authorization") +
			", body " + string(body) + " " + strings.Repeat("x", 5000)
		b, _ := json.Marshal(map[string]string{"error": "invalid_grant", "error_description": desc})
		w.Write(b)
	}))
	defer srv.Close()
	const (
		clientSecret = "client/secret+123"
		refresh      = "rt/secret=456&x"
		code         = "code-secret-789"
		verifier     = "verifier-secret-verifier-secret-verifier-secret"
	)
	for _, method := range []string{portico.TokenAuthPost, portico.TokenAuthBasic} {
		integ := &portico.Integration{Slug: "crm", Name: "CRM", Auth: portico.AuthConfig{Type: portico.AuthOAuth2,
			OAuth2: &portico.OAuth2Config{AuthorizeURL: srv.URL + "/authorize", TokenURL: srv.URL + "/token", ClientID: "c:1",
				TokenEndpointAuthMethod: method}}}
		o := &upstream.OAuth2{}
		_, refreshErr := o.Refresh(context.Background(), integ, clientSecret, portico.Credentials{portico.TokenRefresh: refresh}, time.Now())
		_, exchangeErr := o.Exchange(context.Background(), integ, clientSecret, "https://portico.test/cb", code, verifier, time.Now())
		for name, err := range map[string]error{"refresh": refreshErr, "exchange": exchangeErr} {
			if !errors.Is(err, upstream.ErrRefused) {
				t.Fatalf("%s %s: %v", method, name, err)
			}
			msg := err.Error()
			leaks := []string{"client/secret", "client%2Fsecret", "rt/secret", "rt%2Fsecret", code, "verifier-secret"}
			for _, pair := range []string{"c:1:" + clientSecret, url.QueryEscape("c:1") + ":" + url.QueryEscape(clientSecret)} {
				leaks = append(leaks, base64.StdEncoding.EncodeToString([]byte(pair)))
			}
			for _, secret := range leaks {
				if strings.Contains(msg, secret) {
					t.Errorf("%s %s: the error holds %q: %s", method, name, secret, msg)
				}
			}
			if !strings.Contains(msg, "invalid_grant: refresh token [redacted]") || len(msg) > 400 {
				t.Errorf("%s %s: %d bytes: %s", method, name, len(msg), msg)
			}
		}
	}
}

// A token request is sent once: a failed exchange or refresh is not sent
// again with the client's credentials moved (which would replay a code or
// a rotated refresh token), unless the provider refused the client itself.
// Then the method that worked is remembered for the endpoint.
func TestOAuth2_TokenRequestsAreNotReplayed(t *testing.T) {
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		name   string
		answer func(w http.ResponseWriter, r *http.Request)
		ok     bool
		calls  []int // requests per exchange, for two exchanges in a row
	}{
		{"invalid_grant", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(400)
			io.WriteString(w, `{"error":"invalid_grant"}`)
		}, false, []int{1, 1}},
		{"not JSON", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `<html>`)
		}, false, []int{1, 1}},
		{"no access token", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"token_type":"bearer"}`)
		}, false, []int{1, 1}},
		{"server error", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) }, false, []int{1, 1}},
		// A redirect is not followed: it would send the code again.
		{"redirect on the same host", func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/token" {
				http.Redirect(w, r, "/token2", http.StatusTemporaryRedirect)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"access_token":"at"}`)
		}, false, []int{1, 1}},
		{"basic accepted", func(w http.ResponseWriter, r *http.Request) {
			if _, _, ok := r.BasicAuth(); !ok {
				w.WriteHeader(401)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"access_token":"at"}`)
		}, true, []int{1, 1}},
		{"post only", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			if _, _, ok := r.BasicAuth(); ok || r.PostFormValue("client_secret") != "s" {
				w.WriteHeader(401)
				io.WriteString(w, `{"error":"invalid_client"}`)
				return
			}
			io.WriteString(w, `{"access_token":"at"}`)
		}, true, []int{2, 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var calls int
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				calls++
				tc.answer(w, r)
			}))
			defer srv.Close()
			integ := &portico.Integration{Slug: "crm", Name: "CRM", Auth: portico.AuthConfig{Type: portico.AuthOAuth2,
				OAuth2: &portico.OAuth2Config{AuthorizeURL: srv.URL + "/authorize", TokenURL: srv.URL + "/token", ClientID: "c"}}}
			o := &upstream.OAuth2{}
			for i, want := range tc.calls {
				calls = 0
				_, err := o.Exchange(context.Background(), integ, "s", "https://portico.test/cb", "code", "verifier", now)
				if (err == nil) != tc.ok || calls != want {
					t.Errorf("exchange %d: %d requests, error %v; want %d", i, calls, err, want)
				}
				calls = 0
				_, err = o.Refresh(context.Background(), integ, "s", portico.Credentials{portico.TokenRefresh: "rt"}, now)
				if (err == nil) != tc.ok || calls != tc.calls[len(tc.calls)-1] {
					t.Errorf("refresh after exchange %d: %d requests, error %v", i, calls, err)
				}
			}
		})
	}
}
