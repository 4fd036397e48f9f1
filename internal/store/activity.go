package store

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/porticohq/portico/internal/portico"
)

// The activity writer. A call queues its row and goes on; the writer
// commits what was queued every activityInterval (or as soon as
// activityBatch rows wait) in one transaction: on SQLite through the group
// writer, sharing its commits, on PostgreSQL as multi-row INSERTs. A crash
// loses at most the rows of the last interval, and a row is in a committed
// transaction whole or not at all.

const (
	activityInterval = 500 * time.Millisecond
	activityBatch    = 2000
	activityQueue    = 8192
	// activityBacklog bounds the rows kept for another try while the
	// database refuses them; beyond it the oldest are dropped and logged.
	activityBacklog = 100000
	// activityChunk rows at most go in one INSERT (16 parameters each).
	// A power of two: a batch is cut into chunks of powers of two
	// (chunkSize), so that a handful of statements, prepared once and
	// cached, serve every batch size.
	activityChunk = 128
)

const activityColumns = `id, app_id, user_id, session_id, api_key_id, client, integration, action, method, path,
	upstream_status, outcome, dry_run, duration_us, request_id, created_at`

// activityValues is one row of an INSERT's VALUES, typed for PostgreSQL.
const activityValues = `(CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT),
	CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS INTEGER), CAST(? AS TEXT), CAST(? AS BOOLEAN),
	CAST(? AS BIGINT), CAST(? AS TEXT), CAST(? AS BIGINT))`

type activityWriter struct {
	db    *DB
	log   *slog.Logger
	rows  chan *portico.Activity
	flush chan chan error
	quit  chan struct{}
	ended chan struct{}
}

func newActivityWriter(db *DB, log *slog.Logger) *activityWriter {
	if log == nil {
		log = slog.Default()
	}
	w := &activityWriter{db: db, log: log, rows: make(chan *portico.Activity, activityQueue),
		flush: make(chan chan error), quit: make(chan struct{}), ended: make(chan struct{})}
	go w.loop()
	return w
}

func (w *activityWriter) loop() {
	defer close(w.ended)
	tick := time.NewTicker(activityInterval)
	defer tick.Stop()
	var pending []*portico.Activity
	drain := func() {
		for {
			select {
			case a := <-w.rows:
				pending = append(pending, a)
			default:
				return
			}
		}
	}
	for {
		select {
		case a := <-w.rows:
			pending = append(pending, a)
			if len(pending) >= activityBatch {
				drain()
				w.write(&pending)
			}
		case <-tick.C:
			drain()
			w.write(&pending)
		case reply := <-w.flush:
			drain()
			reply <- w.write(&pending)
		case <-w.quit:
			drain()
			w.write(&pending)
			return
		}
	}
}

// write commits pending, emptying it; on failure the rows stay for the
// next try, the oldest beyond activityBacklog dropped.
func (w *activityWriter) write(pending *[]*portico.Activity) error {
	rows := *pending
	if len(rows) == 0 {
		return nil
	}
	err := w.db.insertActivity(context.Background(), rows)
	if err == nil {
		*pending = rows[:0]
		return nil
	}
	w.log.Error("activity_write_failed", "rows", len(rows), "error", err.Error(), "action", "retrying")
	if n := len(rows) - activityBacklog; n > 0 {
		w.log.Error("activity_rows_dropped", "rows", n, "reason", "the database refused them for too long")
		*pending = append(rows[:0], rows[n:]...)
	}
	return err
}

func (w *activityWriter) close() {
	select {
	case <-w.quit:
	default:
		close(w.quit)
	}
	<-w.ended
}

// RecordActivity implements portico.Store.
func (db *DB) RecordActivity(ctx context.Context, a *portico.Activity) error {
	select {
	case <-db.activity.quit:
		return errClosed
	default:
	}
	select {
	case db.activity.rows <- a:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-db.activity.quit:
		return errClosed
	}
}

