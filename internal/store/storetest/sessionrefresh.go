package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/portico"
)

// refreshableSession stores a refreshable session of the user keyed by ext,
// expiring ttl from now and refreshable for life from now, and returns it
// with its token and refresh token hashes.
func (f *Fixture) refreshableSession(t testing.TB, appID, ext string, ttl, life time.Duration) (*portico.Session, []byte, []byte) {
	t.Helper()
	var refresh []byte
	s, hash := f.userSession(t, appID, ext, func(s *portico.Session, ns *portico.NewSession) {
		now := f.Clock.Now()
		re := now.Add(life)
		s.Refreshable, s.TTLSeconds, s.ExpiresAt, s.RefreshExpiresAt = true, int(ttl/time.Second), now.Add(ttl), &re
		_, ns.RefreshHash = portico.NewToken(portico.PrefixRefreshToken)
		refresh = ns.RefreshHash
	})
	return s, hash, refresh
}

// rotateTo rotates the tokens of the session whose refresh token hashes to
// old, as a refresh arriving now does, and returns the new hashes with the
// outcome.
func (f *Fixture) rotateTo(appID string, old []byte) (sess *portico.Session, token, refresh []byte, reused string, err error) {
	return f.rotateArrived(appID, old, f.Clock.Now())
}

// rotateArrived is rotateTo for a refresh that arrived at the instant told.
func (f *Fixture) rotateArrived(appID string, old []byte, arrived time.Time) (sess *portico.Session, token, refresh []byte, reused string, err error) {
	_, token = portico.NewToken(portico.PrefixSessionToken)
	_, refresh = portico.NewToken(portico.PrefixRefreshToken)
	rs, err := f.Store.RotateSessionTokens(f.Ctx, appID, old, token, refresh, arrived, defaultLimit)
	return rs.Session, token, refresh, rs.ReusedSessionID, err
}

// rotate is rotateTo for callers that need not the new hashes.
func (f *Fixture) rotate(appID string, old []byte) (*portico.Session, string, error) {
	sess, _, _, reused, err := f.rotateTo(appID, old)
	return sess, reused, err
}

func testSessionRefreshRotates(t *testing.T, f *Fixture) {
	app := f.NewApp(t, "refresh")
	f.hookApp(t, app)
	s, h0, r0 := f.refreshableSession(t, app.ID, "u", 300*time.Second, 1000*time.Second)
	events := len(f.events(t, app.ID))

	// A refresh renews the session for its TTL from now, and swaps both
	// tokens: the old session token no longer finds it.
	f.Clock.Advance(200 * time.Second)
	want := f.findSession(t, app.ID, s.ID)
	want.ExpiresAt, want.UpdatedAt = f.Clock.Now().Add(300*time.Second), f.Clock.Now()
	got, h1, r1, reused, err := f.rotateTo(app.ID, r0)
	if err != nil || reused != "" {
		t.Fatalf("rotate: reused %q, %v", reused, err)
	}
	if d := diff(want, got); d != "" {
		t.Fatalf("rotated (-want +got):\n%s", d)
	}
	if d := diff(want, f.findSession(t, app.ID, s.ID)); d != "" {
		t.Fatalf("stored (-want +got):\n%s", d)
	}
	_, _, err = f.Store.FindSessionByTokenHash(f.Ctx, h0)
	WantCode(t, err, portico.CodeNotFound)
	f.wantTokenLookup(t, app.ID, s.ID, h1)

	// An extended session keeps its longer expiry through a refresh.
	extended := f.Clock.Now().Add(3600 * time.Second)
	if _, err := f.Store.ExtendSession(f.Ctx, app.ID, s.ID, extended, app.Settings.MaxSessionTTLSeconds); err != nil {
		t.Fatal(err)
	}
	f.Clock.Advance(time.Second)
	got, h2, _, _, err := f.rotateTo(app.ID, r1)
	if err != nil {
		t.Fatal(err)
	}
	if !got.ExpiresAt.Equal(extended) || !got.UpdatedAt.Equal(f.Clock.Now()) {
		t.Fatalf("refreshed after an extension: expires_at %v, updated_at %v; want %v, %v", got.ExpiresAt, got.UpdatedAt, extended, f.Clock.Now())
	}
	f.wantTokenLookup(t, app.ID, s.ID, h2)
	// Rotating says nothing to the webhook.
	if es := f.events(t, app.ID); len(es) != events {
		t.Fatalf("rotations queued %v", eventTypes(es[events:]))
	}

	// Unknown refresh tokens, and a session that is not refreshable, are
	// invalid tokens, and no session is named.
	plain, _ := f.userSession(t, app.ID, "u", nil)
	_, unknown := portico.NewToken(portico.PrefixRefreshToken)
	for _, h := range [][]byte{unknown, nil, {}} {
		if sess, reused, err := f.rotate(app.ID, h); portico.ErrorCode(err) != portico.CodeInvalidToken || sess != nil || reused != "" {
			t.Fatalf("rotate %x: session %v, reused %q, %v", h, sess != nil, reused, err)
		}
	}
	f.wantActive(t, app.ID, plain.ID)
}

