package storetest

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/porticohq/portico/internal/portico"
	"github.com/porticohq/portico/internal/secret"
)

// TokenSession stores a session for the user in through Store.CreateSession,
// after edit (when set) adjusts it, and returns it with its token hash.
func (f *Fixture) TokenSession(t testing.TB, appID string, in portico.UserInput, edit func(*portico.Session, *portico.NewSession)) (*portico.Session, []byte) {
	t.Helper()
	now := f.Clock.Now()
	s := &portico.Session{ID: portico.NewID(portico.PrefixSession), AppID: appID, TTLSeconds: 3600, RedirectURI: "",
		Settings: json.RawMessage(`{"integrations":["github"]}`), Theme: json.RawMessage(`{}`), CustomSettings: json.RawMessage(`{"k":"é"}`),
		ExpiresAt: now.Add(time.Hour)}
	_, hash := portico.NewToken(portico.PrefixSessionToken)
	_, codeHash := portico.NewToken("code_")
	ns := portico.NewSession{Session: s, UserID: portico.NewID(portico.PrefixUser), User: in, TokenHash: hash, Limit: defaultLimit,
		Code: &portico.ConfigCode{Hash: codeHash, AppID: appID, SessionID: s.ID, ExpiresAt: now.Add(time.Minute)}}
	if edit != nil {
		edit(s, &ns)
	}
	if _, _, err := f.Store.CreateSession(f.Ctx, ns); err != nil {
		t.Fatalf("create session: %v", err)
	}
	return s, hash
}

// wantTokenLookup checks that the token hash finds the session as
// FindSessionByID stores it and the user as FindUserByID does.
func (f *Fixture) wantTokenLookup(t testing.TB, appID, sessionID string, hash []byte) {
	t.Helper()
	got, gotUser, err := f.Store.FindSessionByTokenHash(f.Ctx, hash)
	if err != nil {
		t.Fatalf("find by token hash: %v", err)
	}
	want, err := f.Store.FindSessionByID(f.Ctx, appID, sessionID)
	if err != nil {
		t.Fatal(err)
	}
	if d := diff(want, got); d != "" {
		t.Errorf("session by token hash, want it as found by id (-want +got):\n%s", d)
	}
	wantUser, err := f.Store.FindUserByID(f.Ctx, appID, want.UserID)
	if err != nil {
		t.Fatal(err)
	}
	if d := diff(wantUser, gotUser); d != "" {
		t.Errorf("user by token hash, want it as found by id (-want +got):\n%s", d)
	}
}

func testFindSessionByTokenHash(t *testing.T, f *Fixture) {
	app := f.NewApp(t, "tokens")
	f.newAccount(t, app.ID, "acct-b")
	f.newAccount(t, app.ID, "acct-a")
	email := "ada@example.com"

	// Every nullable column both ways: no external id but an email,
	// accounts, a refreshable session with a redirect URI.
	s1, h1 := f.TokenSession(t, app.ID, portico.UserInput{Email: &email, Name: "Ada", Metadata: json.RawMessage(`{"plan":"pro","n":[1,2]}`),
		AccountIDs: []string{"acct-b", "acct-a"}}, func(s *portico.Session, ns *portico.NewSession) {
		s.Refreshable, s.RedirectURI = true, "https://app.example.com/done"
		re := f.Clock.Now().Add(24 * time.Hour)
		s.RefreshExpiresAt = &re
		_, ns.RefreshHash = portico.NewToken(portico.PrefixRefreshToken)
	})
	f.wantTokenLookup(t, app.ID, s1.ID, h1)
	_, u1, err := f.Store.FindSessionByTokenHash(f.Ctx, h1)
	if err != nil {
		t.Fatal(err)
	}
	if u1.Email == nil || *u1.Email != email || u1.ExternalID != nil || fmt.Sprint(u1.AccountIDs) != "[acct-a acct-b]" {
		t.Errorf("user = email %v, external id %v, accounts %v", u1.Email, u1.ExternalID, u1.AccountIDs)
	}

	// An external id, no email, no accounts, empty metadata.
	ext := "user-42"
	s2, h2 := f.TokenSession(t, app.ID, portico.UserInput{ExternalID: &ext, Metadata: json.RawMessage(`{}`)}, nil)
	f.wantTokenLookup(t, app.ID, s2.ID, h2)

	// Revocation is seen by the very next lookup, on every connection
	// of the pool: lookups from many goroutines, before and after.
	var wg sync.WaitGroup
	lookups := func() {
		for range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 20 {
					if _, _, err := f.Store.FindSessionByTokenHash(f.Ctx, h2); err != nil {
						t.Errorf("concurrent lookup: %v", err)
						return
					}
				}
			}()
		}
		wg.Wait()
	}
	lookups()
	if err := f.Store.RevokeSession(f.Ctx, app.ID, s2.ID); err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		got, _, err := f.Store.FindSessionByTokenHash(f.Ctx, h2)
		if err != nil || got.RevokedAt == nil {
			t.Fatalf("lookup %d after revocation: revoked_at %v, err %v", i, got.RevokedAt, err)
		}
	}
	f.wantTokenLookup(t, app.ID, s2.ID, h2)
	lookups()

	// A user update is seen too.
	name := "Grace"
	if _, err := f.Store.UpdateUser(f.Ctx, app.ID, s2.UserID, portico.UserUpdate{Name: &name}); err != nil {
		t.Fatal(err)
	}
	f.wantTokenLookup(t, app.ID, s2.ID, h2)

	// Unknown hashes, and hashes of another length, find nothing.
	_, unknown := portico.NewToken(portico.PrefixSessionToken)
	for _, h := range [][]byte{unknown, nil, {}, h1[:31], append(append([]byte{}, h1...), 0)} {
		_, _, err := f.Store.FindSessionByTokenHash(f.Ctx, h)
		WantCode(t, err, portico.CodeNotFound)
	}
}

