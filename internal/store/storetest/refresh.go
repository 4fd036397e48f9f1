package storetest

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/portico"
)

// putOAuthConnection stores connected token credentials of a new user of
// appID for slug, expiring at exp (nil: never).
func (f *Fixture) putOAuthConnection(t testing.TB, appID, slug string, refreshable bool, exp *time.Time) *portico.Connection {
	t.Helper()
	u := f.newUser(t, appID, portico.UserInput{ExternalID: ptr(portico.NewID("u_"))})
	c := &portico.Connection{ID: portico.NewID(portico.PrefixConnection), AppID: appID, UserID: u.ID, Integration: slug,
		Status: portico.StatusConnected, Fields: []string{"access_token", "refresh_token"}, Refreshable: refreshable, ExpiresAt: exp}
	if _, err := f.Store.PutConnection(f.Ctx, c, fakeSeal, nil); err != nil {
		t.Fatalf("put connection: %v", err)
	}
	return c
}

// dueConnections starts a refresh case: app "a" (with a webhook when
// hooked, so that its events are kept) holding the integration crm and n
// refreshable token connections of new users, expiring in 30 seconds.
func (f *Fixture) dueConnections(t testing.TB, hooked bool, n int) (*portico.App, []*portico.Connection) {
	t.Helper()
	app := f.NewApp(t, "a")
	if hooked {
		f.hookApp(t, app)
	}
	f.newIntegration(t, app.ID, "crm")
	exp := f.Clock.Now().Add(30 * time.Second)
	cs := make([]*portico.Connection, n)
	for i := range cs {
		cs[i] = f.putOAuthConnection(t, app.ID, "crm", true, &exp)
	}
	return app, cs
}

// resealAs seals like fakeSeal, with a marker, so that a case can tell a
// refreshed value from the one it replaced.
func resealAs(marker string) func(id string) (string, error) {
	return func(id string) (string, error) { return fakeSeal(id + " " + marker) }
}

func (f *Fixture) claim(t testing.TB, c *portico.Connection, sealed, owner string, lease time.Duration) (bool, *portico.RefreshState) {
	t.Helper()
	ok, st, err := f.Store.ClaimRefresh(f.Ctx, c.AppID, c.ID, sealed, owner, lease)
	if err != nil {
		t.Fatalf("claim: %v", err)
	}
	return ok, st
}

// wantRefreshState fails unless the connection's refresh state is want.
func (f *Fixture) wantRefreshState(t testing.TB, c *portico.Connection, want portico.RefreshState) {
	t.Helper()
	got, st, err := f.Store.FindRefreshState(f.Ctx, c.AppID, c.ID)
	if err != nil || got.ID != c.ID {
		t.Fatalf("find refresh state: %v %v", got, err)
	}
	if d := diff(want, st); d != "" {
		t.Fatalf("refresh state (-want +got):\n%s", d)
	}
}

func testRefreshOneClaimantAtATime(t *testing.T, f *Fixture) {
	app, cs := f.dueConnections(t, false, 1)
	c := cs[0]
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		winners []string
		untils  []time.Time
	)
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			owner := fmt.Sprintf("owner-%d", i)
			ok, until, err := f.Store.ClaimRefresh(f.Ctx, app.ID, c.ID, c.Credentials, owner, time.Minute)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil:
				t.Errorf("claim %d: %v", i, err)
			case ok:
				winners = append(winners, owner)
			case until == nil || until.LockedUntil == nil:
				t.Errorf("claim %d lost without the lease's end", i)
			default:
				untils = append(untils, *until.LockedUntil)
			}
		}()
	}
	wg.Wait()
	if len(winners) != 1 || len(untils) != 19 {
		t.Fatalf("winners %v, losers %d", winners, len(untils))
	}
	for _, u := range untils {
		if !u.Equal(f.Clock.Now().Add(time.Minute)) {
			t.Fatalf("lease ends %v, want %v", u, f.Clock.Now().Add(time.Minute))
		}
	}
	f.wantRefreshState(t, c, portico.RefreshState{LockedUntil: ptr(f.Clock.Now().Add(time.Minute))})
	// A claim on credentials that changed says so (no state).
	if ok, until := f.claim(t, c, "v1:"+testKeyID+":b3RoZXI", "late", time.Minute); ok || until != nil {
		t.Fatalf("claim on other credentials: %v %v", ok, until)
	}
	// Another app sees nothing.
	other := f.NewApp(t, "b")
	_, _, err := f.Store.ClaimRefresh(f.Ctx, other.ID, c.ID, c.Credentials, "thief", time.Minute)
	WantCode(t, err, portico.CodeNotFound)
	_, _, err = f.Store.FindRefreshState(f.Ctx, other.ID, c.ID)
	WantCode(t, err, portico.CodeNotFound)
	ok, err := f.Store.CompleteRefresh(f.Ctx, &portico.Connection{ID: c.ID, AppID: other.ID, UserID: c.UserID, Integration: "crm"},
		c.Credentials, winners[0], resealAs("thief"))
	if err != nil || ok {
		t.Fatalf("another app completes: %v %v", ok, err)
	}
}

