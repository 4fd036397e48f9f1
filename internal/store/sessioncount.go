package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/porticohq/portico/internal/portico"
)

// A user's active sessions are counted for the app's max_sessions_per_user
// in stripes: rows of session_counts whose sum bounds the user's sessions
// that are neither revoked nor expired from above (docs/scaling.md). Every
// creation, revocation, eviction and refresh that revives a session changes
// the sum in its own transaction; expiry writes nothing, so the sum only
// overstates, and while it is under the limit a creation reads no session.
//
// On PostgreSQL a creation increments one stripe, chosen at random, and
// holds that row's lock until it commits: creations for one user commit
// side by side, at most one per stripe uncommitted at any moment. A
// creation may therefore not see up to countStripes()-1 others, and goes
// ahead only while the sum it reads after its increment, plus that many,
// stays within the limit. Nearer the limit it starts again and counts
// exactly, holding every stripe of the user: that waits for the creations
// in flight and keeps the limit exact. Revocations and evictions change
// stripe 0; a refresh that revives a session holds stripe 0, then counts
// exactly, and finding a stripe missing starts again once it is added.
// Whoever locks more than one stripe locks them all, in stripe order,
// holding no other but stripe 0, so no two wait for each other; and a
// transaction that changes both a user's count and rows of the user's
// sessions locks the user's row (FOR KEY SHARE, as deleting the user locks
// it first), then the stripes, then the sessions.
//
// SQLite's single writer runs one transaction at a time: one stripe, read
// exactly by the increment itself.

// errNearLimit makes CreateSession start again counting exactly.
var errNearLimit = errors.New("store: near the session limit, count exactly")

// stripesMissing makes CreateSession add the user's stripes, which a
// user's first creation makes one of, and start again.
type stripesMissing struct{ userID string }

func (e *stripesMissing) Error() string {
	return "store: the session count of user " + e.userID + " has no stripe yet"
}

// pgCountStripes is the number of stripes per user on PostgreSQL: enough
// for the creations for one user that a node's pool runs at once not to
// queue on one row, few enough for the uncounted margin to be small
// beside any limit worth striping.
const pgCountStripes = 16

func (db *DB) countStripes() int {
	if db.dialect == postgres {
		return pgCountStripes
	}
	return 1
}

// underLimit tells whether a sum of the stripes read by a creation after
// its own increment leaves room for the creations it may not see.
func (db *DB) underLimit(sum int, limit portico.SessionLimit) bool {
	return sum+db.countStripes()-1 <= limit.Max
}

// sessionCount is what counting a new session decided.
type sessionCount struct {
	// evicted are the sessions revoked to make room.
	evicted []string
	// hooked tells that the app has a webhook.
	hooked bool
	// recheck asks the session's INSERT to read the sum again and to
	// fail with errNearLimit when it leaves no room.
	recheck bool
}

// countNewSession counts the session about to be created for the user and
// makes room for it, or refuses, per the app's policy. created tells that
// the transaction created the user; exact, that the stripes' bound was
// too near the limit.
func (db *DB) countNewSession(ctx context.Context, t *tx, appID, userID string, created, exact bool, limit portico.SessionLimit) (sessionCount, error) {
	var hooked int
	if created {
		// No other transaction sees the user yet: its count is exact.
		if err := t.queryRow(ctx, `INSERT INTO session_counts (app_id, user_id, stripe, live) VALUES (?, ?, 0, 1) RETURNING `+hookedSQL,
			appID, userID, appID).Scan(&hooked); err != nil {
			return sessionCount{}, fmt.Errorf("count sessions: %w", err)
		}
		return sessionCount{hooked: hooked > 0}, nil
	}
	if !exact {
		stripe := 0
		if n := db.countStripes(); n > 1 {
			stripe = rand.IntN(n)
		}
		var sum int
		err := t.queryRow(ctx, `UPDATE session_counts SET live = live + 1 WHERE app_id = ? AND user_id = ? AND stripe = ?
			RETURNING live + (SELECT COALESCE(SUM(c.live), 0) FROM session_counts c WHERE c.app_id = ? AND c.user_id = ? AND c.stripe <> ?), `+hookedSQL,
			appID, userID, stripe, appID, userID, stripe, appID).Scan(&sum, &hooked)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			// The stripe does not exist yet, and this transaction holds
			// none: they are added, empty, before starting again.
			return sessionCount{}, &stripesMissing{userID: userID}
		case err != nil:
			return sessionCount{}, fmt.Errorf("count sessions: %w", err)
		case db.underLimit(sum, limit):
			return sessionCount{hooked: hooked > 0, recheck: db.countStripes() > 1}, nil
		case db.countStripes() > 1:
			// This transaction holds a stripe, which it must not while
			// waiting for the others.
			return sessionCount{}, errNearLimit
		}
	}
	return db.countExactly(ctx, t, appID, userID, limit, true)
}

