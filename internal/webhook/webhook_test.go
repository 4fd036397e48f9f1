package webhook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/porticohq/portico/api"
	"github.com/porticohq/portico/client"
	"github.com/porticohq/portico/internal/apiwire"
	"github.com/porticohq/portico/internal/portico"
	"github.com/porticohq/portico/internal/secret"
	"github.com/porticohq/portico/internal/store"
	"github.com/porticohq/portico/internal/store/storetest"
	"github.com/porticohq/portico/internal/webhook"
)

// delivery is one request the receiver got.
type delivery struct {
	header http.Header
	body   []byte
	at     time.Time // the test clock when it arrived
	event  *client.WebhookEvent
	status int
}

// receiver is a real HTTP endpoint on loopback that verifies every
// delivery and answers what status says.
type receiver struct {
	t      testing.TB
	clock  portico.Clock
	secret string
	status func(e *client.WebhookEvent, attempt int) int
	mu     sync.Mutex
	got    []delivery
	srv    *httptest.Server
}

func newReceiver(t testing.TB, clock portico.Clock, status func(e *client.WebhookEvent, attempt int) int) *receiver {
	r := &receiver{t: t, clock: clock, status: status}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	e, err := client.VerifyWebhook(r.secret, req.Header.Get(client.WebhookSignatureHeader), body, time.Minute, r.clock())
	if err != nil || req.Method != http.MethodPost || req.Header.Get("Content-Type") != "application/json" ||
		req.Header.Get(client.WebhookEventIDHeader) != e.ID {
		r.t.Errorf("bad delivery %s %v: %v", req.Method, req.Header, err)
		w.WriteHeader(400)
		return
	}
	n := 0
	for _, d := range r.got {
		if d.event.ID == e.ID {
			n++
		}
	}
	status := 200
	if r.status != nil {
		status = r.status(e, n+1)
	}
	r.got = append(r.got, delivery{header: req.Header.Clone(), body: body, at: r.clock(), event: e, status: status})
	w.WriteHeader(status)
}

// deliveries returns what arrived so far.
func (r *receiver) deliveries() []delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]delivery{}, r.got...)
}

// world is an app with a webhook pointing at a receiver, over one store.
type world struct {
	db    *store.DB
	clock *storetest.Clock
	svc   *portico.Service
	app   *portico.App
	rcv   *receiver
	w     *webhook.Worker
}

