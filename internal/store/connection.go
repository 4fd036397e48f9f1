package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/porticohq/portico/internal/apiwire"
	"github.com/porticohq/portico/internal/portico"
)

const connectionColumns = `c.id, c.app_id, c.user_id, c.integration, c.status, c.fields, c.credentials, c.refreshable,
	c.expires_at, c.created_at, c.updated_at, c.settings, c.account_label, c.refreshed_at`

func scanConnection(sc interface{ Scan(...any) error }) (*portico.Connection, error) {
	var (
		c              portico.Connection
		fields         string
		creds          sql.NullString
		expires        sql.NullInt64
		refreshed      sql.NullInt64
		created, updat int64
		settings       string
		label          sql.NullString
	)
	if err := sc.Scan(&c.ID, &c.AppID, &c.UserID, &c.Integration, &c.Status, &fields, &creds, &c.Refreshable,
		&expires, &created, &updat, &settings, &label, &refreshed); err != nil {
		return nil, err
	}
	c.Settings = map[string]string{}
	if err := json.Unmarshal([]byte(settings), &c.Settings); err != nil {
		return nil, fmt.Errorf("decode settings of connection %s: %w", c.ID, err)
	}
	if label.Valid {
		c.AccountLabel = &label.String
	}
	c.Fields = []string{}
	if fields != "" {
		c.Fields = strings.Split(fields, ",")
	}
	c.Credentials = creds.String
	c.ExpiresAt, c.RefreshedAt = fromUSPtr(expires), fromUSPtr(refreshed)
	c.CreatedAt, c.UpdatedAt = fromUS(created), fromUS(updat)
	return &c, nil
}

func usPtr(t *time.Time) *int64 {
	if t == nil {
		return nil
	}
	v := us(*t)
	return &v
}