// A refresh revives an expired session within its refresh life, capped at
// the end of that life; after it, the refresh token is invalid.
func testSessionRefreshRevivesWithinItsLifeOnly(t *testing.T, f *Fixture) {
	app := f.NewApp(t, "life")
	s, _, r0 := f.refreshableSession(t, app.ID, "u", 600*time.Second, 1000*time.Second)
	end := *s.RefreshExpiresAt
	f.Clock.Advance(700 * time.Second)
	got, _, r1, _, err := f.rotateTo(app.ID, r0)
	if err != nil {
		t.Fatal(err)
	}
	if !got.ExpiresAt.Equal(end) {
		t.Fatalf("revived until %v, want the refresh life's end %v", got.ExpiresAt, end)
	}
	f.wantActive(t, app.ID, s.ID)
	f.Clock.Advance(300 * time.Second)
	sess, reused, err := f.rotate(app.ID, r1)
	WantCode(t, err, portico.CodeInvalidToken)
	if sess != nil || reused != "" {
		t.Fatalf("refresh after its life: session %v, reused %q", sess != nil, reused)
	}
	if got := f.findSession(t, app.ID, s.ID); got.RevokedAt != nil {
		t.Fatal("a refresh after its life revoked the session")
	}
}

// Concurrent refreshes with one token: exactly one wins. The others arrived
// while the token was current: they lost a race, which is no sign of a
// stolen copy, so the session lives on with the winner's tokens. So does a
// refresh that arrived before the rotation and reaches the store long
// after it.
func testSessionRefreshConcurrentOneWins(t *testing.T, f *Fixture) {
	app := f.NewApp(t, "race")
	s, _, r0 := f.refreshableSession(t, app.ID, "u", time.Hour, 24*time.Hour)
	const n = 20
	arrived := f.Clock.Now()
	var (
		wg         sync.WaitGroup
		mu         sync.Mutex
		wins       int
		won        []byte
		wonRefresh []byte
		start      = make(chan struct{})
		losses     []string
	)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, token, refresh, reused, err := f.rotateArrived(app.ID, r0, arrived)
			mu.Lock()
			defer mu.Unlock()
			switch portico.ErrorCode(err) {
			case "":
				wins, won, wonRefresh = wins+1, token, refresh
			case portico.CodeInvalidToken:
				losses = append(losses, reused)
			default:
				t.Errorf("concurrent refresh: %v", err)
			}
		}()
	}
	close(start)
	wg.Wait()
	if wins != 1 || len(losses) != n-1 {
		t.Fatalf("%d refreshes won and %d lost, want 1 and %d", wins, len(losses), n-1)
	}
	for _, id := range losses {
		if id != "" {
			t.Fatalf("a refresh that lost a race named %q as reused", id)
		}
	}
	f.wantActive(t, app.ID, s.ID)
	f.wantTokenLookup(t, app.ID, s.ID, won)

	// A minute on, the winner's refresh token is rotated in turn. A refresh
	// with it that arrived just before, and reached the store only after,
	// lost a race; so did one that arrived as the rotation's time was
	// written.
	f.Clock.Advance(time.Minute)
	rotatedAt := f.Clock.Now()
	if _, _, _, _, err := f.rotateTo(app.ID, wonRefresh); err != nil {
		t.Fatal(err)
	}
	for _, at := range []time.Time{rotatedAt.Add(-time.Millisecond), rotatedAt} {
		if _, _, _, reused, err := f.rotateArrived(app.ID, wonRefresh, at); portico.ErrorCode(err) != portico.CodeInvalidToken || reused != "" {
			t.Fatalf("a refresh that arrived %v after the rotation: reused %q, %v", at.Sub(rotatedAt), reused, err)
		}
	}
	f.wantActive(t, app.ID, s.ID)

	// Presented a microsecond later, the same token is a reuse: the
	// session ends.
	f.Clock.Advance(time.Microsecond)
	if _, reused, err := f.rotate(app.ID, wonRefresh); portico.ErrorCode(err) != portico.CodeInvalidToken || reused != s.ID {
		t.Fatalf("reuse after the race: reused %q, %v", reused, err)
	}
	if got := f.findSession(t, app.ID, s.ID); got.RevokedAt == nil {
		t.Fatal("the session survived the reuse of its refresh token")
	}
}

