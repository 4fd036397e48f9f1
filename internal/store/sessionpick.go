package store

import (
	"context"
	"time"

	"github.com/porticohq/portico/internal/portico"
)

// NewestActiveSession implements portico.Store: one query reads the
// user's active sessions newest first and stops at the first that suits,
// or at the first error of suits.
func (db *DB) NewestActiveSession(ctx context.Context, appID, userID string, now time.Time, suits func(*portico.Session) (bool, error)) (*portico.Session, error) {
	rows, err := db.query(ctx, `SELECT `+sessionColumns+` FROM sessions s JOIN users u ON u.id = s.user_id
		WHERE s.app_id = ? AND s.user_id = ? AND s.revoked_at IS NULL AND s.expires_at > ?
		ORDER BY s.created_at DESC, s.id DESC`, appID, userID, us(now))
	if err != nil {
		return nil, db.classify(err)
	}
	defer rows.Close()
	for rows.Next() {
		s, err := scanSession(rows)
		if err != nil {
			return nil, err
		}
		ok, err := suits(s)
		if err != nil {
			return nil, err
		}
		if ok {
			return s, nil
		}
	}
	return nil, db.classify(rows.Err())
}
