package store

import (
	"context"
	"slices"
	"sync"
	"testing"
)

// Processes that start together on a new SQLite store (a server and a
// management command) migrate it once between them, and none fails:
// each migration is applied in a transaction that holds the write lock
// and first checks that no one applied it meanwhile.
func TestMigrate_ConcurrentOpenersOnOneNewStore(t *testing.T) {
	ctx := context.Background()
	for range 5 {
		dir := t.TempDir()
		const n = 4
		dbs := make([]*DB, n)
		for i := range dbs {
			db, err := Open(ctx, Config{DataDir: dir})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			dbs[i] = db
		}
		want, err := dbs[0].migrations()
		if err != nil {
			t.Fatal(err)
		}
		var (
			wg    sync.WaitGroup
			mu    sync.Mutex
			total int
		)
		for _, db := range dbs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				applied, err := db.Migrate(ctx)
				if err != nil {
					t.Errorf("migrate: %v", err)
				}
				mu.Lock()
				total += applied
				mu.Unlock()
			}()
		}
		wg.Wait()
		if total != len(want) {
			t.Fatalf("%d migrations applied between %d openers, want %d", total, n, len(want))
		}
		if pending, err := dbs[0].Pending(ctx); err != nil || pending != 0 {
			t.Fatalf("pending after: %d, %v", pending, err)
		}
	}
}

// A store a newer portico migrated is migrated as far as this binary
// knows, and the migrations it does not know are reported (a node of the
// previous release keeps running on a migrated schema).
func TestMigrate_ReportsANewerSchema(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if u := db.UnknownMigrations(); len(u) != 0 {
		t.Fatalf("unknown migrations on a store of this binary: %v", u)
	}
	if _, err := db.write.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, '9999_future.sql', 1)`); err != nil {
		t.Fatal(err)
	}
	if n, err := db.Migrate(ctx); err != nil || n != 0 || !slices.Equal(db.UnknownMigrations(), []int{9999}) {
		t.Fatalf("migrate a newer store: %d, %v, unknown %v", n, err, db.UnknownMigrations())
	}
}
