package store_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/portico"
	"github.com/porticohq/portico/internal/store"
	"github.com/porticohq/portico/internal/store/storetest"
)

// The stripes that count a user's sessions (sessioncount.go) hold the sum
// of the user's active sessions exactly when none expired, whatever ran at
// once: creations spread over the stripes, revocations of single sessions
// and of all the user's sessions. And from the stripes' bound to the exact
// count near the limit, the limit stays exact: of 60 creations at once
// with room for 20, 20 succeed.
func TestSessionCount_StripesStayExactUnderConcurrency(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			ctx := context.Background()
			c := newCountEnv(t, e)
			db, raw, dbURL, app, create := c.db, c.raw, c.dbURL, c.app, c.create
			wide := portico.SessionLimit{Max: 1_000_000, Policy: portico.PolicyReject}
			first, err := create(wide)
			if err != nil {
				t.Fatal(err)
			}
			userID := first.UserID
			check := func(when string) int {
				t.Helper()
				var sum, active int
				if err := raw.QueryRow(q(dbURL, `SELECT COALESCE(SUM(live), 0) FROM session_counts WHERE user_id = ?`), userID).Scan(&sum); err != nil {
					t.Fatal(err)
				}
				if err := raw.QueryRow(q(dbURL, `SELECT COUNT(*) FROM sessions WHERE user_id = ? AND revoked_at IS NULL`), userID).Scan(&active); err != nil {
					t.Fatal(err)
				}
				if sum != active {
					t.Fatalf("%s: the stripes sum to %d, the user has %d active sessions", when, sum, active)
				}
				return active
			}

			made := make(chan string, 256)
			var wg, revokers sync.WaitGroup
			for range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range 25 {
						s, err := create(wide)
						if err != nil {
							t.Errorf("create: %v", err)
							return
						}
						made <- s.ID
					}
				}()
			}
			for range 3 {
				revokers.Add(1)
				go func() {
					defer revokers.Done()
					n := 0
					for id := range made {
						if n++; n%2 == 0 {
							if err := db.RevokeSession(ctx, app.ID, id); err != nil && portico.ErrorCode(err) != portico.CodeNotFound {
								t.Errorf("revoke: %v", err)
							}
						}
					}
				}()
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				time.Sleep(20 * time.Millisecond)
				if _, err := db.RevokeUserSessions(ctx, app.ID, userID); err != nil {
					t.Errorf("revoke all: %v", err)
				}
			}()
			wg.Wait()
			close(made)
			revokers.Wait()
			if t.Failed() {
				return
			}
			active := check("after creations and revocations at once")

			// Room for 20 more: the first creations pass on the stripes'
			// bound, the last ones count exactly.
			tight := portico.SessionLimit{Max: active + 20, Policy: portico.PolicyReject}
			var (
				mu      sync.Mutex
				ok, no  int
				racers  sync.WaitGroup
				started = make(chan struct{})
			)
			for range 60 {
				racers.Add(1)
				go func() {
					defer racers.Done()
					<-started
					_, err := create(tight)
					mu.Lock()
					defer mu.Unlock()
					switch portico.ErrorCode(err) {
					case "":
						ok++
					case portico.CodeSessionLimitReached:
						no++
					default:
						t.Errorf("create near the limit: %v", err)
					}
				}()
			}
			close(started)
			racers.Wait()
			if ok != 20 || no != 40 {
				t.Fatalf("near the limit: %d created, %d refused; want 20 and 40", ok, no)
			}
			if got := check("at the limit"); got != active+20 {
				t.Fatalf("%d active sessions, want %d", got, active+20)
			}
		})
	}
}