// FlushActivity implements portico.Store.
func (db *DB) FlushActivity(ctx context.Context) error {
	reply := make(chan error, 1)
	select {
	case db.activity.flush <- reply:
	case <-ctx.Done():
		return ctx.Err()
	case <-db.activity.ended:
		return errClosed
	}
	select {
	case err := <-reply:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// insertActivity writes rows in one transaction.
func (db *DB) insertActivity(ctx context.Context, rows []*portico.Activity) error {
	return db.inWrite(ctx, func(t *tx) error {
		for start := 0; start < len(rows); {
			chunk := rows[start : start+chunkSize(len(rows)-start)]
			start += len(chunk)
			// A row of an app deleted meanwhile is left out: nothing
			// would ever purge it.
			q := `INSERT INTO activity (` + activityColumns + `) SELECT v.* FROM (VALUES ` + activityValues +
				strings.Repeat(", "+activityValues, len(chunk)-1) + `) AS v
				WHERE EXISTS (SELECT 1 FROM apps p WHERE p.id = v.column2) ON CONFLICT (id) DO NOTHING`
			args := make([]any, 0, 16*len(chunk))
			for _, a := range chunk {
				args = append(args, a.ID, a.AppID, a.UserID, a.SessionID, a.KeyID, a.Client, a.Integration, a.Action,
					a.Method, a.Path, a.UpstreamStatus, a.Outcome, a.DryRun, a.Duration.Microseconds(), a.RequestID, us(a.CreatedAt))
			}
			if _, err := t.exec(ctx, q, args...); err != nil {
				return fmt.Errorf("insert activity: %w", err)
			}
		}
		return nil
	})
}

// chunkSize is how many of n remaining rows go in the next INSERT: the
// largest power of two not above n or activityChunk.
func chunkSize(n int) int {
	c := activityChunk
	for c > n {
		c /= 2
	}
	return c
}

// ListActivity implements portico.Store.
func (db *DB) ListActivity(ctx context.Context, appID string, f portico.ActivityFilter, q portico.ListQuery) ([]portico.Activity, error) {
	where := []string{"app_id = ?"}
	args := []any{appID}
	if f.UserID != nil {
		where, args = append(where, "user_id = ?"), append(args, *f.UserID)
	}
	if f.Integration != nil {
		where, args = append(where, "integration = ?"), append(args, *f.Integration)
	}
	if f.Integrations != nil {
		where = append(where, "integration IN (''"+strings.Repeat(", ?", len(f.Integrations))+")")
		for _, slug := range f.Integrations {
			args = append(args, slug)
		}
	}
	if f.Outcome != nil {
		where, args = append(where, "outcome = ?"), append(args, *f.Outcome)
	}
	if f.Since != nil {
		where, args = append(where, "created_at >= ?"), append(args, us(*f.Since))
	}
	if f.Until != nil {
		where, args = append(where, "created_at < ?"), append(args, us(*f.Until))
	}
	if q.After != nil {
		where = append(where, "(created_at, id) < (?, ?)")
		args = append(args, us(q.After.CreatedAt), q.After.ID)
	}
	rows, err := db.query(ctx, `SELECT `+activityColumns+` FROM activity WHERE `+strings.Join(where, " AND ")+
		` ORDER BY created_at DESC, id DESC LIMIT ?`, append(args, q.Limit)...)
	if err != nil {
		return nil, db.classify(err)
	}
	defer rows.Close()
	out := []portico.Activity{}
	for rows.Next() {
		var a portico.Activity
		var durUS, created int64
		if err := rows.Scan(&a.ID, &a.AppID, &a.UserID, &a.SessionID, &a.KeyID, &a.Client, &a.Integration, &a.Action,
			&a.Method, &a.Path, &a.UpstreamStatus, &a.Outcome, &a.DryRun, &durUS, &a.RequestID, &created); err != nil {
			return nil, fmt.Errorf("scan activity: %w", err)
		}
		a.Duration, a.CreatedAt = time.Duration(durUS)*time.Microsecond, fromUS(created)
		out = append(out, a)
	}
	return out, db.classify(rows.Err())
}

// PurgeActivity implements portico.Store: app by app, the rows older than
// the app's retention, up to batch in all.
func (db *DB) PurgeActivity(ctx context.Context, now time.Time, batch int) (int, error) {
	rows, err := db.query(ctx, `SELECT id, settings FROM apps ORDER BY id`)
	if err != nil {
		return 0, db.classify(err)
	}
	type app struct {
		id   string
		days int
	}
	var apps []app
	for rows.Next() {
		var id, settings string
		if err := rows.Scan(&id, &settings); err != nil {
			rows.Close()
			return 0, fmt.Errorf("scan app: %w", err)
		}
		st := portico.DefaultAppSettings()
		if err := json.Unmarshal([]byte(settings), &st); err != nil {
			rows.Close()
			return 0, fmt.Errorf("app %s settings: %w", id, err)
		}
		apps = append(apps, app{id, st.ActivityRetentionDays})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, db.classify(err)
	}
	total := 0
	for _, a := range apps {
		if total >= batch {
			break
		}
		before := now.Add(-time.Duration(a.days) * 24 * time.Hour)
		var n int64
		err := db.inWrite(ctx, func(t *tx) error {
			res, err := t.exec(ctx, `DELETE FROM activity WHERE app_id = ? AND id IN
				(SELECT id FROM activity WHERE app_id = ? AND created_at < ? LIMIT ?)`, a.id, a.id, us(before), batch-total)
			if err != nil {
				return fmt.Errorf("purge activity: %w", err)
			}
			n, _ = res.RowsAffected()
			return nil
		})
		if err != nil {
			return total, err
		}
		total += int(n)
	}
	return total, nil
}
