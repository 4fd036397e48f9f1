package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/porticohq/portico/internal/portico"
)

// RenameApp implements portico.Store.
func (db *DB) RenameApp(ctx context.Context, id, name string) (*portico.App, error) {
	var app *portico.App
	err := db.inWrite(ctx, func(t *tx) error {
		res, err := t.exec(ctx, `UPDATE apps SET name = ?, updated_at = ? WHERE id = ?`, name, us(t.now), id)
		if err != nil {
			return fmt.Errorf("rename app: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return portico.NotFound("App")
		}
		app, err = scanApp(t.queryRow(ctx, `SELECT `+appColumns+` FROM apps a WHERE a.id = ?`, id))
		return err
	})
	return app, err
}

// CountAppRows implements portico.Store. Every count runs on an index that
// starts with the app id; sessions are counted through their users, since
// only live sessions have such an index of their own.
func (db *DB) CountAppRows(ctx context.Context, id string) (portico.AppRows, error) {
	var r portico.AppRows
	err := db.inRead(ctx, func(t *tx) error {
		var one int
		err := t.queryRow(ctx, `SELECT 1 FROM apps WHERE id = ?`, id).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return portico.NotFound("App")
		}
		if err != nil {
			return err
		}
		return t.queryRow(ctx, `SELECT
			(SELECT COUNT(*) FROM api_keys WHERE app_id = ?),
			(SELECT COUNT(*) FROM users WHERE app_id = ?),
			(SELECT COUNT(*) FROM accounts WHERE app_id = ?),
			(SELECT COUNT(*) FROM account_members WHERE app_id = ?),
			(SELECT COUNT(*) FROM users u JOIN sessions s ON s.user_id = u.id WHERE u.app_id = ?),
			(SELECT COUNT(*) FROM integrations WHERE app_id = ?),
			(SELECT COUNT(*) FROM connections WHERE app_id = ?),
			(SELECT COUNT(*) FROM webhook_events WHERE app_id = ?),
			(SELECT COUNT(*) FROM activity WHERE app_id = ?)`,
			id, id, id, id, id, id, id, id, id).
			Scan(&r.APIKeys, &r.Users, &r.Accounts, &r.Memberships, &r.Sessions, &r.Integrations, &r.Connections, &r.WebhookEvents, &r.Activity)
	})
	return r, err
}

// appTables are the steps of DeleteApp after the sessions, in order: each
// deletes up to a batch of the app's rows of one table (args: app id, app
// id, batch) on an index that starts with the app id. Connections and
// memberships go before users and accounts, so that deleting those
// cascades to nothing but what was written meanwhile.
var appTables = []struct {
	count  func(*portico.AppRows) *int
	delete string
}{
	{func(r *portico.AppRows) *int { return &r.Connections },
		`DELETE FROM connections WHERE app_id = ? AND id IN (SELECT id FROM connections WHERE app_id = ? LIMIT ?)`},
	{func(r *portico.AppRows) *int { return &r.Activity },
		`DELETE FROM activity WHERE app_id = ? AND id IN (SELECT id FROM activity WHERE app_id = ? LIMIT ?)`},
	{func(r *portico.AppRows) *int { return &r.WebhookEvents },
		`DELETE FROM webhook_events WHERE app_id = ? AND seq IN (SELECT seq FROM webhook_events WHERE app_id = ? LIMIT ?)`},
	{func(r *portico.AppRows) *int { return &r.Memberships },
		`DELETE FROM account_members WHERE app_id = ? AND (account_id, user_id) IN (SELECT account_id, user_id FROM account_members WHERE app_id = ? LIMIT ?)`},
	{func(r *portico.AppRows) *int { return &r.Users },
		`DELETE FROM users WHERE app_id = ? AND id IN (SELECT id FROM users WHERE app_id = ? LIMIT ?)`},
	{func(r *portico.AppRows) *int { return &r.Accounts },
		`DELETE FROM accounts WHERE app_id = ? AND id IN (SELECT id FROM accounts WHERE app_id = ? LIMIT ?)`},
	{func(r *portico.AppRows) *int { return &r.Integrations },
		`DELETE FROM integrations WHERE app_id = ? AND slug IN (SELECT slug FROM integrations WHERE app_id = ? LIMIT ?)`},
}

