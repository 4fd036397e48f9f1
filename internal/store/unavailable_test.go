package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/porticohq/portico/internal/httpapi"
	"github.com/porticohq/portico/internal/portico"
)

// openSQLiteForTest opens and migrates a SQLite store in a temporary
// directory, closed when the test ends.
func openSQLiteForTest(t *testing.T) *DB {
	t.Helper()
	ctx := context.Background()
	db, err := Open(ctx, Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return db
}

// An SQLite store that cannot write — read-only, or full — answers 503
// unavailable with Retry-After through the API, never 500, and serves
// again once it can write, without a restart. The conditions are SQLite's
// own, set on the store's one writer connection: query_only makes every
// write fail with SQLITE_READONLY, as a read-only file or file system does;
// max_page_count at the current size makes the database full
// (SQLITE_FULL), as a full disk does. (The test runs as any user, root
// included, whom file modes do not stop.)
func TestSQLite_CannotWriteIsUnavailable(t *testing.T) {
	ctx := context.Background()
	db := openSQLiteForTest(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := portico.NewService(db, &portico.Service{Now: time.Now, Log: log, PublicURL: "http://portico.test"})
	api := httpapi.New(httpapi.Options{Service: svc, Logger: log})
	db.SetMetrics(api.Metrics())
	srv := httptest.NewServer(api)
	defer srv.Close()
	storeErrors := func() int {
		t.Helper()
		res, err := http.Get(srv.URL + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		_, n, _ := strings.Cut(string(b), "\nportico_events_total{event=\"store_error\"} ")
		n, _, _ = strings.Cut(n, "\n")
		v, err := strconv.Atoi(n)
		if err != nil {
			t.Fatalf("no store_error count in /metrics: %q", n)
		}
		return v
	}
	_, key, err := svc.CreateApp(ctx, "Acme")
	if err != nil {
		t.Fatal(err)
	}
	create := func(i int) (int, string, string) {
		t.Helper()
		req, _ := http.NewRequest("POST", srv.URL+"/v1/sessions", strings.NewReader(fmt.Sprintf(`{"user":{"external_id":"u-%d"}}`, i)))
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var body struct{ Error struct{ Code string } }
		json.NewDecoder(res.Body).Decode(&body)
		return res.StatusCode, body.Error.Code, res.Header.Get("Retry-After")
	}
	pragma := func(p string) {
		t.Helper()
		// The writer pool holds exactly one connection: the pragma applies
		// to every write that follows.
		if _, err := db.write.ExecContext(ctx, "PRAGMA "+p); err != nil {
			t.Fatalf("PRAGMA %s: %v", p, err)
		}
	}
	if status, code, _ := create(0); status != 201 {
		t.Fatalf("create before: %d %s", status, code)
	}

	t.Run("read-only", func(t *testing.T) {
		pragma("query_only = 1")
		for i := range 5 {
			if status, code, retry := create(i); status != 503 || code != "unavailable" || retry == "" {
				t.Fatalf("create on a read-only store: %d %q (Retry-After %q), want 503 unavailable with Retry-After", status, code, retry)
			}
		}
		// The store counts each failure, whoever asked: the five requests
		// above (and the activity rows written behind them, which fail
		// too), and a call made without any HTTP surface, as the command
		// line makes it.
		n := storeErrors()
		if n < 5 {
			t.Fatalf("store errors after 5 failed requests: %d", n)
		}
		if _, _, err := svc.CreateApp(ctx, "Other"); portico.ErrorCode(err) != portico.CodeUnavailable {
			t.Fatalf("create app on a read-only store: %v", err)
		}
		if m := storeErrors(); m <= n {
			t.Fatalf("store errors after a failed service call: %d, before it %d", m, n)
		}
		pragma("query_only = 0")
		if status, code, _ := create(0); status != 201 {
			t.Fatalf("create once writable again: %d %s", status, code)
		}
	})

	t.Run("full", func(t *testing.T) {
		var pages int
		if err := db.write.QueryRowContext(ctx, "PRAGMA page_count").Scan(&pages); err != nil {
			t.Fatal(err)
		}
		pragma("max_page_count = " + strconv.Itoa(pages))
		// Rows fill the free space of the pages there are; the first
		// write that needs one more page fails, and so does every write
		// after it that needs one.
		full := 0
		for i := 0; i < 2000 && full < 5; i++ {
			status, code, retry := create(i)
			switch {
			case status == 201 && full == 0:
			case status == 503 && code == "unavailable" && retry != "":
				full++
			default:
				t.Fatalf("create #%d on a store at its size limit: %d %q (Retry-After %q), want 201 until full, then 503 unavailable with Retry-After",
					i, status, code, retry)
			}
		}
		if full == 0 {
			t.Fatalf("the store never filled up")
		}
		pragma("max_page_count = 1073741823")
		if status, code, _ := create(0); status != 201 {
			t.Fatalf("create once there is room again: %d %s", status, code)
		}
	})
}

// The PostgreSQL side of the classification, by the errors a driver
// returns when the server goes away, shuts down or cannot take more: each
// is unavailable, and a failure of the statement itself is not.
func TestClassify_PostgresCannotServe(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want portico.Code
	}{
		{"connection broke mid-answer", fmt.Errorf("query: %w", io.ErrUnexpectedEOF), portico.CodeUnavailable},
		{"connection closed", fmt.Errorf("read: %w", io.EOF), portico.CodeUnavailable},
		{"socket closed", &net.OpError{Op: "write", Net: "tcp", Err: net.ErrClosed}, portico.CodeUnavailable},
		{"driver's closed connection", fmt.Errorf("exec: %w", pgconn.ErrConnClosed), portico.CodeUnavailable},
		{"deadline", fmt.Errorf("query: %w", context.DeadlineExceeded), portico.CodeUnavailable},
		{"connection failure", &pgconn.PgError{Code: "08006"}, portico.CodeUnavailable},
		{"admin shutdown", &pgconn.PgError{Code: "57P01"}, portico.CodeUnavailable},
		{"crash shutdown", &pgconn.PgError{Code: "57P02"}, portico.CodeUnavailable},
		{"starting up", &pgconn.PgError{Code: "57P03"}, portico.CodeUnavailable},
		{"too many connections", &pgconn.PgError{Code: "53300"}, portico.CodeUnavailable},
		{"disk full", &pgconn.PgError{Code: "53100"}, portico.CodeUnavailable},
		{"statement timeout", &pgconn.PgError{Code: "57014"}, portico.CodeUnavailable},
		{"read-only standby", &pgconn.PgError{Code: "25006"}, portico.CodeUnavailable},
		{"unique violation", &pgconn.PgError{Code: "23505"}, portico.CodeInternal},
		{"syntax error", &pgconn.PgError{Code: "42601"}, portico.CodeInternal},
		{"anything else", errors.New("boom"), portico.CodeInternal},
	} {
		if got := portico.ErrorCode(classify(tc.err)); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
	if err := classify(context.Canceled); !errors.Is(err, context.Canceled) || portico.ErrorCode(err) != portico.CodeInternal {
		t.Errorf("a canceled request: %v, want context.Canceled as it is", err)
	}
}
