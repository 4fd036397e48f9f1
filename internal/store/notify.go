package store

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// connectedChannel is the PostgreSQL notification channel of stored
// connections: every node hears every node's, so that an MCP session held
// by one node learns that its user connected through another
// (docs/mcp.md).
const connectedChannel = "portico_connected"

// notifyConnected queues, in t, the notification of a stored connection;
// PostgreSQL delivers it when t commits, and never if it rolls back.
func notifyConnected(ctx context.Context, t *tx, appID, userID, slug string) error {
	if t.db.dialect != postgres {
		return nil
	}
	_, err := t.exec(ctx, `SELECT pg_notify('`+connectedChannel+`', ?)`, appID+" "+userID+" "+slug)
	return err
}

// ListenConnected calls fn for every connection stored by any node of a
// PostgreSQL deployment, until ctx ends; its own are heard too. On SQLite,
// where one process holds the store, it returns at once: the service
// tells its own waiters. A lost listening connection is opened again
// after a second; what was stored in between is not heard. ready is called
// once, when the first attempt listens or fails (at once on SQLite), so
// that a node can wait to serve until it hears the others.
func (db *DB) ListenConnected(ctx context.Context, log *slog.Logger, fn func(appID, userID, slug string), ready func()) {
	ready = sync.OnceFunc(ready)
	defer ready()
	if db.pgSessions == nil {
		return
	}
	for ctx.Err() == nil {
		err := db.listen(ctx, fn, ready)
		ready()
		if ctx.Err() != nil {
			return
		}
		log.Warn("listen_connected_failed", "error", err)
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

func (db *DB) listen(ctx context.Context, fn func(appID, userID, slug string), ready func()) error {
	conn, err := pgx.ConnectConfig(ctx, db.pgSessions.cfg)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+connectedChannel); err != nil {
		return err
	}
	ready()
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		if f := strings.Fields(n.Payload); len(f) == 3 {
			fn(f[0], f[1], f[2])
		}
	}
}