// userSession stores a session of the user keyed by ext, as TokenSession
// does, and returns it with its token hash.
func (f *Fixture) userSession(t testing.TB, appID, ext string, edit func(*portico.Session, *portico.NewSession)) (*portico.Session, []byte) {
	t.Helper()
	return f.TokenSession(t, appID, portico.UserInput{ExternalID: ptr(ext), Metadata: json.RawMessage(`{}`)}, edit)
}

// expiringIn makes a session edit that sets its expiry d from now.
func (f *Fixture) expiringIn(d time.Duration) func(*portico.Session, *portico.NewSession) {
	return func(s *portico.Session, _ *portico.NewSession) { s.ExpiresAt = f.Clock.Now().Add(d) }
}

// findSession returns a session as FindSessionByID stores it.
func (f *Fixture) findSession(t testing.TB, appID, id string) *portico.Session {
	t.Helper()
	s, err := f.Store.FindSessionByID(f.Ctx, appID, id)
	if err != nil {
		t.Fatalf("find session %s: %v", id, err)
	}
	return s
}

// wantRevoked fails unless the session was revoked at at, and is shown
// revoked to its token too.
func (f *Fixture) wantRevoked(t testing.TB, appID, id string, hash []byte, at time.Time) {
	t.Helper()
	s := f.findSession(t, appID, id)
	if s.RevokedAt == nil || !s.RevokedAt.Equal(at) {
		t.Fatalf("session %s: revoked_at %v, want %v", id, s.RevokedAt, at)
	}
	if hash != nil {
		f.wantTokenLookup(t, appID, id, hash)
	}
}

// wantActive fails unless the session is neither revoked nor expired.
func (f *Fixture) wantActive(t testing.TB, appID, id string) {
	t.Helper()
	if s := f.findSession(t, appID, id); !s.Active(f.Clock.Now()) {
		t.Fatalf("session %s: revoked_at %v, expires_at %v; want it active at %v", id, s.RevokedAt, s.ExpiresAt, f.Clock.Now())
	}
}

// sessionEvents lists the app's session events as "type id".
func (f *Fixture) sessionEvents(t testing.TB, appID string) []string {
	t.Helper()
	out := []string{}
	for _, e := range f.events(t, appID) {
		if strings.HasPrefix(e.Type, "session.") {
			id, _ := eventBody(t, e).Data["id"].(string)
			out = append(out, e.Type+" "+id)
		}
	}
	return out
}

func created(id string) string { return portico.EventSessionCreated + " " + id }
func revoked(id string) string { return portico.EventSessionRevoked + " " + id }

// listAllSessions pages through the sessions active at now that match
// filter, size rows at a time, as the service does.
func (f *Fixture) listAllSessions(t testing.TB, appID string, filter portico.SessionFilter, now time.Time, size int) []portico.Session {
	t.Helper()
	var all []portico.Session
	var after *portico.Cursor
	for pages := 0; ; pages++ {
		if pages > 1000 {
			t.Fatal("pagination does not end")
		}
		rows, err := f.Store.ListActiveSessions(f.Ctx, appID, filter, now, portico.ListQuery{After: after, Limit: size + 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) <= size {
			return append(all, rows...)
		}
		rows = rows[:size]
		all = append(all, rows...)
		last := rows[size-1]
		after = &portico.Cursor{CreatedAt: last.CreatedAt, ID: last.ID}
	}
}

func sessionIDs(ss []portico.Session) []string {
	ids := []string{}
	for _, s := range ss {
		ids = append(ids, s.ID)
	}
	return ids
}

// raceSessions creates 50 sessions of one user at once under a limit of 5
// with policy, and returns what each creation answered.
func (f *Fixture) raceSessions(appID, policy string) (sessions []*portico.Session, evicted [][]string, errs []error) {
	const n = 50
	sessions, evicted, errs = make([]*portico.Session, n), make([][]string, n), make([]error, n)
	limit := portico.SessionLimit{Max: 5, Policy: policy}
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			sessions[i], _, evicted[i], errs[i] = f.newSession(appID, "racer", portico.HashToken(fmt.Sprint("code-", i)), limit)
		}()
	}
	close(start)
	wg.Wait()
	return sessions, evicted, errs
}

