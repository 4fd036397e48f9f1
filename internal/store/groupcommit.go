package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// Group commit for SQLite. With synchronous=FULL every COMMIT waits for an
// fsync, which caps one-transaction-per-request writes at the disk's flush
// rate. The single writer therefore runs the write transactions queued
// while the previous COMMIT was flushing one after the other inside one
// SQLite transaction, each within a SAVEPOINT of its own so that a failing
// one rolls back alone, and acknowledges all of them after the one COMMIT.
// Each still sees the effects of those before it, exactly as if they had run
// one by one, so limits stay exact; none is acknowledged before it is durable.

// maxGroup bounds the transactions committed together.
const maxGroup = 128

type writeOp struct {
	ctx  context.Context
	fn   func(*tx) error
	done chan error
}

// groupWriter owns the SQLite write connection.
type groupWriter struct {
	db        *DB
	ops       chan *writeOp
	quit      chan struct{}
	ended     chan struct{}
	closeOnce sync.Once
}

func newGroupWriter(db *DB) *groupWriter {
	g := &groupWriter{db: db, ops: make(chan *writeOp), quit: make(chan struct{}), ended: make(chan struct{})}
	go g.loop()
	return g
}

var errClosed = errors.New("store: closed")

// run queues fn and waits for its durable outcome. Once queued it is waited
// for even if ctx ends: it may already be committed.
func (g *groupWriter) run(ctx context.Context, fn func(*tx) error) error {
	op := &writeOp{ctx: ctx, fn: fn, done: make(chan error, 1)}
	select {
	case g.ops <- op:
	case <-ctx.Done():
		return ctx.Err()
	case <-g.quit:
		return errClosed
	}
	return <-op.done
}

func (g *groupWriter) close() {
	g.closeOnce.Do(func() { close(g.quit) })
	<-g.ended
}

func (g *groupWriter) loop() {
	defer close(g.ended)
	for {
		var batch []*writeOp
		select {
		case op := <-g.ops:
			batch = append(batch, op)
		case <-g.quit:
			return
		}
	collect:
		for len(batch) < maxGroup {
			select {
			case op := <-g.ops:
				batch = append(batch, op)
			default:
				break collect
			}
		}
		g.commit(batch)
	}
}

// commit runs a batch in one transaction and reports each outcome.
func (g *groupWriter) commit(batch []*writeOp) {
	results := make([]error, len(batch))
	err := g.runAll(batch, results)
	if err == nil && g.db.ckpt != nil {
		g.db.ckpt.notify()
	}
	for i, op := range batch {
		if err != nil && results[i] == nil {
			results[i] = err
		}
		op.done <- results[i]
	}
}

func (g *groupWriter) runAll(batch []*writeOp, results []error) error {
	ctx := context.Background()
	sqlTx, err := g.db.write.BeginTx(ctx, nil)
	if err != nil {
		return g.db.classify(err)
	}
	for i, op := range batch {
		if err := op.ctx.Err(); err != nil {
			results[i] = err
			continue
		}
		if _, err := sqlTx.ExecContext(ctx, "SAVEPOINT op"); err != nil {
			sqlTx.Rollback()
			return g.db.classify(err)
		}
		t := &tx{stmts: sqlTx, db: g.db, now: g.db.now().UTC()}
		if err := call(op.fn, t); err != nil {
			results[i] = g.db.classify(err)
			if _, err := sqlTx.ExecContext(ctx, "ROLLBACK TO op"); err != nil {
				sqlTx.Rollback()
				return g.db.classify(err)
			}
		}
		if _, err := sqlTx.ExecContext(ctx, "RELEASE op"); err != nil {
			sqlTx.Rollback()
			return g.db.classify(err)
		}
	}
	if err := sqlTx.Commit(); err != nil {
		return g.db.classify(err)
	}
	return nil
}

// call runs fn, turning a panic into an error so that one bad transaction
// cannot take the writer down with the others of its batch.
func call(fn func(*tx) error, t *tx) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("panic in write transaction: %v", v)
		}
	}()
	return fn(t)
}
