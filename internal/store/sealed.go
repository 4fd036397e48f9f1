package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"

	"github.com/porticohq/portico/internal/portico"
)

// ListSealed implements portico.Store. Connections and client secrets are
// found by their key id column; webhook secrets, one per app, by the key id
// inside the value. Each kind is walked in primary-key order, so a whole
// rotation reads every row once.
func (db *DB) ListSealed(ctx context.Context, kind portico.SealedKind, notKeyID string, after *portico.SealedValue, limit int) ([]portico.SealedValue, error) {
	var (
		query string
		args  []any
	)
	switch kind {
	case portico.SealedConnection:
		afterID := ""
		if after != nil {
			afterID = after.ID
		}
		query = `SELECT app_id, user_id, id, credentials FROM connections
			WHERE credentials IS NOT NULL AND (key_id IS NULL OR key_id <> ?) AND id > ? ORDER BY id LIMIT ?`
		args = []any{notKeyID, afterID, limit}
	case portico.SealedClientSecret:
		afterApp, afterSlug := "", ""
		if after != nil {
			afterApp, afterSlug = after.AppID, after.ID
		}
		query = `SELECT app_id, '', slug, client_secret FROM integrations
			WHERE client_secret IS NOT NULL AND (secret_key_id IS NULL OR secret_key_id <> ?)
			AND (app_id > ? OR (app_id = ? AND slug > ?)) ORDER BY app_id, slug LIMIT ?`
		args = []any{notKeyID, afterApp, afterApp, afterSlug, limit}
	case portico.SealedWebhook:
		afterID := ""
		if after != nil {
			afterID = after.ID
		}
		// Key ids are hex, so the pattern holds no wildcard but its own %.
		query = `SELECT id, '', id, webhook_secret FROM apps
			WHERE webhook_secret <> '' AND webhook_secret NOT LIKE ? AND id > ? ORDER BY id LIMIT ?`
		args = []any{"v1:" + notKeyID + ":%", afterID, limit}
	default:
		return nil, fmt.Errorf("unknown sealed kind %q", kind)
	}
	rows, err := db.query(ctx, query, args...)
	if err != nil {
		return nil, db.classify(err)
	}
	defer rows.Close()
	var out []portico.SealedValue
	for rows.Next() {
		v := portico.SealedValue{Kind: kind}
		if err := rows.Scan(&v.AppID, &v.UserID, &v.ID, &v.Value); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, db.classify(rows.Err())
}

// ReplaceSealed implements portico.Store. Each update compares the old
// ciphertext, so a value rewritten since it was read stays as written.
// updated_at is left alone: a re-seal changes no visible value.
func (db *DB) ReplaceSealed(ctx context.Context, swaps []portico.SealedSwap) (int, error) {
	if len(swaps) == 0 {
		return 0, nil
	}
	var total int64
	err := db.inWrite(ctx, func(t *tx) error {
		total = 0
		for _, s := range swaps {
			keyID := portico.SealedKeyID(s.New)
			var (
				res sql.Result
				err error
			)
			switch s.Kind {
			case portico.SealedConnection:
				res, err = t.exec(ctx, `UPDATE connections SET credentials = ?, key_id = ? WHERE app_id = ? AND id = ? AND credentials = ?`,
					s.New, keyID, s.AppID, s.ID, s.Value)
			case portico.SealedClientSecret:
				res, err = t.exec(ctx, `UPDATE integrations SET client_secret = ?, secret_key_id = ? WHERE app_id = ? AND slug = ? AND client_secret = ?`,
					s.New, keyID, s.AppID, s.ID, s.Value)
			case portico.SealedWebhook:
				res, err = t.exec(ctx, `UPDATE apps SET webhook_secret = ? WHERE id = ? AND webhook_secret = ?`, s.New, s.AppID, s.Value)
			default:
				return fmt.Errorf("unknown sealed kind %q", s.Kind)
			}
			if err != nil {
				return fmt.Errorf("re-seal %s: %w", s.Kind, err)
			}
			n, _ := res.RowsAffected()
			total += n
		}
		return nil
	})
	return int(total), err
}

// SealedKeyIDs implements portico.Store. The key id columns are indexed,
// so each distinct id costs one index probe however many rows share it.
func (db *DB) SealedKeyIDs(ctx context.Context) ([]string, error) {
	var ids []string
	for _, col := range []struct{ table, column string }{{"connections", "key_id"}, {"integrations", "secret_key_id"}} {
		last := ""
		for {
			var id string
			err := db.queryRow(ctx, `SELECT `+col.column+` FROM `+col.table+` WHERE `+col.column+` > ? ORDER BY `+col.column+` LIMIT 1`, last).Scan(&id)
			if errors.Is(err, sql.ErrNoRows) {
				break
			}
			if err != nil {
				return nil, db.classify(err)
			}
			if !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
			last = id
		}
	}
	// One webhook secret per app at most: few rows, read them all.
	rows, err := db.query(ctx, `SELECT DISTINCT webhook_secret FROM apps WHERE webhook_secret <> ''`)
	if err != nil {
		return nil, db.classify(err)
	}
	defer rows.Close()
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		id := portico.SealedKeyID(v)
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	return ids, db.classify(rows.Err())
}

// CompareAndSwapMeta implements portico.Store.
func (db *DB) CompareAndSwapMeta(ctx context.Context, key, old, value string) (bool, error) {
	var n int64
	err := db.inWrite(ctx, func(t *tx) error {
		res, err := t.exec(ctx, `UPDATE meta SET value = ? WHERE key = ? AND value = ?`, value, key, old)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n == 1, err
}
