package store

import (
	"sync/atomic"
	"time"
	"unsafe"

	"modernc.org/libc"
	sqlite3 "modernc.org/sqlite/lib"
)

// A lookup connection keeps its read transaction from one lookup to the
// next (it holds its snapshot) for as long as no commit has been made
// since, by any connection of any process; docs/operations.md, "Token
// lookups on SQLite", tells it for operators.
//
// In WAL mode, every read that begins takes a lock on the WAL index, which
// is shared between processes, and every read that ends releases it: two
// fcntl system calls per lookup, plus the check of the WAL index and of the
// schema. That was about a fifth of the CPU of GET /v1/me on SQLite
// (bench/README.md, "Held snapshots").
//
// Revocation stays immediate (SPEC §9). Before each lookup, the connection
// reads the header of the WAL index, which every commit rewrites before it
// returns. SQLite's WAL format documents this header, as processes share
// it. If the header is not the one the snapshot began under, the
// connection ends its transaction and begins another, so every lookup
// still reads the store as it is after its request arrived. The header is
// read as SQLite's readers read it: its first copy, then its second, which
// a commit writes before the first; the two must be equal.
//
// A held snapshot must not stop SQLite from keeping the WAL short:
//   - Only a snapshot that began with the whole WAL copied into the store
//     file is held. Such a reader reads the file alone, under read lock 0,
//     which does not stop the WAL from starting over. One exception: a
//     checkpoint marks the WAL copied a moment before it lets go of read
//     lock 0, and a read that begins in that moment takes another read
//     lock, which does stop the WAL from starting over. The checkpointer
//     therefore also ends the idle connections' snapshots after it runs;
//     one that was in use then ends at the next commit or when idle, and
//     the WAL only starts over a commit later.
//   - Read lock 0 stops a checkpoint from copying frames committed since.
//     Those frames change the header, so the connection's next lookup ends
//     the snapshot. The checkpointer ends the idle connections' snapshots
//     before it runs (checkpoint.go). An idle connection ends its own once
//     it has been idle for heldIdle (checked every heldIdle, so within
//     twice that), whoever committed.

// heldIdle is how long an idle lookup connection keeps its snapshot (a
// variable for the tests).
var heldIdle = 5 * time.Millisecond

// walIndexRegion is the size of the first region of the WAL index, the one
// with its header (WALINDEX_PGSZ).
const walIndexRegion = 32768

// walHeader is the WAL index header, as 32-bit words: a version, a change
// counter, the page size, the last frame, the database size, checksums and
// salts. Any commit changes it.
type walHeader [12]uint32

// The WAL index begins with two copies of the header, then the checkpoint
// information, whose first word counts the frames copied into the file.
const (
	walHeaderSize = 48
	walBackfill   = 2 * walHeaderSize
	walIsInit     = 12
	walMaxFrame   = 4
)

// walState reads the header of the connection's WAL index. ok is false
// while a commit is rewriting it. copied reports that every frame of the
// WAL is in the store file.
func (c *lookupConn) walState() (h walHeader, copied, ok bool) {
	for i := range h {
		h[i] = atomic.LoadUint32((*uint32)(unsafe.Add(nil, c.walIndex+uintptr(4*i))))
	}
	for i := range h {
		if atomic.LoadUint32((*uint32)(unsafe.Add(nil, c.walIndex+walHeaderSize+uintptr(4*i)))) != h[i] {
			return h, false, false
		}
	}
	if *(*uint8)(unsafe.Add(nil, c.walIndex+walIsInit)) == 0 {
		return h, false, false
	}
	backfill := atomic.LoadUint32((*uint32)(unsafe.Add(nil, c.walIndex+walBackfill)))
	return h, backfill == h[walMaxFrame], true
}

// mapWALIndex returns the address of the first region of the connection's
// WAL index, or 0. It asks the store file's VFS for it (xShmMap, as
// SQLite's WAL code does), after a lookup has opened it: the memory is the
// connection's own view, which stays mapped until the connection closes.
func (c *lookupConn) mapWALIndex() uintptr {
	pp := c.tls.Alloc(int(unsafe.Sizeof(uintptr(0))))
	defer c.tls.Free(int(unsafe.Sizeof(uintptr(0))))
	*(*uintptr)(unsafe.Add(nil, pp)) = 0
	if sqlite3.Xsqlite3_file_control(c.tls, c.db, 0, sqlite3.SQLITE_FCNTL_FILE_POINTER, pp) != sqlite3.SQLITE_OK {
		return 0
	}
	file := *(*uintptr)(unsafe.Add(nil, pp))
	if file == 0 {
		return 0
	}
	methods := (*sqlite3.Tsqlite3_file)(unsafe.Add(nil, file)).FpMethods
	if methods == 0 {
		return 0
	}
	m := (*sqlite3.Tsqlite3_io_methods)(unsafe.Add(nil, methods))
	if m.FiVersion < 2 || m.FxShmMap == 0 {
		return 0
	}
	*(*uintptr)(unsafe.Add(nil, pp)) = 0
	shmMap := *(*func(*libc.TLS, uintptr, int32, int32, int32, uintptr) int32)(unsafe.Pointer(&struct{ uintptr }{m.FxShmMap}))
	if shmMap(c.tls, file, 0, walIndexRegion, 0, pp) != sqlite3.SQLITE_OK {
		return 0
	}
	return *(*uintptr)(unsafe.Add(nil, pp))
}