func testRing(t testing.TB) *secret.Keyring {
	r, err := secret.ParseKeys("MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=")
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func newWorld(t *testing.T, e storetest.Engine, status func(*client.WebhookEvent, int) int) *world {
	clock := storetest.NewClock()
	db := storetest.Open(t, e, clock.Now)
	ring := testRing(t)
	svc := portico.NewService(db, &portico.Service{Sealer: ring, Now: clock.Now, AllowPrivateUpstreams: true, Pages: portico.NewPageCodec([]byte("0123456789abcdef0123456789abcdef"))})
	ctx := context.Background()
	app, _, err := svc.CreateApp(ctx, "hooked")
	if err != nil {
		t.Fatal(err)
	}
	rcv := newReceiver(t, clock.Now, status)
	url := rcv.srv.URL + "/hooks"
	app, raw, err := svc.UpdateApp(ctx, app.ID, portico.AppPatch{Settings: &portico.SettingsPatch{WebhookURL: &url}})
	if err != nil || !strings.HasPrefix(raw, "whsec_") {
		t.Fatalf("set webhook: %q %v", raw, err)
	}
	rcv.secret = raw
	in := &portico.Integration{AppID: app.ID, Slug: "crm", Name: "CRM", Category: "crm", BaseURL: "https://api.example.com",
		Auth: portico.AuthConfig{Type: portico.AuthAPIKey, Fields: []portico.Field{{Name: "api_key", Label: "API key", Secret: true}},
			Inject: &portico.Inject{Header: "Authorization", Format: "Bearer {api_key}"}}}
	if _, err := db.PutIntegration(ctx, in, false); err != nil {
		t.Fatal(err)
	}
	w := webhook.New(webhook.Options{Store: db, Sealer: ring, Now: clock.Now, Client: testClient()})
	return &world{db: db, clock: clock, svc: svc, app: app, rcv: rcv, w: w}
}

func testClient() *http.Client {
	return &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func (w *world) session(t testing.TB, externalID string) *portico.CreatedSession {
	t.Helper()
	cs, err := w.svc.CreateSession(context.Background(), w.app, portico.SessionInput{User: portico.UserInput{ExternalID: &externalID}})
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func (w *world) runOnce(t testing.TB) int {
	t.Helper()
	n, err := w.w.RunOnce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// wantNothingSent checks that the receiver got no delivery and that every
// event is in status.
func (w *world) wantNothingSent(t testing.TB, status string) {
	t.Helper()
	if n := len(w.rcv.deliveries()); n != 0 {
		t.Fatalf("%d deliveries", n)
	}
	for _, ev := range w.events(t) {
		if ev.Status != status {
			t.Fatalf("%s: %s, want %s", ev.Type, ev.Status, status)
		}
	}
}

func (w *world) events(t testing.TB) []portico.OutboxEvent {
	t.Helper()
	es, err := w.db.ListEvents(context.Background(), w.app.ID, 1000)
	if err != nil {
		t.Fatal(err)
	}
	return es
}

// strictly decodes data into v (unknown fields refused) and compares it
// with want as JSON.
func sameWire(t testing.TB, data json.RawMessage, v, want any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("data %s does not decode as %T: %v", data, v, err)
	}
	got, _ := json.Marshal(v)
	w, _ := json.Marshal(want)
	if !bytes.Equal(got, w) {
		t.Fatalf("data\n%s\nwant the API's\n%s", got, w)
	}
}

func TestWorker_SignedEventsInAPIShape(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			w := newWorld(t, e, nil)
			ctx := context.Background()
			cs := w.session(t, "u-1")
			conn, _, err := w.svc.ImportConnection(ctx, w.app.ID, cs.User.ID, "crm", portico.Credentials{"api_key": "sk-live-1"})
			if err != nil {
				t.Fatal(err)
			}
			if err := w.svc.RevokeSession(ctx, w.app.ID, cs.Session.ID); err != nil {
				t.Fatal(err)
			}
			revoked, err := w.db.FindSessionByID(ctx, w.app.ID, cs.Session.ID)
			if err != nil {
				t.Fatal(err)
			}
			if n := w.runOnce(t); n != 4 {
				t.Fatalf("attempts %d, want 4", n)
			}
			got := w.rcv.deliveries()
			var types []string
			for _, d := range got {
				types = append(types, d.event.Type)
				if strings.Contains(string(d.body), "sk-live-1") || strings.Contains(string(d.body), cs.Token) {
					t.Fatalf("a secret in %s", d.body)
				}
				if d.event.AppID != w.app.ID || !strings.HasPrefix(d.event.ID, "evt_") {
					t.Fatalf("event %+v", d.event)
				}
			}
			want := []string{portico.EventUserCreated, portico.EventSessionCreated, portico.EventConnectionCreated, portico.EventSessionRevoked}
			if fmt.Sprint(types) != fmt.Sprint(want) {
				t.Fatalf("types %v, want %v", types, want)
			}
			sameWire(t, got[0].event.Data, &api.User{}, api.User{ID: cs.User.ID, ExternalID: cs.User.ExternalID, Metadata: json.RawMessage(`{}`),
				AccountIDs: []string{}, CreatedAt: api.NewTime(cs.User.CreatedAt), UpdatedAt: api.NewTime(cs.User.UpdatedAt)})
			sameWire(t, got[1].event.Data, &api.Session{}, apiwire.Session(cs.Session))
			sameWire(t, got[2].event.Data, &api.Connection{}, apiwire.Connection(conn, w.clock.Now()))
			sameWire(t, got[3].event.Data, &api.Session{}, apiwire.Session(revoked))
			for _, ev := range w.events(t) {
				if ev.Status != portico.EventDelivered || ev.Attempts != 1 {
					t.Fatalf("event %s: %s after %d attempts", ev.Type, ev.Status, ev.Attempts)
				}
			}
			if n := w.runOnce(t); n != 0 {
				t.Fatalf("delivered again: %d", n)
			}
		})
	}
}