func testSessionLimitRejectExactUnderConcurrency(t *testing.T, f *Fixture) {
	app := f.NewApp(t, "reject")
	f.hookApp(t, app)
	sessions, evicted, errs := f.raceSessions(app.ID, portico.PolicyReject)
	var ok []string
	for i, err := range errs {
		switch portico.ErrorCode(err) {
		case "":
			ok = append(ok, sessions[i].ID)
		case portico.CodeSessionLimitReached:
			if d := portico.AsError(err).Details; d["max_sessions_per_user"] != 5 {
				t.Errorf("details %v, want max_sessions_per_user 5", d)
			}
		default:
			t.Errorf("creation %d: %v", i, err)
		}
		if len(evicted[i]) != 0 {
			t.Errorf("creation %d evicted %v under reject", i, evicted[i])
		}
	}
	if len(ok) != 5 {
		t.Fatalf("%d creations succeeded, want exactly 5", len(ok))
	}
	slices.Sort(ok)
	listed := sessionIDs(f.listAllSessions(t, app.ID, portico.SessionFilter{ExternalUserID: ptr("racer")}, f.Clock.Now(), 100))
	slices.Sort(listed)
	if d := diff(ok, listed); d != "" {
		t.Fatalf("active sessions, want the 5 created (-want +got):\n%s", d)
	}
	// A refused creation writes nothing: one user, five sessions, and
	// their events alone.
	if es := f.events(t, app.ID); len(es) != 6 || es[0].Type != portico.EventUserCreated {
		t.Fatalf("events %v, want user.created and 5 session.created", eventTypes(es))
	}
	var want []string
	for _, id := range ok {
		want = append(want, created(id))
	}
	got := f.sessionEvents(t, app.ID)
	slices.Sort(got)
	if d := diff(want, got); d != "" {
		t.Fatalf("session events (-want +got):\n%s", d)
	}
}

func testSessionLimitEvictOldestExactUnderConcurrency(t *testing.T, f *Fixture) {
	app := f.NewApp(t, "evict")
	f.hookApp(t, app)
	sessions, evicted, errs := f.raceSessions(app.ID, portico.PolicyEvictOldest)
	made := map[string]bool{}
	for i, err := range errs {
		if err != nil {
			t.Fatalf("creation %d: %v", i, err)
		}
		made[sessions[i].ID] = true
	}
	gone := map[string]bool{}
	for i, ids := range evicted {
		if len(ids) > 1 {
			t.Errorf("creation %d evicted %v, want one at most", i, ids)
		}
		for _, id := range ids {
			if !made[id] || gone[id] || id == sessions[i].ID {
				t.Errorf("creation %d evicted %s: created %v, evicted before %v", i, id, made[id], gone[id])
			}
			gone[id] = true
		}
	}
	if len(gone) != 45 {
		t.Fatalf("%d sessions evicted, want 45", len(gone))
	}
	var live, wantEvents []string
	for id := range made {
		wantEvents = append(wantEvents, created(id))
		if gone[id] {
			wantEvents = append(wantEvents, revoked(id))
			if s := f.findSession(t, app.ID, id); s.RevokedAt == nil {
				t.Errorf("evicted session %s is not revoked", id)
			}
		} else {
			live = append(live, id)
		}
	}
	slices.Sort(live)
	listed := sessionIDs(f.listAllSessions(t, app.ID, portico.SessionFilter{ExternalUserID: ptr("racer")}, f.Clock.Now(), 100))
	slices.Sort(listed)
	if d := diff(live, listed); d != "" {
		t.Fatalf("active sessions, want the 5 not evicted (-want +got):\n%s", d)
	}
	slices.Sort(wantEvents)
	got := f.sessionEvents(t, app.ID)
	slices.Sort(got)
	if d := diff(wantEvents, got); d != "" {
		t.Fatalf("session events (-want +got):\n%s", d)
	}
}

func testSessionLimitEvictsTheOldestActive(t *testing.T, f *Fixture) {
	app := f.NewApp(t, "evict")
	f.hookApp(t, app)
	three := portico.SessionLimit{Max: 3, Policy: portico.PolicyEvictOldest}
	one := portico.SessionLimit{Max: 1, Policy: portico.PolicyEvictOldest}
	create := func(limit portico.SessionLimit, ext string) (*portico.Session, []string) {
		t.Helper()
		s, _, ev, err := f.newSession(app.ID, ext, portico.HashToken(portico.NewID("code_")), limit)
		if err != nil {
			t.Fatal(err)
		}
		return s, ev
	}
	wantEvicted := func(got []string, want ...string) {
		t.Helper()
		if d := diff(want, got, cmpopts.EquateEmpty()); d != "" {
			t.Fatalf("evicted (-want +got):\n%s", d)
		}
	}
	a, ev := create(three, "u")
	wantEvicted(ev)
	f.Clock.Advance(time.Second)
	b, ev := create(three, "u")
	wantEvicted(ev)
	f.Clock.Advance(time.Second)
	c, ev := create(three, "u")
	wantEvicted(ev)
	// Another user's sessions count for that user alone.
	o, ev := create(three, "other")
	wantEvicted(ev)
	// The fourth evicts the oldest.
	f.Clock.Advance(time.Second)
	d, ev := create(three, "u")
	wantEvicted(ev, a.ID)
	f.wantRevoked(t, app.ID, a.ID, nil, f.Clock.Now())
	// A revoked session does not count.
	if err := f.Store.RevokeSession(f.Ctx, app.ID, c.ID); err != nil {
		t.Fatal(err)
	}
	f.Clock.Advance(time.Second)
	e, ev := create(three, "u")
	wantEvicted(ev)
	// A lower limit evicts as many as it takes, oldest first.
	f.Clock.Advance(time.Second)
	g, ev := create(one, "u")
	wantEvicted(ev, b.ID, d.ID, e.ID)
	for _, id := range []string{b.ID, d.ID, e.ID} {
		f.wantRevoked(t, app.ID, id, nil, f.Clock.Now())
	}
	f.wantActive(t, app.ID, g.ID)
	f.wantActive(t, app.ID, o.ID)
	// An expired session does not count, and is not revoked.
	f.Clock.Advance(time.Hour)
	h, ev := create(one, "u")
	wantEvicted(ev)
	if s := f.findSession(t, app.ID, g.ID); s.RevokedAt != nil {
		t.Fatalf("an expired session was revoked at %v", s.RevokedAt)
	}
	f.wantActive(t, app.ID, h.ID)
	// Each eviction says session.revoked, before the session that caused it.
	want := []string{created(a.ID), created(b.ID), created(c.ID), created(o.ID), revoked(a.ID), created(d.ID), revoked(c.ID), created(e.ID),
		revoked(b.ID), revoked(d.ID), revoked(e.ID), created(g.ID), created(h.ID)}
	if d := diff(want, f.sessionEvents(t, app.ID)); d != "" {
		t.Fatalf("session events (-want +got):\n%s", d)
	}
}