// countExactly counts the user's active sessions, holding every stripe,
// sets the stripes to that count with the new session, and evicts or
// refuses at the limit. It adds the stripes missing when addMissing is
// set; else it fails with stripesMissing when one is, before it waits for
// any (a transaction that holds a lock already must not wait on another's
// uncommitted stripes).
func (db *DB) countExactly(ctx context.Context, t *tx, appID, userID string, limit portico.SessionLimit, addMissing bool) (sessionCount, error) {
	hooked, err := appHooked(ctx, t, appID)
	if err != nil {
		return sessionCount{}, err
	}
	if !addMissing {
		var n int
		if err := t.queryRow(ctx, `SELECT COUNT(*) FROM session_counts WHERE app_id = ? AND user_id = ?`, appID, userID).Scan(&n); err != nil {
			return sessionCount{}, fmt.Errorf("count stripes: %w", err)
		}
		if n < db.countStripes() {
			return sessionCount{}, &stripesMissing{userID: userID}
		}
	}
	if err := db.lockCounts(ctx, t, appID, userID, addMissing); err != nil {
		return sessionCount{}, err
	}
	var n int
	if err := t.queryRow(ctx, `SELECT COUNT(*) FROM sessions WHERE app_id = ? AND user_id = ? AND revoked_at IS NULL AND expires_at > ?`,
		appID, userID, us(t.now)).Scan(&n); err != nil {
		return sessionCount{}, fmt.Errorf("count sessions: %w", err)
	}
	if n < limit.Max || limit.Policy != portico.PolicyReject {
		// Exact, with the session being created; evictions below take
		// theirs off.
		if _, err := t.exec(ctx, `UPDATE session_counts SET live = CASE WHEN stripe = 0 THEN ? ELSE 0 END WHERE app_id = ? AND user_id = ?`,
			n+1, appID, userID); err != nil {
			return sessionCount{}, fmt.Errorf("recount sessions: %w", err)
		}
	}
	if n < limit.Max {
		return sessionCount{hooked: hooked}, nil
	}
	if limit.Policy == portico.PolicyReject {
		noun := "sessions"
		if n == 1 {
			noun = "session"
		}
		msg := fmt.Sprintf("The user already has %d active %s, the app's max_sessions_per_user; revoke one first.", n, noun)
		if n > limit.Max {
			// The limit was lowered below what the user holds.
			msg = fmt.Sprintf("The user already has %d active sessions, more than the app's max_sessions_per_user (%d); revoke %d first.", n, limit.Max, n-limit.Max+1)
		}
		return sessionCount{}, &portico.Error{Code: portico.CodeSessionLimitReached, Message: msg,
			Details: map[string]any{"max_sessions_per_user": limit.Max}}
	}
	rows, err := t.query(ctx, `SELECT id FROM sessions WHERE app_id = ? AND user_id = ? AND revoked_at IS NULL AND expires_at > ?
		ORDER BY created_at, id LIMIT ?`, appID, userID, us(t.now), n-limit.Max+1)
	if err != nil {
		return sessionCount{}, fmt.Errorf("find oldest sessions: %w", err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return sessionCount{}, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return sessionCount{}, err
	}
	for _, id := range ids {
		if _, err := db.revokeSessionByID(ctx, t, appID, id, hooked); err != nil {
			return sessionCount{}, fmt.Errorf("evict session: %w", err)
		}
	}
	return sessionCount{evicted: ids, hooked: hooked}, nil
}

// lockCounts holds every stripe of the user's count for the rest of t, in
// stripe order, first inserting those missing when create is set. On
// PostgreSQL that waits for the creations in flight for the user and
// keeps new ones waiting; SQLite's single writer does that already.
func (db *DB) lockCounts(ctx context.Context, t *tx, appID, userID string, create bool) error {
	if create {
		if err := db.addStripes(ctx, t, appID, userID); err != nil {
			return err
		}
	}
	if db.dialect != postgres {
		return nil
	}
	rows, err := t.query(ctx, `SELECT stripe FROM session_counts WHERE app_id = ? AND user_id = ? ORDER BY stripe FOR UPDATE`, appID, userID)
	if err == nil {
		err = drain(rows)
	}
	if err != nil {
		return fmt.Errorf("lock count stripes: %w", err)
	}
	return nil
}

// addStripes adds the user's missing stripes, empty: the sum they bound
// stays the same.
func (db *DB) addStripes(ctx context.Context, t *tx, appID, userID string) error {
	n := db.countStripes()
	args := make([]any, 0, 3*n)
	for i := range n {
		args = append(args, appID, userID, i)
	}
	if _, err := t.exec(ctx, `INSERT INTO session_counts (app_id, user_id, stripe, live) VALUES `+
		strings.TrimSuffix(strings.Repeat("(?, ?, ?, 0), ", n), ", ")+` ON CONFLICT (app_id, user_id, stripe) DO NOTHING`, args...); err != nil {
		return fmt.Errorf("add count stripes: %w", err)
	}
	return nil
}

// lockCountOf holds, on PostgreSQL, the user's row (FOR KEY SHARE) and
// then stripe 0 of the count of the user whose session of the app
// (sessions s) matches where, before the transaction locks that session's
// row: the order of the top of this file.
func lockCountOf(ctx context.Context, t *tx, appID, where string, args ...any) error {
	if t.db.dialect != postgres {
		return nil
	}
	rows, err := t.query(ctx, `SELECT u.id FROM sessions s JOIN users u ON u.id = s.user_id
		WHERE s.app_id = ? AND `+where+` FOR KEY SHARE OF u`, append([]any{appID}, args...)...)
	if err == nil {
		err = drain(rows)
	}
	if err != nil {
		return fmt.Errorf("lock user: %w", err)
	}
	rows, err = t.query(ctx, `SELECT c.stripe FROM session_counts c JOIN sessions s ON s.app_id = c.app_id AND s.user_id = c.user_id
		WHERE c.app_id = ? AND c.stripe = 0 AND `+where+` FOR UPDATE OF c`, append([]any{appID}, args...)...)
	if err != nil {
		return fmt.Errorf("lock session count: %w", err)
	}
	return drain(rows)
}

// drain reads rows to the end, for the locks a query takes.
func drain(rows *sql.Rows) error {
	for rows.Next() {
	}
	rows.Close()
	return rows.Err()
}