// PutConnection implements portico.Store.
func (db *DB) PutConnection(ctx context.Context, c *portico.Connection, seal func(id string) (string, error), guard *portico.ConnectGuard) (bool, error) {
	newID := c.ID
	if c.Settings == nil {
		c.Settings = map[string]string{}
	}
	var (
		created bool
		out     portico.Connection
	)
	err := db.inWrite(ctx, func(t *tx) error {
		created, out = false, *c
		out.ID = newID
		var one int
		// Key-share locked before the session below, as the user's deletion
		// locks the user before it cascades to the sessions.
		err := t.queryRow(ctx, `SELECT 1 FROM users WHERE app_id = ? AND id = ?`+t.db.dialect.forKeyShare(), c.AppID, c.UserID).Scan(&one)
		switch {
		case errors.Is(err, sql.ErrNoRows) && guard != nil && guard.Session != "":
			// The user was deleted, and its sessions with it.
			return portico.ErrSessionEnded
		case errors.Is(err, sql.ErrNoRows):
			return portico.NotFound("User")
		case err != nil:
			return fmt.Errorf("find user: %w", err)
		}
		if guard != nil && guard.Session != "" {
			// Locked until the connection is stored: a revoke waits for
			// it, and one committed first is seen.
			var (
				revoked sql.NullInt64
				expires int64
			)
			err := t.queryRow(ctx, `SELECT revoked_at, expires_at FROM sessions WHERE app_id = ? AND id = ?`+t.db.dialect.forShare(),
				c.AppID, guard.Session).Scan(&revoked, &expires)
			switch {
			case errors.Is(err, sql.ErrNoRows):
				return portico.ErrSessionEnded
			case err != nil:
				return fmt.Errorf("find session: %w", err)
			case revoked.Valid || expires <= us(guard.Now):
				return portico.ErrSessionEnded
			}
		}
		// Locked until the connection is stored, so that a replacement
		// that moves the integration's destinations counts it
		// (moveDestinations).
		err = t.queryRow(ctx, `SELECT 1 FROM integrations WHERE app_id = ? AND slug = ?`+t.db.dialect.forKeyShare(), c.AppID, c.Integration).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return portico.NotFound("Integration")
		}
		if err != nil {
			return fmt.Errorf("find integration: %w", err)
		}
		// Heard by every node once the transaction commits (notify.go).
		if err := notifyConnected(ctx, t, c.AppID, c.UserID, c.Integration); err != nil {
			return fmt.Errorf("notify connection: %w", err)
		}
		existing := func() (string, int64, error) {
			var (
				id      string
				created int64
			)
			err := t.queryRow(ctx, `SELECT id, created_at FROM connections WHERE app_id = ? AND user_id = ? AND integration = ?`+t.db.dialect.forUpdate(),
				c.AppID, c.UserID, c.Integration).Scan(&id, &created)
			if errors.Is(err, sql.ErrNoRows) {
				return "", 0, nil
			}
			return id, created, err
		}
		id, createdAt, err := existing()
		if err != nil {
			return fmt.Errorf("find connection: %w", err)
		}
		fields := strings.Join(c.Fields, ",")
		settings, err := json.Marshal(out.Settings)
		if err != nil {
			return fmt.Errorf("encode settings: %w", err)
		}
		if id == "" {
			sealed, err := seal(newID)
			if err != nil {
				return err
			}
			creds, keyID := sealedColumn(sealed)
			res, err := t.exec(ctx, `INSERT INTO connections (id, app_id, user_id, integration, status, fields, credentials, key_id,
				refreshable, expires_at, created_at, updated_at, settings, account_label) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
				ON CONFLICT (app_id, user_id, integration) DO NOTHING`,
				newID, c.AppID, c.UserID, c.Integration, c.Status, fields, creds, keyID, c.Refreshable, usPtr(c.ExpiresAt), us(t.now), us(t.now),
				string(settings), c.AccountLabel)
			if driverKind(err) == errForeignKey {
				return portico.NotFound("Integration")
			}
			if err != nil {
				return fmt.Errorf("insert connection: %w", err)
			}
			if n, _ := res.RowsAffected(); n == 1 {
				out.Credentials, out.CreatedAt, out.UpdatedAt, created = sealed, t.now, t.now, true
				return db.emitEvent(ctx, t, c.AppID, c.UserID, portico.EventConnectionCreated, apiwire.Connection(&out, t.now))
			}
			// Another transaction created it meanwhile (PostgreSQL); it is
			// committed now, so replace it.
			if id, createdAt, err = existing(); err != nil || id == "" {
				return fmt.Errorf("find connection created meanwhile: %w", errors.Join(err, sql.ErrNoRows))
			}
		}
		// Connecting again an expired connection, or one whose refreshes
		// were failing, recovers it (refresh.go).
		var (
			prior    string
			failures int
		)
		if err := t.queryRow(ctx, `SELECT status, refresh_failures FROM connections WHERE app_id = ? AND id = ?`, c.AppID, id).Scan(&prior, &failures); err != nil {
			return fmt.Errorf("read connection: %w", err)
		}
		if guard != nil && guard.Replace != nil {
			if err := guard.Replace(prior); err != nil {
				return err
			}
		}
		// The credentials are sealed for the row's own id: its AAD names it.
		sealed, err := seal(id)
		if err != nil {
			return err
		}
		creds, keyID := sealedColumn(sealed)
		if _, err := t.exec(ctx, `UPDATE connections SET status = ?, fields = ?, credentials = ?, key_id = ?, refreshable = ?,
			expires_at = ?, updated_at = ?, refreshed_at = NULL, refresh_failures = 0, settings = ?, account_label = ? WHERE app_id = ? AND id = ?`,
			c.Status, fields, creds, keyID, c.Refreshable, usPtr(c.ExpiresAt), us(t.now), string(settings), c.AccountLabel, c.AppID, id); err != nil {
			return fmt.Errorf("update connection: %w", err)
		}
		out.ID, out.Credentials, out.CreatedAt, out.UpdatedAt = id, sealed, fromUS(createdAt), t.now
		if err := db.emitEvent(ctx, t, c.AppID, c.UserID, portico.EventConnectionUpdated, apiwire.Connection(&out, t.now)); err != nil {
			return err
		}
		if c.Status == portico.StatusConnected && (prior == portico.StatusExpired || prior == portico.StatusError || failures > 0) {
			return emitConnectionEvent(ctx, t, portico.EventConnectionRecovered, &out, map[string]any{"reason": "reconnected"})
		}
		return nil
	})
	if err != nil {
		return false, err
	}
	*c = out
	return created, nil
}