func testSessionExtend(t *testing.T, f *Fixture) {
	app := f.NewApp(t, "extend")
	f.hookApp(t, app)
	s, hash := f.userSession(t, app.ID, "u", nil)
	r, _ := f.userSession(t, app.ID, "u", nil)
	if err := f.Store.RevokeSession(f.Ctx, app.ID, r.ID); err != nil {
		t.Fatal(err)
	}
	events := len(f.events(t, app.ID))

	f.Clock.Advance(10 * time.Minute)
	want := f.findSession(t, app.ID, s.ID)
	want.ExpiresAt, want.UpdatedAt = f.Clock.Now().Add(3000*time.Second), f.Clock.Now()
	got, err := f.Store.ExtendSession(f.Ctx, app.ID, s.ID, want.ExpiresAt, app.Settings.MaxSessionTTLSeconds)
	if err != nil {
		t.Fatal(err)
	}
	if d := diff(want, got); d != "" {
		t.Fatalf("extended (-want +got):\n%s", d)
	}
	if d := diff(want, f.findSession(t, app.ID, s.ID)); d != "" {
		t.Fatalf("stored (-want +got):\n%s", d)
	}
	f.wantTokenLookup(t, app.ID, s.ID, hash)
	// The expiry is the one given, shorter ones too: the service computes
	// it (now + ttl_seconds, within max_session_ttl_seconds).
	f.Clock.Advance(time.Second)
	want.ExpiresAt, want.UpdatedAt = f.Clock.Now().Add(time.Minute), f.Clock.Now()
	if got, err = f.Store.ExtendSession(f.Ctx, app.ID, s.ID, want.ExpiresAt, app.Settings.MaxSessionTTLSeconds); err != nil {
		t.Fatal(err)
	}
	if d := diff(want, got); d != "" {
		t.Fatalf("shortened (-want +got):\n%s", d)
	}
	// At expires_at the session has expired: a conflict, and no change.
	f.Clock.Advance(time.Minute)
	_, err = f.Store.ExtendSession(f.Ctx, app.ID, s.ID, f.Clock.Now().Add(time.Hour), app.Settings.MaxSessionTTLSeconds)
	WantCode(t, err, portico.CodeConflict)
	if d := diff(want, f.findSession(t, app.ID, s.ID)); d != "" {
		t.Fatalf("an expired session changed (-want +got):\n%s", d)
	}
	// Revoked and unknown sessions are not found.
	before := f.findSession(t, app.ID, r.ID)
	_, err = f.Store.ExtendSession(f.Ctx, app.ID, r.ID, f.Clock.Now().Add(time.Hour), app.Settings.MaxSessionTTLSeconds)
	WantCode(t, err, portico.CodeNotFound)
	if d := diff(before, f.findSession(t, app.ID, r.ID)); d != "" {
		t.Fatalf("a revoked session changed (-want +got):\n%s", d)
	}
	_, err = f.Store.ExtendSession(f.Ctx, app.ID, portico.NewID(portico.PrefixSession), f.Clock.Now().Add(time.Hour), app.Settings.MaxSessionTTLSeconds)
	WantCode(t, err, portico.CodeNotFound)
	// Extending says nothing to the webhook.
	if es := f.events(t, app.ID); len(es) != events {
		t.Fatalf("extending queued %v", eventTypes(es[events:]))
	}
}

// The cap on extensions is the service's rule, measured from the session's
// created_at as the store keeps it: exactly creation + max_session_ttl_seconds
// is accepted, a second more refused.
func testSessionExtendWithinMaxTTL(t *testing.T, f *Fixture) {
	app := f.NewApp(t, "cap")
	app.Settings.MaxSessionTTLSeconds = 7200
	if err := f.Store.UpdateApp(f.Ctx, app); err != nil {
		t.Fatal(err)
	}
	svc := f.service(mustRing(t, secret.NewKey()))
	s, _ := f.userSession(t, app.ID, "u", nil)
	f.Clock.Advance(1000 * time.Second)
	_, err := svc.ExtendSession(f.Ctx, app, s.ID, 7200-1000+1)
	WantCode(t, err, portico.CodeValidation)
	if e := portico.AsError(err); e.Field != "ttl_seconds" || e.Details["max_ttl_seconds"] != 7200-1000 {
		t.Fatalf("refusal %+v, want field ttl_seconds and max_ttl_seconds %d", e, 7200-1000)
	}
	if got := f.findSession(t, app.ID, s.ID); !got.ExpiresAt.Equal(s.ExpiresAt) {
		t.Fatalf("a refused extension moved expires_at to %v", got.ExpiresAt)
	}
	got, err := svc.ExtendSession(f.Ctx, app, s.ID, 7200-1000)
	if err != nil {
		t.Fatal(err)
	}
	if limit := s.CreatedAt.Add(7200 * time.Second); !got.ExpiresAt.Equal(limit) || !f.findSession(t, app.ID, s.ID).ExpiresAt.Equal(limit) {
		t.Fatalf("extended to %v, want the cap %v", got.ExpiresAt, limit)
	}
	// Past the cap, a revoked session is still not found and an expired
	// one still a conflict: the state is refused first.
	x, _ := f.userSession(t, app.ID, "u", f.expiringIn(time.Minute))
	r, _ := f.userSession(t, app.ID, "u", nil)
	if err := f.Store.RevokeSession(f.Ctx, app.ID, r.ID); err != nil {
		t.Fatal(err)
	}
	f.Clock.Advance(2 * time.Minute)
	_, err = svc.ExtendSession(f.Ctx, app, x.ID, 7200*2)
	WantCode(t, err, portico.CodeConflict)
	_, err = svc.ExtendSession(f.Ctx, app, r.ID, 7200*2)
	WantCode(t, err, portico.CodeNotFound)
}

