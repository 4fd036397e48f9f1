package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/porticohq/portico/internal/apiwire"
	"github.com/porticohq/portico/internal/portico"
)

// The webhook outbox. Store methods that change what an event reports call
// emitEvent inside their own transaction, so an event exists exactly when
// its change committed. Apps without a webhook get no rows, and the hot
// paths learn that from a statement they already run (hookedSQL) instead of
// an extra lookup.

// hookedSQL is 1 when the app bound to the placeholder has a webhook: the
// secret is set exactly when webhook_url is (portico.Service.UpdateApp).
const hookedSQL = `(SELECT COUNT(*) FROM apps WHERE id = ? AND webhook_secret <> '')`

// outboxSignal tells the delivery worker that events were committed. Its
// zero value is ready; the channel holds one pending wake-up at most.
type outboxSignal struct {
	once sync.Once
	ch   chan struct{}
}

func (s *outboxSignal) channel() chan struct{} {
	s.once.Do(func() { s.ch = make(chan struct{}, 1) })
	return s.ch
}

func (s *outboxSignal) wake() {
	select {
	case s.channel() <- struct{}{}:
	default:
	}
}

// EventsQueued implements portico.EventStore.
func (db *DB) EventsQueued() <-chan struct{} { return db.outbox.channel() }

// QueueEvent implements portico.EventStore.
func (db *DB) QueueEvent(ctx context.Context, appID, userID, typ string, data any) error {
	return db.inWrite(ctx, func(t *tx) error { return db.emitEvent(ctx, t, appID, userID, typ, data) })
}

// emitEvent queues the event typ about one of userID's objects, whose wire
// form is data, inside t — when the app has a webhook; otherwise it writes
// nothing. One statement, with no read before it. The worker is woken once
// t commits.
func (db *DB) emitEvent(ctx context.Context, t *tx, appID, userID, typ string, data any) error {
	id := portico.NewID(portico.PrefixEvent)
	body, err := apiwire.Event(id, typ, appID, t.now, data)
	if err != nil {
		return fmt.Errorf("marshal %s event: %w", typ, err)
	}
	q := `INSERT INTO webhook_events (id, app_id, user_id, type, body, created_at, next_attempt_at)
		SELECT ?, ?, ?, ?, ?, CAST(? AS BIGINT), CAST(? AS BIGINT) WHERE ` + hookedSQL + ` = 1`
	args := []any{id, appID, userID, typ, string(body), us(t.now), us(t.now), appID}
	if db.dialect == postgres {
		// seq must follow commit order per user, or the worker could send
		// a user's later event before an earlier one commits. A lock on
		// the user, taken before seq is drawn and held until commit,
		// orders concurrent writers; the one-time filter on hookedSQL runs
		// first, so apps without a webhook take no lock.
		q = `INSERT INTO webhook_events (id, app_id, user_id, type, body, created_at, next_attempt_at)
		SELECT ?, ?, ?, ?, ?, CAST(? AS BIGINT), CAST(? AS BIGINT)
		FROM (SELECT pg_advisory_xact_lock(hashtextextended(CAST(? AS TEXT), 0))) AS user_lock WHERE ` + hookedSQL + ` = 1`
		args = []any{id, appID, userID, typ, string(body), us(t.now), us(t.now), "webhook_events:" + appID + ":" + userID, appID}
	}
	res, err := t.exec(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("queue %s event: %w", typ, err)
	}
	if n, _ := res.RowsAffected(); n > 0 {
		t.emitted = true
	}
	return nil
}

// emitConnectionEvent queues the connection event typ (connection.*)
// about c inside t, as emitEvent does: the data is c's wire form at t's
// time, plus the keys of extra (such as "reason"); a key that names a field
// of the connection is ignored.
func emitConnectionEvent(ctx context.Context, t *tx, typ string, c *portico.Connection, extra map[string]any) error {
	return t.db.emitEvent(ctx, t, c.AppID, c.UserID, typ, apiwire.ConnectionEvent(c, t.now, extra))
}

// appHooked reports whether the app has a webhook, for writers that must
// read rows to build an event's data and do so only when it will be sent.
func appHooked(ctx context.Context, t *tx, appID string) (bool, error) {
	var n int
	if err := t.queryRow(ctx, `SELECT `+hookedSQL, appID).Scan(&n); err != nil {
		return false, fmt.Errorf("read webhook setting: %w", err)
	}
	return n > 0, nil
}

const eventColumns = `e.seq, e.id, e.app_id, e.user_id, e.type, e.body, e.created_at, e.status, e.attempts,
	e.next_attempt_at, e.last_error, e.lease`

func scanEvent(sc interface{ Scan(...any) error }, extra ...any) (*portico.OutboxEvent, error) {
	var (
		e             portico.OutboxEvent
		body          string
		created, next int64
	)
	dst := []any{&e.Seq, &e.ID, &e.AppID, &e.UserID, &e.Type, &body, &created, &e.Status, &e.Attempts, &next, &e.LastError, &e.Lease}
	if err := sc.Scan(append(dst, extra...)...); err != nil {
		return nil, err
	}
	e.Body, e.CreatedAt, e.NextAttemptAt = []byte(body), fromUS(created), fromUS(next)
	return &e, nil
}

