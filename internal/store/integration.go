package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/porticohq/portico/internal/portico"
)

const integrationColumns = `app_id, slug, definition, client_secret, created_at, updated_at`

func scanIntegration(sc interface{ Scan(...any) error }) (*portico.Integration, error) {
	var (
		in             portico.Integration
		appID, slug    string
		def            string
		secret         sql.NullString
		created, updat int64
	)
	if err := sc.Scan(&appID, &slug, &def, &secret, &created, &updat); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(def), &in); err != nil {
		return nil, fmt.Errorf("decode integration %s of app %s: %w", slug, appID, err)
	}
	in.AppID, in.Slug = appID, slug
	if in.Auth.OAuth2 != nil && secret.Valid {
		in.Auth.OAuth2.ClientSecret = secret.String
	}
	if in.AccountIDs == nil {
		in.AccountIDs = []string{}
	}
	if in.Actions == nil {
		in.Actions = []portico.Action{}
	}
	if in.Auth.Fields == nil {
		in.Auth.Fields = []portico.Field{}
	}
	if in.SettingsFields == nil {
		in.SettingsFields = []portico.SettingsField{}
	}
	if in.Headers == nil {
		in.Headers = map[string]string{}
	}
	if o := in.Auth.OAuth2; o != nil {
		// Definitions stored before the catalogue's extras have none.
		if o.AuthorizeParams == nil {
			o.AuthorizeParams = map[string]string{}
		}
		if o.ScopeSeparator == "" {
			o.ScopeSeparator = " "
		}
	}
	in.CreatedAt, in.UpdatedAt = fromUS(created), fromUS(updat)
	return &in, nil
}

// sealedColumn is the stored form of a sealed value and its key id: NULL
// for none.
func sealedColumn(sealed string) (value, keyID *string) {
	if sealed == "" {
		return nil, nil
	}
	id := portico.SealedKeyID(sealed)
	return &sealed, &id
}

// PutIntegration implements portico.Store.
func (db *DB) PutIntegration(ctx context.Context, in *portico.Integration, force bool) (bool, error) {
	def, err := json.Marshal(in)
	if err != nil {
		return false, fmt.Errorf("encode integration: %w", err)
	}
	var secret, keyID *string
	if in.Auth.OAuth2 != nil {
		secret, keyID = sealedColumn(in.Auth.OAuth2.ClientSecret)
	}
	var created bool
	err = db.inWrite(ctx, func(t *tx) error {
		created = false
		for _, acc := range in.AccountIDs {
			var one int
			err := t.queryRow(ctx, `SELECT 1 FROM accounts WHERE app_id = ? AND id = ?`, in.AppID, acc).Scan(&one)
			if errors.Is(err, sql.ErrNoRows) {
				return portico.Invalidf("account_ids", "Account %q does not exist; create it with POST /v1/accounts first.", acc)
			}
			if err != nil {
				return fmt.Errorf("check account: %w", err)
			}
		}
		// Creations and replacements of one app queue on its row
		// (PostgreSQL; SQLite's single writer already serialises), so that
		// the count below is exact.
		if t.db.dialect == postgres {
			if _, err := t.exec(ctx, `SELECT id FROM apps WHERE id = ? FOR UPDATE`, in.AppID); err != nil {
				return fmt.Errorf("lock app: %w", err)
			}
		}
		// Under that lock, so that two integrations written at once
		// cannot both take a tool name.
		if err := t.checkToolNames(ctx, in); err != nil {
			return err
		}
		var createdAt int64
		var oldDef string
		err := t.queryRow(ctx, `SELECT created_at, definition FROM integrations WHERE app_id = ? AND slug = ?`+t.db.dialect.forUpdate(), in.AppID, in.Slug).Scan(&createdAt, &oldDef)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			var n int
			if err := t.queryRow(ctx, `SELECT COUNT(*) FROM integrations WHERE app_id = ?`, in.AppID).Scan(&n); err != nil {
				return fmt.Errorf("count integrations: %w", err)
			}
			if n >= portico.MaxIntegrationsPerApp {
				return &portico.Error{Code: portico.CodeQuotaExceeded, Message: fmt.Sprintf("An app can have at most %d integrations.", portico.MaxIntegrationsPerApp),
					Details: map[string]any{"max_integrations": portico.MaxIntegrationsPerApp}}
			}
			_, err := t.exec(ctx, `INSERT INTO integrations (app_id, slug, definition, client_secret, secret_key_id, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?)`, in.AppID, in.Slug, string(def), secret, keyID, us(t.now), us(t.now))
			if driverKind(err) == errForeignKey {
				return portico.NotFound("App")
			}
			if err != nil {
				return fmt.Errorf("insert integration: %w", err)
			}
			in.CreatedAt, in.UpdatedAt, created = t.now, t.now, true
			return nil
		case err != nil:
			return fmt.Errorf("find integration: %w", err)
		}
		if err := t.moveDestinations(ctx, in, oldDef, force); err != nil {
			return err
		}
		if _, err := t.exec(ctx, `UPDATE integrations SET definition = ?, client_secret = ?, secret_key_id = ?, updated_at = ?
			WHERE app_id = ? AND slug = ?`, string(def), secret, keyID, us(t.now), in.AppID, in.Slug); err != nil {
			return fmt.Errorf("update integration: %w", err)
		}
		in.CreatedAt, in.UpdatedAt = fromUS(createdAt), t.now
		return nil
	})
	return created, err
}