func testSessionRevoke(t *testing.T, f *Fixture) {
	app := f.NewApp(t, "revoke")
	f.hookApp(t, app)
	s, hash := f.userSession(t, app.ID, "u", nil)
	x, xHash := f.userSession(t, app.ID, "u", f.expiringIn(time.Minute))
	keep, _ := f.userSession(t, app.ID, "u", nil)
	f.Clock.Advance(2 * time.Minute)

	want := f.findSession(t, app.ID, s.ID)
	if err := f.Store.RevokeSession(f.Ctx, app.ID, s.ID); err != nil {
		t.Fatal(err)
	}
	now := f.Clock.Now()
	want.RevokedAt, want.UpdatedAt = &now, now
	if d := diff(want, f.findSession(t, app.ID, s.ID)); d != "" {
		t.Fatalf("revoked (-want +got):\n%s", d)
	}
	f.wantTokenLookup(t, app.ID, s.ID, hash)
	// An expired session can be revoked too.
	if err := f.Store.RevokeSession(f.Ctx, app.ID, x.ID); err != nil {
		t.Fatal(err)
	}
	f.wantRevoked(t, app.ID, x.ID, xHash, now)
	// A revoked session is not found again, and keeps its revoked_at.
	f.Clock.Advance(time.Minute)
	WantCode(t, f.Store.RevokeSession(f.Ctx, app.ID, s.ID), portico.CodeNotFound)
	if d := diff(want, f.findSession(t, app.ID, s.ID)); d != "" {
		t.Fatalf("revoked twice (-want +got):\n%s", d)
	}
	WantCode(t, f.Store.RevokeSession(f.Ctx, app.ID, portico.NewID(portico.PrefixSession)), portico.CodeNotFound)
	// It leaves the list and takes no new configuration code.
	if d := diff([]string{keep.ID}, sessionIDs(f.listAllSessions(t, app.ID, portico.SessionFilter{}, f.Clock.Now(), 10))); d != "" {
		t.Fatalf("active sessions (-want +got):\n%s", d)
	}
	err := f.Store.CreateConfigCode(f.Ctx, &portico.ConfigCode{Hash: portico.HashToken("late"), AppID: app.ID, SessionID: s.ID, ExpiresAt: f.Clock.Now().Add(time.Minute)})
	WantCode(t, err, portico.CodeNotFound)
	// One session.revoked per revocation, with the session as it ended.
	es := f.events(t, app.ID)
	if d := diff([]string{created(s.ID), created(x.ID), created(keep.ID), revoked(s.ID), revoked(x.ID)}, f.sessionEvents(t, app.ID)); d != "" {
		t.Fatalf("session events (-want +got):\n%s", d)
	}
	if at := eventBody(t, es[len(es)-2]).Data["updated_at"]; at != now.Format(time.RFC3339) {
		t.Fatalf("session.revoked updated_at %v, want %s", at, now.Format(time.RFC3339))
	}
}

