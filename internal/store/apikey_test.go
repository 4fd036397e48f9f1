package store_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/porticohq/portico/internal/portico"
	"github.com/porticohq/portico/internal/store"
	"github.com/porticohq/portico/internal/store/storetest"
)

// Authenticating a revoked key does the work of an unknown one: the lookup
// ends on no row, and the app — whose settings decoding made a revoked key
// tens of microseconds slower to refuse — is never read. With the app's
// stored settings made unreadable, the active key's lookup fails on them
// while the revoked and the unknown key are both simply not found.
func TestFindActiveAPIKeyByHash_RevokedKeyReadsNoApp(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			ctx := context.Background()
			dbURL, dir := e.Fresh(t)
			db, err := store.Open(ctx, store.Config{DatabaseURL: dbURL, DataDir: dir})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if _, err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			f := &storetest.Fixture{Store: db, Clock: storetest.NewClock(), Ctx: ctx}
			app := f.NewApp(t, "a")
			key := func() *portico.APIKey {
				_, hash := portico.NewToken(portico.PrefixAPIKeySecret)
				k := &portico.APIKey{ID: portico.NewID(portico.PrefixAPIKey), AppID: app.ID, Hash: hash, Hint: "abcd"}
				if err := db.CreateAPIKey(ctx, k); err != nil {
					t.Fatal(err)
				}
				return k
			}
			active, revoked := key(), key()
			if err := db.RevokeAPIKey(ctx, app.ID, revoked.ID); err != nil {
				t.Fatal(err)
			}

			driver, dsn, query := "sqlite", "file:"+filepath.Join(dir, "portico.db"), `UPDATE apps SET settings = '[]' WHERE id = ?`
			if dbURL != "" {
				driver, dsn, query = "pgx", dbURL, `UPDATE apps SET settings = '[]' WHERE id = $1`
			}
			raw, err := sql.Open(driver, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer raw.Close()
			if _, err := raw.ExecContext(ctx, query, app.ID); err != nil {
				t.Fatal(err)
			}

			if _, _, err := db.FindActiveAPIKeyByHash(ctx, active.Hash); portico.ErrorCode(err) != portico.CodeInternal {
				t.Fatalf("active key with unreadable app settings: %v, want the decoding failure", err)
			}
			_, unknown := portico.NewToken(portico.PrefixAPIKeySecret)
			for name, hash := range map[string][]byte{"revoked": revoked.Hash, "unknown": unknown} {
				if _, _, err := db.FindActiveAPIKeyByHash(ctx, hash); portico.ErrorCode(err) != portico.CodeNotFound {
					t.Errorf("%s key: %v, want not found without reading the app", name, err)
				}
			}
		})
	}
}
