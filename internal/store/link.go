package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/porticohq/portico/internal/portico"
)

// UseConfigCode implements portico.LinkStore.
func (db *DB) UseConfigCode(ctx context.Context, hash []byte) (*portico.ConfigCode, error) {
	var code *portico.ConfigCode
	err := db.inWrite(ctx, func(t *tx) error {
		var (
			c         portico.ConfigCode
			expiresAt int64
			usedAt    sql.NullInt64
		)
		err := t.queryRow(ctx, `SELECT app_id, session_id, expires_at, used_at FROM configuration_codes WHERE hash = ?`+t.db.dialect.forUpdate(), hash).
			Scan(&c.AppID, &c.SessionID, &expiresAt, &usedAt)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return portico.ErrLinkUnknown
		case err != nil:
			return err
		case usedAt.Valid:
			code = &c
			return portico.ErrLinkUsed
		case expiresAt <= us(t.now):
			code = &c
			return portico.ErrLinkExpired
		}
		if _, err := t.exec(ctx, `UPDATE configuration_codes SET used_at = ? WHERE app_id = ? AND hash = ?`, us(t.now), c.AppID, hash); err != nil {
			return fmt.Errorf("use configuration code: %w", err)
		}
		c.Hash, c.ExpiresAt = hash, fromUS(expiresAt)
		code = &c
		return nil
	})
	return code, err
}
