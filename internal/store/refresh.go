package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/porticohq/portico/internal/portico"
)

// The refresh lease of a connection (portico.RefreshStore). Claims are one
// conditional UPDATE: PostgreSQL re-checks its WHERE on the locked row after
// waiting for a concurrent writer, and SQLite's single writer runs them one
// at a time, so that exactly one claimant wins on either engine, across
// nodes. The other writes compare the lease owner and the sealed
// credentials the refresher read.

// ClaimRefresh implements portico.RefreshStore.
func (db *DB) ClaimRefresh(ctx context.Context, appID, id, sealed, owner string, lease time.Duration) (bool, *portico.RefreshState, error) {
	var (
		claimed bool
		st      *portico.RefreshState
	)
	err := db.inWrite(ctx, func(t *tx) error {
		claimed, st = false, nil
		res, err := t.exec(ctx, `UPDATE connections SET refresh_lease = ?, refresh_locked_until = ?
			WHERE app_id = ? AND id = ? AND status = 'connected' AND credentials = ?
			AND (refresh_locked_until IS NULL OR refresh_locked_until <= ?)`,
			owner, us(t.now.Add(lease)), appID, id, sealed, us(t.now))
		if err != nil {
			return fmt.Errorf("claim refresh: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			claimed = true
			return nil
		}
		var (
			status string
			creds  sql.NullString
			locked sql.NullInt64
			fails  int
		)
		err = t.queryRow(ctx, `SELECT status, credentials, refresh_locked_until, refresh_failures FROM connections WHERE app_id = ? AND id = ?`,
			appID, id).Scan(&status, &creds, &locked, &fails)
		if errors.Is(err, sql.ErrNoRows) {
			return portico.NotFound("Connection")
		}
		if err != nil {
			return fmt.Errorf("read refresh lease: %w", err)
		}
		if status == portico.StatusConnected && creds.String == sealed {
			st = &portico.RefreshState{LockedUntil: fromUSPtr(locked), Failures: fails}
		}
		return nil
	})
	if err != nil {
		return false, nil, err
	}
	return claimed, st, nil
}

// scanMore scans a row's leading columns with scan's destinations and the
// rest into more: a connection and what follows it.
type scanMore struct {
	row
	more []any
}

func (s scanMore) Scan(dest ...any) error { return s.row.Scan(append(dest, s.more...)...) }

// FindRefreshState implements portico.RefreshStore.
func (db *DB) FindRefreshState(ctx context.Context, appID, id string) (*portico.Connection, portico.RefreshState, error) {
	var (
		locked sql.NullInt64
		st     portico.RefreshState
	)
	c, err := scanConnection(scanMore{db.queryRow(ctx, `SELECT `+connectionColumns+`, c.refresh_locked_until, c.refresh_failures
		FROM connections c WHERE c.app_id = ? AND c.id = ?`, appID, id), []any{&locked, &st.Failures}})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, st, portico.NotFound("Connection")
	}
	if err != nil {
		return nil, st, db.classify(err)
	}
	st.LockedUntil = fromUSPtr(locked)
	return c, st, nil
}

// refreshHeld is the condition of every write under a lease.
const refreshHeld = `app_id = ? AND id = ? AND refresh_lease = ? AND credentials = ? AND status = 'connected'`

// CompleteRefresh implements portico.RefreshStore.
func (db *DB) CompleteRefresh(ctx context.Context, c *portico.Connection, sealed, owner string, seal func(id string) (string, error)) (bool, error) {
	newSealed, err := seal(c.ID)
	if err != nil {
		return false, err
	}
	creds, keyID := sealedColumn(newSealed)
	var (
		ok  bool
		out portico.Connection
	)
	err = db.inWrite(ctx, func(t *tx) error {
		ok = false
		var failures int
		err := t.queryRow(ctx, `SELECT refresh_failures FROM connections WHERE `+refreshHeld+t.db.dialect.forUpdate(),
			c.AppID, c.ID, owner, sealed).Scan(&failures)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read refresh lease: %w", err)
		}
		cur, err := scanConnection(t.queryRow(ctx, `UPDATE connections SET fields = ?, credentials = ?, key_id = ?, refreshable = ?,
			expires_at = ?, updated_at = ?, refreshed_at = ?, refresh_lease = NULL, refresh_locked_until = NULL, refresh_failures = 0
			WHERE `+refreshHeld+` RETURNING `+returnedConnection,
			strings.Join(c.Fields, ","), creds, keyID, c.Refreshable, usPtr(c.ExpiresAt), us(t.now), us(t.now), c.AppID, c.ID, owner, sealed))
		if err != nil {
			return fmt.Errorf("store refreshed tokens: %w", err)
		}
		out, ok = *cur, true
		if failures > 0 {
			return emitConnectionEvent(ctx, t, portico.EventConnectionRecovered, cur, map[string]any{"reason": "refreshed"})
		}
		return nil
	})
	if err != nil || !ok {
		return false, err
	}
	*c = out
	return true, nil
}

