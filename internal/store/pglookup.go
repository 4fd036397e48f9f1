package store

import (
	"context"
	"crypto/sha256"
	"runtime"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/porticohq/portico/internal/portico"
)

// On PostgreSQL the token lookup of GET /v1/me, the API-key lookup that
// authenticates every other request, and a session's extension cost the
// database more CPU per statement (protocol, parse of the bound message,
// executor start and end, a commit for a write, a loopback round trip)
// than the row's own work, and cost the node a socket write and read each.
// Requests of one kind waiting at the same moment therefore share one
// statement (`... WHERE s.token_hash = ANY($1)`, `... WHERE k.hash =
// ANY($1)`, `UPDATE ... FROM unnest(...)`), run on connections of their
// own through pgx directly (not database/sql), with the statement prepared
// once per connection by pgx's statement cache (docs/scaling.md).
//
// Revocation stays immediate: a worker takes the requests already queued
// when it starts a statement, so every request is answered by a statement
// sent after it arrived; one that arrives meanwhile waits for the next
// statement. A statement that fails (the connection broke, the server
// went away) answers each of its requests with that failure, 503
// unavailable, never with another request's row.

// pgLookupWorkers is how many connections a node keeps for each kind of
// shared statement: one per two cores, at least one. Fewer workers wait
// longer between statements, so each carries more requests; bench/
// measured PostgreSQL's CPU per validation at 49 µs with four workers on
// two cores, 18 µs with two and 10 µs with one, throughput rising with it
// (docs/scaling.md).
func pgLookupWorkers() int {
	return max(1, runtime.GOMAXPROCS(0)/2)
}

// pgLookupBatch bounds the requests one statement carries.
const pgLookupBatch = 256

// pgLookupTimeout bounds one statement, connecting included: a server that
// stops answering fails the requests waiting on it instead of hanging them.
const pgLookupTimeout = 10 * time.Second

// pgLookup queues requests of one kind for its workers, each of which owns
// one connection, opened on first use and again after a failure, and
// answers all the requests waiting when it is free at once.
type pgLookup struct {
	cfg *pgx.ConnConfig
	// run answers a batch on conn, setting each waiter's res (nil: no row)
	// or err; an error it returns is every waiter's.
	run  func(ctx context.Context, conn *pgx.Conn, batch []*pgWaiter) error
	reqs chan *pgWaiter
	quit chan struct{}
	wg   sync.WaitGroup
	once sync.Once
}

// pgWaiter is one request and, once done is closed, its answer.
type pgWaiter struct {
	req  any
	done chan struct{}
	res  any
	err  error
}

func newPGLookup(cfg *pgx.ConnConfig, run func(context.Context, *pgx.Conn, []*pgWaiter) error, workers int) *pgLookup {
	p := &pgLookup{cfg: cfg, run: run, reqs: make(chan *pgWaiter, 4*pgLookupBatch), quit: make(chan struct{})}
	for range workers {
		p.wg.Add(1)
		go p.work()
	}
	return p
}

// pgSessionQuery is meQueryFor for many hashes: each row ends with the
// hash it answers.
var pgSessionQuery = meQueryFor(postgres, ", s.token_hash", "s.token_hash = ANY($1)")

// pgKeyQuery is apiKeyQueryFor for many hashes: each row ends with the
// hash it answers.
var pgKeyQuery = apiKeyQueryFor(", k.hash", "k.hash = ANY($1)")

// byHash runs query, whose $1 is the waiters' hashes and whose rows end
// with the hash they answer, and gives each waiter of a hash scan's answer
// from its row, each its own.
func byHash(query string, scan func(r *pgRow) (any, error)) func(context.Context, *pgx.Conn, []*pgWaiter) error {
	return func(ctx context.Context, conn *pgx.Conn, batch []*pgWaiter) error {
		hashes := make([][]byte, len(batch))
		for i, w := range batch {
			hashes[i] = w.req.([]byte)
		}
		return eachRow(ctx, conn, query, []any{hashes}, func(r *pgRow) {
			hash := r.bytea(len(r.vals) - 1)
			for i, w := range batch {
				if string(hashes[i]) == string(hash) {
					r.col, r.err = 0, nil
					w.res, w.err = scan(r)
				}
			}
		})
	}
}

