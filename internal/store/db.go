// Package store persists the domain in SQLite (embedded default) or
// PostgreSQL (several nodes), with hand-written SQL through database/sql.
// Every statement on an app's rows has a condition on app_id; the
// deployment-wide exceptions (lookups by a token's hash, the webhook
// outbox, purges, the refresh pass, re-sealing) are listed, each with its
// reason, in scope_test.go, which fails on any other.
package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/porticohq/portico/internal/portico"
)

// Config says which database to open.
type Config struct {
	// DatabaseURL selects PostgreSQL when it starts with postgres:// or
	// postgresql://; empty means SQLite in DataDir.
	DatabaseURL string
	DataDir     string
	// Clock stamps every write; nil means time.Now.
	Clock portico.Clock
	// Logger receives what background work cannot return (SQLite
	// checkpoint failures); nil means slog.Default().
	Logger *slog.Logger
}

// DB is a Store over one database.
type DB struct {
	dialect dialect
	// write serialises writers on SQLite (one connection); on PostgreSQL it
	// is the same pool as read.
	write *sql.DB
	read  *sql.DB
	now   portico.Clock
	// log receives what a caller is not told (Config.Logger); nil: none.
	log *slog.Logger
	// queries caches dialect-rewritten SQL.
	queries sync.Map
	// metrics, when set (SetMetrics), counts database failures.
	metrics atomic.Pointer[portico.Metrics]
	// unknown are the migrations a newer portico applied, as the last
	// Migrate found them.
	unknown []int
	// lookup runs FindSessionByTokenHash and keyLookup
	// FindActiveAPIKeyByHash on SQLite (nil on PostgreSQL).
	lookup, keyLookup *sqliteLookup
	// pgSessions, pgKeys and pgExtends run FindSessionByTokenHash,
	// FindActiveAPIKeyByHash and ExtendSession on PostgreSQL (nil on
	// SQLite).
	pgSessions, pgKeys, pgExtends *pgLookup
	// ckpt checkpoints the SQLite WAL beside the writer (nil on PostgreSQL).
	ckpt *checkpointer
	// group commits SQLite writes together (nil on PostgreSQL).
	group *groupWriter
	// outbox wakes the webhook worker after commits that queued events.
	outbox outboxSignal
	// activity batches the activity log's rows (activity.go).
	activity *activityWriter
}

var _ portico.Store = (*DB)(nil)

// SQLiteFile is the name of the SQLite database in the data dir.
const SQLiteFile = "portico.db"

// IsPostgres reports whether url selects PostgreSQL.
func IsPostgres(url string) bool {
	return strings.HasPrefix(url, "postgres://") || strings.HasPrefix(url, "postgresql://")
}

// Open opens the database without migrating it.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	db := &DB{now: cfg.Clock, log: cfg.Logger}
	if db.now == nil {
		db.now = time.Now
	}
	var err error
	switch {
	case IsPostgres(cfg.DatabaseURL):
		err = db.openPostgres(cfg.DatabaseURL)
	case cfg.DatabaseURL == "":
		err = db.openSQLite(cfg.DataDir, cfg.Logger)
	default:
		return nil, fmt.Errorf("database URL must start with postgres:// or postgresql:// (or be empty for SQLite)")
	}
	if err != nil {
		return nil, err
	}
	db.activity = newActivityWriter(db, cfg.Logger)
	if err := db.Ping(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if db.dialect == sqliteDialect {
		// The WAL file and the database file must not be readable by others.
		os.Chmod(filepath.Join(cfg.DataDir, SQLiteFile), 0o600)
	}
	return db, nil
}

