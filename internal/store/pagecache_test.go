package store

import (
	"context"
	"encoding/binary"
	"errors"
	"testing"

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