// eachRow runs query on conn and gives fn each row, to read before the
// next one replaces it.
func eachRow(ctx context.Context, conn *pgx.Conn, query string, args []any, fn func(r *pgRow)) error {
	rows, err := conn.Query(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	r := &pgRow{fields: rows.FieldDescriptions()}
	for rows.Next() {
		r.vals, r.col, r.err = rows.RawValues(), 0, nil
		fn(r)
	}
	return rows.Err()
}

// sessionRow is a token lookup's answer.
type sessionRow struct {
	s *portico.Session
	u *portico.User
}

func scanSessionRow(r *pgRow) (any, error) {
	s := readSession(r)
	u := readMeUser(r, s)
	if r.err != nil {
		return nil, r.err
	}
	return sessionRow{s, u}, nil
}

type keyRow struct {
	k   *portico.APIKey
	app *portico.App
}

func scanKeyRow(r *pgRow) (any, error) {
	k, app, err := scanAPIKey(r)
	if err != nil {
		return nil, err
	}
	return keyRow{k, app}, nil
}

// findHash looks up one SHA-256 hash; what names the resource a miss is
// not found.
func (p *pgLookup) findHash(ctx context.Context, hash []byte, what string) (any, error) {
	// Stored hashes are SHA-256 sums: a hash of another length matches none.
	if len(hash) != sha256.Size {
		return nil, portico.NotFound(what)
	}
	res, err := p.get(ctx, hash)
	if err != nil {
		return nil, err
	}
	if res == nil {
		return nil, portico.NotFound(what)
	}
	return res, nil
}

// findSession looks up one token hash: the session and user of
// meQueryFor's columns.
func (p *pgLookup) findSession(ctx context.Context, hash []byte) (*portico.Session, *portico.User, error) {
	res, err := p.findHash(ctx, hash, "Session")
	if err != nil {
		return nil, nil, err
	}
	r := res.(sessionRow)
	return r.s, r.u, nil
}

// findKey looks up one API key hash: the active key and its app.
func (p *pgLookup) findKey(ctx context.Context, hash []byte) (*portico.APIKey, *portico.App, error) {
	res, err := p.findHash(ctx, hash, "API key")
	if err != nil {
		return nil, nil, err
	}
	r := res.(keyRow)
	return r.k, r.app, nil
}

// get queues one request and waits for its answer.
func (p *pgLookup) get(ctx context.Context, req any) (any, error) {
	w := &pgWaiter{req: req, done: make(chan struct{})}
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

// work answers queued requests, all those waiting at once in one batch,
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
			// Under load (the last statement carried several requests),
			// yield once before taking the queue: request goroutines that
			// are ready to run queue their lookups first, so the statement
			// carries more of them and the database runs fewer statements
			// (bench/README.md, "A yield before each shared statement").
			// Every request is still answered by a statement sent after it
			// arrived. batch still holds the last statement's length here.
			if len(batch) >= 4 {
				runtime.Gosched()
			}
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

// answer runs batch on conn (connecting first when conn is nil). On
// failure it closes the connection and returns nil in its place, with the
// error for every waiter.
func (p *pgLookup) answer(conn *pgx.Conn, batch []*pgWaiter) (*pgx.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), pgLookupTimeout)
	defer cancel()
	if conn == nil {
		c, err := pgx.ConnectConfig(ctx, p.cfg)
		if err != nil {
			return nil, unavailable(err)
		}
		conn = c
	}
	if err := p.run(ctx, conn, batch); err != nil {
		conn.Close(context.Background())
		return nil, classify(err)
	}
	return conn, nil
}

// close stops the workers and closes their connections; requests still
// waiting answer unavailable.
func (p *pgLookup) close() {
	p.once.Do(func() { close(p.quit) })
	p.wg.Wait()
}