func TestWorker_RetriesWithGrowingDelays(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			w := newWorld(t, e, func(_ *client.WebhookEvent, attempt int) int {
				if attempt <= 4 {
					return 500
				}
				return 204
			})
			if _, _, err := w.svc.FindOrCreateUser(context.Background(), w.app.ID, portico.UserInput{Email: strPtr("ann@example.com")}); err != nil {
				t.Fatal(err)
			}
			start := w.clock.Now()
			for i := 0; i < 400 && len(w.rcv.deliveries()) < 5; i++ {
				w.runOnce(t)
				w.clock.Advance(time.Second)
			}
			got := w.rcv.deliveries()
			if len(got) != 5 || got[4].status != 204 {
				t.Fatalf("%d deliveries", len(got))
			}
			prev, prevGap := start, time.Duration(0)
			for i, d := range got {
				gap := d.at.Sub(prev)
				if i == 0 && gap != 0 {
					t.Fatalf("first attempt %v after the event", gap)
				}
				if i == 1 && (gap < webhook.FirstRetry || gap > webhook.FirstRetry+webhook.FirstRetry/10+time.Second) {
					t.Fatalf("first retry after %v", gap)
				}
				if i > 1 && gap <= prevGap {
					t.Fatalf("delay %d (%v) not longer than the one before (%v)", i, gap, prevGap)
				}
				if d.event.ID != got[0].event.ID || !bytes.Equal(d.body, got[0].body) {
					t.Fatal("a retry sent another body")
				}
				prev, prevGap = d.at, gap
			}
			ev := w.events(t)[0]
			if ev.Status != portico.EventDelivered || ev.Attempts != 5 {
				t.Fatalf("%s after %d", ev.Status, ev.Attempts)
			}
		})
	}
}

func strPtr(s string) *string { return &s }

func TestWorker_OrderPerUserWhileOneRetries(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			var slowUser string
			w := newWorld(t, e, func(ev *client.WebhookEvent, attempt int) int {
				if strings.Contains(string(ev.Data), slowUser) && attempt <= 2 {
					return 503
				}
				return 200
			})
			a := w.session(t, "a")
			slowUser = a.User.ID
			w.session(t, "a")
			b := w.session(t, "b")
			w.session(t, "b")
			w.runOnce(t)
			// a's first event failed; b's went through in order, a's next
			// waits.
			first := map[string][]string{}
			for _, d := range w.rcv.deliveries() {
				user := "b"
				if strings.Contains(string(d.event.Data), a.User.ID) {
					user = "a"
				}
				first[user] = append(first[user], d.event.Type+":"+fmt.Sprint(d.status))
			}
			want := "map[a:[user.created:503] b:[user.created:200 session.created:200 session.created:200]]"
			if fmt.Sprint(first) != want {
				t.Fatalf("first round %v, want %v", first, want)
			}
			for i := 0; i < 200 && len(w.events(t)) > 0; i++ {
				w.clock.Advance(time.Second)
				w.runOnce(t)
				done := 0
				for _, ev := range w.events(t) {
					if ev.Status == portico.EventDelivered {
						done++
					}
				}
				if done == 6 {
					break
				}
			}
			// Per user, the successful deliveries follow the outbox order.
			order := map[string][]int64{}
			seqOf := map[string]int64{}
			for _, ev := range w.events(t) {
				if ev.Status != portico.EventDelivered {
					t.Fatalf("%s not delivered", ev.Type)
				}
				seqOf[ev.ID] = ev.Seq
			}
			for _, d := range w.rcv.deliveries() {
				if d.status != 200 {
					continue
				}
				user := a.User.ID
				if strings.Contains(string(d.event.Data), b.User.ID) {
					user = b.User.ID
				}
				order[user] = append(order[user], seqOf[d.event.ID])
			}
			for user, seqs := range order {
				if len(seqs) != 3 {
					t.Fatalf("user %s: %d deliveries", user, len(seqs))
				}
				for i := 1; i < len(seqs); i++ {
					if seqs[i] <= seqs[i-1] {
						t.Fatalf("user %s out of order: %v", user, seqs)
					}
				}
			}
		})
	}
}

