package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/porticohq/portico/internal/portico"
)

// CreateOAuthState implements portico.OAuthStore.
func (db *DB) CreateOAuthState(ctx context.Context, st *portico.OAuthState) error {
	if st.Settings == nil {
		st.Settings = map[string]string{}
	}
	settings, err := json.Marshal(st.Settings)
	if err != nil {
		return fmt.Errorf("encode settings: %w", err)
	}
	return db.inWrite(ctx, func(t *tx) error {
		_, err := t.exec(ctx, `INSERT INTO oauth_states (hash, app_id, session_id, integration, verifier, created_at, expires_at, settings)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, st.Hash, st.AppID, st.SessionID, st.Integration, st.Verifier, us(t.now), us(st.ExpiresAt), string(settings))
		if err != nil {
			return fmt.Errorf("insert oauth state: %w", err)
		}
		return nil
	})
}

// UseOAuthState implements portico.OAuthStore.
func (db *DB) UseOAuthState(ctx context.Context, appID, sessionID string, hash []byte) (*portico.OAuthState, error) {
	var st *portico.OAuthState
	err := db.inWrite(ctx, func(t *tx) error {
		s := portico.OAuthState{Hash: hash, AppID: appID, SessionID: sessionID}
		var (
			expiresAt int64
			settings  string
		)
		// The owner's check and the mark are one statement: a state is
		// spent only by its own session, whoever else presents it.
		err := t.queryRow(ctx, `UPDATE oauth_states SET used_at = ?
			WHERE hash = ? AND app_id = ? AND session_id = ? AND used_at IS NULL AND expires_at > ?
			RETURNING integration, verifier, expires_at, settings`, us(t.now), hash, appID, sessionID, us(t.now)).
			Scan(&s.Integration, &s.Verifier, &expiresAt, &settings)
		if err == nil {
			s.ExpiresAt = fromUS(expiresAt)
			if err := json.Unmarshal([]byte(settings), &s.Settings); err != nil {
				return fmt.Errorf("decode oauth state settings: %w", err)
			}
			st = &s
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("use oauth state: %w", err)
		}
		// Nothing was marked; say why.
		var ownerApp, ownerSession string
		err = t.queryRow(ctx, `SELECT app_id, session_id FROM oauth_states WHERE hash = ?`, hash).Scan(&ownerApp, &ownerSession)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return portico.ErrOAuthState
		case err != nil:
			return fmt.Errorf("find oauth state: %w", err)
		case ownerApp != appID || ownerSession != sessionID:
			return portico.ErrOAuthOther
		}
		return portico.ErrOAuthState
	})
	return st, err
}
