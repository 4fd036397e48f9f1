package store

import (
	"context"
	"crypto/sha256"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/porticohq/portico/internal/portico"
)

// On PostgreSQL the token lookup of GET /v1/me costs the database more CPU
// per statement (protocol, parse of the bound message, executor start and
// end, a loopback round trip) than the index probe itself. Lookups waiting
// at the same moment therefore share one statement,
// `... WHERE s.token_hash = ANY($1)`, run on connections of their own
// through pgx directly (not database/sql), with the statement prepared once
// per connection (docs/scaling.md).
//
// Revocation stays immediate: a worker takes the lookups already queued
// when it starts a statement, so every lookup is answered by a statement
// sent after its request arrived; one that arrives meanwhile waits for the
// next statement. A statement that fails (the connection broke, the server
// went away) answers each of its lookups with that failure, 503
// unavailable, never with another lookup's row.

// pgLookupWorkers is how many lookup connections a node keeps: one per
// two cores, at least one. Fewer workers wait longer between statements,
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

// pgLookupStatement names the prepared lookup on each connection.
const pgLookupStatement = "portico_find_sessions"

// pgLookup queues token lookups for its workers, each of which owns one
// connection, opened on first use and again after a failure.
type pgLookup struct {
	cfg   *pgx.ConnConfig
	query string
	reqs  chan *pgWaiter
	quit  chan struct{}
	wg    sync.WaitGroup
	once  sync.Once
}

// pgWaiter is one lookup and, once done is closed, its answer.
type pgWaiter struct {
	hash []byte
	done chan struct{}
	s    *portico.Session
	u    *portico.User
	err  error
}

// pgLookupQuery is meQueryFor for many hashes: each row ends with the hash it
// answers.
var pgLookupQuery = meQueryFor(postgres, ", s.token_hash", "s.token_hash = ANY($1)")

func newPGLookup(databaseURL string, workers int) (*pgLookup, error) {
	cfg, err := pgx.ParseConfig(databaseURL)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	p := &pgLookup{cfg: cfg, query: pgLookupQuery, reqs: make(chan *pgWaiter, 4*pgLookupBatch), quit: make(chan struct{})}
	for range workers {
		p.wg.Add(1)
		go p.work()
	}
	return p, nil
}

// find looks up one hash: the session and user of meQueryFor's columns.
func (p *pgLookup) find(ctx context.Context, hash []byte) (*portico.Session, *portico.User, error) {
	// Stored hashes are SHA-256 sums: a hash of another length matches none.
	if len(hash) != sha256.Size {
		return nil, nil, portico.NotFound("Session")
	}
	w := &pgWaiter{hash: hash, done: make(chan struct{})}
	select {
	case p.reqs <- w:
	case <-ctx.Done():
		return nil, nil, ctx.Err()
	case <-p.quit:
		return nil, nil, unavailable(errLookupClosed)
	}
	select {
	case <-w.done:
	case <-ctx.Done():
		return nil, nil, ctx.Err()
	case <-p.quit:
		return nil, nil, unavailable(errLookupClosed)
	}
	if w.err != nil {
		return nil, nil, w.err
	}
	if w.s == nil {
		return nil, nil, portico.NotFound("Session")
	}
	return w.s, w.u, nil
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
				w.s, w.u, w.err = nil, nil, err
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
		if _, err := c.Prepare(ctx, pgLookupStatement, p.query); err != nil {
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

// read runs the statement and gives each row to the waiters of its hash.
func (p *pgLookup) read(ctx context.Context, conn *pgx.Conn, hashes [][]byte, batch []*pgWaiter) error {
	rows, err := conn.Query(ctx, pgLookupStatement, hashes)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			return err
		}
		r := &scannedRow{vals: vals}
		s := readSession(r)
		u := readMeUser(r, s)
		hash := r.bytes()
		// Each waiter of the hash gets its own copy.
		for _, w := range batch {
			if string(w.hash) == string(hash) {
				sc, uc := *s, *u
				w.s, w.u = &sc, &uc
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
