package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/porticohq/portico/internal/apiwire"
	"github.com/porticohq/portico/internal/portico"
)

const approvalColumns = `id, app_id, user_id, integration, action, digest, summary, status, created_at, expires_at, decided_at`

func scanApproval(r row) (*portico.Approval, error) {
	var a portico.Approval
	var summary string
	var created, expires int64
	var decided sql.NullInt64
	err := r.Scan(&a.ID, &a.AppID, &a.UserID, &a.Integration, &a.Action, &a.Digest, &summary, &a.Status, &created, &expires, &decided)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, portico.NotFound("Approval")
	}
	if err != nil {
		return nil, fmt.Errorf("scan approval: %w", err)
	}
	if err := json.Unmarshal([]byte(summary), &a.Summary); err != nil {
		return nil, fmt.Errorf("approval %s summary: %w", a.ID, err)
	}
	a.CreatedAt, a.ExpiresAt, a.DecidedAt = fromUS(created), fromUS(expires), fromUSPtr(decided)
	return &a, nil
}

// RequestApproval implements portico.Store.
func (db *DB) RequestApproval(ctx context.Context, a *portico.Approval) (*portico.Approval, error) {
	summary, err := json.Marshal(a.Summary)
	if err != nil {
		return nil, err
	}
	var out *portico.Approval
	err = db.inWrite(ctx, func(t *tx) error {
		// Requests for one call take turns on PostgreSQL (SQLite's single
		// writer runs one at a time), so that the second finds the first's
		// approval.
		if t.db.dialect == postgres {
			if _, err := t.exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended(?, 0))`,
				"approval "+a.AppID+" "+a.UserID+" "+a.Digest); err != nil {
				return fmt.Errorf("lock approval requests: %w", err)
			}
		}
		cur, err := scanApproval(t.queryRow(ctx, `SELECT `+approvalColumns+` FROM approvals WHERE app_id = ? AND user_id = ? AND digest = ?
			AND status = 'pending' AND expires_at > ? ORDER BY created_at DESC LIMIT 1`, a.AppID, a.UserID, a.Digest, us(a.CreatedAt)))
		if err == nil {
			out = cur
			return nil
		}
		if portico.ErrorCode(err) != portico.CodeNotFound {
			return err
		}
		if _, err := t.exec(ctx, `INSERT INTO approvals (`+approvalColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)`,
			a.ID, a.AppID, a.UserID, a.Integration, a.Action, a.Digest, string(summary), a.Status, us(a.CreatedAt), us(a.ExpiresAt)); err != nil {
			return fmt.Errorf("insert approval: %w", err)
		}
		out = a
		return db.emitEvent(ctx, t, a.AppID, a.UserID, portico.EventApprovalRequested, apiwire.ApprovalEvent(a))
	})
	return out, err
}

// FindApproval implements portico.Store.
func (db *DB) FindApproval(ctx context.Context, appID, userID, id string) (*portico.Approval, error) {
	return scanApproval(db.queryRow(ctx, `SELECT `+approvalColumns+` FROM approvals WHERE app_id = ? AND user_id = ? AND id = ?`, appID, userID, id))
}

// ListPendingApprovals implements portico.Store.
func (db *DB) ListPendingApprovals(ctx context.Context, appID, userID string, now time.Time) ([]portico.Approval, error) {
	rows, err := db.query(ctx, `SELECT `+approvalColumns+` FROM approvals WHERE app_id = ? AND user_id = ? AND status = 'pending'
		AND expires_at > ? ORDER BY created_at, id LIMIT 100`, appID, userID, us(now))
	if err != nil {
		return nil, db.classify(err)
	}
	defer rows.Close()
	var out []portico.Approval
	for rows.Next() {
		a, err := scanApproval(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *a)
	}
	return out, db.classify(rows.Err())
}

// DecideApproval implements portico.Store.
func (db *DB) DecideApproval(ctx context.Context, appID, userID, id string, approve bool, now time.Time) (*portico.Approval, error) {
	status := portico.ApprovalDeclined
	if approve {
		status = portico.ApprovalApproved
	}
	var out *portico.Approval
	err := db.inWrite(ctx, func(t *tx) error {
		res, err := t.exec(ctx, `UPDATE approvals SET status = ?, decided_at = ? WHERE app_id = ? AND user_id = ? AND id = ?
			AND status = 'pending' AND expires_at > ?`, status, us(now), appID, userID, id, us(now))
		if err != nil {
			return fmt.Errorf("decide approval: %w", err)
		}
		a, err := scanApproval(t.queryRow(ctx, `SELECT `+approvalColumns+` FROM approvals WHERE app_id = ? AND user_id = ? AND id = ?`, appID, userID, id))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			if a.Status == portico.ApprovalPending {
				return portico.Errorf(portico.CodeConflict, "This approval has expired; the agent must make the call again.")
			}
			return portico.Errorf(portico.CodeConflict, "This approval was %s already.", a.Status)
		}
		out = a
		return db.emitEvent(ctx, t, appID, userID, portico.EventApprovalDecided, apiwire.ApprovalEvent(a))
	})
	return out, err
}

// PurgeApprovals implements portico.Store.
func (db *DB) PurgeApprovals(ctx context.Context, before time.Time, batch int) (int, error) {
	return db.purgeBatch(ctx, "approvals", "id", "expires_at", before, batch)
}

// UseApproval implements portico.Store: one UPDATE, so that of concurrent
// calls exactly one finds the row still approved.
func (db *DB) UseApproval(ctx context.Context, appID, userID, digest string, now time.Time) (bool, error) {
	var n int64
	err := db.inWrite(ctx, func(t *tx) error {
		res, err := t.exec(ctx, `UPDATE approvals SET status = 'used' WHERE app_id = ? AND status = 'approved' AND id =
			(SELECT id FROM approvals WHERE app_id = ? AND user_id = ? AND digest = ? AND status = 'approved' AND expires_at > ?
			ORDER BY created_at LIMIT 1)`, appID, appID, userID, digest, us(now))
		if err != nil {
			return fmt.Errorf("use approval: %w", err)
		}
		n, err = res.RowsAffected()
		return err
	})
	return n == 1, err
}
