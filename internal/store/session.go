package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/porticohq/portico/internal/apiwire"
	"github.com/porticohq/portico/internal/portico"
)

const sessionColumns = `s.id, s.app_id, s.user_id, u.external_id, s.refreshable, s.ttl_seconds, s.redirect_uri,
	s.settings, s.theme, s.custom_settings, s.created_at, s.updated_at, s.expires_at, s.refresh_expires_at, s.revoked_at,
	s.return_name, s.return_url`

// returnedSessionColumns are sessionColumns in the RETURNING clause of a
// statement on sessions, which joins nothing (and whose columns SQLite
// reads unqualified there).
var returnedSessionColumns = returningSession()

func returningSession() string {
	return strings.Replace(strings.ReplaceAll(sessionColumns, "s.", ""), "u.external_id",
		"(SELECT u.external_id FROM users u WHERE u.app_id = sessions.app_id AND u.id = sessions.user_id)", 1)
}

// sessionColumnCount is the number of columns in sessionColumns.
var sessionColumnCount = strings.Count(sessionColumns, ",") + 1

// columnReader reads the columns of one row, in order. The database/sql
// rows (scannedRow), the SQLite lookup connections (meRow) and the
// PostgreSQL shared statements (pgRow) implement it, so that readSession
// and readMeUser are the one place that knows which column is which.
type columnReader interface {
	int() int64
	boolean() bool
	text() string
	textPtr() (string, bool)
	bytes() []byte
	timePtr() *time.Time
}

// rowReader is a columnReader of a lookup's row (meRow, pgRow), which
// also reads the nullable integers of scanApp and scanAPIKey.
type rowReader interface {
	columnReader
	intPtr() (int64, bool)
}

// scanInto reads r's next columns into dest, as database/sql's Scan would
// for the types the lookups' scanners use.
func scanInto(r rowReader, dest []any) error {
	for i, d := range dest {
		switch d := d.(type) {
		case *string:
			*d = r.text()
		case *int64:
			*d = r.int()
		case *[]byte:
			*d = r.bytes()
		case *sql.NullInt64:
			d.Int64, d.Valid = r.intPtr()
		default:
			return fmt.Errorf("scan: destination %d is %T", i, d)
		}
	}
	return nil
}

// readSession reads the columns of sessionColumns.
func readSession(r columnReader) *portico.Session {
	var s portico.Session
	s.ID, s.AppID, s.UserID = r.text(), r.text(), r.text()
	if ext, ok := r.textPtr(); ok {
		s.ExternalUserID = &ext
	}
	s.Refreshable = r.boolean()
	s.TTLSeconds = int(r.int())
	s.RedirectURI = r.text()
	s.Settings, s.Theme, s.CustomSettings = loadedSettings(r.bytes()), r.bytes(), r.bytes()
	s.CreatedAt, s.UpdatedAt, s.ExpiresAt = fromUS(r.int()), fromUS(r.int()), fromUS(r.int())
	s.RefreshExpiresAt, s.RevokedAt = r.timePtr(), r.timePtr()
	s.Return.Name, s.Return.URL = r.text(), r.text()
	return &s
}

// Most sessions carry the default settings (portico.DefaultSessionSettings),
// about 300 bytes of JSON and half of a session's row. A session whose
// settings are exactly those stores an empty text in their stead, so that a
// page of the sessions table holds twice the sessions: a list or a lookup
// over a large store reads half the pages (bench/README.md, "Default
// settings stored as nothing"). Rows written before keep their JSON, which
// reads the same.

// StoredSettings is the text the settings column holds for settings.
func StoredSettings(settings []byte) string {
	if bytes.Equal(settings, portico.DefaultSessionSettings) {
		return ""
	}
	return string(settings)
}

// loadedSettings is the settings a stored settings text holds. The
// defaults are shared: their capacity ends at their length, so that an
// append copies them.
func loadedSettings(stored []byte) []byte {
	if len(stored) == 0 {
		return portico.DefaultSessionSettings[:len(portico.DefaultSessionSettings):len(portico.DefaultSessionSettings)]
	}
	return stored
}

