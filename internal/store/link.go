package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/porticohq/portico/internal/portico"
)

// UseConfigCode implements portico.LinkStore.
func (db *DB) UseConfigCode(ctx context.Context, hash []byte) (*portico.ConfigCode, error) {
	var code *portico.ConfigCode
	err := db.inWrite(ctx, func(t *tx) error {
		var err error
		code, err = readConfigCode(t.queryRow(ctx, configCodeQuery()+t.db.dialect.forUpdate(), hash), hash, t.now)
		if err != nil {
			return err
		}
		if _, err := t.exec(ctx, `UPDATE configuration_codes SET used_at = ? WHERE app_id = ? AND hash = ?`, us(t.now), code.AppID, hash); err != nil {
			return fmt.Errorf("use configuration code: %w", err)
		}
		return nil
	})
	return code, err
}

// FindConfigCode implements portico.LinkStore.
func (db *DB) FindConfigCode(ctx context.Context, hash []byte) (*portico.ConfigCode, error) {
	code, err := readConfigCode(db.queryRow(ctx, configCodeQuery(), hash), hash, db.now())
	return code, db.classify(err)
}

// configCodeQuery reads a configuration code by its hash, unique over all
// apps: the row names the app.
func configCodeQuery() string {
	return `SELECT app_id, session_id, expires_at, used_at FROM configuration_codes WHERE hash = ?`
}

// readConfigCode reads the row of configCodeQuery as usable at now, or says why
// not (LinkStore.UseConfigCode).
func readConfigCode(row interface{ Scan(...any) error }, hash []byte, now time.Time) (*portico.ConfigCode, error) {
	var (
		c         portico.ConfigCode
		expiresAt int64
		usedAt    sql.NullInt64
	)
	err := row.Scan(&c.AppID, &c.SessionID, &expiresAt, &usedAt)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, portico.ErrLinkUnknown
	case err != nil:
		return nil, err
	case usedAt.Valid:
		return &c, portico.ErrLinkUsed
	case expiresAt <= us(now):
		return &c, portico.ErrLinkExpired
	}
	c.Hash, c.ExpiresAt = hash, fromUS(expiresAt)
	return &c, nil
}