// openPostgres opens one pool that serves both reads and writes.
func (db *DB) openPostgres(databaseURL string) error {
	db.dialect = postgres
	pool, err := sql.Open("pgx", databaseURL)
	if err != nil {
		return fmt.Errorf("open postgres: %w", err)
	}
	pool.SetMaxOpenConns(4 * runtime.GOMAXPROCS(0))
	pool.SetMaxIdleConns(4 * runtime.GOMAXPROCS(0))
	pool.SetConnMaxIdleTime(5 * time.Minute)
	db.write, db.read = pool, pool
	cfg, err := pgx.ParseConfig(databaseURL)
	if err != nil {
		// pgx's message quotes the URL, password and all whenever it
		// could not tell where the password is: none of it is repeated.
		pool.Close()
		return errors.New("open postgres: the database URL cannot be parsed: check it is postgres://user:password@host:port/database?options, with special characters of the password percent-encoded")
	}
	db.pgSessions = newPGLookup(cfg, byHash(pgSessionQuery, scanSessionRow), pgLookupWorkers())
	db.pgKeys = newPGLookup(cfg, byHash(pgKeyQuery, scanKeyRow), pgLookupWorkers())
	db.pgExtends = newPGLookup(cfg, db.runExtends, pgLookupWorkers())
	return nil
}

// openSQLite opens the file in dataDir through one writer connection (fed
// by the group writer), a pool of read-only connections, the checkpointer's
// connection and the lookup fast path.
func (db *DB) openSQLite(dataDir string, log *slog.Logger) error {
	db.dialect = sqliteDialect
	if log == nil {
		log = slog.Default()
	}
	if err := usePageCachePool(); err != nil {
		log.Warn("sqlite_page_cache_pool_unavailable", "error", err.Error(), "effect", "page caches use the C heap")
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return fmt.Errorf("create data dir: %w", err)
	}
	path := filepath.Join(dataDir, SQLiteFile)
	// busy_timeout comes first so that the other pragmas wait for a
	// lock instead of failing; the writer begins IMMEDIATE so that a
	// read-then-write transaction never fails to upgrade its lock.
	base := "file:" + (&url.URL{Path: path}).EscapedPath() +
		"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=foreign_keys(1)"
	// The writer keeps the SAVEPOINT journals of group commit in memory
	// (by default SQLite spills them to temporary files), and leaves
	// checkpoints to the checkpointer (checkpoint.go).
	wc, err := newSQLiteConnector(base + "&_txlock=immediate&_pragma=temp_store(MEMORY)&_pragma=wal_autocheckpoint(0)")
	if err != nil {
		return fmt.Errorf("open sqlite: %w", err)
	}
	w := sql.OpenDB(wc)
	w.SetMaxOpenConns(1)
	w.SetConnMaxLifetime(0)
	rc, err := newSQLiteConnector(base + "&_pragma=query_only(1)")
	if err != nil {
		w.Close()
		return fmt.Errorf("open sqlite: %w", err)
	}
	r := sql.OpenDB(rc)
	n := 2 * runtime.GOMAXPROCS(0)
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	r.SetConnMaxLifetime(0)
	cc, err := newSQLiteConnector(base)
	if err != nil {
		w.Close()
		r.Close()
		return fmt.Errorf("open sqlite: %w", err)
	}
	c := sql.OpenDB(cc)
	c.SetMaxOpenConns(1)
	c.SetConnMaxLifetime(0)
	db.lookup = newSQLiteLookup(path, meQueryFor(sqliteDialect, "", "s.token_hash = ?"), n)
	db.keyLookup = newSQLiteLookup(path, apiKeyQueryFor("", "k.hash = ?"), n)
	db.ckpt = newCheckpointer(c, log, func() {
		db.lookup.releaseHeld(0)
		db.keyLookup.releaseHeld(0)
	})
	db.write, db.read = w, r
	db.group = newGroupWriter(db)
	return nil
}

// Close closes the connections.
func (db *DB) Close() error {
	if db.activity != nil {
		db.activity.close()
	}
	if db.group != nil {
		db.group.close()
	}
	var err error
	if db.ckpt != nil {
		err = db.ckpt.close()
	}
	if db.lookup != nil {
		db.lookup.close()
		db.keyLookup.close()
	}
	if db.pgSessions != nil {
		db.pgSessions.close()
		db.pgKeys.close()
		db.pgExtends.close()
	}
	err = errors.Join(err, db.write.Close())
	if db.read != db.write {
		err = errors.Join(err, db.read.Close())
	}
	return err
}

// Postgres reports whether db is PostgreSQL.
func (db *DB) Postgres() bool { return db.dialect == postgres }

// Ping implements portico.Store.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.read.PingContext(ctx); err != nil {
		db.countUnavailable()
		return unavailable(err)
	}
	return nil
}

