// Package storetest is the store conformance suite, run on every engine, and
// the helpers that open a fresh database of each engine for tests.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/portico"
	"github.com/porticohq/portico/internal/store"
)

// PostgresEnv names the variable holding the PostgreSQL test server's URL.
const PostgresEnv = "PORTICO_TEST_POSTGRES_URL"

// Engine is one database engine the tests run on.
type Engine struct {
	Name string
	// URL returns a fresh, empty database for one test: a database URL for
	// PostgreSQL (a schema of its own, dropped at the end of the test), or
	// "" for SQLite, whose data dir is DataDir.
	Fresh func(t testing.TB) (databaseURL, dataDir string)
}

// Engines returns SQLite, and PostgreSQL when PORTICO_TEST_POSTGRES_URL is
// set. CI sets it; PORTICO_REQUIRE_POSTGRES=1 makes its absence a failure.
func Engines(t testing.TB) []Engine {
	es := []Engine{{Name: "sqlite", Fresh: func(t testing.TB) (string, string) { return "", t.TempDir() }}}
	if base := os.Getenv(PostgresEnv); base != "" {
		es = append(es, Engine{Name: "postgres", Fresh: func(t testing.TB) (string, string) { return FreshPostgres(t, base), t.TempDir() }})
	} else if os.Getenv("PORTICO_REQUIRE_POSTGRES") != "" {
		t.Fatalf("%s is not set but PORTICO_REQUIRE_POSTGRES is", PostgresEnv)
	}
	return es
}

// FreshPostgres creates a schema of its own for one test and returns a URL
// whose connections use it; the schema is dropped when the test ends.
func FreshPostgres(t testing.TB, base string) string {
	t.Helper()
	b := make([]byte, 6)
	rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		admin.Close()
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		admin.Exec("DROP SCHEMA " + schema + " CASCADE")
		admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// Open returns a migrated store of engine e with the given clock (nil:
// time.Now), closed when the test ends.
func Open(t testing.TB, e Engine, clock portico.Clock) *store.DB {
	t.Helper()
	dbURL, dir := e.Fresh(t)
	return OpenAt(t, dbURL, dir, clock)
}

// OpenAt is Open on a database of Fresh's, for a test that also needs its
// URL.
func OpenAt(t testing.TB, dbURL, dir string, clock portico.Clock) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), store.Config{DatabaseURL: dbURL, DataDir: dir, Clock: clock})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return db
}

// Clock is a settable test clock, safe for concurrent use.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock starts at a fixed instant.
func NewClock() *Clock { return &Clock{t: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)} }

// Now returns the current test time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}
