package portico_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/portico"
	"github.com/porticohq/portico/internal/secret"
	"github.com/porticohq/portico/internal/store"
	"github.com/porticohq/portico/internal/store/storetest"
	"github.com/porticohq/portico/internal/upstream"
)

const (
	refreshClientID     = "client-abc"
	refreshClientSecret = "secret-xyz"
)

// tokenProvider is an OAuth2 token endpoint on loopback that counts the
// refresh requests it answers. mode picks the answer: "ok" (rotates the
// refresh token), "keep" (sends none back), "invalid_grant" (400), "down"
// (503), "oversized" (rotates the refresh token beside an access token too
// long to store).
type tokenProvider struct {
	*httptest.Server
	mode      atomic.Value
	delay     time.Duration
	refreshes atomic.Int64
	mu        sync.Mutex
	used      []string // refresh tokens presented
	// hold, when set (a func()), runs before each answer: a test holds
	// the answer back until its callers are where it wants them.
	hold atomic.Value
}

// claimCounter counts the refresh claims callers made, won or lost.
type claimCounter struct {
	portico.Store
	claims atomic.Int64
}

func (c *claimCounter) ClaimRefresh(ctx context.Context, appID, id, sealed, owner string, lease time.Duration) (bool, *portico.RefreshState, error) {
	defer c.claims.Add(1)
	return c.Store.ClaimRefresh(ctx, appID, id, sealed, owner, lease)
}