// checkToolNames refuses in when one of its tools would have the name of
// a tool of another of the app's integrations (portico.ToolCollision).
func (t *tx) checkToolNames(ctx context.Context, in *portico.Integration) error {
	if len(in.Actions) == 0 {
		return nil
	}
	rows, err := t.query(ctx, `SELECT slug, definition FROM integrations WHERE app_id = ? AND slug <> ?`, in.AppID, in.Slug)
	if err != nil {
		return fmt.Errorf("read tool names: %w", err)
	}
	defer rows.Close()
	others := map[string][]string{}
	for rows.Next() {
		var slug, def string
		if err := rows.Scan(&slug, &def); err != nil {
			return fmt.Errorf("read tool names: %w", err)
		}
		var d struct {
			Actions []struct {
				Name string `json:"name"`
			} `json:"actions"`
		}
		if err := json.Unmarshal([]byte(def), &d); err != nil {
			return fmt.Errorf("decode integration %s of app %s: %w", slug, in.AppID, err)
		}
		for _, a := range d.Actions {
			others[slug] = append(others[slug], a.Name)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read tool names: %w", err)
	}
	return portico.ToolCollision(in, others)
}

// moveDestinations refuses a replacement that sends credentials to a new
// destination while connections to the integration are not revoked, or
// with force erases them (portico.Store.PutIntegration).
func (t *tx) moveDestinations(ctx context.Context, in *portico.Integration, oldDef string, force bool) error {
	var old portico.Integration
	if err := json.Unmarshal([]byte(oldDef), &old); err != nil {
		return fmt.Errorf("decode integration: %w", err)
	}
	moved := in.NewDestinations(&old)
	if len(moved) == 0 {
		return nil
	}
	if force {
		return t.deleteConnections(ctx, in.AppID, in.Slug)
	}
	n, err := t.liveConnections(ctx, in.AppID, in.Slug)
	if err != nil || n == 0 {
		return err
	}
	return &portico.Error{Code: portico.CodeConflict,
		Message: fmt.Sprintf("%d connection(s) to this integration hold credentials their users gave for other destinations; this definition would also send them to %s. Keep the base_url and token_url hosts, or replace with ?force=true to erase those connections (their users connect again).", n, strings.Join(moved, " and ")),
		Details: map[string]any{"connections": n, "new_destinations": moved}}
}

// liveConnections counts the connections to an integration that are not
// revoked.
func (t *tx) liveConnections(ctx context.Context, appID, slug string) (int, error) {
	var n int
	if err := t.queryRow(ctx, `SELECT COUNT(*) FROM connections WHERE app_id = ? AND integration = ? AND status <> ?`,
		appID, slug, portico.StatusRevoked).Scan(&n); err != nil {
		return 0, fmt.Errorf("count connections: %w", err)
	}
	return n, nil
}

// deleteConnections erases every connection to an integration.
func (t *tx) deleteConnections(ctx context.Context, appID, slug string) error {
	if _, err := t.exec(ctx, `DELETE FROM connections WHERE app_id = ? AND integration = ?`, appID, slug); err != nil {
		return fmt.Errorf("delete connections: %w", err)
	}
	return nil
}

// FindIntegration implements portico.Store.
func (db *DB) FindIntegration(ctx context.Context, appID, slug string) (*portico.Integration, error) {
	in, err := scanIntegration(db.queryRow(ctx, `SELECT `+integrationColumns+` FROM integrations WHERE app_id = ? AND slug = ?`, appID, slug))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, portico.NotFound("Integration")
	}
	return in, db.classify(err)
}

