package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/hex"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
)

// pgRow reads the same values whichever format PostgreSQL sent them in:
// binary for bigint, boolean and bytea under pgx's default mode, text for
// all under the modes a database URL may ask for (default_query_exec_mode
// exec or simple_protocol, for a pooler); NULLs read as absent, and a
// value that is not what was asked for is an error, never a zero. Shared
// statements give each waiter the row of its own hash in every mode.
func TestPGRow_ReadsBothFormats(t *testing.T) {
	url := os.Getenv("PORTICO_TEST_POSTGRES_URL")
	if url == "" {
		t.Skip("PORTICO_TEST_POSTGRES_URL is not set")
	}
	ctx := context.Background()
	const query = `SELECT 42::bigint, -7::bigint, true, false, 'héllo'::text, '\x00ff10'::bytea, 'plain'::text, NULL::bigint, 1700000000123456::bigint, NULL::text, 'x'::text`
	modes := []pgx.QueryExecMode{pgx.QueryExecModeCacheStatement, pgx.QueryExecModeCacheDescribe, pgx.QueryExecModeDescribeExec,
		pgx.QueryExecModeExec, pgx.QueryExecModeSimpleProtocol}
	for _, mode := range modes {
		cfg, err := pgx.ParseConfig(url)
		if err != nil {
			t.Fatal(err)
		}
		cfg.DefaultQueryExecMode = mode
		conn, err := pgx.ConnectConfig(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		rows := 0
		err = eachRow(ctx, conn, query, nil, func(r *pgRow) {
			rows++
			var (
				a, b  int64
				s     string
				raw   []byte
				plain []byte
				null  sql.NullInt64
			)
			if err := r.Scan(&a, &b); err != nil || a != 42 || b != -7 {
				t.Errorf("%v: ints %d, %d, %v", mode, a, b, err)
			}
			if !r.boolean() || r.boolean() {
				t.Errorf("%v: booleans", mode)
			}
			if err := r.Scan(&s, &raw, &plain, &null); err != nil || s != "héllo" || !bytes.Equal(raw, []byte{0, 0xff, 0x10}) || string(plain) != "plain" || null.Valid {
				t.Errorf("%v: %q %x %q %+v %v", mode, s, raw, plain, null, err)
			}
			if ts := r.timePtr(); ts == nil || ts.UnixMicro() != 1700000000123456 {
				t.Errorf("%v: time %v", mode, ts)
			}
			if _, ok := r.textPtr(); ok {
				t.Errorf("%v: NULL text read as present", mode)
			}
			if r.err != nil {
				t.Errorf("%v: %v", mode, r.err)
			}
			if _ = r.int(); r.err == nil {
				t.Errorf("%v: text read as an integer without an error", mode)
			}
			if _ = r.text(); r.err == nil {
				t.Errorf("%v: a column past the row's end read without an error", mode)
			}
		})
		if err != nil || rows != 1 {
			t.Fatalf("%v: %d rows, %v", mode, rows, err)
		}

		run := byHash(`SELECT encode(h, 'hex'), h FROM unnest($1::bytea[]) AS t(h)`, func(r *pgRow) (any, error) { return r.text(), r.err })
		batch := []*pgWaiter{{req: []byte{1, 2}}, {req: []byte{0xff}}, {req: []byte{1, 2}}, {req: []byte("\\x")}}
		if err := run(ctx, conn, batch); err != nil {
			t.Fatalf("%v: %v", mode, err)
		}
		for _, w := range batch {
			if want := hex.EncodeToString(w.req.([]byte)); w.res != want || w.err != nil {
				t.Errorf("%v: waiter of %s got %v, %v", mode, want, w.res, w.err)
			}
		}
	}
}
