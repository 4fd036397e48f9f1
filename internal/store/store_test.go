package store_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/portico"
	"github.com/porticohq/portico/internal/store"
	"github.com/porticohq/portico/internal/store/storetest"
)

func TestStore(t *testing.T) { storetest.Run(t) }

// The SQLite token and API key lookups run on connections of their own:
// they must end each read (a read left open would pin the WAL and hide
// later writes), and stop with the store.
func TestSQLiteLookup_EndsItsReadsAndCloses(t *testing.T) {
	ctx := context.Background()
	clock := storetest.NewClock()
	dir := t.TempDir()
	db, err := store.Open(ctx, store.Config{DataDir: dir, Clock: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	f := &storetest.Fixture{Store: db, Clock: clock, Ctx: ctx}
	app := f.NewApp(t, "lookup")
	ext := "u1"
	s, hash := f.TokenSession(t, app.ID, portico.UserInput{ExternalID: &ext}, nil)
	_, keyHash := portico.NewToken(portico.PrefixAPIKeySecret)
	key := &portico.APIKey{ID: portico.NewID(portico.PrefixAPIKey), AppID: app.ID, Hash: keyHash, Hint: "wxyz", Permissions: []string{portico.PermissionAll}}
	if err := db.CreateAPIKey(ctx, key); err != nil {
		t.Fatal(err)
	}

	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				if _, _, err := db.FindSessionByTokenHash(ctx, hash); err != nil {
					t.Errorf("lookup: %v", err)
					return
				}
				if _, _, err := db.FindActiveAPIKeyByHash(ctx, keyHash); err != nil {
					t.Errorf("key lookup: %v", err)
					return
				}
			}
		}()
	}
	wg.Wait()

	// A full checkpoint that truncates the WAL succeeds only when no
	// connection holds a read open; this one does not wait for any. The
	// store's background checkpointer may be running a checkpoint of its
	// own at that moment, which also answers busy for a few milliseconds:
	// a read kept open would answer busy every time, so a second of tries
	// tells the two apart.
	other, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "portico.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	var busy, logFrames, done int
	for deadline := time.Now().Add(time.Second); ; time.Sleep(20 * time.Millisecond) {
		if err := other.QueryRowContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)").Scan(&busy, &logFrames, &done); err != nil {
			t.Fatal(err)
		}
		if busy == 0 || time.Now().After(deadline) {
			break
		}
	}
	if busy != 0 {
		t.Errorf("wal_checkpoint(TRUNCATE): busy = %d for a second: a lookup connection kept a read open", busy)
	}
	// The session is still found after the WAL was folded into the file.
	if got, _, err := db.FindSessionByTokenHash(ctx, hash); err != nil || got.ID != s.ID {
		t.Fatalf("lookup after checkpoint: %v, %v", got, err)
	}
	// A revocation committed before a key lookup is seen by it.
	if err := db.RevokeAPIKey(ctx, app.ID, key.ID); err != nil {
		t.Fatal(err)
	}
	_, _, err = db.FindActiveAPIKeyByHash(ctx, keyHash)
	storetest.WantCode(t, err, portico.CodeNotFound)

	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	_, _, err = db.FindSessionByTokenHash(ctx, hash)
	var pe *portico.Error
	if !errors.As(err, &pe) || pe.Code != portico.CodeUnavailable {
		t.Fatalf("lookup after Close: %v, want %s", err, portico.CodeUnavailable)
	}
	_, _, err = db.FindActiveAPIKeyByHash(ctx, keyHash)
	storetest.WantCode(t, err, portico.CodeUnavailable)
}