// returnedConnection is connectionColumns for a RETURNING clause, which
// names the updated table's columns without an alias.
var returnedConnection = strings.ReplaceAll(connectionColumns, "c.", "")

// FailRefresh implements portico.RefreshStore.
func (db *DB) FailRefresh(ctx context.Context, appID, id, sealed, owner string, f portico.RefreshFailure) (bool, error) {
	var ok bool
	err := db.inWrite(ctx, func(t *tx) error {
		ok = false
		var failures int
		err := t.queryRow(ctx, `SELECT refresh_failures FROM connections WHERE `+refreshHeld+t.db.dialect.forUpdate(),
			appID, id, owner, sealed).Scan(&failures)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read refresh lease: %w", err)
		}
		status, updated := portico.StatusConnected, "updated_at"
		if f.Permanent {
			// Expiring is a visible change; counting a failure is not.
			status, updated = portico.StatusExpired, "?"
		}
		args := []any{status}
		if f.Permanent {
			args = append(args, us(t.now))
		}
		set := `status = ?, updated_at = ` + updated
		if f.Keep != "" {
			set += `, credentials = ?`
			args = append(args, f.Keep)
		}
		cur, err := scanConnection(t.queryRow(ctx, `UPDATE connections SET `+set+`,
			refresh_lease = NULL, refresh_locked_until = NULL, refresh_failures = refresh_failures + 1
			WHERE `+refreshHeld+` RETURNING `+returnedConnection, append(args, appID, id, owner, sealed)...))
		if err != nil {
			return fmt.Errorf("record failed refresh: %w", err)
		}
		ok = true
		reason := map[string]any{"reason": f.Reason}
		if f.Permanent || failures == 0 {
			if err := emitConnectionEvent(ctx, t, portico.EventConnectionRefreshFailed, cur, reason); err != nil {
				return err
			}
		}
		if f.Permanent {
			return emitConnectionEvent(ctx, t, portico.EventConnectionExpired, cur, reason)
		}
		return nil
	})
	return ok, err
}

// ReleaseRefresh implements portico.RefreshStore.
func (db *DB) ReleaseRefresh(ctx context.Context, appID, id, owner string) error {
	return db.inWrite(ctx, func(t *tx) error {
		if _, err := t.exec(ctx, `UPDATE connections SET refresh_lease = NULL, refresh_locked_until = NULL
			WHERE app_id = ? AND id = ? AND refresh_lease = ?`, appID, id, owner); err != nil {
			return fmt.Errorf("release refresh lease: %w", err)
		}
		return nil
	})
}

// ListRefreshDue implements portico.RefreshStore. It walks the partial
// index connections_refresh_due (connected rows by expiry), so that a pass
// reads only the rows due, however many connections there are.
func (db *DB) ListRefreshDue(ctx context.Context, horizon, now time.Time, after *portico.Connection, limit int) ([]portico.Connection, error) {
	where := `c.status = 'connected' AND c.expires_at IS NOT NULL AND c.expires_at <= ?
		AND (c.refreshable OR c.expires_at <= ?)
		AND (c.refresh_locked_until IS NULL OR c.refresh_locked_until <= ?)`
	args := []any{us(horizon), us(now), us(now)}
	if after != nil && after.ExpiresAt != nil {
		where += ` AND (c.expires_at, c.id) > (?, ?)`
		args = append(args, us(*after.ExpiresAt), after.ID)
	}
	rows, err := db.query(ctx, `SELECT `+connectionColumns+` FROM connections c WHERE `+where+
		` ORDER BY c.expires_at, c.id LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, db.classify(err)
	}
	defer rows.Close()
	out := []portico.Connection{}
	for rows.Next() {
		c, err := scanConnection(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *c)
	}
	return out, db.classify(rows.Err())
}