func testRefreshLeaseLapses(t *testing.T, f *Fixture) {
	app, cs := f.dueConnections(t, false, 1)
	c := cs[0]
	if ok, _ := f.claim(t, c, c.Credentials, "crashed", 10*time.Second); !ok {
		t.Fatal("first claim failed")
	}
	f.Clock.Advance(9 * time.Second)
	if ok, _ := f.claim(t, c, c.Credentials, "next", 10*time.Second); ok {
		t.Fatal("claimed a running lease")
	}
	f.Clock.Advance(time.Second)
	if ok, _ := f.claim(t, c, c.Credentials, "next", 10*time.Second); !ok {
		t.Fatal("a lapsed lease was not taken over")
	}
	// The first holder lost its lease: it can neither store nor release.
	nc := *c
	ok, err := f.Store.CompleteRefresh(f.Ctx, &nc, c.Credentials, "crashed", resealAs("crashed"))
	if err != nil || ok {
		t.Fatalf("lapsed holder completes: %v %v", ok, err)
	}
	if ok, err := f.Store.FailRefresh(f.Ctx, app.ID, c.ID, c.Credentials, "crashed", portico.RefreshFailure{Permanent: true}); err != nil || ok {
		t.Fatalf("lapsed holder fails it: %v %v", ok, err)
	}
	if err := f.Store.ReleaseRefresh(f.Ctx, app.ID, c.ID, "crashed"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := f.claim(t, c, c.Credentials, "third", 10*time.Second); ok {
		t.Fatal("the lapsed holder released the new lease")
	}
	if err := f.Store.ReleaseRefresh(f.Ctx, app.ID, c.ID, "next"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := f.claim(t, c, c.Credentials, "third", 10*time.Second); !ok {
		t.Fatal("a released lease cannot be claimed")
	}
}

func testRefreshComplete(t *testing.T, f *Fixture) {
	app, cs := f.dueConnections(t, true, 1)
	c := cs[0]
	before := len(f.events(t, app.ID))
	f.claim(t, c, c.Credentials, "me", time.Minute)
	f.Clock.Advance(time.Second)
	newExp := f.Clock.Now().Add(time.Hour)
	nc := &portico.Connection{ID: c.ID, AppID: app.ID, UserID: c.UserID, Integration: "crm", Status: portico.StatusConnected,
		Fields: []string{"access_token"}, Refreshable: false, ExpiresAt: &newExp}
	// Not while the row holds other credentials.
	if ok, err := f.Store.CompleteRefresh(f.Ctx, nc, "v1:"+testKeyID+":b3RoZXI", "me", resealAs("new")); err != nil || ok {
		t.Fatalf("complete over other credentials: %v %v", ok, err)
	}
	ok, err := f.Store.CompleteRefresh(f.Ctx, nc, c.Credentials, "me", resealAs("new"))
	if err != nil || !ok {
		t.Fatalf("complete: %v %v", ok, err)
	}
	want, _ := resealAs("new")(c.ID)
	got, err := f.Store.FindConnectionByID(f.Ctx, app.ID, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	wantC := &portico.Connection{ID: c.ID, AppID: app.ID, UserID: c.UserID, Integration: "crm", Status: portico.StatusConnected,
		Fields: []string{"access_token"}, Credentials: want, ExpiresAt: &newExp, RefreshedAt: ptr(f.Clock.Now()), CreatedAt: c.CreatedAt,
		UpdatedAt: f.Clock.Now(), Settings: map[string]string{}}
	if d := diff(wantC, got); d != "" {
		t.Fatalf("stored (-want +got):\n%s", d)
	}
	if nc.Credentials != want || !nc.UpdatedAt.Equal(f.Clock.Now()) {
		t.Fatalf("returned credentials %q, updated_at %v; want %q, %v", nc.Credentials, nc.UpdatedAt, want, f.Clock.Now())
	}
	// The lease is released; nothing failed before, so no event.
	if ok, _ := f.claim(t, got, got.Credentials, "next", time.Minute); !ok {
		t.Fatal("lease not released")
	}
	if n := len(f.events(t, app.ID)); n != before {
		t.Fatalf("%d events for a plain refresh", n-before)
	}
	// Credentials stored otherwise (a new connect) have no known life.
	again := &portico.Connection{AppID: app.ID, UserID: c.UserID, Integration: "crm", Status: portico.StatusConnected,
		Fields: []string{"access_token"}, ExpiresAt: &newExp}
	if _, err := f.Store.PutConnection(f.Ctx, again, fakeSeal, nil); err != nil {
		t.Fatal(err)
	}
	if got, err := f.Store.FindConnectionByID(f.Ctx, app.ID, c.ID); err != nil || got.RefreshedAt != nil {
		t.Fatalf("after a new connect: %+v %v", got, err)
	}
}

func testRefreshTransientFailureThenRecovery(t *testing.T, f *Fixture) {
	app, cs := f.dueConnections(t, true, 1)
	c := cs[0]
	before := len(f.events(t, app.ID))
	for i := range 3 {
		f.Clock.Advance(time.Second)
		f.claim(t, c, c.Credentials, "me", time.Minute)
		ok, err := f.Store.FailRefresh(f.Ctx, app.ID, c.ID, c.Credentials, "me", portico.RefreshFailure{Reason: portico.RefreshUnavailable})
		if err != nil || !ok {
			t.Fatalf("fail %d: %v %v", i, ok, err)
		}
	}
	got, _ := f.Store.FindConnectionByID(f.Ctx, app.ID, c.ID)
	if d := diff(c, got); d != "" {
		t.Fatalf("after transient failures (-want +got):\n%s", d)
	}
	f.wantRefreshState(t, c, portico.RefreshState{Failures: 3})
	// A claim lost to a running lease tells the count, which waiters
	// watch to learn that the holder failed.
	f.claim(t, c, c.Credentials, "me", time.Minute)
	if ok, st := f.claim(t, c, c.Credentials, "waiter", time.Minute); ok || st == nil {
		t.Fatalf("lost claim: won %v, state returned %v", ok, st != nil)
	} else if st.Failures != 3 {
		t.Fatalf("lost claim: failures %d, want 3", st.Failures)
	}
	// One event for the row of failures, not one per attempt.
	es := f.events(t, app.ID)[before:]
	wantTypes(t, es, portico.EventConnectionRefreshFailed)
	if d := eventBody(t, es[0]).Data; d["id"] != c.ID || d["status"] != "connected" || d["reason"] != portico.RefreshUnavailable {
		t.Fatalf("refresh_failed data %v", d)
	}
	f.claim(t, c, c.Credentials, "me", time.Minute)
	exp2 := f.Clock.Now().Add(time.Hour)
	nc := &portico.Connection{ID: c.ID, AppID: app.ID, UserID: c.UserID, Integration: "crm", Status: portico.StatusConnected,
		Fields: c.Fields, Refreshable: true, ExpiresAt: &exp2}
	if ok, err := f.Store.CompleteRefresh(f.Ctx, nc, c.Credentials, "me", resealAs("new")); err != nil || !ok {
		t.Fatalf("complete: %v %v", ok, err)
	}
	es = f.events(t, app.ID)[before:]
	wantTypes(t, es, portico.EventConnectionRefreshFailed, portico.EventConnectionRecovered)
	if d := eventBody(t, es[1]).Data; d["id"] != c.ID || d["status"] != "connected" {
		t.Fatalf("recovered data %v", d)
	}
	// The count restarts: the next failure reports again, the next
	// success after none does not.
	f.claim(t, nc, nc.Credentials, "me", time.Minute)
	f.Store.FailRefresh(f.Ctx, app.ID, c.ID, nc.Credentials, "me", portico.RefreshFailure{Reason: portico.RefreshUnavailable})
	wantTypes(t, f.events(t, app.ID)[before:], portico.EventConnectionRefreshFailed, portico.EventConnectionRecovered,
		portico.EventConnectionRefreshFailed)
}

func testRefreshPermanentFailureExpires(t *testing.T, f *Fixture) {
	app, cs := f.dueConnections(t, true, 1)
	c := cs[0]
	before := len(f.events(t, app.ID))
	f.claim(t, c, c.Credentials, "me", time.Minute)
	f.Clock.Advance(time.Second)
	ok, err := f.Store.FailRefresh(f.Ctx, app.ID, c.ID, c.Credentials, "me", portico.RefreshFailure{Permanent: true, Reason: portico.RefreshRejected})
	if err != nil || !ok {
		t.Fatalf("fail: %v %v", ok, err)
	}
	got, _ := f.Store.FindConnectionByID(f.Ctx, app.ID, c.ID)
	if got.Status != portico.StatusExpired || !got.UpdatedAt.Equal(f.Clock.Now()) {
		t.Fatalf("after a rejected refresh: status %q, updated_at %v", got.Status, got.UpdatedAt)
	}
	es := f.events(t, app.ID)[before:]
	wantTypes(t, es, portico.EventConnectionRefreshFailed, portico.EventConnectionExpired)
	for _, e := range es {
		if d := eventBody(t, e).Data; d["status"] != "expired" || d["reason"] != portico.RefreshRejected {
			t.Fatalf("%s data %v", e.Type, d)
		}
	}
	// An expired connection is not refreshed again.
	if ok, until := f.claim(t, got, got.Credentials, "again", time.Minute); ok || until != nil {
		t.Fatalf("claimed an expired connection: %v %v", ok, until)
	}
	if due, _ := f.Store.ListRefreshDue(f.Ctx, f.Clock.Now().Add(time.Hour), f.Clock.Now(), nil, 10); len(due) != 0 {
		t.Fatalf("an expired connection is due: %v", connectionIDs(due))
	}
}

func testRefreshReconnectRecovers(t *testing.T, f *Fixture) {
	app, cs := f.dueConnections(t, true, 3)
	expired, failing, healthy := cs[0], cs[1], cs[2]
	f.claim(t, expired, expired.Credentials, "me", time.Minute)
	f.Store.FailRefresh(f.Ctx, app.ID, expired.ID, expired.Credentials, "me", portico.RefreshFailure{Permanent: true, Reason: portico.RefreshRejected})
	f.claim(t, failing, failing.Credentials, "me", time.Minute)
	f.Store.FailRefresh(f.Ctx, app.ID, failing.ID, failing.Credentials, "me", portico.RefreshFailure{Reason: portico.RefreshUnavailable})
	before := len(f.events(t, app.ID))
	for _, c := range []*portico.Connection{expired, failing, healthy} {
		again := *c
		again.ID = portico.NewID(portico.PrefixConnection)
		if _, err := f.Store.PutConnection(f.Ctx, &again, resealAs("again"), nil); err != nil {
			t.Fatal(err)
		}
		if again.ID != c.ID || again.Status != portico.StatusConnected {
			t.Fatalf("reconnect: id %s (want %s), status %q", again.ID, c.ID, again.Status)
		}
	}
	es := f.events(t, app.ID)[before:]
	wantTypes(t, es, portico.EventConnectionUpdated, portico.EventConnectionRecovered, portico.EventConnectionUpdated,
		portico.EventConnectionRecovered, portico.EventConnectionUpdated)
	for i, id := range []string{expired.ID, failing.ID} {
		if d := eventBody(t, es[2*i+1]).Data; d["id"] != id || d["status"] != "connected" || d["reason"] != "reconnected" {
			t.Fatalf("recovered data %v", d)
		}
	}
	// The failure count restarted: the next transient failure reports.
	got, _ := f.Store.FindConnectionByID(f.Ctx, app.ID, failing.ID)
	f.claim(t, got, got.Credentials, "me", time.Minute)
	f.Store.FailRefresh(f.Ctx, app.ID, got.ID, got.Credentials, "me", portico.RefreshFailure{Reason: portico.RefreshUnavailable})
	if es := f.events(t, app.ID); es[len(es)-1].Type != portico.EventConnectionRefreshFailed {
		t.Fatalf("last event %s", es[len(es)-1].Type)
	}
}

func testRefreshReplacedOrRevokedUnderTheLease(t *testing.T, f *Fixture) {
	app, cs := f.dueConnections(t, false, 1)
	c := cs[0]
	f.claim(t, c, c.Credentials, "me", time.Minute)
	// The user connects again meanwhile: the refresh must not win.
	again := *c
	if _, err := f.Store.PutConnection(f.Ctx, &again, resealAs("reconnected"), nil); err != nil {
		t.Fatal(err)
	}
	nc := *c
	if ok, err := f.Store.CompleteRefresh(f.Ctx, &nc, c.Credentials, "me", resealAs("refreshed")); err != nil || ok {
		t.Fatalf("complete over a new connect: %v %v", ok, err)
	}
	if ok, err := f.Store.FailRefresh(f.Ctx, app.ID, c.ID, c.Credentials, "me", portico.RefreshFailure{Permanent: true}); err != nil || ok {
		t.Fatalf("fail over a new connect: %v %v", ok, err)
	}
	got, _ := f.Store.FindConnectionByID(f.Ctx, app.ID, c.ID)
	if want, _ := resealAs("reconnected")(c.ID); got.Credentials != want || got.Status != portico.StatusConnected {
		t.Fatalf("after the refresh lost: credentials %q (want %q), status %q", got.Credentials, want, got.Status)
	}
	if _, err := f.Store.RevokeConnection(f.Ctx, app.ID, c.ID, ""); err != nil {
		t.Fatal(err)
	}
	if ok, until := f.claim(t, got, got.Credentials, "late", time.Minute); ok || until != nil {
		t.Fatalf("claimed a revoked connection: %v %v", ok, until)
	}
	_, _, err := f.Store.ClaimRefresh(f.Ctx, app.ID, "con_unknown", got.Credentials, "x", time.Minute)
	WantCode(t, err, portico.CodeNotFound)
}

func testRefreshListDue(t *testing.T, f *Fixture) {
	a, b := f.NewApp(t, "a"), f.NewApp(t, "b")
	f.newIntegration(t, a.ID, "crm")
	f.newIntegration(t, b.ID, "crm")
	now := f.Clock.Now()
	at := func(d time.Duration) *time.Time { v := now.Add(d); return &v }
	due1 := f.putOAuthConnection(t, a.ID, "crm", true, at(4*time.Minute))
	due2 := f.putOAuthConnection(t, b.ID, "crm", true, at(time.Minute))    // another app: the pass is deployment-wide
	due3 := f.putOAuthConnection(t, a.ID, "crm", true, at(-time.Hour))     // already expired, refreshable
	dead := f.putOAuthConnection(t, a.ID, "crm", false, at(-time.Second))  // expired, nothing to renew it
	f.putOAuthConnection(t, a.ID, "crm", false, at(3*time.Minute))         // valid, nothing to renew it: later
	f.putOAuthConnection(t, a.ID, "crm", true, at(10*time.Minute))         // beyond the window
	f.putOAuthConnection(t, a.ID, "crm", true, nil)                        // never expires
	revoked := f.putOAuthConnection(t, a.ID, "crm", true, at(time.Minute)) // revoked
	if _, err := f.Store.RevokeConnection(f.Ctx, a.ID, revoked.ID, ""); err != nil {
		t.Fatal(err)
	}
	leased := f.putOAuthConnection(t, a.ID, "crm", true, at(2*time.Minute))
	f.claim(t, leased, leased.Credentials, "busy", time.Minute)
	horizon := now.Add(5 * time.Minute)
	list := func(now time.Time, size int) []string {
		var ids []string
		var after *portico.Connection
		for range 100 {
			cs, err := f.Store.ListRefreshDue(f.Ctx, horizon, now, after, size)
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, connectionIDs(cs)...)
			if len(cs) < size {
				return ids
			}
			after = &cs[len(cs)-1]
		}
		t.Fatal("pagination does not end")
		return nil
	}
	want := []string{due3.ID, dead.ID, due2.ID, due1.ID}
	for _, size := range []int{1, 2, 3, 100} {
		if got := list(now, size); !slices.Equal(got, want) {
			t.Fatalf("size %d: due %v, want %v", size, got, want)
		}
	}
	// A lapsed lease is due again.
	want = []string{due3.ID, dead.ID, due2.ID, leased.ID, due1.ID}
	if got := list(now.Add(time.Minute), 2); !slices.Equal(got, want) {
		t.Fatalf("after the lease: due %v, want %v", got, want)
	}
}