// Revoking all of a user's sessions while creations add the user's missing
// stripes (each new user has one) leaves the sum exact: the revocation
// holds every stripe, those added meanwhile included, so that no creation
// commits between its revoking the sessions and its zeroing the stripes.
func TestSessionCount_RevokeAllWhileStripesAreAdded(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			ctx := context.Background()
			c := newCountEnv(t, e)
			wide := portico.SessionLimit{Max: 1_000_000, Policy: portico.PolicyReject}
			for round := range 12 {
				ext := fmt.Sprintf("fresh-%d", round)
				first, err := c.createFor(ext, wide)
				if err != nil {
					t.Fatal(err)
				}
				userID := first.UserID
				var wg sync.WaitGroup
				start := make(chan struct{})
				for range 8 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						<-start
						for range 6 {
							if _, err := c.createFor(ext, wide); err != nil {
								t.Errorf("create: %v", err)
								return
							}
						}
					}()
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					if _, err := c.db.RevokeUserSessions(ctx, c.app.ID, userID); err != nil {
						t.Errorf("revoke all: %v", err)
					}
				}()
				close(start)
				wg.Wait()
				if t.Failed() {
					return
				}
				var sum, active int
				if err := c.raw.QueryRow(q(c.dbURL, `SELECT COALESCE(SUM(live), 0) FROM session_counts WHERE user_id = ?`), userID).Scan(&sum); err != nil {
					t.Fatal(err)
				}
				if err := c.raw.QueryRow(q(c.dbURL, `SELECT COUNT(*) FROM sessions WHERE user_id = ? AND revoked_at IS NULL`), userID).Scan(&active); err != nil {
					t.Fatal(err)
				}
				if sum != active {
					t.Fatalf("round %d: the stripes sum to %d, the user has %d active sessions", round, sum, active)
				}
			}
		})
	}
}

// Under the limit a creation never counts the user's sessions, not even
// the first to find the user's stripes missing (a user's first creation
// makes one): the sum keeps counting a session that expired since, where
// an exact count would have dropped it.
func TestSessionCount_NoRecountUnderLimit(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			c := newCountEnv(t, e)
			wide := portico.SessionLimit{Max: 1_000_000, Policy: portico.PolicyReject}
			var userID string
			for i := range 4 {
				s, err := c.create(wide)
				if err != nil {
					t.Fatal(err)
				}
				userID = s.UserID
				if i == 0 {
					c.clock.Advance(2 * time.Hour) // the first session expires
				}
			}
			var sum int
			if err := c.raw.QueryRow(q(c.dbURL, `SELECT SUM(live) FROM session_counts WHERE user_id = ?`), userID).Scan(&sum); err != nil {
				t.Fatal(err)
			}
			if sum != 4 {
				t.Fatalf("the stripes sum to %d after four creations, the first since expired: want 4 (a recount would give 3)", sum)
			}
		})
	}
}

// countEnv is a fresh store with one app, whose sessions it creates for
// one user.
type countEnv struct {
	db    *store.DB
	raw   *sql.DB
	dbURL string
	clock *storetest.Clock
	app   *portico.App
}

