package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/porticohq/portico/internal/portico"
)

func scanAccount(sc interface{ Scan(...any) error }) (*portico.Account, error) {
	var (
		a              portico.Account
		created, updat int64
	)
	if err := sc.Scan(&a.AppID, &a.ID, &a.Name, &created, &updat); err != nil {
		return nil, err
	}
	a.CreatedAt, a.UpdatedAt = fromUS(created), fromUS(updat)
	return &a, nil
}

const accountColumns = `app_id, id, name, created_at, updated_at`

// CreateAccount implements portico.Store.
func (db *DB) CreateAccount(ctx context.Context, a *portico.Account) error {
	return db.inWrite(ctx, func(t *tx) error {
		a.CreatedAt, a.UpdatedAt = t.now, t.now
		_, err := t.exec(ctx, `INSERT INTO accounts (app_id, id, name, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`,
			a.AppID, a.ID, a.Name, us(t.now), us(t.now))
		if driverKind(err) == errUnique {
			return &portico.Error{Code: portico.CodeConflict, Field: "id", Message: fmt.Sprintf("An account with id %q already exists.", a.ID)}
		}
		return err
	})
}

// FindAccountByID implements portico.Store.
func (db *DB) FindAccountByID(ctx context.Context, appID, id string) (*portico.Account, error) {
	a, err := scanAccount(db.queryRow(ctx, `SELECT `+accountColumns+` FROM accounts WHERE app_id = ? AND id = ?`, appID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, portico.NotFound("Account")
	}
	return a, db.classify(err)
}

// ListAccounts implements portico.Store.
func (db *DB) ListAccounts(ctx context.Context, appID string, q portico.ListQuery) ([]portico.Account, error) {
	query, args := `SELECT `+accountColumns+` FROM accounts WHERE app_id = ?`, []any{appID}
	if q.After != nil {
		query += ` AND (created_at, id) > (?, ?)`
		args = append(args, us(q.After.CreatedAt), q.After.ID)
	}
	rows, err := db.query(ctx, (query + ` ORDER BY created_at, id LIMIT ?`), append(args, q.Limit)...)
	if err != nil {
		return nil, db.classify(err)
	}
	defer rows.Close()
	var out []portico.Account
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *a)
	}
	return out, db.classify(rows.Err())
}

// UpdateAccount implements portico.Store.
func (db *DB) UpdateAccount(ctx context.Context, appID, id, name string) (*portico.Account, error) {
	var a *portico.Account
	err := db.inWrite(ctx, func(t *tx) error {
		if _, err := t.exec(ctx, `UPDATE accounts SET name = ?, updated_at = ? WHERE app_id = ? AND id = ?`, name, us(t.now), appID, id); err != nil {
			return fmt.Errorf("update account: %w", err)
		}
		var err error
		a, err = scanAccount(t.queryRow(ctx, `SELECT `+accountColumns+` FROM accounts WHERE app_id = ? AND id = ?`, appID, id))
		if errors.Is(err, sql.ErrNoRows) {
			return portico.NotFound("Account")
		}
		return err
	})
	return a, err
}

// DeleteAccount implements portico.Store.
func (db *DB) DeleteAccount(ctx context.Context, appID, id string) error {
	return db.inWrite(ctx, func(t *tx) error {
		res, err := t.exec(ctx, `DELETE FROM accounts WHERE app_id = ? AND id = ?`, appID, id)
		if err != nil {
			return fmt.Errorf("delete account: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return portico.NotFound("Account")
		}
		return nil
	})
}
