package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	_ "modernc.org/sqlite" // the "sqlite" driver the store uses

	"github.com/porticohq/portico/internal/portico"
	"github.com/porticohq/portico/internal/store"
)

// Preloading writes users and sessions straight into the tables, in large
// transactions, while no server runs: rows exactly like the ones
// Store.CreateSession writes (token_hash = SHA-256 of the token text, the
// canonical settings JSON, microsecond timestamps), without the HTTP and
// per-session transaction cost.

// Every preloaded session lives a day from its creation; creation times
// start an hour ago and step by 1 µs, so that the list order is total.
const preloadTTL = 24 * time.Hour

// The settings and theme columns of a session created without either.
var (
	defaultSettingsText = store.StoredSettings(portico.DefaultSessionSettings)
	emptyThemeJSON      = func() string {
		b, _ := json.Marshal(portico.Theme{})
		return string(b)
	}()
)

type userRow struct {
	id, ext string
	at      int64
}

// memberRow is one account membership.
type memberRow struct{ account, userID string }

type sessionRow struct {
	id, userID string
	hash       []byte
	at         int64
}

// sink writes batches of rows into one engine.
type sink interface {
	write(ctx context.Context, appID string, users []userRow, sessions []sessionRow) error
	finish(ctx context.Context) error
	// size says how large the store's sessions and token index are, and
	// on PostgreSQL the shared_buffers that would hold them: what decides
	// whether a validation at 1 M reads pages from outside the server.
	size(ctx context.Context) (string, error)
	// members writes the accounts and the memberships.
	members(ctx context.Context, appID string, accounts []string, members []memberRow) error
	close() error
}

// dataset is what has been preloaded into one engine's store so far.
type dataset struct {
	appID    string
	clock    int64 // µs: created_at of the next session
	users    int
	sessions int
	// small are the tokens of the first level (all of them); sample holds
	// every sampleEvery-th token of all sessions, for the large level.
	small  []string
	sample []string
	// smallIDs are the ids of the sessions of small, in the same order;
	// smallUsers the ids of their users.
	smallIDs   []string
	smallUsers []string
	// listUser holds listN sessions.
	listUser string
	listN    int
}

const sampleEvery = 10

func newDataset(appID string) *dataset {
	return &dataset{appID: appID, clock: time.Now().Add(-time.Hour).UnixMicro()}
}

// preloader batches rows and hands them to a sink.
type preloader struct {
	d        *dataset
	s        sink
	users    []userRow
	sessions []sessionRow
	batch    int
}

func (p *preloader) flush(ctx context.Context) error {
	if len(p.users) == 0 && len(p.sessions) == 0 {
		return nil
	}
	if err := p.s.write(ctx, p.d.appID, p.users, p.sessions); err != nil {
		return err
	}
	p.users, p.sessions = p.users[:0], p.sessions[:0]
	return nil
}

func (p *preloader) addUser(ext string) string {
	id := portico.NewTimeID(portico.PrefixUser, time.UnixMicro(p.d.clock))
	p.users = append(p.users, userRow{id: id, ext: ext, at: p.d.clock})
	p.d.users++
	return id
}

// addSession adds one session of userID and returns its token.
func (p *preloader) addSession(ctx context.Context, userID string) (string, error) {
	raw, hash := portico.NewToken(portico.PrefixSessionToken)
	p.sessions = append(p.sessions, sessionRow{id: portico.NewTimeID(portico.PrefixSession, time.UnixMicro(p.d.clock)), userID: userID, hash: hash, at: p.d.clock})
	p.d.clock++
	if p.d.sessions%sampleEvery == 0 {
		p.d.sample = append(p.d.sample, raw)
	}
	p.d.sessions++
	if len(p.sessions) >= p.batch {
		return raw, p.flush(ctx)
	}
	return raw, nil
}

