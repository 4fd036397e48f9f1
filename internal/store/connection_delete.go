package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/porticohq/portico/internal/apiwire"
	"github.com/porticohq/portico/internal/portico"
)

// DeleteConnection implements portico.ConnectionDeleter. A deleted
// connection is reported to the webhook as revoked: its credentials are gone
// either way.
func (db *DB) DeleteConnection(ctx context.Context, appID, id, userID string) error {
	return db.inWrite(ctx, func(t *tx) error {
		c, err := scanConnection(t.queryRow(ctx, `DELETE FROM connections WHERE app_id = ? AND id = ? AND (? = '' OR user_id = ?)
			RETURNING `+returnedConnection,
			appID, id, userID, userID))
		if errors.Is(err, sql.ErrNoRows) {
			return portico.NotFound("Connection")
		}
		if err != nil {
			return fmt.Errorf("delete connection: %w", err)
		}
		c.Status, c.Fields, c.ExpiresAt, c.UpdatedAt = portico.StatusRevoked, []string{}, nil, t.now
		return db.emitEvent(ctx, t, appID, c.UserID, portico.EventConnectionRevoked, apiwire.Connection(c, t.now))
	})
}