func testSessionRefreshReuseRevokes(t *testing.T, f *Fixture) {
	app, other := f.NewApp(t, "reuse"), f.NewApp(t, "other")
	f.hookApp(t, app)
	s, _, r0 := f.refreshableSession(t, app.ID, "u", time.Hour, 24*time.Hour)
	_, _, r1, _, err := f.rotateTo(app.ID, r0)
	if err != nil {
		t.Fatal(err)
	}
	_, h2, r2, _, err := f.rotateTo(app.ID, r1)
	if err != nil {
		t.Fatal(err)
	}
	// Another app presenting a rotated token gets an invalid token, and
	// the session lives on.
	if sess, reused, err := f.rotate(other.ID, r0); portico.ErrorCode(err) != portico.CodeInvalidToken || sess != nil || reused != "" {
		t.Fatalf("another app reuses: session %v, reused %q, %v", sess != nil, reused, err)
	}
	f.wantActive(t, app.ID, s.ID)

	// Reusing a rotated token revokes the session and names it.
	f.Clock.Advance(time.Minute)
	sess, reused, err := f.rotate(app.ID, r0)
	WantCode(t, err, portico.CodeInvalidToken)
	if sess != nil || reused != s.ID {
		t.Fatalf("reuse: session %v, reused %q, want %s", sess != nil, reused, s.ID)
	}
	f.wantRevoked(t, app.ID, s.ID, h2, f.Clock.Now())
	if d := diff([]string{created(s.ID), revoked(s.ID)}, f.sessionEvents(t, app.ID)); d != "" {
		t.Fatalf("session events (-want +got):\n%s", d)
	}
	// The current refresh token is dead with its session.
	if sess, reused, err := f.rotate(app.ID, r2); portico.ErrorCode(err) != portico.CodeInvalidToken || sess != nil || reused != "" {
		t.Fatalf("refresh of the revoked session: session %v, reused %q, %v", sess != nil, reused, err)
	}
	// Reused again, the token still names the session; it stays revoked
	// as it was, and nothing more is said.
	f.Clock.Advance(time.Minute)
	if _, reused, err := f.rotate(app.ID, r1); portico.ErrorCode(err) != portico.CodeInvalidToken || reused != s.ID {
		t.Fatalf("second reuse: reused %q, %v", reused, err)
	}
	f.wantRevoked(t, app.ID, s.ID, nil, f.Clock.Now().Add(-time.Minute))
	if got := len(f.sessionEvents(t, app.ID)); got != 2 {
		t.Fatalf("%d session events after a second reuse, want 2", got)
	}
}

