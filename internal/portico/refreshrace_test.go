package portico_test

import (
	"context"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/portico"
	"github.com/porticohq/portico/internal/store/storetest"
)

// A refresh is judged by when its request arrived (the Caller's Arrived),
// not by when it reaches the store: one that arrived while its token was
// current, and reached the store seconds after another refresh rotated
// it, lost a race and ends nothing. Without an arrival, now is used.
func TestRefreshSession_JudgedByArrival(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			svc, db, clock, app := newAppService(t, e)
			ctx := context.Background()
			ext := "u1"
			cs, err := svc.CreateSession(ctx, app, portico.SessionInput{User: portico.UserInput{ExternalID: &ext}, Refreshable: true})
			if err != nil {
				t.Fatal(err)
			}
			arrived := clock.Now()
			if _, err := svc.RefreshSession(ctx, app, cs.RefreshToken); err != nil {
				t.Fatal(err)
			}
			clock.Advance(5 * time.Second)
			late := portico.WithCaller(ctx, &portico.Caller{Arrived: arrived})
			if _, err := svc.RefreshSession(late, app, cs.RefreshToken); portico.ErrorCode(err) != portico.CodeInvalidToken {
				t.Fatalf("the slow loser: %v", err)
			}
			if s, err := db.FindSessionByID(ctx, app.ID, cs.Session.ID); err != nil || s.RevokedAt != nil {
				t.Fatalf("the session after a lost race: %+v %v", s, err)
			}
			// Arriving now, five seconds after the rotation, the same
			// token is a reuse.
			if _, err := svc.RefreshSession(ctx, app, cs.RefreshToken); portico.ErrorCode(err) != portico.CodeInvalidToken {
				t.Fatalf("the reuse: %v", err)
			}
			if s, err := db.FindSessionByID(ctx, app.ID, cs.Session.ID); err != nil || s.RevokedAt == nil {
				t.Fatalf("the session after a reuse: %+v %v", s, err)
			}
		})
	}
}