// growSmall stores n sessions, 10 per user, and keeps all their tokens.
func growSmall(ctx context.Context, p *preloader, n int) error {
	var user string
	for i := range n {
		if i%10 == 0 {
			user = p.addUser(fmt.Sprintf("bench-u%d", p.d.users))
			p.d.smallUsers = append(p.d.smallUsers, user)
		}
		tok, err := p.addSession(ctx, user)
		if err != nil {
			return err
		}
		p.d.small = append(p.d.small, tok)
		p.d.smallIDs = append(p.d.smallIDs, p.sessions[len(p.sessions)-1].id)
	}
	if err := p.flush(ctx); err != nil {
		return err
	}
	return p.s.finish(ctx)
}

// memberAccounts is the number of accounts growMembers spreads members over.
const memberAccounts = 1000

// growMembers adds n users without sessions, each a member of one of
// memberAccounts accounts, and makes each user of the small level a member
// of one: an app that uses accounts, most of whose members open no session
// on this store.
func growMembers(ctx context.Context, p *preloader, n int) error {
	accounts := make([]string, memberAccounts)
	for i := range accounts {
		accounts[i] = fmt.Sprintf("bench-a%d", i)
	}
	var members []memberRow
	for i, u := range p.d.smallUsers {
		members = append(members, memberRow{accounts[i%len(accounts)], u})
	}
	for i := range n {
		id := p.addUser(fmt.Sprintf("bench-m%d", i))
		members = append(members, memberRow{accounts[i%len(accounts)], id})
		if len(p.users) >= p.batch {
			if err := p.flush(ctx); err != nil {
				return err
			}
		}
	}
	if err := p.flush(ctx); err != nil {
		return err
	}
	if err := p.s.members(ctx, p.d.appID, accounts, members); err != nil {
		return err
	}
	return p.s.finish(ctx)
}

// growLarge adds sessions until total are stored, listN of them for one
// user ("the list user") spread evenly among the others (so that its rows
// are scattered across the table, as they would be in real life), the rest
// 10 per user.
func growLarge(ctx context.Context, p *preloader, total, listN int) error {
	g := total - p.d.sessions
	if g < listN {
		return fmt.Errorf("cannot store %d sessions for the list user in %d more sessions", listN, g)
	}
	p.d.listUser = p.addUser("bench-list-user")
	p.d.listN = listN
	var user string
	regular := 0
	for j := range g {
		if (j*listN)/g != ((j+1)*listN)/g {
			if _, err := p.addSession(ctx, p.d.listUser); err != nil {
				return err
			}
			continue
		}
		if regular%10 == 0 {
			user = p.addUser(fmt.Sprintf("bench-u%d", p.d.users))
		}
		regular++
		if _, err := p.addSession(ctx, user); err != nil {
			return err
		}
	}
	if err := p.flush(ctx); err != nil {
		return err
	}
	return p.s.finish(ctx)
}

// sqliteSink inserts with prepared statements, one transaction per batch,
// on a connection tuned for bulk loading (no fsync, a large page cache).
// The server's own connections keep their synchronous=FULL.
type sqliteSink struct{ db *sql.DB }

func openSQLiteSink(dataDir string) (*sqliteSink, error) {
	path := filepath.Join(dataDir, "portico.db")
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() +
		"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(OFF)&_pragma=cache_size(-1048576)&_pragma=temp_store(MEMORY)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	return &sqliteSink{db: db}, nil
}

