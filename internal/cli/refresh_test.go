package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/porticohq/portico/api"
	"github.com/porticohq/portico/internal/cli"
	"github.com/porticohq/portico/internal/store/storetest"
)

// tokenSuffix lengthens the provider's tokens enough for the leak watch.
const tokenSuffix = "_0123456789abcdefghij"

func accessToken(n int64) string  { return fmt.Sprintf("at_%d%s", n, tokenSuffix) }
func refreshToken(n int64) string { return fmt.Sprintf("rt_%d%s", n, tokenSuffix) }

// refreshProvider is an OAuth2 provider on loopback: a token endpoint that
// refreshes (rotating the refresh token; refusing those that do not start
// with rt_) and counts, and an API that echoes the bearer it was sent.
func refreshProvider(t *testing.T, clientSecret string) (*httptest.Server, *atomic.Int64) {
	var n atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		_, sec, ok := r.BasicAuth()
		if !ok {
			sec = r.PostForm.Get("client_secret")
		}
		w.Header().Set("Content-Type", "application/json")
		if r.PostForm.Get("grant_type") != "refresh_token" || sec != clientSecret || !strings.HasPrefix(r.PostForm.Get("refresh_token"), "rt_") {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"error":"invalid_grant"}`)
			return
		}
		i := n.Add(1)
		time.Sleep(50 * time.Millisecond) // so that concurrent callers overlap
		json.NewEncoder(w).Encode(map[string]any{"access_token": accessToken(i), "refresh_token": refreshToken(i),
			"token_type": "Bearer", "expires_in": 3600})
	})
	mux.HandleFunc("GET /api/user", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]string{"bearer": strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")})
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, &n
}

// TestServe_OAuthRefresh boots the whole server on every engine: 20
// concurrent performs with an expiring token share one refresh; the
// background refresher renews a token close to expiry on the server's
// clock; a refused refresh answers connection_required and expires the
// connection, with its events delivered to the app's webhook; no token
// reaches the log.
func TestServe_OAuthRefresh(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			w := newLeakWatch(t)
			clock := storetest.NewClock()
			const clientSecret = "gl-client-secret-0123456789"
			w.secret(clientSecret, refreshToken(0), accessToken(0))
			for i := range int64(4) {
				w.secret(accessToken(i+1), refreshToken(i+1))
			}
			prov, refreshes := refreshProvider(t, clientSecret)
			rcv := newHookReceiver(t, clock)
			// The background window (10 s) is shorter than the skew of a
			// use (60 s), so that the perform part is the performs' own.
			s := startServer(t, w, e, func(c *cli.Config) {
				c.AllowPrivateUpstreams, c.Clock = true, clock.Now
				c.RefreshInterval, c.RefreshWindow = 20*time.Millisecond, 10*time.Second
			})
			_, key := s.createApp("refresh")
			ctx := context.Background()
			c := s.client(key)
			url := rcv.srv.URL + "/hooks"
			app, err := c.UpdateApp(ctx, api.AppUpdate{Settings: &api.AppSettingsUpdate{WebhookURL: api.Nullable[string]{Set: true, Value: &url}}})
			if err != nil {
				t.Fatal(err)
			}
			w.secret(app.WebhookSecret)
			rcv.secret.Store(app.WebhookSecret)
			if _, _, err := c.PutIntegration(ctx, "gitlab", api.IntegrationPut{Name: ptr("GitLab"), Category: ptr("code"), BaseURL: ptr(prov.URL + "/api"),
				Auth: &api.IntegrationAuthPut{Type: ptr("oauth2"), OAuth2: &api.OAuth2Put{AuthorizeURL: ptr(prov.URL + "/authorize"),
					TokenURL: ptr(prov.URL + "/token"), ClientID: ptr("gl-client"), ClientSecret: ptr(clientSecret)}},
				Actions: &[]api.Action{{Name: "me", Method: "GET", Path: "/user"}}}); err != nil {
				t.Fatal(err)
			}
			connect := func(ext, refresh string, in time.Duration) *api.Connection {
				t.Helper()
				u, _, err := c.CreateUser(ctx, api.UserCreate{ExternalID: ptr(ext)})
				if err != nil {
					t.Fatal(err)
				}
				conn, _, err := c.ImportConnection(ctx, u.ID, "gitlab", map[string]string{"access_token": accessToken(0),
					"refresh_token": refresh, "expires_at": clock.Now().Add(in).Format(time.RFC3339)})
				if err != nil {
					t.Fatal(err)
				}
				return conn
			}
			perform := func(ext string) (int, map[string]any) {
				b, _ := json.Marshal(map[string]any{"user": map[string]any{"external_id": ext}, "integration": "gitlab", "action": "me", "input": map[string]any{}})
				req, _ := http.NewRequest("POST", s.URL+"/v1/perform", bytes.NewReader(b))
				req.Header.Set("Authorization", "Bearer "+key)
				req.Header.Set("Content-Type", "application/json")
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Error(err)
					return 0, nil
				}
				defer res.Body.Close()
				var out map[string]any
				json.NewDecoder(res.Body).Decode(&out)
				return res.StatusCode, out
			}

			// 20 concurrent performs, one token request.
			used := connect("u-perform", refreshToken(0), 30*time.Second)
			var wg sync.WaitGroup
			bearers := make([]string, 20)
			for i := range bearers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					status, out := perform("u-perform")
					resp, _ := out["response"].(map[string]any)
					body, _ := resp["body"].(map[string]any)
					bearers[i] = fmt.Sprint(status, " ", body["bearer"])
				}()
			}
			wg.Wait()
			for i, b := range bearers {
				if b != "200 "+accessToken(1) {
					t.Fatalf("perform %d: %s", i, b)
				}
			}
			if n := refreshes.Load(); n != 1 {
				t.Fatalf("%d token requests for 20 concurrent performs", n)
			}
			got, err := c.GetConnection(ctx, used.ID)
			if err != nil || got.Status != "connected" || got.ExpiresAt == nil || !got.ExpiresAt.Equal(clock.Now().Add(time.Hour)) {
				t.Fatalf("after the refresh: %+v %v", got, err)
			}

			// The background refresher renews a token 5 s from expiry.
			soon := connect("u-background", refreshToken(0), 5*time.Second)
			waitFor(t, "the background refresh", func() bool {
				got, err := c.GetConnection(ctx, soon.ID)
				return err == nil && got.ExpiresAt != nil && got.ExpiresAt.Equal(clock.Now().Add(time.Hour))
			})
			if n := refreshes.Load(); n != 2 {
				t.Fatalf("%d token requests after the background refresh", n)
			}

			// A refused refresh: connection_required, expired, events.
			bad := connect("u-refused", "revoked-by-the-provider"+tokenSuffix, 30*time.Second)
			status, out := perform("u-refused")
			errBody, _ := out["error"].(map[string]any)
			details, _ := errBody["details"].(map[string]any)
			if status != http.StatusConflict || errBody["code"] != "connection_required" || details["reason"] != "expired" {
				t.Fatalf("refused refresh: %d %v", status, out)
			}
			if got, err := c.GetConnection(ctx, bad.ID); err != nil || got.Status != "expired" {
				t.Fatalf("after a refused refresh: %+v %v", got, err)
			}
			waitFor(t, "the refresh events", func() bool {
				rcv.mu.Lock()
				defer rcv.mu.Unlock()
				var types []string
				for _, ev := range rcv.got {
					if strings.Contains(string(ev.Data), bad.ID) && strings.HasPrefix(ev.Type, "connection.") && ev.Type != "connection.created" {
						types = append(types, ev.Type)
					}
				}
				return strings.Join(types, ",") == "connection.refresh_failed,connection.expired"
			})
			rcv.mu.Lock()
			for _, ev := range rcv.got {
				noValues(t, ev, accessToken(0), refreshToken(0), accessToken(1), refreshToken(1), clientSecret)
			}
			rcv.mu.Unlock()

			// Two refreshes stored new tokens, one was refused: the
			// metrics the alert rules of docs/operations.md read.
			_, metrics := httpGet(t, s.URL+"/metrics", nil)
			for _, want := range []string{`portico_oauth_refreshes_total{outcome="refreshed"} 2`, `portico_oauth_refreshes_total{outcome="rejected"} 1`} {
				if !strings.Contains(string(metrics), "\n"+want+"\n") {
					t.Errorf("metrics lack %s", want)
				}
			}
		})
	}
}