func TestWorker_GivesUpAfterADay(t *testing.T) {
	e := storetest.Engines(t)[0]
	var stuck string
	w := newWorld(t, e, func(ev *client.WebhookEvent, _ int) int {
		if ev.ID == stuck {
			return 500
		}
		return 200
	})
	w.session(t, "u")
	stuck = w.events(t)[0].ID
	start := w.clock.Now()
	for i := 0; i < 200 && w.events(t)[0].Status == portico.EventPending; i++ {
		w.runOnce(t)
		w.clock.Advance(15 * time.Minute)
	}
	evs := w.events(t)
	if evs[0].Status != portico.EventFailed || evs[1].Status != portico.EventDelivered {
		t.Fatalf("states %s %s", evs[0].Status, evs[1].Status)
	}
	got := w.rcv.deliveries()
	last := got[len(got)-2]
	if last.event.ID != stuck || last.at.Sub(start) < webhook.GiveUpAfter || last.at.Sub(start) > webhook.GiveUpAfter+15*time.Minute {
		t.Fatalf("last attempt %v after the event", last.at.Sub(start))
	}
	if evs[0].Attempts < 10 || evs[0].Attempts > 40 {
		t.Fatalf("%d attempts in a day", evs[0].Attempts)
	}
}

func TestWorker_WebhookRemoved(t *testing.T) {
	e := storetest.Engines(t)[0]
	w := newWorld(t, e, nil)
	w.session(t, "u")
	empty := ""
	if _, _, err := w.svc.UpdateApp(context.Background(), w.app.ID, portico.AppPatch{Settings: &portico.SettingsPatch{WebhookURL: &empty}}); err != nil {
		t.Fatal(err)
	}
	w.runOnce(t)
	w.wantNothingSent(t, portico.EventFailed)
	// No webhook: no new events at all.
	w.session(t, "v")
	if n := len(w.events(t)); n != 2 {
		t.Fatalf("%d events", n)
	}
}

// TestWorker_Run drives the real loop: it wakes on commits, delivers, and
// two workers on one PostgreSQL send each event once.
func TestWorker_Run(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			dbURL, dir := e.Fresh(t)
			open := func() *store.DB {
				db, err := store.Open(context.Background(), store.Config{DatabaseURL: dbURL, DataDir: dir})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				if _, err := db.Migrate(context.Background()); err != nil {
					t.Fatal(err)
				}
				return db
			}
			db := open()
			ring := testRing(t)
			svc := portico.NewService(db, &portico.Service{Sealer: ring, Now: time.Now, AllowPrivateUpstreams: true, Pages: portico.NewPageCodec([]byte("0123456789abcdef0123456789abcdef"))})
			ctx := context.Background()
			app, _, err := svc.CreateApp(ctx, "run")
			if err != nil {
				t.Fatal(err)
			}
			rcv := newReceiver(t, time.Now, nil)
			url := rcv.srv.URL
			if app, rcv.secret, err = svc.UpdateApp(ctx, app.ID, portico.AppPatch{Settings: &portico.SettingsPatch{WebhookURL: &url}}); err != nil {
				t.Fatal(err)
			}
			workers := []*store.DB{db}
			if e.Name == "postgres" {
				workers = append(workers, open())
			}
			runCtx, stop := context.WithCancel(ctx)
			var wg sync.WaitGroup
			for _, wdb := range workers {
				w := webhook.New(webhook.Options{Store: wdb, Sealer: ring, Client: testClient(), Poll: 50 * time.Millisecond, Concurrency: 4})
				wg.Add(1)
				go func() { defer wg.Done(); w.Run(runCtx) }()
			}
			defer func() { stop(); wg.Wait() }()

			const users, perUser = 6, 4
			var swg sync.WaitGroup
			for u := range users {
				swg.Add(1)
				go func() {
					defer swg.Done()
					for range perUser {
						ext := fmt.Sprintf("user-%d", u)
						if _, err := svc.CreateSession(ctx, app, portico.SessionInput{User: portico.UserInput{ExternalID: &ext}}); err != nil {
							t.Error(err)
						}
					}
				}()
			}
			swg.Wait()
			total := users * (perUser + 1)
			deadline := time.Now().Add(20 * time.Second)
			for len(rcv.deliveries()) < total && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
			}
			time.Sleep(200 * time.Millisecond) // a double delivery would show now
			got := rcv.deliveries()
			if len(got) != total {
				t.Fatalf("%d deliveries, want %d", len(got), total)
			}
			evs, err := db.ListEvents(ctx, app.ID, 1000)
			if err != nil {
				t.Fatal(err)
			}
			seqOf, userOf := map[string]int64{}, map[string]string{}
			for _, ev := range evs {
				seqOf[ev.ID], userOf[ev.ID] = ev.Seq, ev.UserID
			}
			seen, last := map[string]bool{}, map[string]int64{}
			for _, d := range got {
				if seen[d.event.ID] {
					t.Fatalf("event %s delivered twice", d.event.ID)
				}
				seen[d.event.ID] = true
				u := userOf[d.event.ID]
				if seqOf[d.event.ID] <= last[u] {
					t.Fatalf("user %s out of order", u)
				}
				last[u] = seqOf[d.event.ID]
			}
		})
	}
}

