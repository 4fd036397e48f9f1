package store

import (
	"context"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/porticohq/portico/internal/portico"
)

// Extensions on PostgreSQL share statements as lookups do (pglookup.go):
// the extensions of one app waiting at the same moment are one UPDATE,
// its own transaction, which commits them all at once. A session is in
// one statement at most once (sameSession), so each extension gets the
// row as its own statement left it; an extension the statement did not
// match reads, afterwards, why it was refused.

// extendReq is one extension: ExtendSession's arguments.
type extendReq struct {
	appID, id     string
	expiresAt     int64
	maxTTLSeconds int
}

// pgExtendQuery extends, for the app $1 at the instant $2, the sessions
// $3 to the expiries $4 within the maximum lifetimes $5 (µs), with the
// tenant, the state and the maximum in its WHERE, as ExtendSession does.
var pgExtendQuery = `UPDATE sessions s SET expires_at = v.expires_at, updated_at = $2
	FROM unnest($3::text[], $4::bigint[], $5::bigint[]) AS v(id, expires_at, max_us)
	WHERE s.app_id = $1 AND s.id = v.id AND s.revoked_at IS NULL AND s.expires_at > $2 AND s.created_at + v.max_us >= v.expires_at
	RETURNING ` + strings.Replace(sessionColumns, "u.external_id",
	"(SELECT u.external_id FROM users u WHERE u.app_id = s.app_id AND u.id = s.user_id)", 1)

// sameSession tells that w extends a session batch already extends.
func sameSession(batch []*pgWaiter, w *pgWaiter) bool {
	r := w.req.(extendReq)
	for _, o := range batch {
		if or := o.req.(extendReq); or.id == r.id && or.appID == r.appID {
			return true
		}
	}
	return false
}

// runExtends runs one UPDATE per app of batch, giving each waiter its
// session, or none when the statement did not match it.
func (db *DB) runExtends(ctx context.Context, conn *pgx.Conn, batch []*pgWaiter) error {
	now := us(db.now().UTC())
	byApp := map[string][]*pgWaiter{}
	var apps []string
	for _, w := range batch {
		app := w.req.(extendReq).appID
		if byApp[app] == nil {
			apps = append(apps, app)
		}
		byApp[app] = append(byApp[app], w)
	}
	for _, app := range apps {
		ws := byApp[app]
		ids, exps, maxes := make([]string, len(ws)), make([]int64, len(ws)), make([]int64, len(ws))
		for i, w := range ws {
			r := w.req.(extendReq)
			ids[i], exps[i], maxes[i] = r.id, r.expiresAt, int64(r.maxTTLSeconds)*1e6
		}
		if err := extendRows(ctx, conn, app, now, ids, exps, maxes, ws); err != nil {
			return err
		}
	}
	return nil
}

func extendRows(ctx context.Context, conn *pgx.Conn, app string, now int64, ids []string, exps, maxes []int64, ws []*pgWaiter) error {
	rows, err := conn.Query(ctx, pgExtendQuery, app, now, ids, exps, maxes)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			return err
		}
		s := readSession(&scannedRow{vals: vals})
		for i, w := range ws {
			if ids[i] == s.ID {
				w.res = s
			}
		}
	}
	return rows.Err()
}

// extendShared is ExtendSession through the shared statements.
func (db *DB) extendShared(ctx context.Context, appID, id string, expiresAt time.Time, maxTTLSeconds int) (*portico.Session, error) {
	res, err := db.pgExtends.get(ctx, extendReq{appID: appID, id: id, expiresAt: us(expiresAt), maxTTLSeconds: maxTTLSeconds})
	if err != nil {
		if portico.ErrorCode(err) == portico.CodeUnavailable {
			db.countUnavailable()
		}
		return nil, err
	}
	if res != nil {
		return res.(*portico.Session), nil
	}
	return nil, db.extendRefusal(ctx, db.read, appID, id, maxTTLSeconds, db.now().UTC())
}