func newCountEnv(t *testing.T, e storetest.Engine) *countEnv {
	ctx := context.Background()
	c := &countEnv{clock: storetest.NewClock()}
	var dir string
	c.dbURL, dir = e.Fresh(t)
	db, err := store.Open(ctx, store.Config{DatabaseURL: c.dbURL, DataDir: dir, Clock: c.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	c.db, c.raw = db, rawDB(t, c.dbURL, dir)
	c.app = (&storetest.Fixture{Store: db, Clock: c.clock, Ctx: ctx}).NewApp(t, "stripes")
	return c
}

// create creates a session of an hour for the user "hot" under limit.
func (c *countEnv) create(limit portico.SessionLimit) (*portico.Session, error) {
	return c.createFor("hot", limit)
}

// createFor creates a session of an hour for the user ext under limit.
func (c *countEnv) createFor(ext string, limit portico.SessionLimit) (*portico.Session, error) {
	now := c.clock.Now()
	s := &portico.Session{ID: portico.NewID(portico.PrefixSession), AppID: c.app.ID, TTLSeconds: 3600,
		Settings: json.RawMessage(`{}`), Theme: json.RawMessage(`{}`), CustomSettings: json.RawMessage(`{}`), ExpiresAt: now.Add(time.Hour)}
	_, hash := portico.NewToken(portico.PrefixSessionToken)
	_, codeHash := portico.NewToken("code_")
	_, _, err := c.db.CreateSession(context.Background(), portico.NewSession{Session: s, UserID: portico.NewID(portico.PrefixUser),
		User: portico.UserInput{ExternalID: &ext, Metadata: json.RawMessage(`{}`)}, TokenHash: hash, Limit: limit,
		Code: &portico.ConfigCode{Hash: codeHash, AppID: c.app.ID, SessionID: s.ID, ExpiresAt: now.Add(time.Minute)}})
	return s, err
}

// rawDB opens the test's database beside the store, to read its tables.
func rawDB(t *testing.T, dbURL, dir string) *sql.DB {
	t.Helper()
	var (
		db  *sql.DB
		err error
	)
	if dbURL != "" {
		db, err = sql.Open("pgx", dbURL)
	} else {
		db, err = sql.Open("sqlite", "file:"+filepath.Join(dir, "portico.db"))
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// q writes the placeholders of query as the engine of dbURL expects them.
func q(dbURL, query string) string {
	if dbURL == "" {
		return query
	}
	n := 0
	out := []byte{}
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			out = fmt.Appendf(out, "$%d", n)
			continue
		}
		out = append(out, query[i])
	}
	return string(out)
}

// Deleting a user while sessions are created and signed out for it, and a
// configuration code is made for one of its sessions: each answers as if
// it had come before or after the others (the creations make the user
// again), never with a deadlock or a foreign key's failure.
func TestDeleteUser_RacesItsSessionsWriters(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			ctx := context.Background()
			c := newCountEnv(t, e)
			wide := portico.SessionLimit{Max: 1_000_000, Policy: portico.PolicyReject}
			slow := 0 // rounds that took deadlock_timeout (1 s): see TestRevival_RacesSignOutAndCreations
			for round := range 15 {
				ext := fmt.Sprintf("erased-%d", round)
				first, err := c.createFor(ext, wide)
				if err != nil {
					t.Fatal(err)
				}
				var wg sync.WaitGroup
				start := make(chan struct{})
				began := time.Now()
				run := func(what string, f func() error) {
					wg.Go(func() {
						<-start
						if err := f(); err != nil && portico.ErrorCode(err) != portico.CodeNotFound {
							t.Errorf("round %d, %s: %v", round, what, err)
						}
					})
				}
				run("delete user", func() error { return c.db.DeleteUser(ctx, c.app.ID, first.UserID) })
				for range 3 {
					run("create session", func() error { _, err := c.createFor(ext, wide); return err })
				}
				run("sign out", func() error { _, err := c.db.RevokeUserSessions(ctx, c.app.ID, first.UserID); return err })
				run("revoke one", func() error { return c.db.RevokeSession(ctx, c.app.ID, first.ID) })
				run("configuration code", func() error {
					_, hash := portico.NewToken("code_")
					return c.db.CreateConfigCode(ctx, &portico.ConfigCode{Hash: hash, AppID: c.app.ID, SessionID: first.ID,
						ExpiresAt: c.clock.Now().Add(time.Minute)})
				})
				close(start)
				wg.Wait()
				if time.Since(began) >= time.Second {
					slow++
				}
				if t.Failed() {
					return
				}
			}
			if slow > 2 {
				t.Fatalf("%d rounds of 15 took a second or more: deadlocks, run again after deadlock_timeout", slow)
			}
		})
	}
}

