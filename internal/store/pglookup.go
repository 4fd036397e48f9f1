package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/porticohq/portico/internal/portico"
)

// On PostgreSQL the token lookup of GET /v1/me, and the API-key lookup
// that authenticates every other request, cost the database more CPU per
// statement (protocol, parse of the bound message, executor start and end,
// a loopback round trip) than the index probe itself. Lookups of one kind
// waiting at the same moment therefore share one statement,
// `... WHERE s.token_hash = ANY($1)` or `... WHERE k.hash = ANY($1)`, run
// on connections of their own through pgx directly (not database/sql),
// with the statement prepared once per connection (docs/scaling.md).
//
// Revocation stays immediate: a worker takes the lookups already queued
// when it starts a statement, so every lookup is answered by a statement
// sent after its request arrived; one that arrives meanwhile waits for the
// next statement. A statement that fails (the connection broke, the server
// went away) answers each of its lookups with that failure, 503
// unavailable, never with another lookup's row.

// pgLookupWorkers is how many lookup connections a node keeps for each
// kind of lookup: one per two cores, at least one. Fewer workers wait longer between statements,
// so each carries more lookups; bench/ measured PostgreSQL's CPU per
// validation at 49 µs with four workers on two cores, 18 µs with two and
// 10 µs with one, throughput rising with it (docs/scaling.md).
func pgLookupWorkers() int {
	return max(1, runtime.GOMAXPROCS(0)/2)
}

// pgLookupBatch bounds the lookups one statement carries.
const pgLookupBatch = 256

// pgLookupTimeout bounds one statement, connecting included: a server that
// stops answering fails the lookups waiting on it instead of hanging them.
const pgLookupTimeout = 10 * time.Second

// pgLookup queues lookups of one kind for its workers, each of which owns
// one connection, opened on first use and again after a failure.
type pgLookup struct {
	cfg *pgx.ConnConfig
	// name is the prepared statement's, query its SQL: the rows of the
	// hashes in $1, each ending with the hash it answers.
	name, query string
	// scan reads one row's answer, for one waiter.
	scan func(vals []any) (any, error)
	reqs chan *pgWaiter
	quit chan struct{}
	wg   sync.WaitGroup
	once sync.Once
}

// pgWaiter is one lookup and, once done is closed, its answer: nil when no
// row matched.
type pgWaiter struct {
	hash []byte
	done chan struct{}
	res  any
	err  error
}

// pgSessionQuery is meQueryFor for many hashes: each row ends with the
// hash it answers.
var pgSessionQuery = meQueryFor(postgres, ", s.token_hash", "s.token_hash = ANY($1)")

// pgKeyQuery is apiKeyQueryFor for many hashes: each row ends with the
// hash it answers.
var pgKeyQuery = apiKeyQueryFor(", k.hash", "k.hash = ANY($1)")

// sessionRow is a token lookup's answer.
type sessionRow struct {
	s *portico.Session
	u *portico.User
}

func scanSessionRow(vals []any) (any, error) {
	r := &scannedRow{vals: vals}
	s := readSession(r)
	return sessionRow{s, readMeUser(r, s)}, nil
}

type keyRow struct {
	k   *portico.APIKey
	app *portico.App
}

func scanKeyRow(vals []any) (any, error) {
	k, app, err := scanAPIKey(valuesScanner(vals))
	return keyRow{k, app}, err
}

func newPGLookup(cfg *pgx.ConnConfig, name, query string, scan func([]any) (any, error), workers int) *pgLookup {
	p := &pgLookup{cfg: cfg, name: name, query: query, scan: scan, reqs: make(chan *pgWaiter, 4*pgLookupBatch), quit: make(chan struct{})}
	for range workers {
		p.wg.Add(1)
		go p.work()
	}
	return p
}

// findSession looks up one token hash: the session and user of
// meQueryFor's columns.
func (p *pgLookup) findSession(ctx context.Context, hash []byte) (*portico.Session, *portico.User, error) {
	res, err := p.get(ctx, hash)
	if err != nil {
		return nil, nil, err
	}
	if res == nil {
		return nil, nil, portico.NotFound("Session")
	}
	r := res.(sessionRow)
	return r.s, r.u, nil
}

