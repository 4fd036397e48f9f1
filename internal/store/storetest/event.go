package storetest

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/portico"
)

// hookApp gives app a webhook URL and a (pretend) sealed secret.
func (f *Fixture) hookApp(t testing.TB, app *portico.App) {
	t.Helper()
	app.Settings.WebhookURL = "https://hooks.example.com/portico"
	app.WebhookSecret = "v1:" + testKeyID + ":c2VjcmV0"
	if err := f.Store.UpdateApp(f.Ctx, app); err != nil {
		t.Fatal(err)
	}
}

// newSession stores a session for the user keyed by externalID through
// Store.CreateSession, with code hash codeHash.
func (f *Fixture) newSession(appID, externalID string, codeHash []byte, limit portico.SessionLimit) (*portico.Session, *portico.User, []string, error) {
	now := f.Clock.Now()
	s := &portico.Session{ID: portico.NewID(portico.PrefixSession), AppID: appID, TTLSeconds: 3600,
		Settings: json.RawMessage(`{}`), Theme: json.RawMessage(`{}`), CustomSettings: json.RawMessage(`{}`), ExpiresAt: now.Add(time.Hour)}
	_, hash := portico.NewToken(portico.PrefixSessionToken)
	ns := portico.NewSession{Session: s, UserID: portico.NewID(portico.PrefixUser), User: portico.UserInput{ExternalID: &externalID, Metadata: json.RawMessage(`{}`)},
		TokenHash: hash, Code: &portico.ConfigCode{Hash: codeHash, AppID: appID, SessionID: s.ID, ExpiresAt: now.Add(time.Minute)}, Limit: limit}
	u, evicted, err := f.Store.CreateSession(f.Ctx, ns)
	return s, u, evicted, err
}

var defaultLimit = portico.SessionLimit{Max: 10, Policy: portico.PolicyEvictOldest}

func (f *Fixture) events(t testing.TB, appID string) []portico.OutboxEvent {
	t.Helper()
	es, err := f.Store.ListEvents(f.Ctx, appID, 1000)
	if err != nil {
		t.Fatal(err)
	}
	return es
}

func eventTypes(es []portico.OutboxEvent) []string {
	out := []string{}
	for _, e := range es {
		out = append(out, e.Type)
	}
	return out
}

// eventBody decodes an event's body.
func eventBody(t testing.TB, e portico.OutboxEvent) (env struct {
	ID, Type, CreatedAt, AppID string
	Data                       map[string]any
}) {
	t.Helper()
	var raw struct {
		ID        string         `json:"id"`
		Type      string         `json:"type"`
		CreatedAt string         `json:"created_at"`
		AppID     string         `json:"app_id"`
		Data      map[string]any `json:"data"`
	}
	if err := json.Unmarshal(e.Body, &raw); err != nil {
		t.Fatalf("event body %s: %v", e.Body, err)
	}
	env.ID, env.Type, env.CreatedAt, env.AppID, env.Data = raw.ID, raw.Type, raw.CreatedAt, raw.AppID, raw.Data
	return env
}

func eventSeqs(es []portico.OutboxEvent) []int64 {
	out := []int64{}
	for _, e := range es {
		out = append(out, e.Seq)
	}
	return out
}

func wantTypes(t testing.TB, es []portico.OutboxEvent, want ...string) {
	t.Helper()
	if got := eventTypes(es); !slices.Equal(got, want) {
		t.Fatalf("event types = %v, want %v", got, want)
	}
}

