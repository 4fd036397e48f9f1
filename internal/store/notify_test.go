package store_test

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/store/storetest"
)

// ListenConnected says it is ready only once it hears: a notification sent
// right after ready, by anyone, reaches fn. On SQLite it is ready at once
// and returns.
func TestListenConnected_HearsOnceReady(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			dbURL, dir := e.Fresh(t)
			db := storetest.OpenAt(t, dbURL, dir, nil)
			ctx, cancel := context.WithCancel(context.Background())
			heard := make(chan string, 1)
			ready := make(chan struct{})
			done := make(chan struct{})
			go func() {
				defer close(done)
				db.ListenConnected(ctx, slog.New(slog.NewTextHandler(io.Discard, nil)),
					func(appID, userID, slug string) { heard <- appID + "/" + userID + "/" + slug },
					func() { close(ready) })
			}()
			t.Cleanup(func() { cancel(); <-done })
			select {
			case <-ready:
			case <-time.After(10 * time.Second):
				t.Fatal("not ready after 10 s")
			}
			if e.Name == "sqlite" {
				select {
				case <-done:
				case <-time.After(10 * time.Second):
					t.Fatal("ListenConnected did not return on SQLite")
				}
				return
			}
			other, err := sql.Open("pgx", dbURL)
			if err != nil {
				t.Fatal(err)
			}
			defer other.Close()
			if _, err := other.Exec(`SELECT pg_notify('portico_connected', 'app_1 usr_1 notes')`); err != nil {
				t.Fatal(err)
			}
			select {
			case got := <-heard:
				if got != "app_1/usr_1/notes" {
					t.Fatalf("heard %q", got)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("a notification sent after ready was not heard")
			}
		})
	}
}