// PurgeSessions deletes, deployment-wide and batch by batch, the sessions
// that could no longer be used before the given instant: revoked or expired
// then, and past their refresh life when refreshable.
func testSessionPurge(t *testing.T, f *Fixture) {
	app, other := f.NewApp(t, "a"), f.NewApp(t, "b")
	t0 := f.Clock.Now()
	short, shortHash := f.userSession(t, app.ID, "u", f.expiringIn(time.Minute))
	long, _ := f.userSession(t, app.ID, "u", f.expiringIn(time.Hour))
	gone, _ := f.userSession(t, app.ID, "u", nil)
	if err := f.Store.RevokeSession(f.Ctx, app.ID, gone.ID); err != nil {
		t.Fatal(err)
	}
	refreshable, _, _ := f.refreshableSession(t, app.ID, "u", time.Minute, 24*time.Hour)
	extended, _ := f.userSession(t, app.ID, "u", f.expiringIn(time.Minute))
	if _, err := f.Store.ExtendSession(f.Ctx, app.ID, extended.ID, t0.Add(2*time.Hour), app.Settings.MaxSessionTTLSeconds); err != nil {
		t.Fatal(err)
	}
	theirs, _ := f.userSession(t, other.ID, "u", f.expiringIn(time.Minute))

	purge := func(before time.Time, batch, want int) {
		t.Helper()
		if n, err := f.Store.PurgeSessions(f.Ctx, before, batch); err != nil || n != want {
			t.Fatalf("purge before %v by %d: %d (%v), want %d", before.Sub(t0), batch, n, err, want)
		}
	}
	wantGone := func(appID string, ids ...string) {
		t.Helper()
		for _, id := range ids {
			_, err := f.Store.FindSessionByID(f.Ctx, appID, id)
			WantCode(t, err, portico.CodeNotFound)
		}
	}
	wantKept := func(ids ...string) {
		t.Helper()
		for _, id := range ids {
			f.findSession(t, app.ID, id)
		}
	}
	// Nothing ended before t0: the session revoked at t0 stays.
	grace := 7 * 24 * time.Hour
	f.Clock.Advance(grace)
	purge(f.Clock.Now().Add(-grace), 100, 0)
	wantKept(short.ID, long.ID, gone.ID, refreshable.ID, extended.ID)
	// Two minutes on: the revoked and the expired ones of both apps go, at
	// most batch at a time.
	f.Clock.Advance(2 * time.Minute)
	purge(f.Clock.Now().Add(-grace), 2, 2)
	purge(f.Clock.Now().Add(-grace), 100, 1)
	purge(f.Clock.Now().Add(-grace), 100, 0)
	wantGone(app.ID, short.ID, gone.ID)
	wantGone(other.ID, theirs.ID)
	_, _, err := f.Store.FindSessionByTokenHash(f.Ctx, shortHash)
	WantCode(t, err, portico.CodeNotFound)
	wantKept(long.ID, refreshable.ID, extended.ID)
	// The others go once their expiry, extended or not, or their refresh
	// life has passed.
	purge(t0.Add(time.Hour), 100, 0)
	purge(t0.Add(time.Hour+time.Microsecond), 100, 1)
	wantGone(app.ID, long.ID)
	purge(t0.Add(2*time.Hour), 100, 0)
	purge(t0.Add(2*time.Hour+time.Microsecond), 100, 1)
	wantGone(app.ID, extended.ID)
	purge(t0.Add(24*time.Hour+time.Microsecond), 100, 1)
	wantGone(app.ID, refreshable.ID)
}

