package storetest

import (
	"context"
	"testing"

	"github.com/porticohq/portico/internal/portico"
)

// Run runs the conformance suite on every engine.
func Run(t *testing.T) {
	for _, e := range Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					t.Parallel()
					clock := NewClock()
					db := Open(t, e, clock.Now)
					tc.run(t, &Fixture{Store: db, Clock: clock, Ctx: context.Background()})
				})
			}
		})
	}
}

// Fixture is what a conformance case gets: a fresh store and its clock.
type Fixture struct {
	Store portico.Store
	Clock *Clock
	Ctx   context.Context
}

var cases []struct {
	name string
	run  func(t *testing.T, f *Fixture)
}

// register adds a case to the suite; each aggregate's file registers its own.
func register(name string, run func(t *testing.T, f *Fixture)) {
	cases = append(cases, struct {
		name string
		run  func(t *testing.T, f *Fixture)
	}{name, run})
}

// NewApp creates an app with a key and returns it.
func (f *Fixture) NewApp(t testing.TB, name string) *portico.App {
	t.Helper()
	app := &portico.App{ID: portico.NewID(portico.PrefixApp), Name: name, Settings: portico.DefaultAppSettings()}
	_, hash := portico.NewToken(portico.PrefixAPIKeySecret)
	key := &portico.APIKey{ID: portico.NewID(portico.PrefixAPIKey), AppID: app.ID, Hash: hash, Hint: "abcd"}
	if err := f.Store.CreateApp(f.Ctx, app, key); err != nil {
		t.Fatalf("create app: %v", err)
	}
	return app
}

// WantCode fails unless err carries code.
func WantCode(t testing.TB, err error, code portico.Code) {
	t.Helper()
	if got := portico.ErrorCode(err); got != code {
		t.Fatalf("error code = %q, want %q (err: %v)", got, code, err)
	}
}