// maxDeleteBatch bounds DeleteApp's batch: a batch of sessions is deleted
// by their ids, one bound parameter each.
const maxDeleteBatch = 10000

// DeleteApp implements portico.Store. Each transaction is as short as a
// purge batch (serve.go's purgeBatch), so that servers on the same
// database keep answering while a large app is erased.
func (db *DB) DeleteApp(ctx context.Context, id string, batch int, progress func(portico.AppRows)) (portico.AppRows, error) {
	var done portico.AppRows
	if batch < 1 || batch > maxDeleteBatch {
		return done, fmt.Errorf("delete app: batch %d is not between 1 and %d", batch, maxDeleteBatch)
	}
	if _, err := db.FindAppByID(ctx, id); err != nil {
		return done, err
	}
	report := func() {
		if progress != nil {
			progress(done)
		}
	}
	// The API keys first: the app's API stops authenticating at once.
	for {
		n, err := db.deleteBatch(ctx, `DELETE FROM api_keys WHERE app_id = ? AND id IN (SELECT id FROM api_keys WHERE app_id = ? LIMIT ?)`, id, batch)
		if err != nil {
			return done, err
		}
		done.APIKeys += n
		report()
		if n < batch {
			break
		}
	}
	// The sessions, with their rotated refresh tokens, codes and OAuth2
	// states, which also closes the app's hosted pages.
	if err := db.deleteAppSessions(ctx, id, batch, &done, report); err != nil {
		return done, err
	}
	for _, step := range appTables {
		for {
			n, err := db.deleteBatch(ctx, step.delete, id, batch)
			if err != nil {
				return done, err
			}
			*step.count(&done) += n
			report()
			if n < batch {
				break
			}
		}
	}
	// The app last: its cascade takes whatever servers wrote meanwhile.
	err := db.inWrite(ctx, func(t *tx) error {
		res, err := t.exec(ctx, `DELETE FROM apps WHERE id = ?`, id)
		if err != nil {
			return fmt.Errorf("delete app: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return portico.NotFound("App")
		}
		return nil
	})
	return done, err
}

// deleteBatch runs one batch deletion of appTables' form and returns how
// many rows it deleted.
func (db *DB) deleteBatch(ctx context.Context, query, appID string, batch int) (int, error) {
	var n int64
	err := db.inWrite(ctx, func(t *tx) error {
		res, err := t.exec(ctx, query, appID, appID, batch)
		if err != nil {
			return fmt.Errorf("delete app rows: %w", err)
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}

// deleteAppSessions deletes an app's sessions a batch at a time, walking
// its users in index order (sessions have no index on the app id that
// covers revoked ones): each batch resumes at the last user of the one
// before, so that users already emptied are not scanned again.
func (db *DB) deleteAppSessions(ctx context.Context, appID string, batch int, done *portico.AppRows, report func()) error {
	afterCreated, afterID := int64(math.MinInt64), ""
	for {
		var (
			n           int
			lastCreated int64
			lastID      string
		)
		err := db.inWrite(ctx, func(t *tx) error {
			rows, err := t.query(ctx, `SELECT s.id, u.created_at, u.id FROM users u JOIN sessions s ON s.user_id = u.id
				WHERE u.app_id = ? AND (u.created_at, u.id) >= (?, ?) ORDER BY u.created_at, u.id LIMIT ?`,
				appID, afterCreated, afterID, batch)
			if err != nil {
				return fmt.Errorf("find sessions: %w", err)
			}
			var ids []any
			for rows.Next() {
				var sid string
				if err := rows.Scan(&sid, &lastCreated, &lastID); err != nil {
					rows.Close()
					return err
				}
				ids = append(ids, sid)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			n = len(ids)
			if n == 0 {
				return nil
			}
			_, err = t.exec(ctx, `DELETE FROM sessions WHERE app_id = ? AND id IN (?`+strings.Repeat(", ?", n-1)+`)`, append([]any{appID}, ids...)...)
			if err != nil {
				return fmt.Errorf("delete sessions: %w", err)
			}
			return nil
		})
		if err != nil {
			return err
		}
		afterCreated, afterID = lastCreated, lastID
		done.Sessions += n
		report()
		if n < batch {
			return nil
		}
	}
}