func testSessionRevokeUserSessions(t *testing.T, f *Fixture) {
	app := f.NewApp(t, "signout")
	f.hookApp(t, app)
	a, aHash := f.userSession(t, app.ID, "u", nil)
	f.Clock.Advance(time.Second)
	b, _ := f.userSession(t, app.ID, "u", nil)
	x, _, xRefresh := f.refreshableSession(t, app.ID, "u", time.Minute, 24*time.Hour)
	r, _ := f.userSession(t, app.ID, "u", nil)
	if err := f.Store.RevokeSession(f.Ctx, app.ID, r.ID); err != nil {
		t.Fatal(err)
	}
	revokedAt := f.Clock.Now()
	other, _ := f.userSession(t, app.ID, "v", nil)
	f.Clock.Advance(2 * time.Minute) // x has expired
	before := len(f.sessionEvents(t, app.ID))

	n, err := f.Store.RevokeUserSessions(f.Ctx, app.ID, a.UserID)
	if err != nil || n != 2 {
		t.Fatalf("revoked %d (%v), want the 2 active sessions", n, err)
	}
	now := f.Clock.Now()
	f.wantRevoked(t, app.ID, a.ID, aHash, now)
	f.wantRevoked(t, app.ID, b.ID, nil, now)
	// The expired session is closed too, so that its refresh token cannot
	// revive it; the one revoked before keeps its revoked_at.
	f.wantRevoked(t, app.ID, x.ID, nil, now)
	_, _, err = f.rotate(app.ID, xRefresh)
	WantCode(t, err, portico.CodeInvalidToken)
	f.wantRevoked(t, app.ID, r.ID, nil, revokedAt)
	f.wantActive(t, app.ID, other.ID)
	// session.revoked for the sessions that were active alone.
	if d := diff([]string{revoked(a.ID), revoked(b.ID)}, f.sessionEvents(t, app.ID)[before:]); d != "" {
		t.Fatalf("session events (-want +got):\n%s", d)
	}
	// Again: nothing left to revoke.
	if n, err := f.Store.RevokeUserSessions(f.Ctx, app.ID, a.UserID); err != nil || n != 0 {
		t.Fatalf("revoked again %d (%v), want 0", n, err)
	}
	if got := len(f.sessionEvents(t, app.ID)); got != before+2 {
		t.Fatalf("%d session events after revoking nothing, want %d", got, before+2)
	}
	// A user without sessions has none to revoke; an unknown user is not found.
	w := f.newUser(t, app.ID, portico.UserInput{ExternalID: ptr("w")})
	if n, err := f.Store.RevokeUserSessions(f.Ctx, app.ID, w.ID); err != nil || n != 0 {
		t.Fatalf("revoked %d (%v) for a user without sessions", n, err)
	}
	_, err = f.Store.RevokeUserSessions(f.Ctx, app.ID, portico.NewID(portico.PrefixUser))
	WantCode(t, err, portico.CodeNotFound)
}

func testSessionListActive(t *testing.T, f *Fixture) {
	app, other := f.NewApp(t, "a"), f.NewApp(t, "b")
	t0 := f.Clock.Now()
	var all, u1 []portico.Session
	for i := range 7 {
		ext := "u-1"
		if i%2 == 1 {
			ext = "u-2"
		}
		if i == 4 {
			f.Clock.Advance(time.Second)
		}
		s, _ := f.userSession(t, app.ID, ext, nil)
		got := f.findSession(t, app.ID, s.ID)
		all = append(all, *got)
		if ext == "u-1" {
			u1 = append(u1, *got)
		}
	}
	// Neither revoked, nor expired, nor another app's sessions are listed.
	r, _ := f.userSession(t, app.ID, "u-1", nil)
	if err := f.Store.RevokeSession(f.Ctx, app.ID, r.ID); err != nil {
		t.Fatal(err)
	}
	x, _ := f.userSession(t, app.ID, "u-1", f.expiringIn(time.Second))
	theirs, _ := f.userSession(t, other.ID, "u-1", nil)
	// Oldest first: by created_at, then id.
	byAge := func(ss []portico.Session) []portico.Session {
		ss = slices.Clone(ss)
		slices.SortFunc(ss, func(a, b portico.Session) int {
			if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
				return c
			}
			return strings.Compare(a.ID, b.ID)
		})
		return ss
	}
	all, u1 = byAge(all), byAge(u1)
	now := t0.Add(2 * time.Second) // x's expires_at
	for _, tc := range []struct {
		name   string
		filter portico.SessionFilter
		want   []portico.Session
	}{
		{"all", portico.SessionFilter{}, all},
		{"user", portico.SessionFilter{UserID: &u1[0].UserID}, u1},
		{"external user id", portico.SessionFilter{ExternalUserID: ptr("u-1")}, u1},
		{"user and another external user id", portico.SessionFilter{UserID: &u1[0].UserID, ExternalUserID: ptr("u-2")}, nil},
		{"unknown external user id", portico.SessionFilter{ExternalUserID: ptr("nobody")}, nil},
		{"another app's user", portico.SessionFilter{UserID: &theirs.UserID}, nil},
	} {
		for _, size := range []int{1, 2, 3, 100} {
			got := f.listAllSessions(t, app.ID, tc.filter, now, size)
			if d := diff(tc.want, got, cmpopts.EquateEmpty()); d != "" {
				t.Fatalf("%s, page size %d (-want +got):\n%s", tc.name, size, d)
			}
		}
	}
	// Active is judged at the instant given: x is listed until its
	// expires_at, not at it.
	got := sessionIDs(f.listAllSessions(t, app.ID, portico.SessionFilter{ExternalUserID: ptr("u-1")}, now.Add(-time.Microsecond), 100))
	if !slices.Contains(got, x.ID) || slices.Contains(got, r.ID) {
		t.Fatalf("listed just before x expires: %v (x %s, revoked %s)", got, x.ID, r.ID)
	}
	if d := diff([]string{theirs.ID}, sessionIDs(f.listAllSessions(t, other.ID, portico.SessionFilter{}, now, 10))); d != "" {
		t.Fatalf("the other app's sessions (-want +got):\n%s", d)
	}
}

