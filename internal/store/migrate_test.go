package store

import (
	"context"
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
