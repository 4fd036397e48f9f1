package storetest

import (
	"testing"

	"github.com/porticohq/portico/internal/portico"
)

func ptr[T any](v T) *T { return &v }

func init() {
	register("FindOrCreateUser/CreatesThenFinds", func(t *testing.T, f *Fixture) {
		app := f.NewApp(t, "a")
		in := portico.UserInput{ExternalID: ptr("u-1"), Name: "Ann", Metadata: []byte(`{}`)}
		u1, created, err := f.Store.FindOrCreateUser(f.Ctx, app.ID, portico.NewID(portico.PrefixUser), in)
		if err != nil || !created {
			t.Fatalf("first: created=%v err=%v", created, err)
		}
		in.Name = "Other"
		u2, created, err := f.Store.FindOrCreateUser(f.Ctx, app.ID, portico.NewID(portico.PrefixUser), in)
		if err != nil || created || u2.ID != u1.ID || u2.Name != "Ann" {
			t.Fatalf("second: created=%v err=%v user=%+v", created, err, u2)
		}
	})
	register("FindUserByID/OtherAppCannotSeeIt", func(t *testing.T, f *Fixture) {
		a, b := f.NewApp(t, "a"), f.NewApp(t, "b")
		u, _, err := f.Store.FindOrCreateUser(f.Ctx, a.ID, portico.NewID(portico.PrefixUser), portico.UserInput{ExternalID: ptr("x"), Metadata: []byte(`{}`)})
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.Store.FindUserByID(f.Ctx, b.ID, u.ID)
		WantCode(t, err, portico.CodeNotFound)
		_, err = f.Store.UpdateUser(f.Ctx, b.ID, u.ID, portico.UserUpdate{Name: ptr("evil")})
		WantCode(t, err, portico.CodeNotFound)
		WantCode(t, f.Store.DeleteUser(f.Ctx, b.ID, u.ID), portico.CodeNotFound)
		got, err := f.Store.FindUserByID(f.Ctx, a.ID, u.ID)
		if err != nil || got.Name != "" {
			t.Fatalf("user changed by another app: %+v %v", got, err)
		}
	})
}