// q returns query rewritten for the dialect (placeholders).
func (db *DB) q(query string) string {
	if db.dialect != postgres {
		return query
	}
	if v, ok := db.queries.Load(query); ok {
		return v.(string)
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteByte(query[i])
	}
	db.queries.Store(query, b.String())
	return b.String()
}

// tx is a transaction with the one timestamp all its writes use. It runs
// statements only: committing or rolling back belongs to whoever began it
// (inTx, or the group writer, whose one SQLite transaction carries a whole
// batch of these), so a helper cannot end the transaction of others.
type tx struct {
	stmts statements
	db    *DB
	now   time.Time
	// emitted tells that the transaction queued webhook events.
	emitted bool
}

// statements is the part of *sql.Tx a tx exposes: no Commit, no Rollback.
type statements interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// row is what a single-row query returns.
type row interface{ Scan(dest ...any) error }

func (t *tx) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return t.stmts.ExecContext(ctx, t.db.q(query), args...)
}

func (t *tx) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return t.stmts.QueryContext(ctx, t.db.q(query), args...)
}

func (t *tx) queryRow(ctx context.Context, query string, args ...any) row {
	return t.stmts.QueryRowContext(ctx, t.db.q(query), args...)
}

// inWrite runs fn in a write transaction and commits it.
func (db *DB) inWrite(ctx context.Context, fn func(*tx) error) error {
	emitted := false
	run := func(t *tx) error {
		err := fn(t)
		emitted = t.emitted
		return err
	}
	var err error
	if db.group != nil {
		err = db.group.run(ctx, run)
	} else {
		for range pgWriteAttempts {
			if err = db.inTx(ctx, db.write, run); !pgLostRace(err) {
				break
			}
		}
		// Lost every time: the database is too busy to serve it now.
		if pgLostRace(err) {
			db.countUnavailable()
			err = unavailable(err)
		}
	}
	if err == nil && emitted {
		db.outbox.wake()
	}
	return err
}

// pgWriteAttempts bounds how often a PostgreSQL write transaction runs
// when it keeps losing a deadlock to others. The loser was rolled back
// whole, so running it again is as if it had come a moment later: every
// write transaction's function may run more than once, and sets what it
// reports afresh each time.
const pgWriteAttempts = 3

// pgLostRace reports a PostgreSQL transaction the server rolled back to
// let others go on: a deadlock (40P01) or a serialization failure (40001).
func pgLostRace(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (pgErr.Code == "40P01" || pgErr.Code == "40001")
}

// inRead runs fn in a read-only snapshot.
func (db *DB) inRead(ctx context.Context, fn func(*tx) error) error {
	return db.inTx(ctx, db.read, fn)
}

func (db *DB) inTx(ctx context.Context, pool *sql.DB, fn func(*tx) error) error {
	sqlTx, err := pool.BeginTx(ctx, nil)
	if err != nil {
		return db.classify(err)
	}
	t := &tx{stmts: sqlTx, db: db, now: db.now().UTC()}
	if err := fn(t); err != nil {
		sqlTx.Rollback()
		return db.classify(err)
	}
	if err := sqlTx.Commit(); err != nil {
		return db.classify(err)
	}
	return nil
}

// queryRow runs a single-row read outside an explicit transaction.
func (db *DB) queryRow(ctx context.Context, query string, args ...any) row {
	return db.read.QueryRowContext(ctx, db.q(query), args...)
}

// query runs a read outside an explicit transaction.
func (db *DB) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return db.read.QueryContext(ctx, db.q(query), args...)
}

// Kinds of driver failure the store reacts to.
var (
	errUnique     = errors.New("unique violation")
	errForeignKey = errors.New("foreign key violation")
)

// driverKind classifies a driver error by its code, never its text.
func driverKind(err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return errUnique
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return errForeignKey
		}
		return nil
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "23505":
			return errUnique
		case "23503":
			return errForeignKey
		}
	}
	return nil
}

// classify turns errors that escape a transaction into domain errors:
// domain errors pass through, a database that cannot serve (cannotServe)
// becomes CodeUnavailable — a 503 with Retry-After, never a 500 — and the
// rest stay internal.
func classify(err error) error {
	if err == nil {
		return nil
	}
	var pe *portico.Error
	if errors.As(err, &pe) {
		return err
	}
	if errors.Is(err, context.Canceled) {
		return err
	}
	if cannotServe(err) {
		return unavailable(err)
	}
	return err
}