func testEventsNoneWithoutWebhook(t *testing.T, f *Fixture) {
	app := f.NewApp(t, "quiet")
	f.newIntegration(t, app.ID, "crm")
	_, u, _, err := f.newSession(app.ID, "u1", portico.HashToken("c1"), defaultLimit)
	if err != nil {
		t.Fatal(err)
	}
	c := f.putConnection(t, app.ID, u.ID, "crm", nil)
	if _, err := f.Store.RevokeConnection(f.Ctx, app.ID, c.ID, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Store.RevokeUserSessions(f.Ctx, app.ID, u.ID); err != nil {
		t.Fatal(err)
	}
	wantTypes(t, f.events(t, app.ID))
}

func testEventsEveryChange(t *testing.T, f *Fixture) {
	app := f.NewApp(t, "loud")
	other := f.NewApp(t, "other")
	f.hookApp(t, app)
	f.newIntegration(t, app.ID, "crm")
	f.newIntegration(t, app.ID, "docs")
	s1, u, _, err := f.newSession(app.ID, "u1", portico.HashToken("c1"), portico.SessionLimit{Max: 2, Policy: portico.PolicyEvictOldest})
	if err != nil {
		t.Fatal(err)
	}
	f.Clock.Advance(time.Second)
	s2, _, _, err := f.newSession(app.ID, "u1", portico.HashToken("c2"), portico.SessionLimit{Max: 2, Policy: portico.PolicyEvictOldest})
	if err != nil {
		t.Fatal(err)
	}
	// A third evicts the first.
	s3, _, evicted, err := f.newSession(app.ID, "u1", portico.HashToken("c3"), portico.SessionLimit{Max: 2, Policy: portico.PolicyEvictOldest})
	if err != nil || len(evicted) != 1 || evicted[0] != s1.ID {
		t.Fatalf("evicted %v, %v", evicted, err)
	}
	if err := f.Store.RevokeSession(f.Ctx, app.ID, s2.ID); err != nil {
		t.Fatal(err)
	}
	c := f.putConnection(t, app.ID, u.ID, "crm", nil)
	f.putConnection(t, app.ID, u.ID, "crm", nil)
	if _, err := f.Store.RevokeConnection(f.Ctx, app.ID, c.ID, ""); err != nil {
		t.Fatal(err)
	}
	// Revoking a revoked connection changes nothing, and says nothing.
	if _, err := f.Store.RevokeConnection(f.Ctx, app.ID, c.ID, ""); err != nil {
		t.Fatal(err)
	}
	d := f.putConnection(t, app.ID, u.ID, "docs", nil)
	if err := f.Store.DeleteConnection(f.Ctx, app.ID, d.ID, u.ID); err != nil {
		t.Fatal(err)
	}
	if n, err := f.Store.RevokeUserSessions(f.Ctx, app.ID, u.ID); err != nil || n != 1 {
		t.Fatalf("revoked %d, %v", n, err)
	}
	if _, created, err := f.Store.FindOrCreateUser(f.Ctx, app.ID, portico.NewID(portico.PrefixUser), portico.UserInput{Email: ptr("b@example.com"), Metadata: json.RawMessage(`{}`)}); err != nil || !created {
		t.Fatalf("create user: %v %v", created, err)
	}
	es := f.events(t, app.ID)
	wantTypes(t, es, portico.EventUserCreated, portico.EventSessionCreated, portico.EventSessionCreated,
		portico.EventSessionRevoked, portico.EventSessionCreated, portico.EventSessionRevoked,
		portico.EventConnectionCreated, portico.EventConnectionUpdated, portico.EventConnectionRevoked,
		portico.EventConnectionCreated, portico.EventConnectionRevoked, portico.EventSessionRevoked, portico.EventUserCreated)
	wantTypes(t, f.events(t, other.ID))

	seen := map[string]bool{}
	for i, e := range es {
		env := eventBody(t, e)
		if env.AppID != app.ID || env.Type != e.Type || env.ID != e.ID || seen[e.ID] || e.Status != portico.EventPending {
			t.Fatalf("event %d: body app %s, type %s, id %s; row type %s, id %s, status %s, seen before %v",
				i, env.AppID, env.Type, env.ID, e.Type, e.ID, e.Status, seen[e.ID])
		}
		seen[e.ID] = true
		if _, err := time.Parse(time.RFC3339, env.CreatedAt); err != nil {
			t.Fatalf("created_at %q: %v", env.CreatedAt, err)
		}
		if i < len(es)-1 && e.UserID != u.ID {
			t.Fatalf("event %d user %s, want %s", i, e.UserID, u.ID)
		}
		if i > 0 && es[i-1].Seq >= e.Seq {
			t.Fatalf("seq not increasing at %d", i)
		}
	}
	id := func(i int) any { return eventBody(t, es[i]).Data["id"] }
	if id(0) != u.ID || id(1) != s1.ID || id(2) != s2.ID || id(3) != s1.ID || id(4) != s3.ID || id(5) != s2.ID || id(6) != c.ID || id(11) != s3.ID {
		t.Fatalf("event objects: %v %v %v %v %v %v %v %v", id(0), id(1), id(2), id(3), id(4), id(5), id(6), id(11))
	}
	for _, i := range []int{1, 3} {
		if _, ok := eventBody(t, es[i]).Data["token"]; ok {
			t.Fatal("a session event carries a token")
		}
	}
	conn := eventBody(t, es[6]).Data
	if conn["status"] != portico.StatusConnected || conn["integration"] != "crm" || conn["user_id"] != u.ID ||
		!reflect.DeepEqual(conn["fields"], []any{"api_key"}) {
		t.Fatalf("connection.created data %v", conn)
	}
	if _, ok := conn["credentials"]; ok {
		t.Fatal("connection data carries credentials")
	}
	for _, i := range []int{8, 10} {
		if d := eventBody(t, es[i]).Data; d["status"] != portico.StatusRevoked {
			t.Fatalf("revoked data %v", d)
		}
	}
}

// Deleting a user ends its sessions and connections with it: the app
// hears of each still active, as if revoked one by one, and of nothing
// already ended.
func testEventsUserDeleted(t *testing.T, f *Fixture) {
	app := f.NewApp(t, "deleting")
	f.hookApp(t, app)
	f.newIntegration(t, app.ID, "crm")
	f.newIntegration(t, app.ID, "docs")
	s1, u, _, err := f.newSession(app.ID, "u1", portico.HashToken("d1"), defaultLimit)
	if err != nil {
		t.Fatal(err)
	}
	s2, _, _, err := f.newSession(app.ID, "u1", portico.HashToken("d2"), defaultLimit)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Store.RevokeSession(f.Ctx, app.ID, s2.ID); err != nil {
		t.Fatal(err)
	}
	c := f.putConnection(t, app.ID, u.ID, "crm", nil)
	d := f.putConnection(t, app.ID, u.ID, "docs", nil)
	if _, err := f.Store.RevokeConnection(f.Ctx, app.ID, d.ID, ""); err != nil {
		t.Fatal(err)
	}
	before := len(f.events(t, app.ID))
	if err := f.Store.DeleteUser(f.Ctx, app.ID, u.ID); err != nil {
		t.Fatal(err)
	}
	es := f.events(t, app.ID)[before:]
	wantTypes(t, es, portico.EventSessionRevoked, portico.EventConnectionRevoked)
	if got := eventBody(t, es[0]).Data; got["id"] != s1.ID {
		t.Fatalf("session.revoked data %v", got)
	}
	if got := eventBody(t, es[1]).Data; got["id"] != c.ID || got["status"] != portico.StatusRevoked || !reflect.DeepEqual(got["fields"], []any{}) {
		t.Fatalf("connection.revoked data %v", got)
	}
	for _, e := range es {
		if e.UserID != u.ID {
			t.Fatalf("event of user %s, want %s", e.UserID, u.ID)
		}
	}
}

func testEventsAtomicWithChange(t *testing.T, f *Fixture) {
	app := f.NewApp(t, "atomic")
	f.hookApp(t, app)
	if _, _, _, err := f.newSession(app.ID, "u1", portico.HashToken("same"), defaultLimit); err != nil {
		t.Fatal(err)
	}
	// The configuration code is written after the events of a new user
	// and session were queued, and fails: none of them stays.
	if _, _, _, err := f.newSession(app.ID, "u2", portico.HashToken("same"), defaultLimit); err == nil {
		t.Fatal("duplicate code hash stored")
	}
	wantTypes(t, f.events(t, app.ID), portico.EventUserCreated, portico.EventSessionCreated)
	// A refused session (limit, reject) writes nothing either.
	if _, _, _, err := f.newSession(app.ID, "u1", portico.HashToken("c2"), portico.SessionLimit{Max: 1, Policy: portico.PolicyReject}); portico.ErrorCode(err) != portico.CodeSessionLimitReached {
		t.Fatalf("err %v", err)
	}
	wantTypes(t, f.events(t, app.ID), portico.EventUserCreated, portico.EventSessionCreated)
}

func testEventsClaimInOrderPerUser(t *testing.T, f *Fixture) {
	app := f.NewApp(t, "order")
	f.hookApp(t, app)
	ctx := f.Ctx
	for i, ext := range []string{"a", "a", "b"} {
		if _, _, _, err := f.newSession(app.ID, ext, portico.HashToken(string(rune('0'+i))), defaultLimit); err != nil {
			t.Fatal(err)
		}
	}
	// a: user.created, session.created, session.created; b: user.created, session.created.
	all := f.events(t, app.ID)
	claim := func(limit int) []portico.OutboxEvent {
		t.Helper()
		es, err := f.Store.ClaimEvents(ctx, time.Minute, portico.EventClaim{Limit: limit})
		if err != nil {
			t.Fatal(err)
		}
		return es
	}
	got := claim(10)
	if len(got) != 2 || got[0].Seq != all[0].Seq || got[1].Seq != all[3].Seq {
		t.Fatalf("first claim: seqs %v, want [%d %d]", eventSeqs(got), all[0].Seq, all[3].Seq)
	}
	if got[0].WebhookURL != app.Settings.WebhookURL || got[0].WebhookSecret != app.WebhookSecret || string(got[0].Body) != string(all[0].Body) {
		t.Fatalf("first claim: url %q, secret %q, body %s; want %q, %q, %s",
			got[0].WebhookURL, got[0].WebhookSecret, got[0].Body, app.Settings.WebhookURL, app.WebhookSecret, all[0].Body)
	}
	// Leased: nothing more to claim for now.
	if again := claim(10); len(again) != 0 {
		t.Fatalf("claimed leased or blocked events: %v", eventTypes(again))
	}
	// a's first fails and is retried in 10 s: a's next waits for it,
	// b goes on.
	next := f.Clock.Now().Add(10 * time.Second)
	if ok, err := f.Store.FinishEvent(ctx, got[0].Seq, got[0].Lease, portico.EventOutcome{Status: portico.EventPending, NextAttemptAt: next, Error: "status 500"}); err != nil || !ok {
		t.Fatalf("finish: %v %v", ok, err)
	}
	if ok, err := f.Store.FinishEvent(ctx, got[1].Seq, got[1].Lease, portico.EventOutcome{Status: portico.EventDelivered}); err != nil || !ok {
		t.Fatalf("finish: %v %v", ok, err)
	}
	if b := claim(10); len(b) != 1 || b[0].Seq != all[4].Seq {
		t.Fatalf("after b's first: seqs %v, want [%d]", eventSeqs(b), all[4].Seq)
	}
	f.Clock.Advance(10 * time.Second)
	retry := claim(10)
	if len(retry) != 1 || retry[0].Seq != all[0].Seq {
		t.Fatalf("retry: seqs %v, want [%d]", eventSeqs(retry), all[0].Seq)
	}
	if retry[0].Attempts != 1 || retry[0].LastError != "status 500" {
		t.Fatalf("retry: attempts %d, last error %q", retry[0].Attempts, retry[0].LastError)
	}
	// The lease runs out: another worker may take the event, and the
	// first can no longer record an outcome.
	f.Clock.Advance(2 * time.Minute)
	var stolen []portico.OutboxEvent
	for _, e := range claim(10) {
		if e.Seq == all[0].Seq {
			stolen = append(stolen, e)
		}
	}
	if len(stolen) != 1 || stolen[0].Lease == retry[0].Lease {
		t.Fatalf("after lease expiry: %d claims of seq %d, want 1 with a lease other than %q", len(stolen), all[0].Seq, retry[0].Lease)
	}
	if ok, err := f.Store.FinishEvent(ctx, retry[0].Seq, retry[0].Lease, portico.EventOutcome{Status: portico.EventDelivered}); err != nil || ok {
		t.Fatalf("finish with a lost lease: %v %v", ok, err)
	}
	if ok, err := f.Store.FinishEvent(ctx, stolen[0].Seq, stolen[0].Lease, portico.EventOutcome{Status: portico.EventFailed, Error: "gave up"}); err != nil || !ok {
		t.Fatalf("finish: %v %v", ok, err)
	}
	// Given up: a's next is free.
	f.Clock.Advance(2 * time.Minute)
	if n := claim(10); len(n) != 2 || n[0].Seq != all[1].Seq {
		t.Fatalf("after give-up: seqs %v, want 2 from %d", eventSeqs(n), all[1].Seq)
	}
	es := f.events(t, app.ID)
	if es[0].Status != portico.EventFailed || es[0].Attempts != 2 || es[3].Status != portico.EventDelivered {
		t.Fatalf("states: first %s after %d attempts, fourth %s", es[0].Status, es[0].Attempts, es[3].Status)
	}
	// Pruning takes finished events older than the cut only.
	if n, err := f.Store.PruneEvents(ctx, f.Clock.Now().Add(-time.Hour), 100); err != nil || n != 0 {
		t.Fatalf("pruned %d %v", n, err)
	}
	if n, err := f.Store.PruneEvents(ctx, f.Clock.Now().Add(time.Second), 100); err != nil || n != 2 {
		t.Fatalf("pruned %d %v", n, err)
	}
	if left := f.events(t, app.ID); len(left) != 3 {
		t.Fatalf("left %d", len(left))
	}
}

// Concurrent writers for one user, with a worker claiming as they go:
// the user's events are delivered in seq order, which therefore has to
// be their commit order (PostgreSQL draws seq before commit).
func testEventsConcurrentWritersDeliverInOrder(t *testing.T, f *Fixture) {
	app := f.NewApp(t, "concurrent")
	f.hookApp(t, app)
	u := f.newUser(t, app.ID, portico.UserInput{ExternalID: ptr("u"), Metadata: json.RawMessage(`{}`)})
	const writers = 16
	for i := range writers {
		f.newIntegration(t, app.ID, fmt.Sprintf("svc%d", i))
	}
	base := len(f.events(t, app.ID))
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &portico.Connection{ID: portico.NewID(portico.PrefixConnection), AppID: app.ID, UserID: u.ID,
				Integration: fmt.Sprintf("svc%d", i), Status: portico.StatusConnected, Fields: []string{"api_key"}}
			if _, err := f.Store.PutConnection(f.Ctx, c, fakeSeal, nil); err != nil {
				errs <- err
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	var delivered []int64
	for finished := false; ; {
		select {
		case <-done:
			finished = true
		default:
		}
		es, err := f.Store.ClaimEvents(f.Ctx, time.Minute, portico.EventClaim{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range es {
			if ok, err := f.Store.FinishEvent(f.Ctx, e.Seq, e.Lease, portico.EventOutcome{Status: portico.EventDelivered}); err != nil || !ok {
				t.Fatalf("finish: %v %v", ok, err)
			}
			if e.UserID == u.ID {
				delivered = append(delivered, e.Seq)
			}
		}
		if finished && len(es) == 0 {
			break
		}
	}
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if !slices.IsSorted(delivered) || len(delivered) < writers {
		t.Fatalf("delivered out of order or short (%d of at least %d): %v", len(delivered), writers, delivered)
	}
	if n := len(f.events(t, app.ID)) - base; n != writers {
		t.Fatalf("%d events, want %d", n, writers)
	}
}