// readMeUser reads the user columns that meQueryFor adds after
// sessionColumns, for the user of s.
func readMeUser(r columnReader, s *portico.Session) *portico.User {
	var email *string
	if e, ok := r.textPtr(); ok {
		email = &e
	}
	return &portico.User{ID: s.UserID, AppID: s.AppID, ExternalID: s.ExternalUserID, Email: email, Name: r.text(), Metadata: r.bytes(),
		CreatedAt: fromUS(r.int()), UpdatedAt: fromUS(r.int()), AccountIDs: splitAccountIDs(r.text())}
}

func scanSession(sc interface{ Scan(...any) error }) (*portico.Session, error) {
	r, err := scanColumns(sc, sessionColumnCount)
	if err != nil {
		return nil, err
	}
	return readSession(r), nil
}

// scannedRow is a database/sql row scanned whole, read as a columnReader.
type scannedRow struct {
	vals []any
	col  int
}

func scanColumns(sc interface{ Scan(...any) error }, n int) (*scannedRow, error) {
	r := &scannedRow{vals: make([]any, n)}
	dst := make([]any, n)
	for i := range dst {
		dst[i] = &r.vals[i]
	}
	return r, sc.Scan(dst...)
}

func (r *scannedRow) next() any {
	v := r.vals[r.col]
	r.col++
	return v
}

func (r *scannedRow) int() int64 {
	switch v := r.next().(type) {
	case int64:
		return v
	case int32:
		return int64(v)
	case bool:
		if v {
			return 1
		}
	}
	return 0
}

func (r *scannedRow) boolean() bool {
	switch v := r.next().(type) {
	case bool:
		return v
	case int64:
		return v != 0
	}
	return false
}

func (r *scannedRow) text() string {
	switch v := r.next().(type) {
	case string:
		return v
	case []byte:
		return string(v)
	}
	return ""
}

func (r *scannedRow) textPtr() (string, bool) {
	if r.vals[r.col] == nil {
		r.col++
		return "", false
	}
	return r.text(), true
}

func (r *scannedRow) bytes() []byte {
	switch v := r.next().(type) {
	case string:
		return []byte(v)
	case []byte:
		return v
	}
	return []byte{}
}

func (r *scannedRow) timePtr() *time.Time {
	if r.vals[r.col] == nil {
		r.col++
		return nil
	}
	t := fromUS(r.int())
	return &t
}

// CreateSession implements portico.Store.
func (db *DB) CreateSession(ctx context.Context, ns portico.NewSession) (*portico.User, []string, error) {
	user, evicted, err := db.createSession(ctx, ns, false)
	// The user's first creation to draw a stripe other than the first adds
	// them, in a transaction holding nothing else, where counting exactly
	// would read every one of the user's sessions.
	var missing *stripesMissing
	if errors.As(err, &missing) && db.inWrite(ctx, func(t *tx) error { return db.addStripes(ctx, t, ns.Session.AppID, missing.userID) }) == nil {
		user, evicted, err = db.createSession(ctx, ns, false)
	}
	// Too near the limit for the bound the stripes keep, or the stripes
	// still missing: again, counting the user's sessions exactly (which
	// adds the stripes too).
	if errors.Is(err, errNearLimit) || errors.As(err, &missing) {
		user, evicted, err = db.createSession(ctx, ns, true)
	}
	return user, evicted, err
}

