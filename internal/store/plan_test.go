package store

import (
	"context"
	"go/ast"
	"regexp"
	"strings"
	"testing"
)

// appWide lists, by function, the statements that read a table by app_id
// alone because they are about the whole app: its lists, its counts.
var appWide = map[string]string{
	"ListAccounts":     "the app's accounts, a page in order",
	"ListAPIKeys":      "the app's keys, in order",
	"ListEvents":       "the app's webhook events, in order",
	"ListIntegrations": "the app's integrations",
	"CountAppRows":     "counts of the app's rows, before it is deleted",
	"checkUserQuota":   "the app's users, counted against its max_users",
	"PutIntegration":   "the app's integrations, counted against their limit",
	"checkToolNames":   "the app's integrations' tool names, none of which a new one may take",
	"ListSealed":       "deployment-wide re-sealing of secrets, in key order",
}

// byAppAlone matches a plan row that reads a table by app_id alone, or
// reads all of it.
var byAppAlone = regexp.MustCompile(`^(SEARCH \S+ USING .*\(app_id=\?\)|SCAN (\S+)$|SCAN \S+ USING)`)

// TestStatementsReadByTheirKey: on SQLite, every statement of this package
// that has a key beyond app_id (a user, an id, an age) reads by it, not by
// all of the app's rows: the planner knows app_id is not selective
// (describeTenantIndexes). Before it did, GET /v1/me read every account
// membership of the app, and a batch of the activity purge the app's whole
// log. Rows that read the app's rows by app_id alone are allowed in a
// batch of the app's rows (IN (SELECT … WHERE app_id = ? LIMIT ?)) and in
// the statements of appWide.
func TestStatementsReadByTheirKey(t *testing.T) {
	ctx := context.Background()
	db := openSQLiteForTest(t)
	fset, files := packageFiles(t)
	type stmt struct{ owner, where, text string }
	stmts := []stmt{
		{"meQueryFor", "the token lookup", meQueryFor(sqliteDialect, "", "s.token_hash = ?")},
		{"userQueryFor", "a user by id", userQueryFor(sqliteDialect, "u.id = ?")},
		{"userQueryFor", "a user by external id", userQueryFor(sqliteDialect, "u.external_id = ?")},
	}
	eachStatement(files, func(owner string, e ast.Expr, text string) {
		if tenantTable.MatchString(text) {
			stmts = append(stmts, stmt{owner, fset.Position(e.Pos()).String(), text})
		}
	})
	used := map[string]bool{}
	checked := 0
	for _, s := range stmts {
		// A part the scan cannot see ("…") is dropped: what is left is
		// checked when it is a statement on its own (an IN list of one).
		q := strings.ReplaceAll(s.text, "…", "")
		plan, err := queryPlan(ctx, db, q)
		if err != nil {
			continue
		}
		checked++
		for _, row := range plan {
			if !byAppAlone.MatchString(row.detail) || row.inBatch {
				continue
			}
			if _, ok := appWide[s.owner]; ok {
				used[s.owner] = true
				continue
			}
			t.Errorf("%s: %s reads by app_id alone (%s):\n%s", s.where, s.owner, row.detail, q)
		}
	}
	if checked < 100 {
		t.Fatalf("checked only %d statements; the scan misses the package's SQL", checked)
	}
	reportStale(t, "appWide", appWide, used)
}

type planRow struct {
	detail string
	// inBatch is set for the rows of a list subquery that selects by
	// app_id alone: a batch of the app's rows.
	inBatch bool
}

// queryPlan returns SQLite's EXPLAIN QUERY PLAN of q, every parameter bound
// to NULL.
func queryPlan(ctx context.Context, db *DB, q string) ([]planRow, error) {
	rows, err := db.read.QueryContext(ctx, "EXPLAIN QUERY PLAN "+q, make([]any, strings.Count(q, "?"))...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	parents := map[int]int{}
	details := map[int]string{}
	var ids []int
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			return nil, err
		}
		parents[id], details[id] = parent, detail
		ids = append(ids, id)
	}
	var plan []planRow
	for _, id := range ids {
		p := planRow{detail: details[id]}
		for a := parents[id]; a != 0; a = parents[a] {
			if strings.HasPrefix(details[a], "LIST SUBQUERY") && strings.Contains(q, "LIMIT ?)") {
				p.inBatch = true
			}
		}
		plan = append(plan, p)
	}
	return plan, rows.Err()
}

// The statistics are written once per index, and an operator's own ANALYZE
// is kept: a later migration adds only what is missing.
func TestTenantIndexStatistics(t *testing.T) {
	ctx := context.Background()
	db := openSQLiteForTest(t)
	stats := func() map[string]string {
		t.Helper()
		rows, err := db.write.QueryContext(ctx, `SELECT idx, stat FROM sqlite_stat1 WHERE idx IS NOT NULL ORDER BY idx`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		out := map[string]string{}
		for rows.Next() {
			var idx, stat string
			if err := rows.Scan(&idx, &stat); err != nil {
				t.Fatal(err)
			}
			if _, dup := out[idx]; dup {
				t.Errorf("two rows of statistics for %s", idx)
			}
			out[idx] = stat
		}
		return out
	}
	first := stats()
	want := map[string]string{
		"sqlite_autoindex_account_members_1": "1000000 10000 10 1", // (app_id, account_id, user_id), the key
		"users_external_id":                  "1000000 10000 1",    // unique (app_id, external_id)
		"sessions_user_live":                 "1000000 10000 10 9 8",
		"activity_app":                       "1000000 10000 10 9",
	}
	for idx, stat := range want {
		if first[idx] != stat {
			t.Errorf("statistics of %s: %q, want %q", idx, first[idx], stat)
		}
	}
	if _, ok := first["account_members_user"]; ok {
		t.Error("an index that does not start with app_id has statistics: SQLite's defaults are right for it")
	}
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if again := stats(); len(again) != len(first) {
		t.Fatalf("%d rows of statistics after a second migration, %d after the first", len(again), len(first))
	}
	// ANALYZE of empty tables writes no statistics for their indexes, and
	// the next migration describes them again.
	if _, err := db.write.ExecContext(ctx, `ANALYZE`); err != nil {
		t.Fatal(err)
	}
	if got := stats()["activity_app"]; got != "" {
		t.Fatalf("ANALYZE of an empty activity table left statistics of activity_app: %q", got)
	}
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if got := stats()["activity_app"]; got != want["activity_app"] {
		t.Fatalf("statistics of activity_app after ANALYZE and a migration: %q, want %q", got, want["activity_app"])
	}
	// Statistics an ANALYZE measured on a store with rows are kept.
	if _, err := db.write.ExecContext(ctx, `UPDATE sqlite_stat1 SET stat = '52000 2600 3 1' WHERE idx = 'activity_app'`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if got := stats()["activity_app"]; got != "52000 2600 3 1" {
		t.Errorf("a migration replaced measured statistics of activity_app with %q", got)
	}
}
