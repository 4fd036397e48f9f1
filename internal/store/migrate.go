package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"
)

//go:embed migrations
var migrationFS embed.FS

// migrationLockID is the PostgreSQL advisory lock held while migrating, so
// that nodes starting together migrate once.
const migrationLockID = 0x706f727469636f // "portico"

type migration struct {
	version int
	name    string
	sql     string
}

func (db *DB) migrations() ([]migration, error) {
	dir := "migrations/sqlite"
	if db.dialect == postgres {
		dir = "migrations/postgres"
	}
	entries, err := fs.ReadDir(migrationFS, dir)
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration %s: name must start with a number", e.Name())
		}
		b, err := migrationFS.ReadFile(path.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: e.Name(), sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	return ms, nil
}

// UnknownMigrations returns the versions the last Migrate (or Pending) found applied
// that this binary does not know: a newer portico's.
func (db *DB) UnknownMigrations() []int { return slices.Clone(db.unknown) }

// noteUnknown records the applied versions not among ms: a newer portico
// applied them, and this one runs beside it until it is upgraded too
// (docs/operations.md, "Upgrades and migrations"); the caller says so.
func (db *DB) noteUnknown(ms []migration, applied map[int]bool) {
	known := map[int]bool{}
	for _, m := range ms {
		known[m.version] = true
	}
	db.unknown = db.unknown[:0]
	for v := range applied {
		if !known[v] {
			db.unknown = append(db.unknown, v)
		}
	}
	slices.Sort(db.unknown)
}

// Migrate applies the migrations not yet recorded, each in its own
// transaction, and returns how many it applied. Processes that migrate one
// store at once apply each migration once between them.
func (db *DB) Migrate(ctx context.Context) (int, error) {
	ms, err := db.migrations()
	if err != nil {
		return 0, err
	}
	conn, err := db.write.Conn(ctx)
	if err != nil {
		return 0, db.classify(err)
	}
	defer conn.Close()
	if db.dialect == postgres {
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", migrationLockID); err != nil {
			return 0, db.classify(err)
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", migrationLockID)
	}
	if err := db.ensureMigrationsTable(ctx, conn); err != nil {
		return 0, err
	}
	applied, err := db.appliedVersions(ctx, conn)
	if err != nil {
		return 0, err
	}
	db.noteUnknown(ms, applied)
	n := 0
	for _, m := range ms {
		if applied[m.version] {
			continue
		}
		tx, err := conn.BeginTx(ctx, nil)
		if err != nil {
			return n, db.classify(err)
		}
		// On SQLite another process may have applied it since the
		// versions were read (a server and a management command starting
		// together): the transaction holds the write lock (the writer
		// begins IMMEDIATE), so what it reads now stays true until it
		// commits. On PostgreSQL the advisory lock already ensures this.
		var done int
		if err := tx.QueryRowContext(ctx, db.q(`SELECT COUNT(*) FROM schema_migrations WHERE version = ?`), m.version).Scan(&done); err != nil {
			tx.Rollback()
			return n, db.classify(err)
		}
		if done > 0 {
			tx.Rollback()
			continue
		}
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			tx.Rollback()
			return n, fmt.Errorf("migration %s: %w", m.name, err)
		}
		if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`),
			m.version, m.name, us(db.now())); err != nil {
			tx.Rollback()
			return n, fmt.Errorf("record migration %s: %w", m.name, err)
		}
		if err := tx.Commit(); err != nil {
			return n, fmt.Errorf("migration %s: %w", m.name, err)
		}
		n++
	}
	if db.dialect == sqliteDialect {
		if err := describeTenantIndexes(ctx, conn); err != nil {
			return n, err
		}
	}
	return n, nil
}

// Pending returns the number of migrations not yet applied.
func (db *DB) Pending(ctx context.Context) (int, error) {
	ms, err := db.migrations()
	if err != nil {
		return 0, err
	}
	conn, err := db.write.Conn(ctx)
	if err != nil {
		return 0, db.classify(err)
	}
	defer conn.Close()
	if err := db.ensureMigrationsTable(ctx, conn); err != nil {
		return 0, err
	}
	applied, err := db.appliedVersions(ctx, conn)
	if err != nil {
		return 0, err
	}
	db.noteUnknown(ms, applied)
	n := 0
	for _, m := range ms {
		if !applied[m.version] {
			n++
		}
	}
	return n, nil
}

func (db *DB) ensureMigrationsTable(ctx context.Context, conn *sql.Conn) error {
	_, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT NOT NULL,
		applied_at BIGINT NOT NULL)`)
	return db.classify(err)
}

func (db *DB) appliedVersions(ctx context.Context, conn *sql.Conn) (map[int]bool, error) {
	rows, err := conn.QueryContext(ctx, "SELECT version FROM schema_migrations")
	if err != nil {
		return nil, db.classify(err)
	}
	defer rows.Close()
	applied := map[int]bool{}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		applied[v] = true
	}
	return applied, rows.Err()
}
