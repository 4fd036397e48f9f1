package portico_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/portico"
	"github.com/porticohq/portico/internal/store/storetest"
)

// A user keyed by email is found however many users with an external id
// share the address before it: perform by email, FindUserByKey and the
// external-id lookups read the same way.
func TestFindUserByKey_EmailBehindManyHolders(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			svc, db, clock, app := newAppService(t, e)
			ctx := context.Background()
			email := "shared@example.com"
			for i := range portico.MaxPageSize + 1 {
				ext := fmt.Sprintf("holder-%03d", i)
				if _, _, err := svc.FindOrCreateUser(ctx, app.ID, portico.UserInput{ExternalID: &ext, Email: &email}); err != nil {
					t.Fatal(err)
				}
				clock.Advance(time.Millisecond)
			}
			keyed, _, err := svc.FindOrCreateUser(ctx, app.ID, portico.UserInput{Email: &email})
			if err != nil {
				t.Fatal(err)
			}
			got, err := svc.FindUserByKey(ctx, app.ID, email)
			if err != nil || got.ID != keyed.ID {
				t.Fatalf("FindUserByKey(email) = %+v, %v; want %s", got, err, keyed.ID)
			}
			if _, _, err := svc.PutIntegration(ctx, app.ID, "stripe", portico.IntegrationInput{Template: "stripe"}); err != nil {
				t.Fatal(err)
			}
			_, err = svc.Perform(ctx, app, portico.PerformRequest{User: portico.UserRef{Email: &email}, Integration: "stripe",
				Request: &portico.RawRequest{Method: "GET", Path: "/user"}})
			var cr *portico.ConnectionRequired
			if !errors.As(err, &cr) {
				t.Fatalf("perform by email: %v; want connection_required for the keyed user", err)
			}
			sess, err := db.FindSessionByID(ctx, app.ID, cr.SessionID)
			if err != nil || sess.UserID != keyed.ID {
				t.Fatalf("connection_required session %+v, %v; want one of %s", sess, err, keyed.ID)
			}
			ext := "holder-100"
			got, err = svc.FindUserByKey(ctx, app.ID, ext)
			if err != nil || got.ExternalID == nil || *got.ExternalID != ext {
				t.Fatalf("FindUserByKey(external id) = %+v, %v", got, err)
			}
		})
	}
}
