package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/porticohq/portico/internal/apiwire"
	"github.com/porticohq/portico/internal/portico"
)

const userColumns = `u.id, u.app_id, u.external_id, u.email, u.name, u.metadata, u.created_at, u.updated_at`

func scanUser(sc interface{ Scan(...any) error }, extra ...any) (*portico.User, error) {
	var (
		u              portico.User
		ext, email     sql.NullString
		md             string
		created, updat int64
	)
	if err := sc.Scan(append([]any{&u.ID, &u.AppID, &ext, &email, &u.Name, &md, &created, &updat}, extra...)...); err != nil {
		return nil, err
	}
	if ext.Valid {
		u.ExternalID = &ext.String
	}
	if email.Valid {
		u.Email = &email.String
	}
	u.Metadata = json.RawMessage(md)
	u.CreatedAt, u.UpdatedAt = fromUS(created), fromUS(updat)
	u.AccountIDs = []string{}
	return &u, nil
}

// findUserByKey looks a user up by its key: the external id when given,
// else the email among users without an external id.
func findUserByKey(ctx context.Context, t *tx, appID string, in portico.UserInput) (*portico.User, error) {
	var r row
	if in.ExternalID != nil {
		r = t.queryRow(ctx, `SELECT `+userColumns+` FROM users u WHERE u.app_id = ? AND u.external_id = ?`+t.db.dialect.forKeyShare(), appID, *in.ExternalID)
	} else {
		r = t.queryRow(ctx, `SELECT `+userColumns+` FROM users u WHERE u.app_id = ? AND u.email = ? AND u.external_id IS NULL`+t.db.dialect.forKeyShare(), appID, *in.Email)
	}
	u, err := scanUser(r)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return u, err
}

// FindOrCreateUser implements portico.Store.
func (db *DB) FindOrCreateUser(ctx context.Context, appID, newID string, in portico.UserInput) (*portico.User, bool, error) {
	var (
		user    *portico.User
		created bool
	)
	err := db.inWrite(ctx, func(t *tx) error {
		user, created = nil, false
		var err error
		user, created, err = db.findOrCreateUser(ctx, t, appID, newID, in)
		return err
	})
	return user, created, err
}

