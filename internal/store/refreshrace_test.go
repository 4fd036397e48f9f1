package store_test

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/portico"
	"github.com/porticohq/portico/internal/store"
	"github.com/porticohq/portico/internal/store/storetest"
)

// A refresh whose rotation waited on a lock (PostgreSQL: the user's
// session count) is dated when it wrote, not when its transaction began:
// a second refresh that arrived during that wait lost a race, and ends
// nothing, however long the wait.
func TestRotateSessionTokens_ARotationDatedAfterItsLockWait(t *testing.T) {
	base := os.Getenv(storetest.PostgresEnv)
	if base == "" {
		t.Skipf("%s is not set", storetest.PostgresEnv)
	}
	ctx := context.Background()
	dbURL := storetest.FreshPostgres(t, base)
	clock := storetest.NewClock()
	db, err := store.Open(ctx, store.Config{DatabaseURL: dbURL, Clock: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	svc := portico.NewService(db, &portico.Service{Now: clock.Now, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), NoActivity: true})
	app, _, err := svc.CreateApp(ctx, "Acme")
	if err != nil {
		t.Fatal(err)
	}
	ext := "u1"
	cs, err := svc.CreateSession(ctx, app, portico.SessionInput{User: portico.UserInput{ExternalID: &ext}, Refreshable: true})
	if err != nil {
		t.Fatal(err)
	}
	r0 := portico.HashToken(cs.RefreshToken)

	// Another transaction holds the user's session count.
	raw, err := sql.Open("pgx", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	holder, err := raw.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := holder.ExecContext(ctx, `SELECT 1 FROM session_counts WHERE app_id = $1 AND stripe = 0 FOR UPDATE`, app.ID); err != nil {
		t.Fatal(err)
	}
	// Refresh A arrives and waits on that lock.
	rotated := make(chan error, 1)
	go func() {
		_, tok := portico.NewToken(portico.PrefixSessionToken)
		_, ref := portico.NewToken(portico.PrefixRefreshToken)
		_, err := db.RotateSessionTokens(ctx, app.ID, r0, tok, ref, clock.Now(), portico.SessionLimit{Max: 10, Policy: portico.PolicyEvictOldest})
		rotated <- err
	}()
	time.Sleep(300 * time.Millisecond)
	// Two seconds on, refresh B arrives with the same token, still current.
	clock.Advance(2 * time.Second)
	arrivedB := clock.Now()
	if err := holder.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := <-rotated; err != nil {
		t.Fatalf("refresh A: %v", err)
	}
	_, tok := portico.NewToken(portico.PrefixSessionToken)
	_, ref := portico.NewToken(portico.PrefixRefreshToken)
	rs, err := db.RotateSessionTokens(ctx, app.ID, r0, tok, ref, arrivedB, portico.SessionLimit{Max: 10, Policy: portico.PolicyEvictOldest})
	reused, revoked := rs.ReusedSessionID, rs.Revoked
	if portico.ErrorCode(err) != portico.CodeInvalidToken || reused != "" || revoked {
		t.Fatalf("refresh B: reused %q, revoked %v, %v", reused, revoked, err)
	}
	if s, err := db.FindSessionByID(ctx, app.ID, cs.Session.ID); err != nil || s.RevokedAt != nil {
		t.Fatalf("the session after the race: %v %v", s, err)
	}
}