func (s *sqliteSink) write(ctx context.Context, appID string, users []userRow, sessions []sessionRow) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	us, err := tx.PrepareContext(ctx, `INSERT INTO users (id, app_id, external_id, email, name, metadata, created_at, updated_at)
		VALUES (?, ?, ?, NULL, '', '{}', ?, ?)`)
	if err != nil {
		return err
	}
	for _, u := range users {
		if _, err := us.ExecContext(ctx, u.id, appID, u.ext, u.at, u.at); err != nil {
			return fmt.Errorf("insert user: %w", err)
		}
	}
	ss, err := tx.PrepareContext(ctx, `INSERT INTO sessions (id, app_id, user_id, token_hash, refresh_hash, refreshable, ttl_seconds,
		redirect_uri, settings, theme, custom_settings, created_at, updated_at, expires_at, refresh_expires_at, dead_at)
		VALUES (?, ?, ?, ?, NULL, 0, ?, '', ?, ?, '{}', ?, ?, ?, NULL, ?)`)
	if err != nil {
		return err
	}
	ttl := int64(preloadTTL / time.Second)
	for _, r := range sessions {
		exp := r.at + preloadTTL.Microseconds()
		if _, err := ss.ExecContext(ctx, r.id, appID, r.userID, r.hash, ttl, defaultSettingsText, emptyThemeJSON,
			r.at, r.at, exp, exp); err != nil {
			return fmt.Errorf("insert session: %w", err)
		}
	}
	uc, err := tx.PrepareContext(ctx, `INSERT INTO session_counts (app_id, user_id, stripe, live) VALUES (?, ?, 0, ?)
		ON CONFLICT (app_id, user_id, stripe) DO UPDATE SET live = session_counts.live + excluded.live`)
	if err != nil {
		return err
	}
	for id, n := range perUser(sessions) {
		if _, err := uc.ExecContext(ctx, appID, id, n); err != nil {
			return fmt.Errorf("count sessions: %w", err)
		}
	}
	return tx.Commit()
}

// perUser counts sessions by user: the users' session counts, which
// Store.CreateSession keeps, go up by as much.
func perUser(sessions []sessionRow) map[string]int64 {
	n := map[string]int64{}
	for _, r := range sessions {
		n[r.userID]++
	}
	return n
}

// finish folds the WAL into the database file, so that the server starts
// on a clean file. It runs no ANALYZE: the server never does either, so
// the query plans measured are the ones a real deployment gets.
func (s *sqliteSink) finish(ctx context.Context) error {
	_, err := s.db.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`)
	return err
}

func (s *sqliteSink) members(ctx context.Context, appID string, accounts []string, members []memberRow) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	as, err := tx.PrepareContext(ctx, `INSERT INTO accounts (app_id, id, name, created_at, updated_at) VALUES (?, ?, '', 0, 0)`)
	if err != nil {
		return err
	}
	for _, a := range accounts {
		if _, err := as.ExecContext(ctx, appID, a); err != nil {
			return fmt.Errorf("insert account: %w", err)
		}
	}
	ms, err := tx.PrepareContext(ctx, `INSERT INTO account_members (app_id, account_id, user_id) VALUES (?, ?, ?)`)
	if err != nil {
		return err
	}
	for _, m := range members {
		if _, err := ms.ExecContext(ctx, appID, m.account, m.userID); err != nil {
			return fmt.Errorf("insert member: %w", err)
		}
	}
	return tx.Commit()
}

func (s *sqliteSink) size(ctx context.Context) (string, error) {
	var file, sessions, index int64
	err := s.db.QueryRowContext(ctx, `SELECT (SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()),
		(SELECT sum(pgsize) FROM dbstat WHERE name = 'sessions'),
		(SELECT sum(pgsize) FROM dbstat WHERE name = (SELECT il.name FROM pragma_index_list('sessions') il,
			pragma_index_info(il.name) ii WHERE il."unique" AND ii.name = 'token_hash'))`).Scan(&file, &sessions, &index)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("store file %s (sessions %s, their token index %s)", mib(file), mib(sessions), mib(index)), nil
}

func (s *sqliteSink) close() error { return s.db.Close() }

// pgSink copies rows with COPY FROM STDIN.
type pgSink struct{ conn *pgx.Conn }

func openPGSink(ctx context.Context, dbURL string) (*pgSink, error) {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return nil, err
	}
	return &pgSink{conn: conn}, nil
}

func (s *pgSink) write(ctx context.Context, appID string, users []userRow, sessions []sessionRow) error {
	tx, err := s.conn.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	if len(users) > 0 {
		_, err = tx.CopyFrom(ctx, pgx.Identifier{"users"}, []string{"id", "app_id", "external_id", "name", "metadata", "created_at", "updated_at"},
			pgx.CopyFromSlice(len(users), func(i int) ([]any, error) {
				u := users[i]
				return []any{u.id, appID, u.ext, "", "{}", u.at, u.at}, nil
			}))
		if err != nil {
			return fmt.Errorf("copy users: %w", err)
		}
	}
	ttl := int64(preloadTTL / time.Second)
	_, err = tx.CopyFrom(ctx, pgx.Identifier{"sessions"}, []string{"id", "app_id", "user_id", "token_hash", "refreshable", "ttl_seconds",
		"redirect_uri", "settings", "theme", "custom_settings", "created_at", "updated_at", "expires_at", "dead_at"},
		pgx.CopyFromSlice(len(sessions), func(i int) ([]any, error) {
			r := sessions[i]
			exp := r.at + preloadTTL.Microseconds()
			return []any{r.id, appID, r.userID, r.hash, false, ttl, "", defaultSettingsText, emptyThemeJSON, "{}", r.at, r.at, exp, exp}, nil
		}))
	if err != nil {
		return fmt.Errorf("copy sessions: %w", err)
	}
	var (
		ids    []string
		counts []int64
	)
	for id, n := range perUser(sessions) {
		ids, counts = append(ids, id), append(counts, n)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO session_counts (app_id, user_id, stripe, live)
		SELECT $1, c.id, 0, c.n FROM unnest($2::text[], $3::bigint[]) AS c(id, n)
		ON CONFLICT (app_id, user_id, stripe) DO UPDATE SET live = session_counts.live + excluded.live`,
		appID, ids, counts); err != nil {
		return fmt.Errorf("count sessions: %w", err)
	}
	return tx.Commit(ctx)
}