// A refresh that brings an expired session back counts it against the
// limit as a creation would: at the limit, the oldest active session makes
// room (evict_oldest), or the refresh is refused and changes nothing
// (reject).
func testSessionRefreshRevivalKeepsTheLimit(t *testing.T, f *Fixture) {
	for _, policy := range []string{portico.PolicyEvictOldest, portico.PolicyReject} {
		t.Run(policy, func(t *testing.T) {
			app := f.NewApp(t, "revive")
			limit := portico.SessionLimit{Max: 2, Policy: policy}
			old, _, r0 := f.refreshableSession(t, app.ID, "u", 10*time.Second, 1000*time.Second)
			f.Clock.Advance(20 * time.Second)
			a, _ := f.userSession(t, app.ID, "u", nil)
			f.Clock.Advance(time.Second)
			b, _ := f.userSession(t, app.ID, "u", nil)
			_, token := portico.NewToken(portico.PrefixSessionToken)
			_, refresh := portico.NewToken(portico.PrefixRefreshToken)
			rs, err := f.Store.RotateSessionTokens(f.Ctx, app.ID, r0, token, refresh, f.Clock.Now(), limit)
			if policy == portico.PolicyReject {
				WantCode(t, err, portico.CodeSessionLimitReached)
				if rs.Session != nil || len(rs.Evicted) != 0 {
					t.Fatalf("a refused refresh answered %+v", rs)
				}
				if s := f.findSession(t, app.ID, old.ID); s.Active(f.Clock.Now()) {
					t.Fatal("a refused refresh revived the session")
				}
				f.wantActive(t, app.ID, a.ID)
				f.wantActive(t, app.ID, b.ID)
				// Nothing was rotated: under a wider limit, the same refresh
				// token revives it.
				if _, _, _, _, err := f.rotateTo(app.ID, r0); err != nil {
					t.Fatalf("the refresh token after a refusal: %v", err)
				}
				f.wantActive(t, app.ID, old.ID)
				return
			}
			if err != nil || rs.Session == nil || len(rs.Evicted) != 1 || rs.Evicted[0] != a.ID {
				t.Fatalf("revival at the limit: %+v %v; want %s evicted", rs, err, a.ID)
			}
			f.wantActive(t, app.ID, old.ID)
			f.wantActive(t, app.ID, b.ID)
			f.wantRevoked(t, app.ID, a.ID, nil, f.Clock.Now())
			list, err := f.Store.ListActiveSessions(f.Ctx, app.ID, portico.SessionFilter{UserID: &b.UserID}, f.Clock.Now(), portico.ListQuery{Limit: 10})
			if err != nil || len(list) != 2 {
				t.Fatalf("active sessions: %d %v, want 2", len(list), err)
			}
		})
	}
}

// testSessionFindByRefreshHash: a refresh token, current or rotated away,
// names its session whatever the session's state, and only to its app.
func testSessionFindByRefreshHash(t *testing.T, f *Fixture) {
	app := f.NewApp(t, "find by refresh")
	other := f.NewApp(t, "other")
	s, _, r0 := f.refreshableSession(t, app.ID, "u", 10*time.Second, 1000*time.Second)
	_, _, r1, _, err := f.rotateTo(app.ID, r0)
	if err != nil {
		t.Fatal(err)
	}
	f.Clock.Advance(time.Minute) // the session expires; its refresh token does not
	for name, hash := range map[string][]byte{"current": r1, "rotated away": r0} {
		if id, err := f.Store.FindSessionIDByRefreshHash(f.Ctx, app.ID, hash); err != nil || id != s.ID {
			t.Errorf("%s: %q %v, want %s", name, id, err, s.ID)
		}
		_, err := f.Store.FindSessionIDByRefreshHash(f.Ctx, other.ID, hash)
		WantCode(t, err, portico.CodeNotFound)
	}
	_, unknown := portico.NewToken(portico.PrefixRefreshToken)
	_, err = f.Store.FindSessionIDByRefreshHash(f.Ctx, app.ID, unknown)
	WantCode(t, err, portico.CodeNotFound)
}