// findOrCreateUser is FindOrCreateUser inside a transaction, for callers
// that go on to write more (sessions). A created user queues user.created.
func (db *DB) findOrCreateUser(ctx context.Context, t *tx, appID, newID string, in portico.UserInput) (*portico.User, bool, error) {
	u, err := findUserByKey(ctx, t, appID, in)
	if err != nil {
		return nil, false, fmt.Errorf("find user: %w", err)
	}
	created, hooked := false, false
	if u == nil && in.ExternalID == nil && in.RefuseHeldEmail {
		var holder string
		err := t.queryRow(ctx, `SELECT id FROM users WHERE app_id = ? AND email = ? AND external_id IS NOT NULL
			ORDER BY created_at, id LIMIT 1`, appID, *in.Email).Scan(&holder)
		switch {
		case err == nil:
			return nil, false, portico.EmailHeld(holder)
		case !errors.Is(err, sql.ErrNoRows):
			return nil, false, fmt.Errorf("find email holder: %w", err)
		}
	}
	if u == nil {
		if hooked, err = checkUserQuota(ctx, t, appID); err != nil {
			if portico.ErrorCode(err) != portico.CodeQuotaExceeded {
				return nil, false, err
			}
			// On PostgreSQL the check waited for the app row lock, and
			// whoever held it may have created this very user: finding it
			// is not a new user, so the limit does not apply.
			found, ferr := findUserByKey(ctx, t, appID, in)
			if ferr != nil {
				return nil, false, fmt.Errorf("find user: %w", ferr)
			}
			if found == nil {
				return nil, false, err
			}
			u = found
		}
	}
	if u == nil {
		conflict := `ON CONFLICT (app_id, external_id) WHERE external_id IS NOT NULL DO NOTHING`
		if in.ExternalID == nil {
			conflict = `ON CONFLICT (app_id, email) WHERE external_id IS NULL DO NOTHING`
		}
		res, err := t.exec(ctx, `INSERT INTO users (id, app_id, external_id, email, name, metadata, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) `+conflict,
			newID, appID, in.ExternalID, in.Email, in.Name, string(in.Metadata), us(t.now), us(t.now))
		if err != nil {
			return nil, false, fmt.Errorf("insert user: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			created = true
			u = &portico.User{ID: newID, AppID: appID, ExternalID: in.ExternalID, Email: in.Email, Name: in.Name,
				Metadata: in.Metadata, CreatedAt: fromUS(us(t.now)), UpdatedAt: fromUS(us(t.now))}
		} else if u, err = findUserByKey(ctx, t, appID, in); err != nil || u == nil {
			// Zero rows: another transaction created the same user meanwhile
			// (PostgreSQL); it is committed now, so find it.
			return nil, false, fmt.Errorf("find created user: %w", errors.Join(err, sql.ErrNoRows))
		}
	}
	if in.CreateAccounts {
		for _, acc := range in.AccountIDs {
			if _, err := t.exec(ctx, `INSERT INTO accounts (app_id, id, name, created_at, updated_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
				appID, acc, acc, us(t.now), us(t.now)); err != nil {
				return nil, false, fmt.Errorf("create account: %w", err)
			}
		}
	}
	if err := addMemberships(ctx, t, appID, u.ID, in.AccountIDs); err != nil {
		return nil, false, err
	}
	if created && len(in.AccountIDs) == 0 {
		// A user created just now, in no account, has no memberships.
		u.AccountIDs = []string{}
	} else if u.AccountIDs, err = loadAccountIDs(ctx, t, appID, u.ID); err != nil {
		return nil, false, err
	}
	if created && hooked {
		if err := db.emitEvent(ctx, t, appID, u.ID, portico.EventUserCreated, apiwire.User(u)); err != nil {
			return nil, false, err
		}
	}
	return u, created, nil
}

// checkUserQuota refuses a new user beyond the app's max_users. It also
// reports whether the app has a webhook, from the settings it reads anyway,
// so that creating a user pays no extra lookup for events.
func checkUserQuota(ctx context.Context, t *tx, appID string) (hooked bool, err error) {
	var settings string
	if err := t.queryRow(ctx, `SELECT settings FROM apps WHERE id = ?`, appID).Scan(&settings); err != nil {
		return false, fmt.Errorf("read app settings: %w", err)
	}
	var s struct {
		MaxUsers   *int   `json:"max_users"`
		WebhookURL string `json:"webhook_url"`
	}
	if err := json.Unmarshal([]byte(settings), &s); err != nil || s.MaxUsers == nil {
		return s.WebhookURL != "", err
	}
	hooked = s.WebhookURL != ""
	// Only an app with a limit pays for exactness: its creations queue on
	// the app row (PostgreSQL; SQLite's single writer already serialises).
	if db := t.db; db.dialect == postgres {
		if _, err := t.exec(ctx, `SELECT id FROM apps WHERE id = ? FOR UPDATE`, appID); err != nil {
			return false, fmt.Errorf("lock app: %w", err)
		}
	}
	var n int
	if err := t.queryRow(ctx, `SELECT COUNT(*) FROM users WHERE app_id = ?`, appID).Scan(&n); err != nil {
		return false, fmt.Errorf("count users: %w", err)
	}
	if n >= *s.MaxUsers {
		noun := "users"
		if *s.MaxUsers == 1 {
			noun = "user"
		}
		return false, &portico.Error{Code: portico.CodeQuotaExceeded, Message: fmt.Sprintf("The app has reached its limit of %d %s.", *s.MaxUsers, noun),
			Details: map[string]any{"max_users": *s.MaxUsers}}
	}
	return hooked, nil
}

func addMemberships(ctx context.Context, t *tx, appID, userID string, accountIDs []string) error {
	for _, acc := range accountIDs {
		var exists int
		err := t.queryRow(ctx, `SELECT 1 FROM accounts WHERE app_id = ? AND id = ?`, appID, acc).Scan(&exists)
		if errors.Is(err, sql.ErrNoRows) {
			return portico.Invalidf("account_ids", "Account %q does not exist; create it with POST /v1/accounts first.", acc)
		}
		if err != nil {
			return fmt.Errorf("check account: %w", err)
		}
		if _, err := t.exec(ctx, `INSERT INTO account_members (app_id, account_id, user_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
			appID, acc, userID); err != nil {
			return fmt.Errorf("add membership: %w", err)
		}
	}
	return nil
}

func loadAccountIDs(ctx context.Context, t *tx, appID, userID string) ([]string, error) {
	rows, err := t.query(ctx, `SELECT account_id FROM account_members WHERE app_id = ? AND user_id = ? ORDER BY account_id`, appID, userID)
	if err != nil {
		return nil, fmt.Errorf("load memberships: %w", err)
	}
	defer rows.Close()
	ids := []string{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// userQueryFor selects userColumns, then the user's account ids joined by
// commas, of the app's users that match cond, the app id being the first
// argument. It is one statement, so one snapshot: a lookup needs no
// transaction around it, where userColumns and loadAccountIDs need one
// around their two.
func userQueryFor(d dialect, cond string) string {
	return `SELECT ` + userColumns + `, (SELECT ` + d.groupConcat("m.account_id") +
		` FROM account_members m WHERE m.app_id = u.app_id AND m.user_id = u.id) FROM users u WHERE u.app_id = ? AND ` + cond
}

// findUser returns the one user of appID that matches cond (CodeNotFound).
func (db *DB) findUser(ctx context.Context, appID, cond string, args ...any) (*portico.User, error) {
	var accts sql.NullString
	u, err := scanUser(db.queryRow(ctx, userQueryFor(db.dialect, cond), append([]any{appID}, args...)...), &accts)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, portico.NotFound("User")
	}
	if err != nil {
		return nil, db.classify(err)
	}
	u.AccountIDs = splitAccountIDs(accts.String)
	return u, nil
}

// splitAccountIDs reads the account ids of userQueryFor and meQueryFor, in
// the order of loadAccountIDs.
func splitAccountIDs(accts string) []string {
	if accts == "" {
		return []string{}
	}
	ids := strings.Split(accts, ",")
	slices.Sort(ids)
	return ids
}

// FindUserByID implements portico.Store.
func (db *DB) FindUserByID(ctx context.Context, appID, id string) (*portico.User, error) {
	return db.findUser(ctx, appID, "u.id = ?", id)
}

// FindUserByExternalID implements portico.Store.
func (db *DB) FindUserByExternalID(ctx context.Context, appID, externalID string) (*portico.User, error) {
	return db.findUser(ctx, appID, "u.external_id = ?", externalID)
}

// ListUsers implements portico.Store.
func (db *DB) ListUsers(ctx context.Context, appID string, f portico.UserFilter, q portico.ListQuery) ([]portico.User, error) {
	where := []string{"u.app_id = ?"}
	args := []any{appID}
	if f.ExternalID != nil {
		where, args = append(where, "u.external_id = ?"), append(args, *f.ExternalID)
	}
	if f.Email != nil {
		where, args = append(where, "u.email = ?"), append(args, *f.Email)
	}
	if f.AccountID != nil {
		where = append(where, "EXISTS (SELECT 1 FROM account_members m WHERE m.app_id = u.app_id AND m.account_id = ? AND m.user_id = u.id)")
		args = append(args, *f.AccountID)
	}
	if q.After != nil {
		where = append(where, "(u.created_at, u.id) > (?, ?)")
		args = append(args, us(q.After.CreatedAt), q.After.ID)
	}
	args = append(args, q.Limit)
	var users []portico.User
	err := db.inRead(ctx, func(t *tx) error {
		rows, err := t.query(ctx, `SELECT `+userColumns+` FROM users u WHERE `+strings.Join(where, " AND ")+
			` ORDER BY u.created_at, u.id LIMIT ?`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		byID := map[string]int{}
		for rows.Next() {
			u, err := scanUser(rows)
			if err != nil {
				return err
			}
			byID[u.ID] = len(users)
			users = append(users, *u)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		return loadMemberships(ctx, t, appID, users, byID)
	})
	return users, err
}

// loadMemberships fills AccountIDs of a page of users with one query.
func loadMemberships(ctx context.Context, t *tx, appID string, users []portico.User, byID map[string]int) error {
	if len(users) == 0 {
		return nil
	}
	args := []any{appID}
	for _, u := range users {
		args = append(args, u.ID)
	}
	rows, err := t.query(ctx, `SELECT user_id, account_id FROM account_members WHERE app_id = ? AND user_id IN (?`+
		strings.Repeat(", ?", len(users)-1)+`) ORDER BY user_id, account_id`, args...)
	if err != nil {
		return fmt.Errorf("load memberships: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var uid, acc string
		if err := rows.Scan(&uid, &acc); err != nil {
			return err
		}
		i := byID[uid]
		users[i].AccountIDs = append(users[i].AccountIDs, acc)
	}
	return rows.Err()
}

// UpdateUser implements portico.Store.
func (db *DB) UpdateUser(ctx context.Context, appID, id string, upd portico.UserUpdate) (*portico.User, error) {
	var u *portico.User
	err := db.inWrite(ctx, func(t *tx) error {
		cur, err := scanUser(t.queryRow(ctx, `SELECT `+userColumns+` FROM users u WHERE u.app_id = ? AND u.id = ?`+t.db.dialect.forUpdate(), appID, id))
		if errors.Is(err, sql.ErrNoRows) {
			return portico.NotFound("User")
		}
		if err != nil {
			return err
		}
		if upd.ExternalID != nil {
			cur.ExternalID = upd.ExternalID
		}
		if upd.Email != nil {
			cur.Email = upd.Email
		}
		if upd.Name != nil {
			cur.Name = *upd.Name
		}
		if upd.Metadata != nil {
			cur.Metadata = upd.Metadata
		}
		_, err = t.exec(ctx, `UPDATE users SET external_id = ?, email = ?, name = ?, metadata = ?, updated_at = ? WHERE app_id = ? AND id = ?`,
			cur.ExternalID, cur.Email, cur.Name, string(cur.Metadata), us(t.now), appID, id)
		if driverKind(err) == errUnique {
			return portico.Errorf(portico.CodeConflict, "Another user of this app already has that external_id or email.")
		}
		if err != nil {
			return fmt.Errorf("update user: %w", err)
		}
		cur.UpdatedAt = t.now
		if upd.AccountIDs != nil {
			if _, err := t.exec(ctx, `DELETE FROM account_members WHERE app_id = ? AND user_id = ?`, appID, id); err != nil {
				return fmt.Errorf("clear memberships: %w", err)
			}
			if err := addMemberships(ctx, t, appID, id, *upd.AccountIDs); err != nil {
				return err
			}
		}
		cur.AccountIDs, err = loadAccountIDs(ctx, t, appID, id)
		u = cur
		return err
	})
	return u, err
}

// DeleteUser implements portico.Store.
func (db *DB) DeleteUser(ctx context.Context, appID, id string) error {
	return db.inWrite(ctx, func(t *tx) error {
		// The sessions and connections go with the user: the app hears of
		// those still active as of sessions and connections revoked.
		hooked, err := appHooked(ctx, t, appID)
		if err != nil {
			return err
		}
		var (
			live  []*portico.Session
			conns []*portico.Connection
		)
		if hooked {
			if live, err = db.liveSessions(ctx, t, appID, id); err != nil {
				return fmt.Errorf("read user's sessions: %w", err)
			}
			if conns, err = userConnections(ctx, t, appID, id); err != nil {
				return err
			}
		}
		res, err := t.exec(ctx, `DELETE FROM users WHERE app_id = ? AND id = ?`, appID, id)
		if err != nil {
			return fmt.Errorf("delete user: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return portico.NotFound("User")
		}
		// The user's approvals hold previews of their calls.
		if _, err := t.exec(ctx, `DELETE FROM approvals WHERE app_id = ? AND user_id = ?`, appID, id); err != nil {
			return fmt.Errorf("delete user's approvals: %w", err)
		}
		for _, s := range live {
			s.UpdatedAt = t.now
			if err := db.emitEvent(ctx, t, appID, id, portico.EventSessionRevoked, apiwire.Session(s)); err != nil {
				return err
			}
		}
		for _, c := range conns {
			c.Status, c.Fields, c.Credentials, c.Refreshable, c.ExpiresAt, c.UpdatedAt = portico.StatusRevoked, []string{}, "", false, nil, t.now
			if err := db.emitEvent(ctx, t, appID, id, portico.EventConnectionRevoked, apiwire.Connection(c, t.now)); err != nil {
				return err
			}
		}
		return nil
	})
}

// userConnections returns the user's connections not revoked, in t.
func userConnections(ctx context.Context, t *tx, appID, userID string) ([]*portico.Connection, error) {
	rows, err := t.query(ctx, `SELECT `+connectionColumns+` FROM connections c
		WHERE c.app_id = ? AND c.user_id = ? AND c.status <> ? ORDER BY c.created_at, c.id`, appID, userID, portico.StatusRevoked)
	if err != nil {
		return nil, fmt.Errorf("read user's connections: %w", err)
	}
	defer rows.Close()
	var out []*portico.Connection
	for rows.Next() {
		c, err := scanConnection(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