// FindConnectionByID implements portico.Store.
func (db *DB) FindConnectionByID(ctx context.Context, appID, id string) (*portico.Connection, error) {
	c, err := scanConnection(db.queryRow(ctx, `SELECT `+connectionColumns+` FROM connections c WHERE c.app_id = ? AND c.id = ?`, appID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, portico.NotFound("Connection")
	}
	return c, db.classify(err)
}

// FindConnection implements portico.Store.
func (db *DB) FindConnection(ctx context.Context, appID, userID, integration string) (*portico.Connection, error) {
	c, err := scanConnection(db.queryRow(ctx, `SELECT `+connectionColumns+` FROM connections c
		WHERE c.app_id = ? AND c.user_id = ? AND c.integration = ?`, appID, userID, integration))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, portico.NotFound("Connection")
	}
	return c, db.classify(err)
}

// expiredSQL is true for a connected row whose credentials expired at the
// bound instant and cannot be refreshed: it shows as expired.
const expiredSQL = `(c.status = 'connected' AND c.expires_at IS NOT NULL AND c.expires_at <= ? AND NOT c.refreshable)`

// ListConnections implements portico.Store.
func (db *DB) ListConnections(ctx context.Context, appID string, f portico.ConnectionFilter, now time.Time, q portico.ListQuery) ([]portico.Connection, error) {
	out := []portico.Connection{}
	if f.Integrations != nil && len(f.Integrations) == 0 {
		return out, nil
	}
	where := []string{"c.app_id = ?"}
	args := []any{appID}
	if f.UserID != nil {
		where, args = append(where, "c.user_id = ?"), append(args, *f.UserID)
	}
	if f.Integration != nil {
		where, args = append(where, "c.integration = ?"), append(args, *f.Integration)
	}
	if len(f.Integrations) > 0 {
		where = append(where, "c.integration IN (?"+strings.Repeat(", ?", len(f.Integrations)-1)+")")
		for _, s := range f.Integrations {
			args = append(args, s)
		}
	}
	if f.Status != nil {
		switch *f.Status {
		case portico.StatusConnected:
			where, args = append(where, "c.status = 'connected' AND NOT "+expiredSQL), append(args, us(now))
		case portico.StatusExpired:
			where, args = append(where, "(c.status = 'expired' OR "+expiredSQL+")"), append(args, us(now))
		default:
			where, args = append(where, "c.status = ?"), append(args, *f.Status)
		}
	}
	if q.After != nil {
		where = append(where, "(c.created_at, c.id) > (?, ?)")
		args = append(args, us(q.After.CreatedAt), q.After.ID)
	}
	rows, err := db.query(ctx, `SELECT `+connectionColumns+` FROM connections c WHERE `+strings.Join(where, " AND ")+
		` ORDER BY c.created_at, c.id LIMIT ?`, append(args, q.Limit)...)
	if err != nil {
		return nil, db.classify(err)
	}
	defer rows.Close()
	for rows.Next() {
		c, err := scanConnection(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *c)
	}
	return out, db.classify(rows.Err())
}

// RevokeConnection implements portico.Store.
func (db *DB) RevokeConnection(ctx context.Context, appID, id, userID string) (*portico.Connection, error) {
	var c *portico.Connection
	err := db.inWrite(ctx, func(t *tx) error {
		var err error
		c, err = scanConnection(t.queryRow(ctx, `SELECT `+connectionColumns+` FROM connections c WHERE c.app_id = ? AND c.id = ?`+
			t.db.dialect.forUpdate(), appID, id))
		if errors.Is(err, sql.ErrNoRows) || (err == nil && userID != "" && c.UserID != userID) {
			return portico.NotFound("Connection")
		}
		if err != nil {
			return err
		}
		if c.Status == portico.StatusRevoked {
			return nil
		}
		if _, err := t.exec(ctx, `UPDATE connections SET status = ?, fields = '', credentials = NULL, key_id = NULL,
			refreshable = ?, expires_at = NULL, refreshed_at = NULL, updated_at = ? WHERE app_id = ? AND id = ?`,
			portico.StatusRevoked, false, us(t.now), appID, id); err != nil {
			return fmt.Errorf("revoke connection: %w", err)
		}
		c.Status, c.Fields, c.Credentials, c.Refreshable, c.ExpiresAt, c.UpdatedAt = portico.StatusRevoked, []string{}, "", false, nil, t.now
		return db.emitEvent(ctx, t, appID, c.UserID, portico.EventConnectionRevoked, apiwire.Connection(c, t.now))
	})
	return c, err
}
