package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/porticohq/portico/internal/apiwire"
	"time"

	"github.com/porticohq/portico/internal/portico"
)

const verificationColumns = `id, app_id, kind, session_id, user_id, status, request, created_at, expires_at`

func scanVerification(r row) (*portico.Verification, error) {
	var v portico.Verification
	var created, expires int64
	var session sql.NullString
	var request string
	err := r.Scan(&v.ID, &v.AppID, &v.Kind, &session, &v.UserID, &v.Status, &request, &created, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, portico.NotFound("Verification flow")
	}
	if err != nil {
		return nil, fmt.Errorf("scan verification: %w", err)
	}
	v.SessionID, v.Request = session.String, json.RawMessage(request)
	v.CreatedAt, v.ExpiresAt = fromUS(created), fromUS(expires)
	return &v, nil
}

// CreateVerification implements portico.Store.
func (db *DB) CreateVerification(ctx context.Context, v *portico.Verification) error {
	return db.inWrite(ctx, func(t *tx) error {
		session := sql.NullString{String: v.SessionID, Valid: v.SessionID != ""}
		if _, err := t.exec(ctx, `INSERT INTO verifications (`+verificationColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			v.ID, v.AppID, v.Kind, session, v.UserID, v.Status, string(v.Request), us(v.CreatedAt), us(v.ExpiresAt)); err != nil {
			return fmt.Errorf("insert verification: %w", err)
		}
		return nil
	})
}

// FindVerification implements portico.Store.
func (db *DB) FindVerification(ctx context.Context, appID, id string) (*portico.Verification, error) {
	return scanVerification(db.queryRow(ctx, `SELECT `+verificationColumns+` FROM verifications WHERE app_id = ? AND id = ?`, appID, id))
}

// SettleVerification implements portico.Store: one conditional UPDATE, so
// that of concurrent confirmations exactly one settles the flow.
func (db *DB) SettleVerification(ctx context.Context, appID, id, status, userID string, returnHash []byte, now time.Time, failure *portico.VerificationFailure) (bool, error) {
	var n int64
	err := db.inWrite(ctx, func(t *tx) error {
		res, err := t.exec(ctx, `UPDATE verifications SET status = ?, user_id = ?, return_hash = ? WHERE app_id = ? AND id = ? AND status = 'pending' AND expires_at > ?`,
			status, userID, returnHash, appID, id, us(now))
		if err != nil {
			return fmt.Errorf("settle verification: %w", err)
		}
		if n, err = res.RowsAffected(); err != nil || n == 0 || status != portico.VerificationFailed {
			return err
		}
		return db.emitEvent(ctx, t, appID, userID, portico.EventSessionVerificationFailed, apiwire.VerificationFailedEvent(failure))
	})
	return n == 1, err
}

// UseReturnCode implements portico.Store.
func (db *DB) UseReturnCode(ctx context.Context, hash []byte, now time.Time) (*portico.Verification, error) {
	var out *portico.Verification
	err := db.inWrite(ctx, func(t *tx) error {
		v, err := scanVerification(t.queryRow(ctx, `SELECT `+verificationColumns+` FROM verifications WHERE return_hash = ?`+t.db.dialect.forUpdate(), hash))
		switch {
		case portico.ErrorCode(err) == portico.CodeNotFound:
			return portico.ErrLinkUnknown
		case err != nil:
			return err
		case v.Status != portico.VerificationConfirmed:
			return portico.ErrLinkUsed
		case !now.Before(v.ExpiresAt):
			return portico.ErrLinkExpired
		}
		if _, err := t.exec(ctx, `UPDATE verifications SET status = 'used' WHERE app_id = ? AND id = ?`, v.AppID, v.ID); err != nil {
			return fmt.Errorf("use verification: %w", err)
		}
		v.Status, out = portico.VerificationUsed, v
		return nil
	})
	return out, err
}

// PurgeVerifications implements portico.Store.
func (db *DB) PurgeVerifications(ctx context.Context, before time.Time, batch int) (int, error) {
	return db.purgeBatch(ctx, "verifications", "id", "expires_at", before, batch)
}

// DecideAuthorization implements portico.Store.
func (db *DB) DecideAuthorization(ctx context.Context, appID, id, userID string, now time.Time) (bool, error) {
	var n int64
	err := db.inWrite(ctx, func(t *tx) error {
		res, err := t.exec(ctx, `UPDATE verifications SET status = ? WHERE app_id = ? AND id = ? AND kind = ?
			AND status = ? AND user_id = ? AND expires_at > ?`, portico.VerificationDecided, appID, id, portico.FlowAuthorize,
			portico.VerificationUsed, userID, us(now))
		if err != nil {
			return fmt.Errorf("decide authorization: %w", err)
		}
		n, err = res.RowsAffected()
		return err
	})
	return n == 1, err
}