func (db *DB) createSession(ctx context.Context, ns portico.NewSession, exact bool) (*portico.User, []string, error) {
	var (
		user  *portico.User
		count sessionCount
	)
	err := db.inWrite(ctx, func(t *tx) error {
		var (
			created bool
			err     error
		)
		user, created, err = db.findOrCreateUser(ctx, t, ns.Session.AppID, ns.UserID, ns.User)
		if err != nil {
			return err
		}
		if count, err = db.countNewSession(ctx, t, ns.Session.AppID, user.ID, created, exact, ns.Limit); err != nil {
			return err
		}
		s := ns.Session
		s.UserID, s.ExternalUserID = user.ID, user.ExternalID
		// The service set the session's times by its clock; the row is
		// created at the transaction's, later by the wait for the writer.
		// The expiries move with it, so that expires_at is created_at plus
		// the TTL exactly.
		if !s.CreatedAt.IsZero() {
			d := t.now.Sub(s.CreatedAt)
			s.ExpiresAt = s.ExpiresAt.Add(d)
			if s.RefreshExpiresAt != nil {
				re := s.RefreshExpiresAt.Add(d)
				s.RefreshExpiresAt = &re
			}
		}
		s.CreatedAt, s.UpdatedAt = t.now, t.now
		dead := s.ExpiresAt
		if s.RefreshExpiresAt != nil && s.RefreshExpiresAt.After(dead) {
			dead = *s.RefreshExpiresAt
		}
		var refreshExpires *int64
		if s.RefreshExpiresAt != nil {
			v := us(*s.RefreshExpiresAt)
			refreshExpires = &v
		}
		insert := `INSERT INTO sessions (id, app_id, user_id, token_hash, refresh_hash, refreshable, ttl_seconds,
			redirect_uri, settings, theme, custom_settings, created_at, updated_at, expires_at, refresh_expires_at, dead_at,
			return_name, return_url)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
		args := []any{s.ID, s.AppID, s.UserID, ns.TokenHash, ns.RefreshHash, s.Refreshable, s.TTLSeconds,
			s.RedirectURI, StoredSettings(s.Settings), string(s.Theme), string(s.CustomSettings),
			us(t.now), us(t.now), us(s.ExpiresAt), refreshExpires, us(dead), s.Return.Name, s.Return.URL}
		if count.recheck {
			// The statement after the increment reads the stripes again,
			// seeing every creation committed while it waited for its
			// stripe (sessioncount.go).
			var live int
			err = t.queryRow(ctx, insert+` RETURNING (SELECT SUM(live) FROM session_counts WHERE app_id = ? AND user_id = ?)`,
				append(args, s.AppID, s.UserID)...).Scan(&live)
			if err == nil && !db.underLimit(live, ns.Limit) {
				return errNearLimit
			}
		} else {
			_, err = t.exec(ctx, insert, args...)
		}
		if err != nil {
			return fmt.Errorf("insert session: %w", err)
		}
		if count.hooked {
			if err := db.emitEvent(ctx, t, s.AppID, s.UserID, portico.EventSessionCreated, apiwire.Session(s)); err != nil {
				return err
			}
		}
		return insertConfigCode(ctx, t, ns.Code)
	})
	if err != nil {
		return nil, nil, err
	}
	return user, count.evicted, nil
}

// revokeSessionByID ends one session of the app inside t, unless it already
// ended, and queues its session.revoked event when hooked. It reports
// whether it ended the session.
func (db *DB) revokeSessionByID(ctx context.Context, t *tx, appID, id string, hooked bool) (bool, error) {
	ended, err := endSession(ctx, t, appID, id)
	if err != nil || !ended || !hooked {
		return ended, err
	}
	return true, db.emitSessionRevoked(ctx, t, appID, id)
}

// endSession revokes one session of the app inside t, unless it already
// ended, and takes it off its user's session count if it was active. It
// reports whether it revoked the session.
func endSession(ctx context.Context, t *tx, appID, id string) (bool, error) {
	// Stripe 0 is locked whether or not the session has expired: a
	// refresh may bring it back before the UPDATE below reads it.
	if err := lockCountOf(ctx, t, appID, `s.app_id = ? AND s.id = ? AND s.revoked_at IS NULL`, appID, id); err != nil {
		return false, err
	}
	var (
		userID  string
		expires int64
	)
	err := t.queryRow(ctx, `UPDATE sessions SET revoked_at = ?, updated_at = ?, dead_at = ? WHERE app_id = ? AND id = ? AND revoked_at IS NULL
		RETURNING user_id, expires_at`, us(t.now), us(t.now), us(t.now), appID, id).Scan(&userID, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("revoke session: %w", err)
	}
	// An expired session is no longer in the bound's exact part: only an
	// active one comes off it, so that it never understates.
	if expires > us(t.now) {
		if _, err := t.exec(ctx, `UPDATE session_counts SET live = live - 1 WHERE app_id = ? AND user_id = ? AND stripe = 0`, appID, userID); err != nil {
			return false, fmt.Errorf("count revoked session: %w", err)
		}
	}
	return true, nil
}

// emitSessionRevoked queues session.revoked for a session revoked in t.
func (db *DB) emitSessionRevoked(ctx context.Context, t *tx, appID, id string) error {
	s, err := scanSession(t.queryRow(ctx, `SELECT `+sessionColumns+` FROM sessions s JOIN users u ON u.id = s.user_id
		WHERE s.app_id = ? AND s.id = ?`, appID, id))
	if err != nil {
		return fmt.Errorf("read revoked session: %w", err)
	}
	return db.emitEvent(ctx, t, appID, s.UserID, portico.EventSessionRevoked, apiwire.Session(s))
}

func insertConfigCode(ctx context.Context, t *tx, c *portico.ConfigCode) error {
	_, err := t.exec(ctx, `INSERT INTO configuration_codes (hash, app_id, session_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
		c.Hash, c.AppID, c.SessionID, us(t.now), us(c.ExpiresAt))
	if err != nil {
		return fmt.Errorf("insert configuration code: %w", err)
	}
	return nil
}

// CreateConfigCode implements portico.Store.
func (db *DB) CreateConfigCode(ctx context.Context, code *portico.ConfigCode) error {
	return db.inWrite(ctx, func(t *tx) error {
		var one int
		err := t.queryRow(ctx, `SELECT 1 FROM sessions WHERE app_id = ? AND id = ? AND revoked_at IS NULL`+t.db.dialect.forKeyShare(), code.AppID, code.SessionID).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return portico.NotFound("Session")
		}
		if err != nil {
			return err
		}
		return insertConfigCode(ctx, t, code)
	})
}

// FindSessionByID implements portico.Store.
func (db *DB) FindSessionByID(ctx context.Context, appID, id string) (*portico.Session, error) {
	s, err := scanSession(db.queryRow(ctx, `SELECT `+sessionColumns+` FROM sessions s JOIN users u ON u.id = s.user_id
		WHERE s.app_id = ? AND s.id = ?`, appID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, portico.NotFound("Session")
	}
	return s, db.classify(err)
}

// FindSessionByTokenHash implements portico.Store: one indexed lookup
// returning the session, its user and the user's accounts, on the lookup
// connections of each engine (sqlitelookup.go, pglookup.go).
func (db *DB) FindSessionByTokenHash(ctx context.Context, hash []byte) (*portico.Session, *portico.User, error) {
	var (
		s   *portico.Session
		u   *portico.User
		err error
	)
	if db.lookup != nil {
		s, u, err = db.lookup.findSession(hash)
	} else {
		s, u, err = db.pgSessions.findSession(ctx, hash)
	}
	// The lookups build their errors away from db: a database failure is
	// counted here, once per lookup.
	if errors.Is(err, portico.ErrStoreUnavailable) {
		db.countUnavailable()
	}
	return s, u, err
}

// findSession is FindSessionByTokenHash on the SQLite lookup connections,
// reading meQueryFor's columns in their order.
func (p *sqliteLookup) findSession(hash []byte) (*portico.Session, *portico.User, error) {
	// Stored hashes are SHA-256 sums: a hash of another length matches none.
	if len(hash) != sha256.Size {
		return nil, nil, portico.NotFound("Session")
	}
	var (
		s *portico.Session
		u *portico.User
	)
	found, err := p.find(hash, func(r *meRow) error {
		s = readSession(r)
		u = readMeUser(r, s)
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	if !found {
		return nil, nil, portico.NotFound("Session")
	}
	return s, u, nil
}

// meQueryFor is the query of FindSessionByTokenHash: the session, its
// user and the user's accounts, then the columns in extra, of the sessions
// that match where.
func meQueryFor(d dialect, extra, where string) string {
	return `SELECT ` + sessionColumns + `, u.email, u.name, u.metadata, u.created_at, u.updated_at,
		(SELECT ` + d.groupConcat("m.account_id") + ` FROM account_members m WHERE m.app_id = s.app_id AND m.user_id = s.user_id)` + extra + `
		FROM sessions s JOIN users u ON u.id = s.user_id WHERE ` + where
}

// SetSessionReturn implements portico.Store.
func (db *DB) SetSessionReturn(ctx context.Context, appID, id string, ret portico.ReturnLink) error {
	return db.inWrite(ctx, func(t *tx) error {
		res, err := t.exec(ctx, `UPDATE sessions SET return_name = ?, return_url = ? WHERE app_id = ? AND id = ?`, ret.Name, ret.URL, appID, id)
		if err != nil {
			return fmt.Errorf("set session return: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return portico.NotFound("Session")
		}
		return nil
	})
}

// ListActiveSessions implements portico.Store.
func (db *DB) ListActiveSessions(ctx context.Context, appID string, f portico.SessionFilter, now time.Time, q portico.ListQuery) ([]portico.Session, error) {
	where := []string{"s.app_id = ?", "s.revoked_at IS NULL", "s.expires_at > ?"}
	args := []any{appID, us(now)}
	if f.UserID != nil {
		where, args = append(where, "s.user_id = ?"), append(args, *f.UserID)
	}
	if f.ExternalUserID != nil {
		where = append(where, "s.user_id = (SELECT x.id FROM users x WHERE x.app_id = ? AND x.external_id = ?)")
		args = append(args, appID, *f.ExternalUserID)
	}
	if q.After != nil {
		where = append(where, "(s.created_at, s.id) > (?, ?)")
		args = append(args, us(q.After.CreatedAt), q.After.ID)
	}
	rows, err := db.query(ctx, (`SELECT ` + sessionColumns + ` FROM sessions s JOIN users u ON u.id = s.user_id
		WHERE ` + strings.Join(where, " AND ") + ` ORDER BY s.created_at, s.id LIMIT ?`), append(args, q.Limit)...)
	if err != nil {
		return nil, db.classify(err)
	}
	defer rows.Close()
	var out []portico.Session
	for rows.Next() {
		s, err := scanSession(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *s)
	}
	return out, db.classify(rows.Err())
}

// ExtendSession implements portico.Store: one conditional UPDATE that
// returns the session, with the tenant, the state and the maximum in its
// WHERE clause; the reason for a refusal is read only when it matched
// nothing. On PostgreSQL concurrent extensions share the UPDATE
// (pgextend.go).
func (db *DB) ExtendSession(ctx context.Context, appID, id string, expiresAt time.Time, maxTTLSeconds int) (*portico.Session, error) {
	if db.pgExtends != nil {
		return db.extendShared(ctx, appID, id, expiresAt, maxTTLSeconds)
	}
	var s *portico.Session
	err := db.inWrite(ctx, func(t *tx) error {
		var err error
		s, err = db.extendOne(ctx, t, appID, id, expiresAt, maxTTLSeconds)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// extendOne is one extension's UPDATE in t, and its refusal.
func (db *DB) extendOne(ctx context.Context, t *tx, appID, id string, expiresAt time.Time, maxTTLSeconds int) (*portico.Session, error) {
	exp, now := us(expiresAt), us(t.now)
	// dead_at stays: it is the purge's lower bound (PurgeSessions), and an
	// UPDATE that changes no indexed column is cheaper (on PostgreSQL it
	// can stay on the row's page, touching no index).
	s, err := scanSession(t.queryRow(ctx, `UPDATE sessions SET expires_at = ?, updated_at = ?
		WHERE app_id = ? AND id = ? AND revoked_at IS NULL AND expires_at > ? AND created_at + ? >= ?
		RETURNING `+returnedSessionColumns, exp, now, appID, id, now, int64(maxTTLSeconds)*1e6, exp))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, db.extendRefusal(ctx, t.stmts, appID, id, maxTTLSeconds, t.now)
	}
	if err != nil {
		return nil, fmt.Errorf("extend session: %w", err)
	}
	return s, nil
}

// extendRefusal says why an extension of the session matched nothing at
// now: unknown or revoked (404), expired (409), or beyond the app's
// maximum lifetime (422).
func (db *DB) extendRefusal(ctx context.Context, q statements, appID, id string, maxTTLSeconds int, now time.Time) error {
	var (
		created, expires         int64
		revoked, refreshesBefore sql.NullInt64
	)
	err := q.QueryRowContext(ctx, db.q(`SELECT created_at, expires_at, revoked_at, refresh_expires_at FROM sessions WHERE app_id = ? AND id = ?`), appID, id).
		Scan(&created, &expires, &revoked, &refreshesBefore)
	switch {
	case errors.Is(err, sql.ErrNoRows), err == nil && revoked.Valid:
		return portico.NotFound("Session")
	case err != nil:
		return db.classify(err)
	case expires <= us(now):
		return portico.SessionExpired(refreshesBefore.Valid && refreshesBefore.Int64 > us(now))
	}
	return portico.ExtendBeyondMax(maxTTLSeconds, fromUS(created), now)
}

// RevokeSession implements portico.Store.
func (db *DB) RevokeSession(ctx context.Context, appID, id string) error {
	return db.inWrite(ctx, func(t *tx) error {
		ended, err := endSession(ctx, t, appID, id)
		if err != nil {
			return err
		}
		if !ended {
			return portico.NotFound("Session")
		}
		if hooked, err := appHooked(ctx, t, appID); err != nil || !hooked {
			return err
		}
		return db.emitSessionRevoked(ctx, t, appID, id)
	})
}

// RevokeUserSessions implements portico.Store.
func (db *DB) RevokeUserSessions(ctx context.Context, appID, userID string) (int, error) {
	var n int64
	err := db.inWrite(ctx, func(t *tx) error {
		var one int
		err := t.queryRow(ctx, `SELECT 1 FROM users WHERE app_id = ? AND id = ?`+t.db.dialect.forKeyShare(), appID, userID).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return portico.NotFound("User")
		}
		if err != nil {
			return err
		}
		// Creations in flight for the user finish first, so that the
		// statements below see their sessions, and no other commits
		// before this one: every stripe is held, those that a creation
		// would add meanwhile too, so they are added here first.
		if err := db.lockCounts(ctx, t, appID, userID, true); err != nil {
			return err
		}
		// Counted: the sessions that were still usable. Expired ones are
		// closed too, so that a refresh token cannot revive them.
		if err := t.queryRow(ctx, `SELECT COUNT(*) FROM sessions WHERE app_id = ? AND user_id = ? AND revoked_at IS NULL AND expires_at > ?`,
			appID, userID, us(t.now)).Scan(&n); err != nil {
			return err
		}
		hooked, err := appHooked(ctx, t, appID)
		if err != nil {
			return err
		}
		var live []*portico.Session
		if hooked {
			// The events report the sessions that were still usable, the
			// ones counted.
			if live, err = db.liveSessions(ctx, t, appID, userID); err != nil {
				return err
			}
		}
		_, err = t.exec(ctx, `UPDATE sessions SET revoked_at = ?, updated_at = ?, dead_at = ? WHERE app_id = ? AND user_id = ? AND revoked_at IS NULL`,
			us(t.now), us(t.now), us(t.now), appID, userID)
		if err != nil {
			return err
		}
		if _, err := t.exec(ctx, `UPDATE session_counts SET live = 0 WHERE app_id = ? AND user_id = ?`, appID, userID); err != nil {
			return err
		}
		for _, s := range live {
			s.UpdatedAt = t.now
			if err := db.emitEvent(ctx, t, appID, userID, portico.EventSessionRevoked, apiwire.Session(s)); err != nil {
				return err
			}
		}
		return nil
	})
	return int(n), err
}

// liveSessions returns the user's sessions neither revoked nor expired.
func (db *DB) liveSessions(ctx context.Context, t *tx, appID, userID string) ([]*portico.Session, error) {
	rows, err := t.query(ctx, `SELECT `+sessionColumns+` FROM sessions s JOIN users u ON u.id = s.user_id
		WHERE s.app_id = ? AND s.user_id = ? AND s.revoked_at IS NULL AND s.expires_at > ? ORDER BY s.created_at, s.id`,
		appID, userID, us(t.now))
	if err != nil {
		return nil, fmt.Errorf("read live sessions: %w", err)
	}
	defer rows.Close()
	var out []*portico.Session
	for rows.Next() {
		s, err := scanSession(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// FindSessionIDByRefreshHash implements portico.Store.
func (db *DB) FindSessionIDByRefreshHash(ctx context.Context, appID string, hash []byte) (string, error) {
	var id string
	err := db.queryRow(ctx, `SELECT id FROM sessions WHERE app_id = ? AND refresh_hash = ?
		UNION ALL
		SELECT h.session_id FROM session_refresh_history h JOIN sessions s ON s.id = h.session_id WHERE h.hash = ? AND s.app_id = ?
		LIMIT 1`, appID, hash, hash, appID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", portico.NotFound("Session")
	}
	return id, db.classify(err)
}

// RotateSessionTokens implements portico.Store.
func (db *DB) RotateSessionTokens(ctx context.Context, appID string, oldRefresh, tokenHash, refreshHash []byte, arrived time.Time, limit portico.SessionLimit) (portico.RotatedSession, error) {
	out, err := db.rotateSessionTokens(ctx, appID, oldRefresh, tokenHash, refreshHash, arrived, limit)
	// A revival that found the user's stripes incomplete adds them in a
	// transaction holding nothing else, and starts again (sessioncount.go).
	var missing *stripesMissing
	if errors.As(err, &missing) {
		if err := db.inWrite(ctx, func(t *tx) error { return db.addStripes(ctx, t, appID, missing.userID) }); err != nil {
			return portico.RotatedSession{}, err
		}
		out, err = db.rotateSessionTokens(ctx, appID, oldRefresh, tokenHash, refreshHash, arrived, limit)
	}
	return out, err
}

func (db *DB) rotateSessionTokens(ctx context.Context, appID string, oldRefresh, tokenHash, refreshHash []byte, arrived time.Time, limit portico.SessionLimit) (portico.RotatedSession, error) {
	var (
		out    portico.RotatedSession
		denied error
	)
	invalid := &portico.Error{Code: portico.CodeInvalidToken, Message: "The refresh token is invalid, expired or revoked."}
	err := db.inWrite(ctx, func(t *tx) error {
		out, denied = portico.RotatedSession{}, nil
		var (
			id, userID, ttl = "", "", 0
			expires         int64
			refreshExpires  sql.NullInt64
		)
		// Stripe 0 before the session's row, whatever comes next: a refresh
		// that revives an expired session counts it again, one that finds
		// its hash rotated away revokes it, and a row lock once taken by
		// the SELECT below is kept even when the row no longer matches.
		if err := lockCountOf(ctx, t, appID, `s.app_id = ? AND s.refresh_hash = ? AND s.revoked_at IS NULL`, appID, oldRefresh); err != nil {
			return err
		}
		err := t.queryRow(ctx, `SELECT id, user_id, ttl_seconds, expires_at, refresh_expires_at FROM sessions
			WHERE app_id = ? AND refresh_hash = ? AND revoked_at IS NULL`+t.db.dialect.forUpdate(), appID, oldRefresh).Scan(&id, &userID, &ttl, &expires, &refreshExpires)
		if errors.Is(err, sql.ErrNoRows) {
			var rotatedAt sql.NullInt64
			err := t.queryRow(ctx, `SELECT h.session_id, h.rotated_at FROM session_refresh_history h JOIN sessions s ON s.id = h.session_id
				WHERE h.hash = ? AND s.app_id = ?`, oldRefresh, appID).Scan(&out.ReusedSessionID, &rotatedAt)
			if errors.Is(err, sql.ErrNoRows) {
				denied = invalid
				return nil
			}
			if err != nil {
				return err
			}
			if !rotatedAt.Valid || rotatedAt.Int64 >= us(arrived) {
				// Rotated away by a refresh that won a race with this
				// one (its time is written once it committed, and none
				// means not yet): no sign of a stolen copy, and nothing
				// ends.
				out.ReusedSessionID, denied = "", invalid
				return nil
			}
			// A hash rotated away before this refresh arrived: someone
			// holds a stolen copy. The session ends.
			hooked, err := appHooked(ctx, t, appID)
			if err != nil {
				return err
			}
			if out.Revoked, err = db.revokeSessionByID(ctx, t, appID, out.ReusedSessionID, hooked); err != nil {
				return fmt.Errorf("revoke session on refresh reuse: %w", err)
			}
			denied = invalid
			return nil
		}
		if err != nil {
			return err
		}
		if !refreshExpires.Valid || refreshExpires.Int64 <= us(t.now) {
			denied = invalid
			return nil
		}
		// An expired session that the refresh brings back is active again:
		// it is counted as a new session would be, before it is revived,
		// making room or refused at the limit (docs/scaling.md).
		if expires <= us(t.now) {
			count, err := db.countExactly(ctx, t, appID, userID, limit, false)
			if err != nil {
				return err
			}
			out.Evicted = count.evicted
		}
		// A refresh renews the session for its TTL within its refresh life,
		// and never shortens it (an extended session keeps its expiry).
		exp := max(expires, min(us(t.now.Add(portico.Seconds(int64(ttl)))), refreshExpires.Int64))
		// The rotation's time is written once this commits (stampRotation).
		if _, err := t.exec(ctx, `INSERT INTO session_refresh_history (hash, session_id) VALUES (?, ?)`, oldRefresh, id); err != nil {
			return fmt.Errorf("record rotated refresh token: %w", err)
		}
		if _, err := t.exec(ctx, `UPDATE sessions SET token_hash = ?, refresh_hash = ?, expires_at = ?, updated_at = ? WHERE app_id = ? AND id = ?`,
			tokenHash, refreshHash, exp, us(t.now), appID, id); err != nil {
			return fmt.Errorf("rotate session tokens: %w", err)
		}
		out.Session, err = scanSession(t.queryRow(ctx, `SELECT `+sessionColumns+` FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.app_id = ? AND s.id = ?`, appID, id))
		return err
	})
	if err == nil {
		err = denied
	}
	if err != nil {
		out.Session, out.Evicted = nil, nil
		return out, err
	}
	db.stampRotation(ctx, oldRefresh)
	return out, nil
}

// stampRotation writes when a committed rotation of the refresh hash
// happened, before its refresh is answered: a refresh with that hash that
// arrived before this instant raced the rotation, one that arrives after
// it reuses a token already replaced. The time is read after the commit,
// so no wait for locks or for the commit itself can make a race look like
// a reuse; nodes' clocks must agree (docs/identity.md). A write that fails
// leaves the row without a time: that hash is refused as raced, never
// revokes, and the refresh is answered all the same, since its new tokens
// are committed and the old ones are gone.
func (db *DB) stampRotation(ctx context.Context, hash []byte) {
	// The caller going away must not leave the rotation unstamped.
	ctx = context.WithoutCancel(ctx)
	err := db.inWrite(ctx, func(t *tx) error {
		_, err := t.exec(ctx, `UPDATE session_refresh_history SET rotated_at = ? WHERE hash = ? AND rotated_at IS NULL`, us(db.now()), hash)
		return err
	})
	if err != nil && db.log != nil {
		db.log.Warn("refresh_rotation_unstamped", "error", err.Error())
	}
}

// sessionDeadBy is the condition of a session that can no longer be used
// at the instant bound to its three placeholders: revoked by then, or
// expired and past its refresh life.
const sessionDeadBy = `(revoked_at < ? OR (revoked_at IS NULL AND expires_at < ? AND COALESCE(refresh_expires_at, 0) < ?))`

// PurgeSessions implements portico.Store. A session's dead_at is a lower
// bound of when it ends: an extension moves expires_at and leaves dead_at
// (ExtendSession), so a session past its dead_at may live on. The purge
// deletes by the index on dead_at what is really dead, and moves the
// dead_at of those it finds alive to their end, so that the next purge
// does not read them again.
func (db *DB) PurgeSessions(ctx context.Context, before time.Time, batch int) (int, error) {
	var n int64
	b := us(before)
	err := db.inWrite(ctx, func(t *tx) error {
		if _, err := t.exec(ctx, `UPDATE sessions SET dead_at = CASE WHEN refresh_expires_at > expires_at THEN refresh_expires_at ELSE expires_at END
			WHERE id IN (SELECT id FROM sessions WHERE dead_at < ? AND NOT `+sessionDeadBy+` LIMIT ?)`, b, b, b, b, batch); err != nil {
			return fmt.Errorf("purge sessions: move dead_at: %w", err)
		}
		res, err := t.exec(ctx, `DELETE FROM sessions WHERE id IN (SELECT id FROM sessions WHERE dead_at < ? AND `+sessionDeadBy+` LIMIT ?)`,
			b, b, b, b, batch)
		if err != nil {
			return fmt.Errorf("purge sessions: %w", err)
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}

// purgeBatch deletes up to batch rows of table whose column col is before
// before, by their key, in one statement: the shape of every purge of
// ended rows, so that none holds the writer for long.
func (db *DB) purgeBatch(ctx context.Context, table, key, col string, before time.Time, batch int) (int, error) {
	var n int64
	err := db.inWrite(ctx, func(t *tx) error {
		res, err := t.exec(ctx, `DELETE FROM `+table+` WHERE `+key+` IN (SELECT `+key+` FROM `+table+` WHERE `+col+` < ? LIMIT ?)`, us(before), batch)
		if err != nil {
			return fmt.Errorf("purge %s: %w", table, err)
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}