// A secret the worker's keys cannot open is Portico's fault, not the
// receiver's: nothing is sent, the event waits for a retry, and the log
// says so as an error (webhook_secret_unreadable), not as a routine retry.
func TestWorker_SecretItsKeysCannotOpen(t *testing.T) {
	e := storetest.Engines(t)[0]
	w := newWorld(t, e, nil)
	other, err := secret.ParseKeys(secret.NewKey())
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	w.w = webhook.New(webhook.Options{Store: w.db, Sealer: other, Now: w.clock.Now, Client: testClient(),
		Log: slog.New(slog.NewJSONHandler(&logs, nil))})
	w.session(t, "u")
	w.runOnce(t)
	w.wantNothingSent(t, portico.EventPending)
	if !strings.Contains(logs.String(), `"level":"ERROR","msg":"webhook_secret_unreadable"`) || strings.Contains(logs.String(), "webhook_retry") {
		t.Fatalf("log:\n%s", logs.String())
	}
}

// One app's receiver that hangs holds a few of a node's delivery slots,
// never all of them: another app's events go out meanwhile.
func TestWorker_SlowAppDoesNotHoldUpOthers(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			db := storetest.Open(t, e, time.Now)
			ring := testRing(t)
			svc := portico.NewService(db, &portico.Service{Sealer: ring, Now: time.Now, AllowPrivateUpstreams: true, Pages: portico.NewPageCodec([]byte("0123456789abcdef0123456789abcdef"))})
			ctx := context.Background()
			var hung atomic.Int32
			release := make(chan struct{})
			slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				hung.Add(1)
				select {
				case <-release:
				case <-r.Context().Done():
				}
			}))
			t.Cleanup(slow.Close)
			hook := func(name, url string) (*portico.App, string) {
				app, _, err := svc.CreateApp(ctx, name)
				if err != nil {
					t.Fatal(err)
				}
				app, secret, err := svc.UpdateApp(ctx, app.ID, portico.AppPatch{Settings: &portico.SettingsPatch{WebhookURL: &url}})
				if err != nil {
					t.Fatal(err)
				}
				return app, secret
			}
			slowApp, _ := hook("slow", slow.URL)
			fast := newReceiver(t, time.Now, nil)
			fastApp, secret := hook("fast", fast.srv.URL)
			fast.mu.Lock()
			fast.secret = secret
			fast.mu.Unlock()
			for i := range 20 {
				ext := fmt.Sprintf("slow-%d", i)
				if _, err := svc.CreateSession(ctx, slowApp, portico.SessionInput{User: portico.UserInput{ExternalID: &ext}}); err != nil {
					t.Fatal(err)
				}
			}
			runCtx, stop := context.WithCancel(ctx)
			w := webhook.New(webhook.Options{Store: db, Sealer: ring, Client: testClient(), Poll: 50 * time.Millisecond})
			done := make(chan struct{})
			go func() { defer close(done); w.Run(runCtx) }()
			t.Cleanup(func() { stop(); close(release); <-done })
			for deadline := time.Now().Add(5 * time.Second); hung.Load() == 0 && time.Now().Before(deadline); {
				time.Sleep(10 * time.Millisecond)
			}
			ext := "fast-1"
			if _, err := svc.CreateSession(ctx, fastApp, portico.SessionInput{User: portico.UserInput{ExternalID: &ext}}); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			for len(fast.deliveries()) == 0 && time.Since(start) < 3*time.Second {
				time.Sleep(10 * time.Millisecond)
			}
			if len(fast.deliveries()) == 0 {
				t.Fatalf("the other app's event waited %v behind %d hung deliveries", time.Since(start), hung.Load())
			}
			if n := hung.Load(); n > 2 {
				t.Errorf("%d deliveries to the hung receiver at once, want at most 2", n)
			}
		})
	}
}
