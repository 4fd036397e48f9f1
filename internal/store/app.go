package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/porticohq/portico/internal/portico"
)

// CreateApp implements portico.Store.
func (db *DB) CreateApp(ctx context.Context, app *portico.App, key *portico.APIKey) error {
	return db.inWrite(ctx, func(t *tx) error {
		app.CreatedAt, app.UpdatedAt = t.now, t.now
		_, err := t.exec(ctx, `INSERT INTO apps (id, name, settings, webhook_secret, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?)`,
			app.ID, app.Name, portico.MarshalSettings(app.Settings), app.WebhookSecret, us(t.now), us(t.now))
		if err != nil {
			return fmt.Errorf("insert app: %w", err)
		}
		return insertAPIKey(ctx, t, key)
	})
}

func insertAPIKey(ctx context.Context, t *tx, key *portico.APIKey) error {
	key.CreatedAt = t.now
	_, err := t.exec(ctx, `INSERT INTO api_keys (id, app_id, hash, hint, permissions, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		key.ID, key.AppID, key.Hash, key.Hint, strings.Join(key.Permissions, " "), us(t.now))
	if driverKind(err) == errForeignKey {
		return portico.NotFound("App")
	}
	if err != nil {
		return fmt.Errorf("insert api key: %w", err)
	}
	return nil
}

const appColumns = `a.id, a.name, a.settings, a.webhook_secret, a.created_at, a.updated_at`

func scanApp(sc interface{ Scan(...any) error }, extra ...any) (*portico.App, error) {
	var (
		a              portico.App
		settings       string
		created, updat int64
	)
	err := sc.Scan(append([]any{&a.ID, &a.Name, &settings, &a.WebhookSecret, &created, &updat}, extra...)...)
	if err != nil {
		return nil, err
	}
	if a.Settings, err = decodeSettings(settings); err != nil {
		return nil, fmt.Errorf("decode settings of app %s: %w", a.ID, err)
	}
	a.CreatedAt, a.UpdatedAt = fromUS(created), fromUS(updat)
	return &a, nil
}

// settingsCache holds app settings decoded from their stored JSON, by that
// JSON: every request authenticated by an API key reads its app, and
// decoding the settings was a tenth of an extension's CPU (bench/README.md).
// A changed app has other JSON, hence another entry; the cache forgets
// everything past settingsCacheSize entries.
var settingsCache struct {
	sync.Mutex
	m map[string]portico.AppSettings
}

const settingsCacheSize = 1024

// decodeSettings returns the settings stored as raw, over the defaults,
// each call its own copy.
func decodeSettings(raw string) (portico.AppSettings, error) {
	settingsCache.Lock()
	st, ok := settingsCache.m[raw]
	settingsCache.Unlock()
	if !ok {
		st = portico.DefaultAppSettings()
		if err := json.Unmarshal([]byte(raw), &st); err != nil {
			return portico.AppSettings{}, err
		}
		settingsCache.Lock()
		if len(settingsCache.m) >= settingsCacheSize || settingsCache.m == nil {
			settingsCache.m = map[string]portico.AppSettings{}
		}
		settingsCache.m[raw] = st
		settingsCache.Unlock()
	}
	st.AllowedRedirectURIs = slices.Clone(st.AllowedRedirectURIs)
	st.AllowedFrameOrigins = slices.Clone(st.AllowedFrameOrigins)
	if st.MaxUsers != nil {
		n := *st.MaxUsers
		st.MaxUsers = &n
	}
	return st, nil
}

// ListApps implements portico.Store.
func (db *DB) ListApps(ctx context.Context) ([]portico.App, error) {
	rows, err := db.query(ctx, `SELECT `+appColumns+` FROM apps a ORDER BY a.created_at, a.id`)
	if err != nil {
		return nil, db.classify(err)
	}
	defer rows.Close()
	var apps []portico.App
	for rows.Next() {
		a, err := scanApp(rows)
		if err != nil {
			return nil, err
		}
		apps = append(apps, *a)
	}
	return apps, db.classify(rows.Err())
}

// FindAppByID implements portico.Store.
func (db *DB) FindAppByID(ctx context.Context, id string) (*portico.App, error) {
	a, err := scanApp(db.queryRow(ctx, `SELECT `+appColumns+` FROM apps a WHERE a.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, portico.NotFound("App")
	}
	return a, db.classify(err)
}

