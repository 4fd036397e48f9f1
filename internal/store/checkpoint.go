package store

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// WAL checkpoints on SQLite run beside the writer, not inside it. By default
// SQLite checkpoints from the COMMIT that takes the WAL past 1 000 pages:
// the single writer then copies the WAL into the database file and waits
// for its fsync while every queued write waits behind it. The writer
// connection therefore opens with wal_autocheckpoint(0), and after each
// commit wakes this goroutine, which runs a PASSIVE checkpoint on a
// connection of its own (it never waits for readers or writers), at most
// once per checkpointInterval so that commits made meanwhile are copied
// together. Durability is unchanged: a commit is acknowledged after the
// fsync of its WAL frames, as before. Session creation on the 1 000 000
// session store went from 1 737–1 963/s to 2 405–2 716/s (bench/HISTORY.md).
//
// Before each run the checkpointer has the token lookups end the snapshots
// their idle connections hold (sqliteheld.go), which would stop it from
// copying the new frames, and after it, those begun while it ran (see
// sqliteheld.go for why). A run that could not copy the whole WAL (a reader
// of an older state was still reading) is tried again after
// checkpointInterval, rather than at the next commit: while a reader in
// another process keeps an old state, every checkpointInterval.

// checkpointInterval is the least time between two checkpoints.
const checkpointInterval = 100 * time.Millisecond

type checkpointer struct {
	db  *sql.DB
	log *slog.Logger
	// release ends the snapshots the lookups hold; it may be nil.
	release func()
	wake    chan struct{}
	quit    chan struct{}
	done    chan struct{}
	// runs counts the checkpoints that completed; lastErr is the message
	// of the last failure logged, so that a lasting failure logs once.
	runs    atomic.Int64
	lastErr string
	stop    sync.Once
}

func newCheckpointer(db *sql.DB, log *slog.Logger, release func()) *checkpointer {
	c := &checkpointer{db: db, log: log, release: release, wake: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{})}
	go c.loop()
	return c
}

// notify asks for a checkpoint; it never blocks.
func (c *checkpointer) notify() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

func (c *checkpointer) loop() {
	defer close(c.done)
	for {
		select {
		case <-c.wake:
		case <-c.quit:
			return
		}
		c.run()
		select {
		case <-time.After(checkpointInterval):
		case <-c.quit:
			return
		}
	}
}

func (c *checkpointer) run() {
	if c.release != nil {
		c.release()
	}
	var busy, frames, copied int
	err := c.db.QueryRowContext(context.Background(), "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &frames, &copied)
	var se *sqlite.Error
	if errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_BUSY {
		// Another process is checkpointing; the next commit asks again.
		return
	}
	if err != nil {
		if msg := err.Error(); msg != c.lastErr {
			c.lastErr = msg
			c.log.Warn("sqlite_checkpoint_failed", slog.String("error", msg))
		}
		return
	}
	c.lastErr = ""
	c.runs.Add(1)
	if c.release != nil {
		c.release()
	}
	if copied < frames {
		c.notify()
	}
}

// close stops the goroutine and closes its connection; it may be called
// more than once.
func (c *checkpointer) close() error {
	c.stop.Do(func() { close(c.quit) })
	<-c.done
	return c.db.Close()
}