// A refresh that revives an expired session, racing the user's sign-out
// and creations for the user whose count has one stripe so far: each ends
// as if it came before or after the others, none with a deadlock, and the
// stripes still sum to the user's active sessions.
func TestRevival_RacesSignOutAndCreations(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			ctx := context.Background()
			c := newCountEnv(t, e)
			wide := portico.SessionLimit{Max: 1_000_000, Policy: portico.PolicyEvictOldest}
			// A deadlock costs a round PostgreSQL's deadlock_timeout (1 s)
			// before the store runs the loser again: rounds that slow tell
			// of one, where a round otherwise takes milliseconds.
			slow := 0
			for round := range 10 {
				ext := fmt.Sprintf("revived-%d", round)
				now := c.clock.Now()
				life := now.Add(24 * time.Hour)
				s := &portico.Session{ID: portico.NewID(portico.PrefixSession), AppID: c.app.ID, TTLSeconds: 60, Refreshable: true,
					Settings: json.RawMessage(`{}`), Theme: json.RawMessage(`{}`), CustomSettings: json.RawMessage(`{}`),
					ExpiresAt: now.Add(time.Minute), RefreshExpiresAt: &life}
				_, hash := portico.NewToken(portico.PrefixSessionToken)
				_, refresh := portico.NewToken(portico.PrefixRefreshToken)
				_, codeHash := portico.NewToken("code_")
				user, _, err := c.db.CreateSession(ctx, portico.NewSession{Session: s, UserID: portico.NewID(portico.PrefixUser),
					User: portico.UserInput{ExternalID: &ext, Metadata: json.RawMessage(`{}`)}, TokenHash: hash, RefreshHash: refresh, Limit: wide,
					Code: &portico.ConfigCode{Hash: codeHash, AppID: c.app.ID, SessionID: s.ID, ExpiresAt: now.Add(time.Minute)}})
				if err != nil {
					t.Fatal(err)
				}
				c.clock.Advance(2 * time.Minute)
				var wg sync.WaitGroup
				start := make(chan struct{})
				began := time.Now()
				wg.Go(func() {
					<-start
					_, tok := portico.NewToken(portico.PrefixSessionToken)
					_, next := portico.NewToken(portico.PrefixRefreshToken)
					_, err := c.db.RotateSessionTokens(ctx, c.app.ID, refresh, tok, next, c.clock.Now(), wide)
					if err != nil && portico.ErrorCode(err) != portico.CodeInvalidToken {
						t.Errorf("round %d, revival: %v", round, err)
					}
				})
				wg.Go(func() {
					<-start
					if _, err := c.db.RevokeUserSessions(ctx, c.app.ID, user.ID); err != nil {
						t.Errorf("round %d, sign out: %v", round, err)
					}
				})
				for range 3 {
					wg.Go(func() {
						<-start
						if _, err := c.createFor(ext, wide); err != nil {
							t.Errorf("round %d, create: %v", round, err)
						}
					})
				}
				close(start)
				wg.Wait()
				if time.Since(began) >= time.Second {
					slow++
				}
				var sum, active int
				if err := c.raw.QueryRow(q(c.dbURL, `SELECT COALESCE(SUM(live), 0) FROM session_counts WHERE user_id = ?`), user.ID).Scan(&sum); err != nil {
					t.Fatal(err)
				}
				if err := c.raw.QueryRow(q(c.dbURL, `SELECT COUNT(*) FROM sessions WHERE user_id = ? AND revoked_at IS NULL AND expires_at > ?`),
					user.ID, c.clock.Now().UnixMicro()).Scan(&active); err != nil {
					t.Fatal(err)
				}
				if sum < active {
					t.Fatalf("round %d: the stripes sum to %d, under the user's %d active sessions", round, sum, active)
				}
				if t.Failed() {
					return
				}
			}
			if slow > 2 {
				t.Fatalf("%d rounds of 10 took a second or more: deadlocks, run again after deadlock_timeout", slow)
			}
		})
	}
}

// TestCreateSession_ExpiryFollowsTheRow: the service sets a session's
// times by its clock, and the row is created later, at the transaction's
// (after waiting for the writer): its expiries move with it, so that
// expires_at is created_at plus the TTL exactly, on both engines.
func TestCreateSession_ExpiryFollowsTheRow(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			c := newCountEnv(t, e)
			asked := c.clock.Now().Add(-3 * time.Second) // the service's now
			life := asked.Add(24 * time.Hour)
			s := &portico.Session{ID: portico.NewID(portico.PrefixSession), AppID: c.app.ID, TTLSeconds: 600, Refreshable: true,
				Settings: json.RawMessage(`{}`), Theme: json.RawMessage(`{}`), CustomSettings: json.RawMessage(`{}`),
				CreatedAt: asked, ExpiresAt: asked.Add(10 * time.Minute), RefreshExpiresAt: &life}
			ext := "u"
			_, hash := portico.NewToken(portico.PrefixSessionToken)
			_, refresh := portico.NewToken(portico.PrefixRefreshToken)
			_, codeHash := portico.NewToken("code_")
			if _, _, err := c.db.CreateSession(context.Background(), portico.NewSession{Session: s, UserID: portico.NewID(portico.PrefixUser),
				User: portico.UserInput{ExternalID: &ext, Metadata: json.RawMessage(`{}`)}, TokenHash: hash, RefreshHash: refresh,
				Limit: portico.SessionLimit{Max: 100, Policy: portico.PolicyReject},
				Code:  &portico.ConfigCode{Hash: codeHash, AppID: c.app.ID, SessionID: s.ID, ExpiresAt: asked.Add(time.Minute)}}); err != nil {
				t.Fatal(err)
			}
			stored, err := c.db.FindSessionByID(context.Background(), c.app.ID, s.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, got := range []*portico.Session{s, stored} {
				if !got.CreatedAt.Equal(c.clock.Now()) || got.ExpiresAt.Sub(got.CreatedAt) != 10*time.Minute ||
					got.RefreshExpiresAt == nil || got.RefreshExpiresAt.Sub(got.CreatedAt) != 24*time.Hour {
					t.Errorf("created %v, expires %v, refresh life ends %v; want expiries 10m and 24h after the row's creation at %v",
						got.CreatedAt, got.ExpiresAt, got.RefreshExpiresAt, c.clock.Now())
				}
			}
		})
	}
}
