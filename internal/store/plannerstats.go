package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
)

// SQLite's query planner, when it has no statistics (the server never
// runs ANALYZE), takes every equality for a selective one: app_id = ?
// counts as about ten rows. But app_id is the tenant key, and one app
// often holds most rows. Given app_id = ? AND user_id = ?, the planner
// picked the primary key of account_members (app_id, account_id, user_id)
// over the index on user_id, and so read all of the app's memberships for
// every GET /v1/me; a batch of the activity purge scanned the app's whole
// log. describeTenantIndexes tells it the truth instead: for every index
// whose first column is app_id and that has no statistics yet, it writes a
// row of sqlite_stat1 saying that app_id = ? matches a hundredth of the
// table, and that each column after it is as selective as SQLite assumes
// by default (docs/operations.md, "Query plans on SQLite"). An operator's
// own ANALYZE replaces these rows with measured ones.
func describeTenantIndexes(ctx context.Context, conn *sql.Conn) error {
	indexes, err := undescribedAppIndexes(ctx, conn)
	if err != nil {
		return fmt.Errorf("describe indexes: %w", err)
	}
	if len(indexes) == 0 {
		// The usual start: nothing to write, no write transaction.
		return nil
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("describe indexes: %w", err)
	}
	defer tx.Rollback()
	// ANALYZE of sqlite_schema, which has no index, creates sqlite_stat1
	// when it does not exist, a change of the schema that every
	// connection sees; it reads no table.
	if _, err := tx.ExecContext(ctx, `ANALYZE sqlite_schema`); err != nil {
		return fmt.Errorf("describe indexes: %w", err)
	}
	// Another process may have described an index since it was listed:
	// the insert skips those.
	for _, ix := range indexes {
		if _, err := tx.ExecContext(ctx, `INSERT INTO sqlite_stat1 (tbl, idx, stat)
			SELECT ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM sqlite_stat1 WHERE tbl = ? AND idx = ?)`,
			ix.table, ix.name, ix.stat(), ix.table, ix.name); err != nil {
			return fmt.Errorf("describe index %s: %w", ix.name, err)
		}
	}
	// Reload the statistics on this connection; the others read them
	// when they next read the schema.
	if _, err := tx.ExecContext(ctx, `ANALYZE sqlite_schema`); err != nil {
		return fmt.Errorf("describe indexes: %w", err)
	}
	return tx.Commit()
}

// appIndex is an index whose first column is app_id.
type appIndex struct {
	table, name string
	columns     int
	unique      bool
}

// describedRows is the number of rows the statistics give every table:
// SQLite's own assumption when it has none (about a million).
const describedRows = 1000000

// describedAppRows is how many of them app_id = ? matches: enough that
// any other key of a statement is the better one to read by (SQLite
// assumes 10 rows for an equality), few enough that reading one app's rows
// by an index starting with app_id still beats reading the whole table
// (the rows of a hundred apps).
const describedAppRows = describedRows / 100

// stat is the index's row of sqlite_stat1: the table's rows, then how many
// rows an equality on each prefix of the index's columns matches. app_id
// matches describedAppRows; each further column, SQLite's default (10, 9, 8, 7,
// 6, then 5), and the whole key of a unique index one row.
func (ix appIndex) stat() string {
	fields := []string{strconv.Itoa(describedRows), strconv.Itoa(describedAppRows)}
	defaults := []int{10, 9, 8, 7, 6}
	for i := 1; i < ix.columns; i++ {
		n := 5
		if i-1 < len(defaults) {
			n = defaults[i-1]
		}
		if ix.unique && i == ix.columns-1 {
			n = 1
		}
		fields = append(fields, strconv.Itoa(n))
	}
	return strings.Join(fields, " ")
}

// undescribedAppIndexes lists the schema's indexes whose first column is
// app_id and that have no row in sqlite_stat1.
func undescribedAppIndexes(ctx context.Context, conn *sql.Conn) ([]appIndex, error) {
	var stats int
	if err := conn.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_schema WHERE type = 'table' AND name = 'sqlite_stat1'`).Scan(&stats); err != nil {
		return nil, err
	}
	undescribed := ""
	if stats > 0 {
		undescribed = ` AND NOT EXISTS (SELECT 1 FROM sqlite_stat1 s WHERE s.tbl = m.tbl_name AND s.idx = l.name)`
	}
	rows, err := conn.QueryContext(ctx, `SELECT m.tbl_name, l.name, l."unique",
		(SELECT COUNT(*) FROM pragma_index_info(l.name))
		FROM sqlite_schema m, pragma_index_list(m.tbl_name) l
		WHERE m.type = 'table' AND (SELECT i.name FROM pragma_index_info(l.name) i WHERE i.seqno = 0) = 'app_id'`+undescribed+`
		ORDER BY m.tbl_name, l.name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []appIndex
	for rows.Next() {
		var ix appIndex
		if err := rows.Scan(&ix.table, &ix.name, &ix.unique, &ix.columns); err != nil {
			return nil, err
		}
		out = append(out, ix)
	}
	return out, rows.Err()
}
