package store

import (
	"encoding/binary"
	"fmt"
	"sync"
	"syscall"
	"unsafe"

	"modernc.org/libc"
	sqlite3 "modernc.org/sqlite/lib"
)

// SQLite page caches draw their pages from one fixed pool, set up before
// the first connection opens (SQLITE_CONFIG_PAGECACHE).
//
// In WAL mode, a connection that begins a read after any commit empties its
// whole page cache (its pages may be stale). With the default allocator,
// each page of it is freed to the C heap, which hands the memory back to
// the OS (madvise, and a TLB flush on every core) and takes it again, page
// fault by page fault, when the next read fills the cache. On a store with
// 1 000 000 sessions and 20 commits a second, that churn doubled the CPU of
// a token lookup (bench/README.md, "Validation while others write"). A page
// of the pool goes back to the pool's free list instead: no system call, no
// fault.
//
// When the pool runs low, SQLite's caches reuse their least recently used
// pages before taking more, and a page that finds the pool empty comes from
// the C heap as before.

// pageCacheSlots is the pool's size in pages, 18 MiB. SQLite sets up its
// free list by writing to every slot, so all of it is resident from the
// first open on (RssAnon idle). It holds the default cache_size (about 470
// pages of 4 KiB) of 8 connections, among them the 4 token lookup
// connections of a 2-core node.
const pageCacheSlots = 4096

// pageCacheMaxPage is the largest database page the pool holds; larger
// pages come from the C heap. Portico's stores use SQLite's default, 4 096.
const pageCacheMaxPage = 4096

var (
	pageCacheOnce sync.Once
	// pageCacheErr is why the pool could not be set up, or nil.
	pageCacheErr error
)

// usePageCachePool sets the pool up, once per process, when the first
// SQLite store opens (a node on PostgreSQL does without it). It fails only
// if a SQLite connection was opened before, elsewhere in the process: the
// pool is a performance measure, never a reason to refuse to open a store.
func usePageCachePool() error {
	pageCacheOnce.Do(func() { pageCacheErr = setupPageCache() })
	return pageCacheErr
}

func setupPageCache() error {
	tls := libc.NewTLS()
	defer tls.Close()
	// The per-page header SQLite needs besides the page itself.
	hdr := tls.Alloc(8)
	defer tls.Free(8)
	va := libc.Xmalloc(tls, 3*8) // libc.VaList: one 8-byte slot per argument
	if va == 0 {
		return fmt.Errorf("page cache: out of memory")
	}
	defer libc.Xfree(tls, va)
	if rc := sqlite3.Xsqlite3_config(tls, sqlite3.SQLITE_CONFIG_PCACHE_HDRSZ, libc.VaList(va, hdr)); rc != sqlite3.SQLITE_OK {
		return fmt.Errorf("page cache: SQLITE_CONFIG_PCACHE_HDRSZ: %d", rc)
	}
	slot := (pageCacheMaxPage + int(int32(binary.NativeEndian.Uint32(libc.GoBytes(hdr, 4)))) + 7) &^ 7
	mem, err := syscall.Mmap(-1, 0, slot*pageCacheSlots, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
	if err != nil {
		return fmt.Errorf("page cache: %w", err)
	}
	// The mapping lives as long as the process: SQLite holds on to it.
	if rc := sqlite3.Xsqlite3_config(tls, sqlite3.SQLITE_CONFIG_PAGECACHE, libc.VaList(va, uintptr(unsafe.Pointer(&mem[0])), int32(slot), int32(pageCacheSlots))); rc != sqlite3.SQLITE_OK {
		syscall.Munmap(mem)
		return fmt.Errorf("page cache: SQLITE_CONFIG_PAGECACHE: %d", rc)
	}
	return nil
}