// ClaimEvents implements portico.EventStore. On PostgreSQL, FOR UPDATE
// SKIP LOCKED keeps two nodes from claiming one row, and a row claimed
// and committed by another node no longer matches locked_until <= now when
// re-checked under the lock; on SQLite the single writer serialises claims.
func (db *DB) ClaimEvents(ctx context.Context, lease time.Duration, c portico.EventClaim) ([]portico.OutboxEvent, error) {
	// Most polls find nothing: a read on the reader pool (an index probe)
	// spares the writer on SQLite and the row locks on PostgreSQL.
	var one int
	now := us(db.now())
	err := db.queryRow(ctx, `SELECT 1 FROM webhook_events WHERE status = 'pending' AND next_attempt_at <= ? LIMIT 1`, now).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, db.classify(err)
	}
	var out []portico.OutboxEvent
	err = db.inWrite(ctx, func(t *tx) error {
		out = nil
		lock := ""
		if db.dialect == postgres {
			lock = " FOR UPDATE OF e SKIP LOCKED"
		}
		// Apps with PerApp events in flight already are left out; the
		// others' events past PerApp are skipped below, and taken by a
		// later claim.
		where := []any{us(t.now), us(t.now)}
		full := ""
		if c.PerApp > 0 {
			for app, n := range c.Busy {
				if n >= c.PerApp {
					full += ", ?"
					where = append(where, app)
				}
			}
		}
		if full != "" {
			full = " AND e.app_id NOT IN (" + full[2:] + ")"
		}
		rows, err := t.query(ctx, `SELECT `+eventColumns+`, a.settings, a.webhook_secret FROM webhook_events e JOIN apps a ON a.id = e.app_id
			WHERE e.status = 'pending' AND e.next_attempt_at <= ? AND e.locked_until <= ?`+full+`
			AND NOT EXISTS (SELECT 1 FROM webhook_events p WHERE p.app_id = e.app_id AND p.user_id = e.user_id
				AND p.status = 'pending' AND p.seq < e.seq)
			ORDER BY e.next_attempt_at, e.seq LIMIT ?`+lock, append(where, c.Limit)...)
		if err != nil {
			return fmt.Errorf("find due events: %w", err)
		}
		taken := map[string]int{}
		for rows.Next() {
			var settings string
			var secret string
			e, err := scanEvent(rows, &settings, &secret)
			if err != nil {
				rows.Close()
				return err
			}
			var s portico.AppSettings
			if err := json.Unmarshal([]byte(settings), &s); err != nil {
				rows.Close()
				return fmt.Errorf("read app settings: %w", err)
			}
			if c.PerApp > 0 && c.Busy[e.AppID]+taken[e.AppID] >= c.PerApp {
				continue
			}
			taken[e.AppID]++
			e.WebhookURL, e.WebhookSecret = s.WebhookURL, secret
			out = append(out, *e)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(out) == 0 {
			return nil
		}
		token := portico.NewID("lease_")
		args := []any{us(t.now.Add(lease)), token}
		for i := range out {
			out[i].Lease = token
			args = append(args, out[i].Seq)
		}
		_, err = t.exec(ctx, `UPDATE webhook_events SET locked_until = ?, lease = ? WHERE seq IN (?`+
			strings.Repeat(", ?", len(out)-1)+`)`, args...)
		if err != nil {
			return fmt.Errorf("lease events: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// FinishEvent implements portico.EventStore.
func (db *DB) FinishEvent(ctx context.Context, seq int64, lease string, o portico.EventOutcome) (bool, error) {
	var done bool
	err := db.inWrite(ctx, func(t *tx) error {
		var (
			res sql.Result
			err error
		)
		switch o.Status {
		case portico.EventDelivered, portico.EventFailed:
			res, err = t.exec(ctx, `UPDATE webhook_events SET status = ?, attempts = attempts + 1, last_error = ?, finished_at = ?,
				locked_until = 0, lease = '' WHERE seq = ? AND lease = ? AND status = 'pending'`,
				o.Status, o.Error, us(t.now), seq, lease)
		case portico.EventPending:
			res, err = t.exec(ctx, `UPDATE webhook_events SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?,
				locked_until = 0, lease = '' WHERE seq = ? AND lease = ? AND status = 'pending'`,
				o.Error, us(o.NextAttemptAt), seq, lease)
		default:
			return fmt.Errorf("finish event: unknown status %q", o.Status)
		}
		if err != nil {
			return fmt.Errorf("finish event: %w", err)
		}
		n, err := res.RowsAffected()
		done = n == 1
		return err
	})
	return done, err
}

// PruneEvents implements portico.EventStore.
func (db *DB) PruneEvents(ctx context.Context, before time.Time, batch int) (int, error) {
	var n int64
	err := db.inWrite(ctx, func(t *tx) error {
		res, err := t.exec(ctx, `DELETE FROM webhook_events WHERE seq IN (SELECT seq FROM webhook_events
			WHERE status <> 'pending' AND finished_at < ? LIMIT ?)`, us(before), batch)
		if err != nil {
			return fmt.Errorf("prune events: %w", err)
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}

// ListEvents implements portico.EventStore.
func (db *DB) ListEvents(ctx context.Context, appID string, limit int) ([]portico.OutboxEvent, error) {
	rows, err := db.query(ctx, `SELECT `+eventColumns+` FROM webhook_events e WHERE e.app_id = ? ORDER BY e.seq LIMIT ?`, appID, limit)
	if err != nil {
		return nil, db.classify(err)
	}
	defer rows.Close()
	var out []portico.OutboxEvent
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *e)
	}
	return out, db.classify(rows.Err())
}