// UpdateApp implements portico.Store.
func (db *DB) UpdateApp(ctx context.Context, app *portico.App) error {
	return db.inWrite(ctx, func(t *tx) error {
		res, err := t.exec(ctx, `UPDATE apps SET name = ?, settings = ?, webhook_secret = ?, updated_at = ? WHERE id = ?`,
			app.Name, portico.MarshalSettings(app.Settings), app.WebhookSecret, us(t.now), app.ID)
		if err != nil {
			return fmt.Errorf("update app: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return portico.NotFound("App")
		}
		app.UpdatedAt = t.now
		return nil
	})
}

// CreateAPIKey implements portico.Store.
func (db *DB) CreateAPIKey(ctx context.Context, key *portico.APIKey) error {
	return db.inWrite(ctx, func(t *tx) error { return insertAPIKey(ctx, t, key) })
}

// ListAPIKeys implements portico.Store.
func (db *DB) ListAPIKeys(ctx context.Context, appID string) ([]portico.APIKey, error) {
	rows, err := db.query(ctx, (`SELECT id, app_id, hash, hint, permissions, created_at, revoked_at
		FROM api_keys WHERE app_id = ? ORDER BY created_at, id`), appID)
	if err != nil {
		return nil, db.classify(err)
	}
	defer rows.Close()
	var keys []portico.APIKey
	for rows.Next() {
		var (
			k       portico.APIKey
			perms   string
			created int64
			revoked sql.NullInt64
		)
		if err := rows.Scan(&k.ID, &k.AppID, &k.Hash, &k.Hint, &perms, &created, &revoked); err != nil {
			return nil, err
		}
		k.Permissions, k.CreatedAt, k.RevokedAt = strings.Fields(perms), fromUS(created), fromUSPtr(revoked)
		keys = append(keys, k)
	}
	return keys, db.classify(rows.Err())
}

// RevokeAPIKey implements portico.Store.
func (db *DB) RevokeAPIKey(ctx context.Context, appID, keyID string) error {
	return db.inWrite(ctx, func(t *tx) error {
		res, err := t.exec(ctx, `UPDATE api_keys SET revoked_at = ? WHERE app_id = ? AND id = ? AND revoked_at IS NULL`, us(t.now), appID, keyID)
		if err != nil {
			return fmt.Errorf("revoke api key: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return portico.NotFound("API key")
		}
		return nil
	})
}

// apiKeyQueryFor is the active-key lookup: apiKeyColumns, then extra,
// where the key's hash matches cond.
func apiKeyQueryFor(extra, cond string) string {
	return `SELECT ` + appColumns + `, k.id, k.app_id, k.hash, k.hint, k.permissions, k.created_at, k.revoked_at` + extra + `
		FROM api_keys k JOIN apps a ON a.id = k.app_id WHERE ` + cond + ` AND k.revoked_at IS NULL`
}

// FindActiveAPIKeyByHash implements portico.Store, on the lookup
// connections of each engine (sqlitelookup.go, pglookup.go). The
// revoked_at condition is part of the lookup, so a revoked key, like an
// unknown one, ends on no row: the app row is neither read nor decoded for
// either.
func (db *DB) FindActiveAPIKeyByHash(ctx context.Context, hash []byte) (*portico.APIKey, *portico.App, error) {
	if db.pgKeys != nil {
		k, app, err := db.pgKeys.findKey(ctx, hash)
		if errors.Is(err, portico.ErrStoreUnavailable) {
			db.countUnavailable()
		}
		return k, app, err
	}
	// Stored hashes are SHA-256 sums: a hash of another length matches none.
	if len(hash) != sha256.Size {
		return nil, nil, portico.NotFound("API key")
	}
	var (
		k   *portico.APIKey
		app *portico.App
	)
	found, err := db.keyLookup.find(hash, func(r *meRow) (err error) {
		k, app, err = scanAPIKey(r)
		return err
	})
	if errors.Is(err, portico.ErrStoreUnavailable) {
		db.countUnavailable()
	}
	if err != nil {
		return nil, nil, err
	}
	if !found {
		return nil, nil, portico.NotFound("API key")
	}
	return k, app, nil
}

// scanAPIKey reads the columns of apiKeyQueryFor: the app's, then the key's.
func scanAPIKey(sc interface{ Scan(...any) error }) (*portico.APIKey, *portico.App, error) {
	var (
		k       portico.APIKey
		perms   string
		created int64
		revoked sql.NullInt64
	)
	app, err := scanApp(sc, &k.ID, &k.AppID, &k.Hash, &k.Hint, &perms, &created, &revoked)
	if err != nil {
		return nil, nil, err
	}
	k.Permissions, k.CreatedAt, k.RevokedAt = strings.Fields(perms), fromUS(created), fromUSPtr(revoked)
	return &k, app, nil
}

// Meta implements portico.Store.
func (db *DB) Meta(ctx context.Context, key string) (string, bool, error) {
	var v string
	err := db.queryRow(ctx, `SELECT value FROM meta WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, db.classify(err)
	}
	return v, true, nil
}

// SetMetaIfAbsent implements portico.Store.
func (db *DB) SetMetaIfAbsent(ctx context.Context, key, value string) (string, error) {
	var stored string
	err := db.inWrite(ctx, func(t *tx) error {
		if _, err := t.exec(ctx, `INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING`, key, value); err != nil {
			return err
		}
		return t.queryRow(ctx, `SELECT value FROM meta WHERE key = ?`, key).Scan(&stored)
	})
	return stored, err
}