// finish leaves the store as it is at rest, not seconds after a bulk
// load: VACUUM sets the hint bits and the visibility map the load left
// unset (or the first read of each row dirties its page, and evicting it
// costs a write), ANALYZE refreshes the planner statistics, and CHECKPOINT
// writes the loaded pages now, so that no scenario runs beside the
// checkpoint the load's WAL set off. Autovacuum and the checkpointer do
// the same within minutes of a real load. CHECKPOINT needs a superuser or
// pg_checkpoint; without either the run goes on and says so.
func (s *pgSink) finish(ctx context.Context) error {
	if _, err := s.conn.Exec(ctx, `VACUUM (ANALYZE) users, sessions, session_counts, accounts, account_members`); err != nil {
		return fmt.Errorf("vacuum: %w", err)
	}
	_, err := s.conn.Exec(ctx, `CHECKPOINT`)
	if pe := (*pgconn.PgError)(nil); errors.As(err, &pe) && pe.Code == "42501" {
		progress("postgres: no CHECKPOINT after the preload (%s): scenarios may run beside the checkpoint the load set off", pe.Message)
		return nil
	}
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	return nil
}

func (s *pgSink) members(ctx context.Context, appID string, accounts []string, members []memberRow) error {
	tx, err := s.conn.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	_, err = tx.CopyFrom(ctx, pgx.Identifier{"accounts"}, []string{"app_id", "id", "name", "created_at", "updated_at"},
		pgx.CopyFromSlice(len(accounts), func(i int) ([]any, error) { return []any{appID, accounts[i], "", 0, 0}, nil }))
	if err != nil {
		return fmt.Errorf("copy accounts: %w", err)
	}
	_, err = tx.CopyFrom(ctx, pgx.Identifier{"account_members"}, []string{"app_id", "account_id", "user_id"},
		pgx.CopyFromSlice(len(members), func(i int) ([]any, error) { return []any{appID, members[i].account, members[i].userID}, nil }))
	if err != nil {
		return fmt.Errorf("copy members: %w", err)
	}
	return tx.Commit(ctx)
}

func (s *pgSink) size(ctx context.Context) (string, error) {
	var buffers string
	var sessions, index int64
	err := s.conn.QueryRow(ctx, `SELECT current_setting('shared_buffers'), pg_table_size('sessions'),
		pg_relation_size('sessions_token_hash_key')`).Scan(&buffers, &sessions, &index)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("table sessions %s, its token index %s; shared_buffers %s", mib(sessions), mib(index), buffers), nil
}

func (s *pgSink) close() error { return s.conn.Close(context.Background()) }