func testSessionAnotherAppCannotSeeExtendRevokeOrRefreshIt(t *testing.T, f *Fixture) {
	app, other := f.NewApp(t, "a"), f.NewApp(t, "b")
	f.hookApp(t, app)
	s, hash, refresh := f.refreshableSession(t, app.ID, "u", time.Hour, 24*time.Hour)
	before := f.findSession(t, app.ID, s.ID)
	events := len(f.events(t, app.ID))
	f.Clock.Advance(time.Minute)

	_, err := f.Store.FindSessionByID(f.Ctx, other.ID, s.ID)
	WantCode(t, err, portico.CodeNotFound)
	_, err = f.Store.ExtendSession(f.Ctx, other.ID, s.ID, f.Clock.Now().Add(24*time.Hour), other.Settings.MaxSessionTTLSeconds)
	WantCode(t, err, portico.CodeNotFound)
	WantCode(t, f.Store.RevokeSession(f.Ctx, other.ID, s.ID), portico.CodeNotFound)
	_, err = f.Store.RevokeUserSessions(f.Ctx, other.ID, s.UserID)
	WantCode(t, err, portico.CodeNotFound)
	err = f.Store.CreateConfigCode(f.Ctx, &portico.ConfigCode{Hash: portico.HashToken("theirs"), AppID: other.ID, SessionID: s.ID, ExpiresAt: f.Clock.Now().Add(time.Minute)})
	WantCode(t, err, portico.CodeNotFound)
	for _, filter := range []portico.SessionFilter{{}, {UserID: &s.UserID}, {ExternalUserID: ptr("u")}} {
		if got := f.listAllSessions(t, other.ID, filter, f.Clock.Now(), 10); len(got) != 0 {
			t.Fatalf("the other app lists %v", sessionIDs(got))
		}
	}
	// Its refresh token is invalid to another app, and revokes nothing.
	sess, reused, err := f.rotate(other.ID, refresh)
	WantCode(t, err, portico.CodeInvalidToken)
	if sess != nil || reused != "" {
		t.Fatalf("the other app's refresh: session %v, reused %q", sess != nil, reused)
	}

	if d := diff(before, f.findSession(t, app.ID, s.ID)); d != "" {
		t.Fatalf("changed by another app (-want +got):\n%s", d)
	}
	f.wantTokenLookup(t, app.ID, s.ID, hash)
	if es := f.events(t, app.ID); len(es) != events {
		t.Fatalf("another app's attempts queued %v", eventTypes(es[events:]))
	}
	// The refresh token still works for its own app.
	if _, _, err := f.rotate(app.ID, refresh); err != nil {
		t.Fatalf("refresh after the other app's attempts: %v", err)
	}
}

// testSessionLimitCountNeverUnderstates: the count that spares session
// creation a read of the user's sessions may overstate (sessions that
// expired) but never understate, through every way a session ends or comes
// back: a revoked session that had already expired does not come off it,
// and a refresh that revives an expired session puts it back.
func testSessionLimitCountNeverUnderstates(t *testing.T, f *Fixture) {
	app := f.NewApp(t, "count")
	two := portico.SessionLimit{Max: 2, Policy: portico.PolicyReject}
	create := func(ext string) error {
		t.Helper()
		_, _, _, err := f.newSession(app.ID, ext, portico.HashToken(portico.NewID("code_")), two)
		return err
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}

	// Revoking an expired session: a and b expire, c is counted exactly
	// (one), then a is revoked; d makes two, and e is one too many.
	a, _, _, err := f.newSession(app.ID, "u", portico.HashToken(portico.NewID("code_")), two)
	must(err)
	must(create("u"))
	f.Clock.Advance(2 * time.Hour)
	must(create("u"))
	must(f.Store.RevokeSession(f.Ctx, app.ID, a.ID))
	must(create("u"))
	WantCode(t, create("u"), portico.CodeSessionLimitReached)

	// Reviving an expired session by a refresh: r expires; s is counted
	// over it, x exactly (two: s and x); x is revoked, and r comes back by
	// its refresh token: r and s are two, and y is one too many.
	_, _, r0 := f.refreshableSession(t, app.ID, "v", time.Minute, time.Hour)
	f.Clock.Advance(2 * time.Minute)
	must(create("v"))
	x, _, _, err := f.newSession(app.ID, "v", portico.HashToken(portico.NewID("code_")), two)
	must(err)
	must(f.Store.RevokeSession(f.Ctx, app.ID, x.ID))
	if _, _, _, _, err := f.rotateTo(app.ID, r0); err != nil {
		t.Fatal(err)
	}
	WantCode(t, create("v"), portico.CodeSessionLimitReached)

	// Revoking all of a user's sessions leaves none counted.
	w, _, _, err := f.newSession(app.ID, "w", portico.HashToken(portico.NewID("code_")), two)
	must(err)
	must(create("w"))
	if _, err := f.Store.RevokeUserSessions(f.Ctx, app.ID, w.UserID); err != nil {
		t.Fatal(err)
	}
	must(create("w"))
	must(create("w"))
	WantCode(t, create("w"), portico.CodeSessionLimitReached)
}

