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
// its own transaction, which commits them all at once. Extensions of one
// session in a statement are taken in the order they arrived: the row gets
// the expiry of the last one within the app's maximum lifetime, and each
// earlier one answers the row as it left it (its own expiry). An
// extension the statement did not apply reads, afterwards, why it was
// refused.

// extendReq is one extension: ExtendSession's arguments.
type extendReq struct {
	appID, id     string
	expiresAt     int64
	maxTTLSeconds int
}

// pgExtendColumns are sessionColumns in the RETURNING clause of an UPDATE
// of sessions s.
var pgExtendColumns = returningSessionAs()

func returningSessionAs() string {
	return strings.Replace(sessionColumns, "u.external_id",
		"(SELECT u.external_id FROM users u WHERE u.app_id = s.app_id AND u.id = s.user_id)", 1)
}

// pgExtendQuery extends, for the app $1 at the instant $2, the sessions
// $3 to the expiries $4 within the maximum lifetimes $5 (µs), with the
// tenant, the state and the maximum in its WHERE, as ExtendSession does.
// The sessions are distinct.
var pgExtendQuery = `UPDATE sessions s SET expires_at = v.expires_at, updated_at = $2
	FROM unnest($3::text[], $4::bigint[], $5::bigint[]) AS v(id, expires_at, max_us)
	WHERE s.app_id = $1 AND s.id = v.id AND s.revoked_at IS NULL AND s.expires_at > $2 AND s.created_at + v.max_us >= v.expires_at
	RETURNING ` + pgExtendColumns

// pgExtendSameQuery is pgExtendQuery when a session appears more than once:
// of a session's extensions within its maximum, the last ($6 is their
// order) sets the row.
var pgExtendSameQuery = `UPDATE sessions s SET expires_at = v.expires_at, updated_at = $2
	FROM (SELECT DISTINCT ON (r.id) r.id, r.expires_at
		FROM unnest($3::text[], $4::bigint[], $5::bigint[], $6::int[]) AS r(id, expires_at, max_us, n)
		JOIN sessions c ON c.app_id = $1 AND c.id = r.id AND c.created_at + r.max_us >= r.expires_at
		ORDER BY r.id, r.n DESC) AS v
	WHERE s.app_id = $1 AND s.id = v.id AND s.revoked_at IS NULL AND s.expires_at > $2
	RETURNING ` + pgExtendColumns

// runExtends runs one UPDATE per app of batch, giving each waiter its
// session, or none when the statement did not extend it.
func (db *DB) runExtends(ctx context.Context, conn *pgx.Conn, batch []*pgWaiter) error {
	now := db.now().UTC()
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
		if err := extendApp(ctx, conn, app, now, byApp[app]); err != nil {
			return err
		}
	}
	return nil
}

// extendApp runs the UPDATE for the extensions ws of one app, in the
// order they arrived.
func extendApp(ctx context.Context, conn *pgx.Conn, app string, now time.Time, ws []*pgWaiter) error {
	n := len(ws)
	ids, exps, maxes, order := make([]string, n), make([]int64, n), make([]int64, n), make([]int32, n)
	seen, same := map[string]bool{}, false
	for i, w := range ws {
		r := w.req.(extendReq)
		ids[i], exps[i], maxes[i], order[i] = r.id, r.expiresAt, int64(r.maxTTLSeconds)*1e6, int32(i)
		same = same || seen[r.id]
		seen[r.id] = true
	}
	query, args := pgExtendQuery, []any{app, us(now), ids, exps, maxes}
	if same {
		query, args = pgExtendSameQuery, append(args, order)
	}
	var bad error
	err := eachRow(ctx, conn, query, args, func(r *pgRow) {
		s := readSession(r)
		if r.err != nil {
			bad = r.err
			return
		}
		created := us(s.CreatedAt)
		for i, w := range ws {
			// Each extension of the session within the maximum answers the
			// row with its own expiry: the one that set it, and those
			// before it.
			if ids[i] == s.ID && created+maxes[i] >= exps[i] {
				c := *s
				c.ExpiresAt = fromUS(exps[i])
				w.res = &c
			}
		}
	})
	if err == nil {
		err = bad
	}
	return err
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