func newTokenProvider(t *testing.T, delay time.Duration) *tokenProvider {
	p := &tokenProvider{delay: delay}
	p.mode.Store("ok")
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		id, sec, ok := r.BasicAuth()
		if !ok {
			id, sec = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
		}
		if r.URL.Path != "/token" || r.PostForm.Get("grant_type") != "refresh_token" {
			http.Error(w, "unexpected request", http.StatusBadRequest)
			return
		}
		n := p.refreshes.Add(1)
		p.mu.Lock()
		p.used = append(p.used, r.PostForm.Get("refresh_token"))
		p.mu.Unlock()
		time.Sleep(p.delay)
		if hold, ok := p.hold.Load().(func()); ok {
			hold()
		}
		w.Header().Set("Content-Type", "application/json")
		mode := p.mode.Load().(string)
		switch {
		case mode == "down":
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, `{"error":"temporarily_unavailable"}`)
		case mode == "invalid_grant" || id != refreshClientID || sec != refreshClientSecret || !strings.HasPrefix(r.PostForm.Get("refresh_token"), "rt-"):
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"error":"invalid_grant","error_description":"the refresh token is not valid"}`)
		case mode == "short":
			fmt.Fprintf(w, `{"access_token":"at-%d","refresh_token":"rt-%d","token_type":"Bearer","expires_in":30}`, n, n)
		case mode == "keep":
			fmt.Fprintf(w, `{"access_token":"at-%d","token_type":"Bearer","expires_in":3600}`, n)
		case mode == "oversized":
			fmt.Fprintf(w, `{"access_token":"%s","refresh_token":"rt-%d","token_type":"Bearer","expires_in":3600}`, strings.Repeat("a", 9000), n)
		default:
			fmt.Fprintf(w, `{"access_token":"at-%d","refresh_token":"rt-%d","token_type":"Bearer","expires_in":3600}`, n, n)
		}
	}))
	t.Cleanup(p.Close)
	return p
}

// refreshWorld is one app with an OAuth2 integration of a provider, on one
// store, seen through one or more services (nodes).
type refreshWorld struct {
	t        *testing.T
	ctx      context.Context
	clock    *storetest.Clock
	ring     *secret.Keyring
	provider *tokenProvider
	svc      *portico.Service
	db       portico.Store
	app      *portico.App
	integ    *portico.Integration
}

func newService(db portico.Store, ring *secret.Keyring, clock *storetest.Clock) *portico.Service {
	return portico.NewService(db, &portico.Service{Sealer: ring, Now: clock.Now, AllowPrivateUpstreams: true,
		Refresher: &upstream.OAuth2{}, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
}

// newAppService opens a store of engine e on a clock of its own, with a
// service over it, and creates an app.
func newAppService(t *testing.T, e storetest.Engine) (*portico.Service, portico.Store, *storetest.Clock, *portico.App) {
	t.Helper()
	clock := storetest.NewClock()
	db := storetest.Open(t, e, clock.Now)
	svc := newService(db, newKeyring(t), clock)
	app, _, err := svc.CreateApp(context.Background(), "Acme")
	if err != nil {
		t.Fatal(err)
	}
	return svc, db, clock, app
}

func newRefreshWorld(t *testing.T, db portico.Store, clock *storetest.Clock, ring *secret.Keyring, p *tokenProvider) *refreshWorld {
	t.Helper()
	w := &refreshWorld{t: t, ctx: context.Background(), clock: clock, ring: ring, provider: p, svc: newService(db, ring, clock), db: db}
	app, _, err := w.svc.CreateApp(w.ctx, "Acme")
	if err != nil {
		t.Fatal(err)
	}
	// Events are written only for apps with a webhook.
	app.Settings.WebhookURL = "https://hooks.example.com/portico"
	app.WebhookSecret, _ = ring.Seal([]byte("whsec"), portico.WebhookSecretAAD(app.ID))
	if err := db.UpdateApp(w.ctx, app); err != nil {
		t.Fatal(err)
	}
	w.app = app
	str := func(s string) *string { return &s }
	w.integ, _, err = w.svc.PutIntegration(w.ctx, app.ID, "gitlab", portico.IntegrationInput{Template: "github",
		Auth: &portico.AuthInput{OAuth2: &portico.OAuth2Input{AuthorizeURL: str(p.URL + "/authorize"), TokenURL: str(p.URL + "/token"),
			ClientID: str(refreshClientID), ClientSecret: str(refreshClientSecret)}}})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func newKeyring(t *testing.T) *secret.Keyring {
	ring, err := secret.ParseKeys(secret.NewKey())
	if err != nil {
		t.Fatal(err)
	}
	return ring
}

// connect stores tokens for a new user, the access token expiring in exp.
func (w *refreshWorld) connect(creds portico.Credentials, exp time.Duration) *portico.Connection {
	w.t.Helper()
	u, _, err := w.svc.FindOrCreateUser(w.ctx, w.app.ID, portico.UserInput{ExternalID: ptr(portico.NewID("u_")), Metadata: json.RawMessage(`{}`)})
	if err != nil {
		w.t.Fatal(err)
	}
	creds[portico.TokenExpiresAt] = w.clock.Now().Add(exp).Format(time.RFC3339)
	c, _, err := w.svc.ImportConnection(w.ctx, w.app.ID, u.ID, "gitlab", creds)
	if err != nil {
		w.t.Fatal(err)
	}
	return c
}

func (w *refreshWorld) find(id string) *portico.Connection {
	w.t.Helper()
	c, err := w.svc.FindConnection(w.ctx, w.app.ID, id)
	if err != nil {
		w.t.Fatal(err)
	}
	return c
}

// fresh reads the connection as perform does, then asks for its
// credentials.
func (w *refreshWorld) fresh(svc *portico.Service, id string) (portico.Credentials, error) {
	c, err := svc.FindConnection(w.ctx, w.app.ID, id)
	if err != nil {
		return nil, err
	}
	return svc.FreshCredentials(w.ctx, w.integ, c)
}

// events returns the types of the app's events about connection id.
func (w *refreshWorld) events(id string) []string {
	w.t.Helper()
	es, err := w.db.ListEvents(w.ctx, w.app.ID, 1000)
	if err != nil {
		w.t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		var body struct {
			Data struct {
				ID     string `json:"id"`
				Reason string `json:"reason"`
			} `json:"data"`
		}
		json.Unmarshal(e.Body, &body)
		if body.Data.ID == id && e.Type != portico.EventConnectionCreated && e.Type != portico.EventConnectionUpdated {
			out = append(out, e.Type+":"+body.Data.Reason)
		}
	}
	return out
}

func ptr[T any](v T) *T { return &v }

func tokens(access, refresh string) portico.Credentials {
	c := portico.Credentials{portico.TokenAccess: access, portico.TokenType: "Bearer", portico.TokenScope: "repo"}
	if refresh != "" {
		c[portico.TokenRefresh] = refresh
	}
	return c
}

// concurrently runs n callers of fresh at once and returns their answers.
// Each reads the connection as perform does before any asks for its
// credentials: the callers all arrived while the token was due, however
// the scheduler runs them (a caller that came after the refresh would
// read the new token instead).
func concurrently(w *refreshWorld, n int, svcs []*portico.Service, id string) []string {
	var wg, read sync.WaitGroup
	got := make([]string, n)
	read.Add(n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			svc := svcs[i%len(svcs)]
			c, err := svc.FindConnection(w.ctx, w.app.ID, id)
			read.Done()
			if err != nil {
				got[i] = "error: " + err.Error()
				return
			}
			read.Wait()
			creds, err := svc.FreshCredentials(w.ctx, w.integ, c)
			if err != nil {
				got[i] = "error: " + err.Error()
				return
			}
			got[i] = creds[portico.TokenAccess]
		}()
	}
	wg.Wait()
	return got
}

func TestFreshCredentials_OneRefreshForConcurrentCallers(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			clock := storetest.NewClock()
			w := newRefreshWorld(t, storetest.Open(t, e, clock.Now), clock, newKeyring(t), newTokenProvider(t, 100*time.Millisecond))
			c := w.connect(tokens("at-old", "rt-old"), 30*time.Second)
			got := concurrently(w, 20, []*portico.Service{w.svc}, c.ID)
			for i, g := range got {
				if g != "at-1" {
					t.Fatalf("caller %d got %q", i, g)
				}
			}
			if n := w.provider.refreshes.Load(); n != 1 {
				t.Fatalf("%d token requests for 20 concurrent callers, want 1", n)
			}
			// Stored sealed: new ciphertext, which opens only for its row.
			after := w.find(c.ID)
			if after.Credentials == c.Credentials || strings.Contains(after.Credentials, "at-1") || strings.Contains(after.Credentials, "rt-1") {
				t.Fatalf("stored credentials %q", after.Credentials)
			}
			plain, err := w.ring.Open(after.Credentials, portico.ConnectionAAD(after.AppID, after.UserID, after.ID))
			if err != nil {
				t.Fatal(err)
			}
			var creds map[string]string
			json.Unmarshal(plain, &creds)
			want := map[string]string{"access_token": "at-1", "refresh_token": "rt-1", "token_type": "Bearer", "scope": "repo",
				"expires_at": clock.Now().Add(time.Hour).Format(time.RFC3339)}
			if fmt.Sprint(creds) != fmt.Sprint(want) {
				t.Fatalf("stored %v, want %v", creds, want)
			}
			if _, err := w.ring.Open(after.Credentials, portico.ConnectionAAD(after.AppID, after.UserID, "con_other")); !errors.Is(err, secret.ErrDecrypt) {
				t.Fatalf("opened with another row's AAD: %v", err)
			}
			if after.Status != portico.StatusConnected || !after.ExpiresAt.Equal(clock.Now().Add(time.Hour)) || !after.Refreshable {
				t.Fatalf("after refresh: %+v", after)
			}
			// Fresh now: no more token requests.
			if creds, err := w.fresh(w.svc, c.ID); err != nil || creds[portico.TokenAccess] != "at-1" || w.provider.refreshes.Load() != 1 {
				t.Fatalf("second use: %v %v (%d requests)", creds, err, w.provider.refreshes.Load())
			}
			if ev := w.events(c.ID); len(ev) != 0 {
				t.Fatalf("events for a plain refresh: %v", ev)
			}
		})
	}
}

// A token that lives less than RefreshSkew is due halfway through its
// life, not the moment it arrives: the callers that waited for its refresh
// use it, and so do the callers after them, instead of refreshing again one
// after the other.
func TestFreshCredentials_ShortLivedTokens(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			clock := storetest.NewClock()
			w := newRefreshWorld(t, storetest.Open(t, e, clock.Now), clock, newKeyring(t), newTokenProvider(t, 100*time.Millisecond))
			w.provider.mode.Store("short")
			c := w.connect(tokens("at-old", "rt-old"), 10*time.Second)
			for i, g := range concurrently(w, 12, []*portico.Service{w.svc}, c.ID) {
				if g != "at-1" {
					t.Fatalf("caller %d got %q", i, g)
				}
			}
			if n := w.provider.refreshes.Load(); n != 1 {
				t.Fatalf("%d token requests for 12 concurrent callers of a 30 s token, want 1", n)
			}
			// A caller after them, 14 s into the token's 30: still fresh.
			w.clock.Advance(14 * time.Second)
			if creds, err := w.fresh(w.svc, c.ID); err != nil || creds[portico.TokenAccess] != "at-1" || w.provider.refreshes.Load() != 1 {
				t.Fatalf("a later caller: %v %v (%d requests)", creds, err, w.provider.refreshes.Load())
			}
			// Past half of its life it is due, and refreshed once.
			w.clock.Advance(2 * time.Second)
			for range 3 {
				if creds, err := w.fresh(w.svc, c.ID); err != nil || creds[portico.TokenAccess] != "at-2" || w.provider.refreshes.Load() != 2 {
					t.Fatalf("past half its life: %v %v (%d requests)", creds, err, w.provider.refreshes.Load())
				}
			}
		})
	}
}

// TestFreshCredentials_TwoNodesOnePostgres: two services, each with a store
// of its own on one PostgreSQL database, share one refresh.
func TestFreshCredentials_TwoNodesOnePostgres(t *testing.T) {
	base := os.Getenv(storetest.PostgresEnv)
	if base == "" {
		t.Skipf("%s is not set", storetest.PostgresEnv)
	}
	url := storetest.FreshPostgres(t, base)
	clock := storetest.NewClock()
	open := func() *store.DB {
		db, err := store.Open(context.Background(), store.Config{DatabaseURL: url, Clock: clock.Now})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		if _, err := db.Migrate(context.Background()); err != nil {
			t.Fatal(err)
		}
		return db
	}
	ring := newKeyring(t)
	w := newRefreshWorld(t, open(), clock, ring, newTokenProvider(t, 100*time.Millisecond))
	node2 := newService(open(), ring, clock)
	c := w.connect(tokens("at-old", "rt-old"), 10*time.Second)
	got := concurrently(w, 20, []*portico.Service{w.svc, node2}, c.ID)
	for i, g := range got {
		if g != "at-1" {
			t.Fatalf("caller %d (node %d) got %q", i, i%2+1, g)
		}
	}
	if n := w.provider.refreshes.Load(); n != 1 {
		t.Fatalf("%d token requests from two nodes, want 1", n)
	}
}

// TestFreshCredentials_TransientFailureShared: while the provider is down,
// the callers waiting on a failing refresh use the old token, still valid,
// without asking the provider again each.
func TestFreshCredentials_TransientFailureShared(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			clock := storetest.NewClock()
			db := &claimCounter{Store: storetest.Open(t, e, clock.Now)}
			w := newRefreshWorld(t, db, clock, newKeyring(t), newTokenProvider(t, 0))
			w.provider.mode.Store("down")
			// What one attempt costs (the OAuth2 client may try two ways
			// of sending the client's credentials).
			probe := w.connect(tokens("at-old", "rt-old"), 30*time.Second)
			if creds, err := w.fresh(w.svc, probe.ID); err != nil || creds[portico.TokenAccess] != "at-old" {
				t.Fatalf("probe: %v %v", creds, err)
			}
			perAttempt := w.provider.refreshes.Load()
			c := w.connect(tokens("at-old", "rt-old"), 30*time.Second)
			// The provider answers once every caller has tried to claim
			// the refresh: one won it, the others wait for its outcome. A
			// caller that arrived after the failure would rightly try
			// again, which is not what this test is about.
			const callers = 20
			db.claims.Store(0)
			w.provider.hold.Store(func() {
				deadline := time.Now().Add(10 * time.Second)
				for db.claims.Load() < callers && time.Now().Before(deadline) {
					time.Sleep(time.Millisecond)
				}
			})
			for i, g := range concurrently(w, callers, []*portico.Service{w.svc}, c.ID) {
				if g != "at-old" {
					t.Fatalf("caller %d got %q", i, g)
				}
			}
			if n := db.claims.Load(); n != callers {
				t.Fatalf("%d claims for %d callers", n, callers)
			}
			if n := w.provider.refreshes.Load() - perAttempt; n != perAttempt {
				t.Fatalf("%d token requests for %d callers, want one attempt (%d)", n, callers, perAttempt)
			}
			if ev := w.events(c.ID); !slices.Equal(ev, []string{"connection.refresh_failed:unavailable"}) {
				t.Fatalf("events %v", ev)
			}
		})
	}
}

// An answer that rotates the refresh token but cannot be stored otherwise
// (an access token too long) is a failure that keeps the new refresh
// token: the provider refuses the old one from now on.
func TestFreshCredentials_UnusableAnswerKeepsTheRotatedRefreshToken(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			clock := storetest.NewClock()
			w := newRefreshWorld(t, storetest.Open(t, e, clock.Now), clock, newKeyring(t), newTokenProvider(t, 0))
			w.provider.mode.Store("oversized")
			c := w.connect(tokens("at-old", "rt-old"), 30*time.Second)
			if creds, err := w.fresh(w.svc, c.ID); err != nil || creds[portico.TokenAccess] != "at-old" {
				t.Fatalf("refresh: %v %v", creds, err)
			}
			rotated := fmt.Sprintf("rt-%d", w.provider.refreshes.Load())
			got := w.find(c.ID)
			stored, err := w.svc.OpenCredentials(got)
			if err != nil || got.Status != portico.StatusConnected || stored[portico.TokenRefresh] != rotated || stored[portico.TokenAccess] != "at-old" {
				t.Fatalf("after the unusable answer: %s %v %v", got.Status, stored, err)
			}
			if ev := w.events(c.ID); !slices.Equal(ev, []string{"connection.refresh_failed:unavailable"}) {
				t.Fatalf("events %v", ev)
			}
			// The next refresh presents the rotated token.
			w.provider.mode.Store("ok")
			clock.Advance(time.Minute)
			if _, err := w.fresh(w.svc, c.ID); err != nil {
				t.Fatal(err)
			}
			w.provider.mu.Lock()
			last := w.provider.used[len(w.provider.used)-1]
			w.provider.mu.Unlock()
			if last != rotated {
				t.Fatalf("the next refresh presented %q, want %q", last, rotated)
			}
		})
	}
}

// A provider that answers after the token request's time is a transient
// failure the store records, with time left to record it, and the lease is
// given back: the next caller does not wait for it to lapse.
func TestFreshCredentials_LateProvider(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			clock := storetest.NewClock()
			w := newRefreshWorld(t, storetest.Open(t, e, clock.Now), clock, newKeyring(t), newTokenProvider(t, 2*time.Second))
			w.svc.TokenTimeout = 100 * time.Millisecond
			c := w.connect(tokens("at-old", "rt-old"), 30*time.Second)
			if creds, err := w.fresh(w.svc, c.ID); err != nil || creds[portico.TokenAccess] != "at-old" {
				t.Fatalf("first caller: %v %v", creds, err)
			}
			if ev := w.events(c.ID); !slices.Equal(ev, []string{"connection.refresh_failed:unavailable"}) {
				t.Fatalf("events %v", ev)
			}
			if got := w.find(c.ID); got.Status != portico.StatusConnected {
				t.Fatalf("status %s", got.Status)
			}
			start := time.Now()
			if creds, err := w.fresh(w.svc, c.ID); err != nil || creds[portico.TokenAccess] != "at-old" {
				t.Fatalf("second caller: %v %v", creds, err)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Fatalf("the second caller waited %v: the first left its lease held", d)
			}
		})
	}
}

func TestFreshCredentials_Failures(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			clock := storetest.NewClock()
			w := newRefreshWorld(t, storetest.Open(t, e, clock.Now), clock, newKeyring(t), newTokenProvider(t, 0))

			t.Run("RejectedExpires", func(t *testing.T) {
				w.provider.mode.Store("invalid_grant")
				defer w.provider.mode.Store("ok")
				c := w.connect(tokens("at-old", "rt-old"), 30*time.Second)
				_, err := w.fresh(w.svc, c.ID)
				if !errors.Is(err, portico.ErrConnectionExpired) {
					t.Fatalf("err = %v", err)
				}
				before := w.provider.refreshes.Load()
				if got := w.find(c.ID); got.Status != portico.StatusExpired {
					t.Fatalf("status %s", got.Status)
				}
				if ev := w.events(c.ID); !slices.Equal(ev, []string{"connection.refresh_failed:rejected", "connection.expired:rejected"}) {
					t.Fatalf("events %v", ev)
				}
				// Expired for good: no second request.
				if _, err := w.fresh(w.svc, c.ID); !errors.Is(err, portico.ErrConnectionExpired) || w.provider.refreshes.Load() != before {
					t.Fatalf("second use: %v (%d requests)", err, w.provider.refreshes.Load()-before)
				}
				// Connecting again recovers it.
				c2 := w.connect(tokens("at-new", "rt-new"), time.Hour)
				if creds, err := w.fresh(w.svc, c2.ID); err != nil || creds[portico.TokenAccess] != "at-new" {
					t.Fatalf("after a new connect: %v %v", creds, err)
				}
			})

			t.Run("NoRefreshToken", func(t *testing.T) {
				before := w.provider.refreshes.Load()
				c := w.connect(tokens("at-only", ""), 30*time.Second)
				// Still valid, and nothing can renew it: used as it is.
				if creds, err := w.fresh(w.svc, c.ID); err != nil || creds[portico.TokenAccess] != "at-only" {
					t.Fatalf("before expiry: %v %v", creds, err)
				}
				clock.Advance(30 * time.Second)
				if _, err := w.fresh(w.svc, c.ID); !errors.Is(err, portico.ErrConnectionExpired) {
					t.Fatalf("after expiry: %v", err)
				}
				if got := w.find(c.ID); got.Status != portico.StatusExpired {
					t.Fatalf("status %s", got.Status)
				}
				if ev := w.events(c.ID); !slices.Equal(ev, []string{"connection.refresh_failed:no_refresh_token", "connection.expired:no_refresh_token"}) {
					t.Fatalf("events %v", ev)
				}
				if n := w.provider.refreshes.Load() - before; n != 0 {
					t.Fatalf("%d token requests without a refresh token", n)
				}
			})

			t.Run("TransientThenRecovered", func(t *testing.T) {
				w.provider.mode.Store("down")
				c := w.connect(tokens("at-old", "rt-old"), 30*time.Second)
				// The provider fails; the old token still works for 30 s.
				if creds, err := w.fresh(w.svc, c.ID); err != nil || creds[portico.TokenAccess] != "at-old" {
					t.Fatalf("provider down, token valid: %v %v", creds, err)
				}
				clock.Advance(time.Minute)
				_, err := w.fresh(w.svc, c.ID)
				if portico.ErrorCode(err) != portico.CodeUnavailable {
					t.Fatalf("provider down, token expired: %v", err)
				}
				if got := w.find(c.ID); got.Status != portico.StatusConnected {
					t.Fatalf("a transient failure changed the status to %s", got.Status)
				}
				w.provider.mode.Store("ok")
				creds, err := w.fresh(w.svc, c.ID)
				if err != nil || !strings.HasPrefix(creds[portico.TokenAccess], "at-") || creds[portico.TokenAccess] == "at-old" {
					t.Fatalf("provider back: %v %v", creds, err)
				}
				if ev := w.events(c.ID); !slices.Equal(ev, []string{"connection.refresh_failed:unavailable", "connection.recovered:refreshed"}) {
					t.Fatalf("events %v", ev)
				}
			})

			t.Run("RefreshTokenKeptWhenNotRotated", func(t *testing.T) {
				w.provider.mode.Store("keep")
				defer w.provider.mode.Store("ok")
				c := w.connect(tokens("at-old", "rt-kept"), 10*time.Second)
				creds, err := w.fresh(w.svc, c.ID)
				if err != nil || creds[portico.TokenRefresh] != "rt-kept" || creds[portico.TokenScope] != "repo" {
					t.Fatalf("not rotated: %v %v", creds, err)
				}
			})

			t.Run("CrashedHolderLeaseLapses", func(t *testing.T) {
				c := w.connect(tokens("at-old", "rt-old"), 10*time.Second)
				ok, _, err := w.db.ClaimRefresh(w.ctx, c.AppID, c.ID, c.Credentials, "crashed-node", portico.RefreshLease)
				if err != nil || !ok {
					t.Fatalf("claim: %v %v", ok, err)
				}
				before := w.provider.refreshes.Load()
				done := make(chan string, 1)
				go func() {
					creds, err := w.fresh(w.svc, c.ID)
					done <- fmt.Sprint(creds[portico.TokenAccess], err)
				}()
				select {
				case got := <-done:
					t.Fatalf("did not wait for the lease: %s", got)
				case <-time.After(300 * time.Millisecond):
				}
				clock.Advance(portico.RefreshLease)
				select {
				case got := <-done:
					if !strings.HasPrefix(got, "at-") || strings.HasPrefix(got, "at-old") {
						t.Fatalf("after the lease lapsed: %s", got)
					}
				case <-time.After(10 * time.Second):
					t.Fatal("still waiting after the lease lapsed")
				}
				if n := w.provider.refreshes.Load() - before; n != 1 {
					t.Fatalf("%d token requests", n)
				}
			})

			t.Run("Revoked", func(t *testing.T) {
				c := w.connect(tokens("at-old", "rt-old"), 10*time.Second)
				if _, err := w.svc.RevokeConnection(w.ctx, w.app.ID, c.ID); err != nil {
					t.Fatal(err)
				}
				if _, err := w.fresh(w.svc, c.ID); !errors.Is(err, portico.ErrConnectionRevoked) {
					t.Fatalf("revoked: %v", err)
				}
			})
		})
	}
}

// TestRefreshDue: the background pass renews the tokens that expire within
// its window and leaves the others.
func TestRefreshDue(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			clock := storetest.NewClock()
			w := newRefreshWorld(t, storetest.Open(t, e, clock.Now), clock, newKeyring(t), newTokenProvider(t, 0))
			soon := w.connect(tokens("at-soon", "rt-soon"), 4*time.Minute)
			later := w.connect(tokens("at-later", "rt-later"), 20*time.Minute)
			dead := w.connect(tokens("at-dead", ""), time.Second)
			clock.Advance(2 * time.Second)
			st, err := w.svc.RefreshDue(w.ctx, 5*time.Minute, 1)
			if err != nil {
				t.Fatal(err)
			}
			if st != (portico.RefreshStats{Checked: 2, Refreshed: 1, Failed: 1}) {
				t.Fatalf("stats %+v", st)
			}
			if got := w.find(soon.ID); !got.ExpiresAt.Equal(clock.Now().Add(time.Hour)) {
				t.Fatalf("soon expires at %v", got.ExpiresAt)
			}
			if got := w.find(later.ID); !got.ExpiresAt.Equal(*later.ExpiresAt) || got.Credentials != later.Credentials {
				t.Fatalf("later changed: %+v", got)
			}
			if got := w.find(dead.ID); got.Status != portico.StatusExpired {
				t.Fatalf("dead is %s", got.Status)
			}
			if n := w.provider.refreshes.Load(); n != 1 {
				t.Fatalf("%d token requests", n)
			}
			// Nothing is due right after.
			if st, err := w.svc.RefreshDue(w.ctx, 5*time.Minute, 10); err != nil || st != (portico.RefreshStats{}) {
				t.Fatalf("second pass: %+v %v", st, err)
			}
		})
	}
}
