package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/porticohq/portico/internal/portico"
)

// CreateOAuthClient implements portico.Store. At the bound, the app's
// oldest client that never completed an authorization is deleted to make
// room; only when every client has is the registration refused. On
// PostgreSQL concurrent registrations may pass the bound by a few, which
// the bound tolerates, and two at the bound may pick the same client to
// delete, the second then being refused as if none were unused.
func (db *DB) CreateOAuthClient(ctx context.Context, c *portico.OAuthClient, max int) error {
	uris, err := json.Marshal(c.RedirectURIs)
	if err != nil {
		return err
	}
	return db.inWrite(ctx, func(t *tx) error {
		var n int
		if err := t.queryRow(ctx, `SELECT COUNT(*) FROM oauth_clients WHERE app_id = ?`, c.AppID).Scan(&n); err != nil {
			return err
		}
		if n >= max {
			// used_at again outside the subquery: on PostgreSQL the row it
			// picked may be marked used, by a commit this statement waits
			// for, before it is deleted.
			res, err := t.exec(ctx, `DELETE FROM oauth_clients WHERE app_id = ? AND used_at IS NULL AND id = (SELECT id FROM oauth_clients
				WHERE app_id = ? AND used_at IS NULL ORDER BY created_at, id LIMIT 1)`, c.AppID, c.AppID)
			if err != nil {
				return fmt.Errorf("delete unused oauth client: %w", err)
			}
			if deleted, err := res.RowsAffected(); err != nil || deleted == 0 {
				return portico.Errorf(portico.CodeQuotaExceeded, "The app holds %d registered clients already.", max)
			}
		}
		if _, err := t.exec(ctx, `INSERT INTO oauth_clients (id, app_id, name, redirect_uris, created_at) VALUES (?, ?, ?, ?, ?)`,
			c.ID, c.AppID, c.Name, string(uris), us(c.CreatedAt)); err != nil {
			return fmt.Errorf("insert oauth client: %w", err)
		}
		return nil
	})
}

// FindOAuthClient implements portico.Store.
func (db *DB) FindOAuthClient(ctx context.Context, appID, id string) (*portico.OAuthClient, error) {
	var c portico.OAuthClient
	var uris string
	var created int64
	err := db.queryRow(ctx, `SELECT id, app_id, name, redirect_uris, created_at FROM oauth_clients WHERE app_id = ? AND id = ?`, appID, id).
		Scan(&c.ID, &c.AppID, &c.Name, &uris, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, portico.NotFound("Client")
	}
	if err != nil {
		return nil, classify(err)
	}
	if err := json.Unmarshal([]byte(uris), &c.RedirectURIs); err != nil {
		return nil, fmt.Errorf("oauth client %s redirect uris: %w", id, err)
	}
	c.CreatedAt = fromUS(created)
	return &c, nil
}

// CreateAuthCode implements portico.Store.
func (db *DB) CreateAuthCode(ctx context.Context, c *portico.AuthCode) error {
	return db.inWrite(ctx, func(t *tx) error {
		if _, err := t.exec(ctx, `INSERT INTO oauth_codes (hash, app_id, client_id, redirect_uri, challenge, resource, user_id, expires_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, c.Hash, c.AppID, c.ClientID, c.RedirectURI, c.Challenge, c.Resource, c.UserID, us(c.ExpiresAt)); err != nil {
			return fmt.Errorf("insert oauth code: %w", err)
		}
		return nil
	})
}

// UseAuthCode implements portico.Store.
func (db *DB) UseAuthCode(ctx context.Context, appID string, hash []byte) (*portico.AuthCode, error) {
	var (
		out    *portico.AuthCode
		reused bool
	)
	err := db.inWrite(ctx, func(t *tx) error {
		out, reused = nil, false
		c := portico.AuthCode{Hash: hash, AppID: appID}
		var expires int64
		var used sql.NullInt64
		err := t.queryRow(ctx, `SELECT client_id, redirect_uri, challenge, resource, user_id, session_id, expires_at, used_at
			FROM oauth_codes WHERE app_id = ? AND hash = ?`+t.db.dialect.forUpdate(), appID, hash).
			Scan(&c.ClientID, &c.RedirectURI, &c.Challenge, &c.Resource, &c.UserID, &c.SessionID, &expires, &used)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return portico.NotFound("Authorization code")
		case err != nil:
			return err
		}
		c.ExpiresAt, out = fromUS(expires), &c
		if used.Valid {
			// Told to the first exchange, if it has not recorded its
			// session yet (SetAuthCodeSession).
			reused = true
			if _, err := t.exec(ctx, `UPDATE oauth_codes SET reused_at = COALESCE(reused_at, ?) WHERE app_id = ? AND hash = ?`, us(t.now), appID, hash); err != nil {
				return fmt.Errorf("mark oauth code reused: %w", err)
			}
			return nil
		}
		if _, err := t.exec(ctx, `UPDATE oauth_codes SET used_at = ? WHERE app_id = ? AND hash = ?`, us(t.now), appID, hash); err != nil {
			return fmt.Errorf("use oauth code: %w", err)
		}
		return nil
	})
	switch {
	case err != nil:
		return nil, err
	case reused:
		return out, portico.ErrAuthCodeUsed
	}
	return out, nil
}

// SetAuthCodeSession implements portico.Store.
func (db *DB) SetAuthCodeSession(ctx context.Context, appID string, hash []byte, sessionID string) error {
	return db.inWrite(ctx, func(t *tx) error {
		res, err := t.exec(ctx, `UPDATE oauth_codes SET session_id = ? WHERE app_id = ? AND hash = ? AND reused_at IS NULL`, sessionID, appID, hash)
		if err != nil {
			return fmt.Errorf("record oauth code session: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return portico.ErrAuthCodeUsed
		}
		// Its client has completed an authorization: it is no longer the
		// first to make room at the bound (CreateOAuthClient).
		if _, err := t.exec(ctx, `UPDATE oauth_clients SET used_at = ? WHERE app_id = ? AND used_at IS NULL
			AND id = (SELECT client_id FROM oauth_codes WHERE app_id = ? AND hash = ?)`, us(t.now), appID, appID, hash); err != nil {
			return fmt.Errorf("mark oauth client used: %w", err)
		}
		return nil
	})
}

// PurgeAuthCodes implements portico.Store.
func (db *DB) PurgeAuthCodes(ctx context.Context, before time.Time, batch int) (int, error) {
	return db.purgeBatch(ctx, "oauth_codes", "hash", "expires_at", before, batch)
}