// maxSlugsFound bounds the slugs of one FindIntegrations.
const maxSlugsFound = 64

// FindIntegrations implements portico.Store. Its list of placeholders is
// padded to a power of two by repeating the last slug, so that the
// connections prepare at most seven statements for it.
func (db *DB) FindIntegrations(ctx context.Context, appID string, slugs []string) ([]portico.Integration, error) {
	if len(slugs) == 0 {
		return []portico.Integration{}, nil
	}
	if len(slugs) > maxSlugsFound {
		return nil, fmt.Errorf("find integrations: %d slugs, at most %d", len(slugs), maxSlugsFound)
	}
	n := 1
	for n < len(slugs) {
		n *= 2
	}
	args := make([]any, 1, 1+n)
	args[0] = appID
	for i := range n {
		args = append(args, slugs[min(i, len(slugs)-1)])
	}
	return db.queryIntegrations(ctx, `SELECT `+integrationColumns+` FROM integrations WHERE app_id = ? AND slug IN (?`+strings.Repeat(`, ?`, n-1)+`)`, args...)
}

// ListIntegrations implements portico.Store.
func (db *DB) ListIntegrations(ctx context.Context, appID string, q portico.ListQuery) ([]portico.Integration, error) {
	query, args := `SELECT `+integrationColumns+` FROM integrations WHERE app_id = ?`, []any{appID}
	if q.After != nil {
		query += ` AND (created_at, slug) > (?, ?)`
		args = append(args, us(q.After.CreatedAt), q.After.ID)
	}
	return db.queryIntegrations(ctx, query+` ORDER BY created_at, slug LIMIT ?`, append(args, q.Limit)...)
}

// queryIntegrations reads the integrations a query of integrationColumns
// selects.
func (db *DB) queryIntegrations(ctx context.Context, query string, args ...any) ([]portico.Integration, error) {
	rows, err := db.query(ctx, query, args...)
	if err != nil {
		return nil, db.classify(err)
	}
	defer rows.Close()
	out := []portico.Integration{}
	for rows.Next() {
		in, err := scanIntegration(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *in)
	}
	return out, db.classify(rows.Err())
}

// DeleteIntegration implements portico.Store.
func (db *DB) DeleteIntegration(ctx context.Context, appID, slug string, force bool) error {
	return db.inWrite(ctx, func(t *tx) error {
		var one int
		err := t.queryRow(ctx, `SELECT 1 FROM integrations WHERE app_id = ? AND slug = ?`+t.db.dialect.forUpdate(), appID, slug).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return portico.NotFound("Integration")
		}
		if err != nil {
			return err
		}
		if !force {
			n, err := t.liveConnections(ctx, appID, slug)
			if err != nil {
				return err
			}
			if n > 0 {
				return &portico.Error{Code: portico.CodeConflict,
					Message: fmt.Sprintf("%d connection(s) to this integration are not revoked; revoke them first, or delete with ?force=true to erase them too.", n),
					Details: map[string]any{"connections": n}}
			}
		}
		if err := t.deleteConnections(ctx, appID, slug); err != nil {
			return err
		}
		if _, err := t.exec(ctx, `DELETE FROM integrations WHERE app_id = ? AND slug = ?`, appID, slug); err != nil {
			return fmt.Errorf("delete integration: %w", err)
		}
		return nil
	})
}