// testFindSessionByTokenHashConcurrent: lookups made at once (which
// PostgreSQL answers several to a statement) each get their own row: the
// session of their own token and its own user, the same row for callers of
// the same token, and none for a hash that names nothing.
func testFindSessionByTokenHashConcurrent(t *testing.T, f *Fixture) {
	app := f.NewApp(t, "many")
	const sessions, callers = 40, 400
	ids := make([]string, sessions)
	users := make([]string, sessions)
	hashes := make([][]byte, sessions+1)
	for i := range sessions {
		s, hash := f.userSession(t, app.ID, fmt.Sprint("u", i%(sessions/2)), nil)
		ids[i], users[i], hashes[i] = s.ID, s.UserID, hash
	}
	_, hashes[sessions] = portico.NewToken(portico.PrefixSessionToken)
	start := make(chan struct{})
	errs := make(chan error, callers)
	var wg sync.WaitGroup
	for c := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			i := c % (sessions + 1)
			s, u, err := f.Store.FindSessionByTokenHash(f.Ctx, hashes[i])
			switch {
			case i == sessions && portico.ErrorCode(err) != portico.CodeNotFound:
				errs <- fmt.Errorf("unknown hash: %v, %v", s, err)
			case i == sessions:
			case err != nil:
				errs <- fmt.Errorf("caller %d: %v", c, err)
			case s.ID != ids[i] || u.ID != users[i] || s.UserID != users[i]:
				errs <- fmt.Errorf("caller %d got session %s of %s (user %s), want %s of %s", c, s.ID, s.UserID, u.ID, ids[i], users[i])
			}
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// testFindSessionByTokenHashSeesRevocation: a lookup made after a
// revocation committed does not find the session, even while other lookups
// keep the store busy (on PostgreSQL: a statement in flight when the
// request arrived does not answer it).
func testFindSessionByTokenHashSeesRevocation(t *testing.T, f *Fixture) {
	app := f.NewApp(t, "revoked")
	_, busy := f.userSession(t, app.ID, "busy", nil)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, _, err := f.Store.FindSessionByTokenHash(f.Ctx, busy); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	defer func() {
		close(stop)
		wg.Wait()
	}()
	for i := range 30 {
		s, hash := f.userSession(t, app.ID, fmt.Sprint("u", i), nil)
		// A lookup just before the revocation, still in flight or not.
		wg.Add(1)
		go func() {
			defer wg.Done()
			f.Store.FindSessionByTokenHash(f.Ctx, hash)
		}()
		if _, _, err := f.Store.FindSessionByTokenHash(f.Ctx, hash); err != nil {
			t.Fatal(err)
		}
		if err := f.Store.RevokeSession(f.Ctx, app.ID, s.ID); err != nil {
			t.Fatal(err)
		}
		got, _, err := f.Store.FindSessionByTokenHash(f.Ctx, hash)
		if err == nil && got.RevokedAt == nil {
			t.Fatalf("session %d found unrevoked after its revocation committed", i)
		}
	}
}

// testSessionExtendsAtOnceEachGetTheirOwn: extensions made at once (which
// PostgreSQL runs several to a statement) each get their own session at
// the expiry they asked for, also when many extend one session; those of
// a revoked session, an expired one, another app's, or beyond the maximum
// lifetime are refused with their own reason while the others succeed.
func testSessionExtendsAtOnceEachGetTheirOwn(t *testing.T, f *Fixture) {
	app, other := f.NewApp(t, "a"), f.NewApp(t, "b")
	const maxTTL = 30 * 24 * 3600
	var live []*portico.Session
	for i := range 12 {
		s, _ := f.userSession(t, []string{app.ID, other.ID}[i%2], fmt.Sprint("u", i), nil)
		live = append(live, s)
	}
	revoked, _ := f.userSession(t, app.ID, "r", nil)
	if err := f.Store.RevokeSession(f.Ctx, app.ID, revoked.ID); err != nil {
		t.Fatal(err)
	}
	expired, _ := f.userSession(t, app.ID, "x", f.expiringIn(time.Minute))
	f.Clock.Advance(2 * time.Minute)
	now := f.Clock.Now()
	var wg sync.WaitGroup
	for i := range 300 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			want := now.Add(time.Hour + time.Duration(i)*time.Second)
			switch i % 10 {
			case 7:
				_, err := f.Store.ExtendSession(f.Ctx, app.ID, revoked.ID, want, maxTTL)
				WantCode(t, err, portico.CodeNotFound)
			case 8:
				_, err := f.Store.ExtendSession(f.Ctx, app.ID, expired.ID, want, maxTTL)
				WantCode(t, err, portico.CodeConflict)
			case 9:
				// Another app's session, named by this app; and this app's
				// beyond its maximum lifetime.
				_, err := f.Store.ExtendSession(f.Ctx, app.ID, live[1].ID, want, maxTTL)
				WantCode(t, err, portico.CodeNotFound)
				_, err = f.Store.ExtendSession(f.Ctx, app.ID, live[0].ID, now.Add(maxTTL*time.Second), maxTTL)
				WantCode(t, err, portico.CodeValidation)
			default:
				// Half of these extend live[0] or live[1], the rest spread.
				s := live[i%2]
				if i%3 == 0 {
					s = live[i%len(live)]
				}
				got, err := f.Store.ExtendSession(f.Ctx, s.AppID, s.ID, want, maxTTL)
				if err != nil {
					t.Errorf("extend %s: %v", s.ID, err)
					return
				}
				if got.ID != s.ID || got.AppID != s.AppID || got.UserID != s.UserID || !got.ExpiresAt.Equal(want) || !got.UpdatedAt.Equal(now) {
					t.Errorf("extend %s to %v: got %s of app %s, expiring %v, updated %v", s.ID, want, got.ID, got.AppID, got.ExpiresAt, got.UpdatedAt)
				}
			}
		}()
	}
	wg.Wait()
	if got := f.findSession(t, app.ID, revoked.ID); got.RevokedAt == nil || !got.ExpiresAt.Equal(revoked.ExpiresAt) {
		t.Fatalf("the revoked session: revoked %v, expires %v", got.RevokedAt, got.ExpiresAt)
	}
	if got := f.findSession(t, app.ID, expired.ID); !got.ExpiresAt.Equal(expired.ExpiresAt) {
		t.Fatalf("the expired session moved to %v", got.ExpiresAt)
	}
}
