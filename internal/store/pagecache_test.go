package store

import (
	"context"
	"encoding/binary"
	"errors"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/portico"
	"modernc.org/libc"
	sqlite3 "modernc.org/sqlite/lib"
)

// The page caches of a SQLite store take their pages from the pool
// (pagecache.go), not from the C heap.
func TestPageCache_PagesComeFromThePool(t *testing.T) {
	ctx := context.Background()
	db := openSQLiteForTest(t)
	if err := usePageCachePool(); err != nil {
		t.Fatal(err)
	}
	used := func() int64 {
		tls := libc.NewTLS()
		defer tls.Close()
		p := tls.Alloc(16)
		defer tls.Free(16)
		if rc := sqlite3.Xsqlite3_status64(tls, sqlite3.SQLITE_STATUS_PAGECACHE_USED, p, p+8, 0); rc != sqlite3.SQLITE_OK {
			t.Fatalf("sqlite3_status64: %d", rc)
		}
		return int64(binary.NativeEndian.Uint64(libc.GoBytes(p, 8)))
	}
	// A token lookup reads the sessions table and its index on a lookup
	// connection, which keeps those pages cached.
	if s, _, err := db.FindSessionByTokenHash(ctx, make([]byte, 32)); s != nil || errors.Is(err, portico.ErrStoreUnavailable) {
		t.Fatalf("lookup of an unknown token: %v, %v", s, err)
	}
	if n := used(); n == 0 {
		t.Fatal("no page of the pool is in use after a lookup: the caches take their pages from the C heap")
	}
}

// LookupPageReads counts the pages a lookup connection reads past its
// cache: a cold connection reads the pages of its query, the same lookup
// again reads none, and after any commit the connection reads them again
// (in WAL mode a read after a commit starts from an empty cache).
func TestLookupPageReads_CountsPagesPastTheCache(t *testing.T) {
	ctx := context.Background()
	db := openSQLiteForTest(t)
	svc := portico.NewService(db, &portico.Service{Now: time.Now, PublicURL: "http://portico.test"})
	reads := func() uint64 {
		t.Helper()
		s, _, ok := db.LookupPageReads()
		if !ok {
			t.Fatal("LookupPageReads: not ok on SQLite")
		}
		return s
	}
	lookup := func() uint64 {
		t.Helper()
		before := reads()
		if s, _, err := db.FindSessionByTokenHash(ctx, make([]byte, 32)); s != nil || err == nil {
			t.Fatalf("lookup of an unknown token: %v, %v", s, err)
		}
		return reads() - before
	}
	if n := lookup(); n == 0 {
		t.Fatal("a cold lookup connection read no page")
	}
	if n := lookup(); n != 0 {
		t.Fatalf("the same lookup on a warm connection read %d pages, want 0", n)
	}
	if _, _, err := svc.CreateApp(ctx, "Acme"); err != nil {
		t.Fatal(err)
	}
	if n := lookup(); n == 0 {
		t.Fatal("the lookup after a commit read no page")
	}
	if _, keys, _ := db.LookupPageReads(); keys != 0 {
		t.Fatalf("API key lookups read %d pages, none ran", keys)
	}
}
