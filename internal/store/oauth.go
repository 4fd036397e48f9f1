package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/porticohq/portico/internal/portico"
)

// CreateOAuthState implements portico.OAuthStore.
func (db *DB) CreateOAuthState(ctx context.Context, st *portico.OAuthState) error {
	return db.inWrite(ctx, func(t *tx) error {
		_, err := t.exec(ctx, `INSERT INTO oauth_states (hash, app_id, session_id, integration, verifier, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, st.Hash, st.AppID, st.SessionID, st.Integration, st.Verifier, us(t.now), us(st.ExpiresAt))
		if err != nil {
			return fmt.Errorf("insert oauth state: %w", err)
		}
		return nil
	})
}

// UseOAuthState implements portico.OAuthStore.
func (db *DB) UseOAuthState(ctx context.Context, hash []byte) (*portico.OAuthState, error) {
	var st *portico.OAuthState
	err := db.inWrite(ctx, func(t *tx) error {
		var (
			s         portico.OAuthState
			expiresAt int64
			usedAt    sql.NullInt64
		)
		err := t.queryRow(ctx, `SELECT app_id, session_id, integration, verifier, expires_at, used_at FROM oauth_states WHERE hash = ?`+t.db.dialect.forUpdate(), hash).
			Scan(&s.AppID, &s.SessionID, &s.Integration, &s.Verifier, &expiresAt, &usedAt)
		switch {
		case errors.Is(err, sql.ErrNoRows), err == nil && (usedAt.Valid || expiresAt <= us(t.now)):
			return portico.ErrOAuthState
		case err != nil:
			return err
		}
		if _, err := t.exec(ctx, `UPDATE oauth_states SET used_at = ? WHERE hash = ?`, us(t.now), hash); err != nil {
			return fmt.Errorf("use oauth state: %w", err)
		}
		s.Hash, s.ExpiresAt = hash, fromUS(expiresAt)
		st = &s
		return nil
	})
	return st, err
}