// findKey looks up one API key hash: the active key and its app.
func (p *pgLookup) findKey(ctx context.Context, hash []byte) (*portico.APIKey, *portico.App, error) {
	res, err := p.get(ctx, hash)
	if err != nil {
		return nil, nil, err
	}
	if res == nil {
		return nil, nil, portico.NotFound("API key")
	}
	r := res.(keyRow)
	return r.k, r.app, nil
}

// get queues one hash and waits for its answer.
func (p *pgLookup) get(ctx context.Context, hash []byte) (any, error) {
	// Stored hashes are SHA-256 sums: a hash of another length matches none.
	if len(hash) != sha256.Size {
		return nil, nil
	}
	w := &pgWaiter{hash: hash, done: make(chan struct{})}
	select {
	case p.reqs <- w:
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-p.quit:
		return nil, unavailable(errLookupClosed)
	}
	select {
	case <-w.done:
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-p.quit:
		return nil, unavailable(errLookupClosed)
	}
	return w.res, w.err
}

// work answers queued lookups, all those waiting at once in one statement,
// until the lookup is closed.
func (p *pgLookup) work() {
	defer p.wg.Done()
	var (
		conn  *pgx.Conn
		batch []*pgWaiter
	)
	defer func() {
		if conn != nil {
			conn.Close(context.Background())
		}
	}()
	for {
		select {
		case w := <-p.reqs:
			batch = append(batch[:0], w)
		case <-p.quit:
			return
		}
	more:
		for len(batch) < pgLookupBatch {
			select {
			case w := <-p.reqs:
				batch = append(batch, w)
			default:
				break more
			}
		}
		var err error
		conn, err = p.answer(conn, batch)
		for _, w := range batch {
			if err != nil {
				w.res, w.err = nil, err
			}
			close(w.done)
		}
		clear(batch)
	}
}

// answer runs one statement for batch on conn (connecting first when conn
// is nil) and fills each waiter's row. On failure it closes the connection
// and returns nil in its place, with the error for every waiter.
func (p *pgLookup) answer(conn *pgx.Conn, batch []*pgWaiter) (*pgx.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), pgLookupTimeout)
	defer cancel()
	if conn == nil {
		c, err := pgx.ConnectConfig(ctx, p.cfg)
		if err != nil {
			return nil, unavailable(err)
		}
		if _, err := c.Prepare(ctx, p.name, p.query); err != nil {
			c.Close(context.Background())
			return nil, classify(err)
		}
		conn = c
	}
	hashes := make([][]byte, len(batch))
	for i, w := range batch {
		hashes[i] = w.hash
	}
	if err := p.read(ctx, conn, hashes, batch); err != nil {
		conn.Close(context.Background())
		return nil, classify(err)
	}
	return conn, nil
}

// read runs the statement and gives each row to the waiters of its hash,
// each its own copy.
func (p *pgLookup) read(ctx context.Context, conn *pgx.Conn, hashes [][]byte, batch []*pgWaiter) error {
	rows, err := conn.Query(ctx, p.name, hashes)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			return err
		}
		hash, _ := vals[len(vals)-1].([]byte)
		for _, w := range batch {
			if string(w.hash) == string(hash) {
				w.res, w.err = p.scan(vals)
			}
		}
	}
	return rows.Err()
}

// close stops the workers and closes their connections; lookups still
// waiting answer unavailable.
func (p *pgLookup) close() {
	p.once.Do(func() { close(p.quit) })
	p.wg.Wait()
}

// valuesScanner scans a row read with pgx's Values into the destinations
// scanApp and scanAPIKey give: text, bigint, bytea and nullable bigint
// columns.
type valuesScanner []any

func (v valuesScanner) Scan(dest ...any) error {
	if len(dest) > len(v) {
		return fmt.Errorf("scan: %d destinations for %d columns", len(dest), len(v))
	}
	for i, d := range dest {
		ok := true
		switch d := d.(type) {
		case *string:
			*d, ok = v[i].(string)
		case *int64:
			*d, ok = v[i].(int64)
		case *[]byte:
			*d, ok = v[i].([]byte)
		case *sql.NullInt64:
			d.Int64, d.Valid = 0, v[i] != nil
			if d.Valid {
				d.Int64, ok = v[i].(int64)
			}
		default:
			return fmt.Errorf("scan: column %d into %T", i, d)
		}
		if !ok {
			return fmt.Errorf("scan: column %d is %T, not %T", i, v[i], d)
		}
	}
	return nil
}
