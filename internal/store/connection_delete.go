package store

import (
	"context"
	"fmt"

	"github.com/porticohq/portico/internal/portico"
)

// DeleteConnection implements portico.ConnectionDeleter.
func (db *DB) DeleteConnection(ctx context.Context, appID, id, userID string) error {
	return db.inWrite(ctx, func(t *tx) error {
		res, err := t.exec(ctx, `DELETE FROM connections WHERE app_id = ? AND id = ? AND (? = '' OR user_id = ?)`, appID, id, userID, userID)
		if err != nil {
			return fmt.Errorf("delete connection: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return portico.NotFound("Connection")
		}
		return nil
	})
}
