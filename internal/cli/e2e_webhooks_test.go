package cli_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/porticohq/portico/api"
	"github.com/porticohq/portico/client"
	"github.com/porticohq/portico/internal/cli"
	"github.com/porticohq/portico/internal/store/storetest"
)

// hookReceiver is an app's webhook endpoint on loopback: it verifies each
// delivery and answers 503 while down.
type hookReceiver struct {
	t      *testing.T
	clock  *storetest.Clock
	secret atomic.Value
	down   atomic.Bool
	mu     sync.Mutex
	tried  []string // event ids of every attempt
	got    []*client.WebhookEvent
	srv    *httptest.Server
}

func newHookReceiver(t *testing.T, clock *storetest.Clock) *hookReceiver {
	r := &hookReceiver{t: t, clock: clock}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		secret, _ := r.secret.Load().(string)
		e, err := client.VerifyWebhook(secret, req.Header.Get(client.WebhookSignatureHeader), body, time.Minute, clock.Now())
		if err != nil {
			t.Errorf("unverifiable delivery: %v", err)
			w.WriteHeader(400)
			return
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		r.tried = append(r.tried, e.ID)
		if r.down.Load() {
			w.WriteHeader(503)
			return
		}
		r.got = append(r.got, e)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *hookReceiver) counts() (tried, got int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.tried), len(r.got)
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestWebhooks_SurviveRestart: events pending when the server stops are
// delivered by the next server on the same store, in order, signed.
func TestWebhooks_SurviveRestart(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			w := newLeakWatch(t)
			clock := storetest.NewClock()
			rcv := newHookReceiver(t, clock)
			rcv.down.Store(true)
			allow := func(c *cli.Config) { c.AllowPrivateUpstreams, c.Clock = true, clock.Now }
			a := startServer(t, w, e, allow)
			_, key := a.createApp("hooks")
			ctx := context.Background()
			c := a.client(key)
			url := rcv.srv.URL + "/portico"
			app, err := c.UpdateApp(ctx, api.AppUpdate{Settings: &api.AppSettingsUpdate{WebhookURL: api.Nullable[string]{Set: true, Value: &url}}})
			if err != nil || !strings.HasPrefix(app.WebhookSecret, "whsec_") {
				t.Fatalf("set webhook: %v", err)
			}
			w.secret(app.WebhookSecret)
			rcv.secret.Store(app.WebhookSecret)
			created, err := c.CreateSession(ctx, api.SessionCreate{User: api.UserCreate{ExternalID: ptr("u-1")}})
			if err != nil {
				t.Fatal(err)
			}
			// The first attempt comes at once (the commit wakes the worker)
			// and fails; the second waits 10 s on the server's clock.
			waitFor(t, "a first attempt", func() bool { n, _ := rcv.counts(); return n >= 1 })
			if err := a.stop(); err != nil {
				t.Fatal(err)
			}
			if _, got := rcv.counts(); got != 0 {
				t.Fatalf("%d delivered while down", got)
			}

			rcv.down.Store(false)
			clock.Advance(time.Minute)
			b := startServer(t, w, e, func(cfg *cli.Config) {
				allow(cfg)
				cfg.DataDir, cfg.DatabaseURL, cfg.EncryptionKey = a.cfg.DataDir, a.cfg.DatabaseURL, a.cfg.EncryptionKey
			})
			waitFor(t, "both events", func() bool { _, n := rcv.counts(); return n >= 2 })
			rcv.mu.Lock()
			got := append([]*client.WebhookEvent{}, rcv.got...)
			rcv.mu.Unlock()
			if len(got) != 2 || got[0].Type != "user.created" || got[1].Type != "session.created" ||
				!strings.Contains(string(got[1].Data), created.Session.ID) || strings.Contains(string(got[1].Data), created.Token) {
				t.Fatalf("delivered %+v", got)
			}
			// The worker counts a delivery once the store recorded it, a
			// moment after the receiver has the body.
			var (
				status int
				body   []byte
			)
			deadline := time.Now().Add(15 * time.Second)
			for {
				status, body = httpGet(t, b.URL+"/metrics", nil)
				if status == 200 && strings.Contains(string(body), `portico_webhook_deliveries_total{outcome="delivered"} 2`) {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("metrics: %d\n%s", status, grepLines(string(body), "webhook"))
				}
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestWebhooks_PrivateTargetRefused: without --allow-private-upstreams a
// webhook on loopback is refused when it is set, and one stored while the
// server allowed it is never called: the attempt fails and is retried.
func TestWebhooks_PrivateTargetRefused(t *testing.T) {
	e := storetest.Engines(t)[0]
	w := newLeakWatch(t)
	rcv := newHookReceiver(t, storetest.NewClock())
	allowed := startServer(t, w, e, func(c *cli.Config) { c.AllowPrivateUpstreams = true })
	_, key := allowed.createApp("private")
	url := rcv.srv.URL
	set := api.AppUpdate{Settings: &api.AppSettingsUpdate{WebhookURL: api.Nullable[string]{Set: true, Value: &url}}}
	app, err := allowed.client(key).UpdateApp(context.Background(), set)
	if err != nil {
		t.Fatal(err)
	}
	w.secret(app.WebhookSecret)
	if err := allowed.stop(); err != nil {
		t.Fatal(err)
	}

	cfg := allowed.cfg
	cfg.AllowPrivateUpstreams = false
	s := serveConfig(t, w, cfg, "server log, private upstreams refused ("+e.Name+")")
	c := s.client(key)
	ctx := context.Background()
	var perr *client.Error
	if _, err := c.UpdateApp(ctx, set); !errors.As(err, &perr) || perr.Status != 422 || perr.Code != "validation_failed" || perr.Details["field"] != "settings.webhook_url" {
		t.Fatalf("setting a loopback webhook_url: %v", err)
	}
	if _, _, err := c.CreateUser(ctx, api.UserCreate{ExternalID: ptr("u")}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a refused attempt", func() bool { return strings.Contains(s.logs.String(), `"msg":"webhook_retry"`) })
	if tried, _ := rcv.counts(); tried != 0 {
		t.Fatalf("the loopback receiver was called %d times", tried)
	}
	if line := grepLines(s.logs.String(), "webhook_retry"); !strings.Contains(line, "refused") || strings.Contains(line, url) {
		t.Fatalf("log: %s", line)
	}
}