// cannotServe reports a failure of the database rather than of the
// statement: a PostgreSQL server that cannot be reached, whose connection
// broke mid-request (EOF, a closed or reset socket), that timed out, is
// shutting down or refuses connections; an SQLite file that is locked,
// read-only, full or failing I/O. Such a failure passes when the database
// comes back, and the pools then open fresh connections. It goes by error
// types and codes, never by message text.
func cannotServe(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return sqliteCannotServe(se.Code())
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgCannotServe(pgErr.Code)
	}
	var connErr *pgconn.ConnectError
	var netErr net.Error
	return errors.As(err, &connErr) || errors.As(err, &netErr) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, net.ErrClosed) ||
		errors.Is(err, pgconn.ErrConnClosed) || pgconn.SafeToRetry(err) || pgconn.Timeout(err) ||
		errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, sql.ErrConnDone) || errors.Is(err, driver.ErrBadConn)
}

// sqliteCannotServe reports the SQLite result codes (primary code of an
// extended one) of a database that cannot serve for now.
func sqliteCannotServe(code int) bool {
	switch code & 0xff {
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, // another connection holds it
		sqlite3.SQLITE_NOMEM,    // out of memory
		sqlite3.SQLITE_READONLY, // read-only file, directory or file system
		sqlite3.SQLITE_IOERR,    // the disk failed a read or write
		sqlite3.SQLITE_FULL,     // the disk (or max_page_count) is full
		sqlite3.SQLITE_CANTOPEN, // the file (or its journal) cannot be opened
		sqlite3.SQLITE_PROTOCOL: // the WAL's locks keep changing
		return true
	}
	return false
}

// pgCannotServe reports the SQLSTATEs of a PostgreSQL server that cannot
// serve for now: class 08 (connection exception), 53 (insufficient
// resources: disk full, out of memory, too many connections), 57014 (a
// statement timeout), 57P01–57P03 (shutting down, crashed, starting up) and
// 25006 (a read-only transaction: a standby, e.g. during a failover).
func pgCannotServe(code string) bool {
	switch {
	case strings.HasPrefix(code, "08"), strings.HasPrefix(code, "53"):
		return true
	}
	switch code {
	case "57014", "57P01", "57P02", "57P03", "25006":
		return true
	}
	return false
}

// classify is the package's classify for db's operations: a database
// failure it finds is counted (countUnavailable).
func (db *DB) classify(err error) error {
	c := classify(err)
	if c != nil && !errors.Is(err, portico.ErrStoreUnavailable) && errors.Is(c, portico.ErrStoreUnavailable) {
		db.countUnavailable()
	}
	return c
}

// SetMetrics makes db count, as portico.MetricStoreError, every operation
// the database could not serve, whichever surface or background task asked
// (docs/operations.md).
func (db *DB) SetMetrics(m portico.Metrics) { db.metrics.Store(&m) }

// LookupPageReads reports how many pages the SQLite token lookups have
// read from the store's file or its WAL because their connection's page
// cache lacked them, for session tokens and for API keys. ok is false on
// PostgreSQL, whose lookups have no such cache in the process.
func (db *DB) LookupPageReads() (sessions, apiKeys uint64, ok bool) {
	if db.lookup == nil {
		return 0, 0, false
	}
	return db.lookup.reads.Load(), db.keyLookup.reads.Load(), true
}

func (db *DB) countUnavailable() {
	if m := db.metrics.Load(); m != nil {
		(*m).Event(portico.MetricStoreError)
	}
}

func unavailable(err error) error {
	return &portico.Error{Code: portico.CodeUnavailable, Message: "The database is unavailable; try again shortly.",
		Err: fmt.Errorf("%w: %w", portico.ErrStoreUnavailable, err)}
}

func us(t time.Time) int64 { return t.UnixMicro() }

func fromUS(v int64) time.Time { return time.UnixMicro(v).UTC() }

func fromUSPtr(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromUS(v.Int64)
	return &t
}

// dialect names the SQL flavour; the few per-dialect strings live in dialect.go.
type dialect int

const (
	sqliteDialect dialect = iota
	postgres
)
