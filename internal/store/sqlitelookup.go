package store

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"modernc.org/libc"
	sqlite3 "modernc.org/sqlite/lib"
)

// On SQLite the token lookup of GET /v1/me, the product's hot path, and the
// API key lookup that authenticates every backend call, run on connections
// of their own driven through the SQLite library directly, not through
// database/sql. For this one-row query database/sql and the
// driver's generic rows cost as much as SQLite's own work (bench/README.md
// has the profile): a pool round trip, the name and declared type of each of
// the 21 columns fetched on every query, a boxed value and a reflective
// conversion per column, a C allocation for the bound hash, and the
// connection mutex the driver always opens with, taken on every C call.
// Here a connection is opened without that mutex (the pool hands it to one
// goroutine at a time), prepares its query once, binds the hash from a
// buffer it keeps, and reads each column straight into its field. The SQL is
// meQueryFor or apiKeyQueryFor, unchanged; PostgreSQL has lookup
// connections of its own too (pglookup.go). While no commit is made, a
// connection keeps its read transaction from one lookup to the next
// (sqliteheld.go).

// sqliteLookup is the pool of lookup connections, opened on first use.
type sqliteLookup struct {
	path  string
	query string
	// idle holds the connections not in use; slots bounds how many exist.
	idle  chan *lookupConn
	slots chan struct{}
	// reads counts the pages the lookups read from the file or the WAL
	// because their connection's cache lacked them (PageReads).
	reads atomic.Uint64
	// sweeping is set while a release of idle held snapshots is due;
	// releasing is held while one runs, so that close waits for it.
	sweeping  atomic.Bool
	releasing sync.Mutex

	mu     sync.Mutex
	closed bool
}

func newSQLiteLookup(path, query string, n int) *sqliteLookup {
	return &sqliteLookup{path: path, query: query, idle: make(chan *lookupConn, n), slots: make(chan struct{}, n)}
}

var errLookupClosed = errors.New("store: the database is closed")

// get returns an idle connection, opens one while fewer than the bound
// exist, or waits for one.
func (p *sqliteLookup) get() (*lookupConn, error) {
	select {
	case c := <-p.idle:
		return c, nil
	default:
	}
	select {
	case c := <-p.idle:
		return c, nil
	case p.slots <- struct{}{}:
		p.mu.Lock()
		closed := p.closed
		p.mu.Unlock()
		if closed {
			<-p.slots
			return nil, errLookupClosed
		}
		c, err := openLookupConn(p.path, p.query)
		if err != nil {
			<-p.slots
			return nil, err
		}
		return c, nil
	}
}

// put returns c to the pool; a connection whose last use failed is closed
// instead, freeing its slot.
func (p *sqliteLookup) put(c *lookupConn, failed bool) {
	p.mu.Lock()
	if failed || p.closed {
		p.mu.Unlock()
		c.close()
		<-p.slots
		return
	}
	held := c.held
	p.idle <- c
	p.mu.Unlock()
	if held && p.sweeping.CompareAndSwap(false, true) {
		idle := heldIdle
		time.AfterFunc(idle, func() {
			p.sweeping.Store(false)
			p.releaseHeld(idle)
		})
	}
}

// takeIdle takes the idle connections out of the pool, without waiting.
func (p *sqliteLookup) takeIdle() []*lookupConn {
	var idle []*lookupConn
	for len(idle) < cap(p.idle) {
		select {
		case c := <-p.idle:
			idle = append(idle, c)
			continue
		default:
		}
		break
	}
	return idle
}

// releaseHeld ends the snapshots that idle connections have held for at
// least minIdle since their last lookup. Those it leaves have put set
// another release due.
func (p *sqliteLookup) releaseHeld(minIdle time.Duration) {
	p.releasing.Lock()
	defer p.releasing.Unlock()
	p.mu.Lock()
	closed := p.closed
	p.mu.Unlock()
	if closed {
		return
	}
	now := time.Now()
	for _, c := range p.takeIdle() {
		var err error
		if c.held && now.Sub(c.used) >= minIdle {
			err = c.end()
		}
		p.put(c, err != nil)
	}
}

// find runs the lookup for hash on an idle connection; scan reads the row
// when one matches.
func (p *sqliteLookup) find(hash []byte, scan func(*meRow) error) (bool, error) {
	c, err := p.get()
	if err != nil {
		return false, unavailable(err)
	}
	var scanErr error
	found, err := c.find(hash, func(r *meRow) { scanErr = scan(r) })
	p.reads.Add(c.pageReads())
	p.put(c, err != nil)
	if err != nil {
		return false, err
	}
	return found, scanErr
}

// close closes the idle connections, after a release of held snapshots
// running meanwhile has closed those it took; those in use are closed when
// put back.
func (p *sqliteLookup) close() {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	p.releasing.Lock()
	defer p.releasing.Unlock()
	for {
		select {
		case c := <-p.idle:
			c.close()
			<-p.slots
		default:
			return
		}
	}
}

// lookupConn is one SQLite connection with the lookup query prepared.
type lookupConn struct {
	tls  *libc.TLS
	db   uintptr
	stmt uintptr
	// key is C memory holding the bound token hash (bound as static: SQLite
	// reads it in place).
	key uintptr
	// status is C memory for the two counts sqlite3_db_status writes.
	status uintptr
	// begin and commit open and end a held snapshot; walIndex is the
	// connection's view of the store's WAL index, 0 until its first
	// lookup has opened it (or when there is none to hold snapshots by).
	begin, commit uintptr
	wal           bool
	walIndex      uintptr
	// held is set while the connection keeps its read transaction between
	// lookups; snap is the WAL index header it began under, used the end
	// of its last lookup.
	held bool
	snap walHeader
	used time.Time
}

func openLookupConn(path, query string) (_ *lookupConn, err error) {
	c := &lookupConn{tls: libc.NewTLS()}
	defer func() {
		if err != nil {
			c.close()
		}
	}()
	cpath, err := libc.CString(path)
	if err != nil {
		return nil, err
	}
	defer libc.Xfree(c.tls, cpath)
	pdb := c.tls.Alloc(int(unsafe.Sizeof(uintptr(0))))
	defer c.tls.Free(int(unsafe.Sizeof(uintptr(0))))
	vfs, err := lookupVFS()
	if err != nil {
		return nil, err
	}
	rc := sqlite3.Xsqlite3_open_v2(c.tls, cpath, pdb, sqlite3.SQLITE_OPEN_READWRITE|sqlite3.SQLITE_OPEN_NOMUTEX, vfs)
	c.db = *(*uintptr)(unsafe.Add(nil, pdb))
	if rc != sqlite3.SQLITE_OK {
		return nil, c.errorf("open", rc)
	}
	// The same settings as the reader pool: wait for a lock rather than
	// fail, and never write. On Linux, pages are read from the process's
	// one mapping of the store (sqlitemap_linux.go); mmap_size only has
	// SQLite ask for them. Elsewhere they are read with pread.
	settings := "PRAGMA busy_timeout = 10000; PRAGMA query_only = 1;"
	if vfs != 0 {
		settings += " PRAGMA mmap_size = 2147418112;"
	}
	if err := c.exec(settings); err != nil {
		return nil, err
	}
	if c.stmt, err = c.prepare(query); err != nil {
		return nil, err
	}
	if c.begin, err = c.prepare("BEGIN"); err != nil {
		return nil, err
	}
	if c.commit, err = c.prepare("COMMIT"); err != nil {
		return nil, err
	}
	mode, err := c.prepare("PRAGMA journal_mode")
	if err != nil {
		return nil, err
	}
	if sqlite3.Xsqlite3_step(c.tls, mode) == sqlite3.SQLITE_ROW {
		c.wal = libc.GoString(sqlite3.Xsqlite3_column_text(c.tls, mode, 0)) == "wal"
	}
	sqlite3.Xsqlite3_finalize(c.tls, mode)
	if c.key = libc.Xmalloc(c.tls, sha256.Size); c.key == 0 {
		return nil, errors.New("store: out of memory")
	}
	if c.status = libc.Xmalloc(c.tls, 8); c.status == 0 {
		return nil, errors.New("store: out of memory")
	}
	return c, nil
}

// pageReads returns how many pages the connection has read from the file
// or the WAL since the last call: the pages its cache lacked
// (SQLITE_DBSTATUS_CACHE_MISS, read and reset; no system call).
func (c *lookupConn) pageReads() uint64 {
	if sqlite3.Xsqlite3_db_status(c.tls, c.db, sqlite3.SQLITE_DBSTATUS_CACHE_MISS, c.status, c.status+4, 1) != sqlite3.SQLITE_OK {
		return 0
	}
	return uint64(*(*int32)(unsafe.Add(nil, c.status)))
}

// prepare compiles sql for the life of the connection.
func (c *lookupConn) prepare(sql string) (uintptr, error) {
	csql, err := libc.CString(sql)
	if err != nil {
		return 0, err
	}
	defer libc.Xfree(c.tls, csql)
	pstmt := c.tls.Alloc(int(unsafe.Sizeof(uintptr(0))))
	defer c.tls.Free(int(unsafe.Sizeof(uintptr(0))))
	if rc := sqlite3.Xsqlite3_prepare_v3(c.tls, c.db, csql, -1, sqlite3.SQLITE_PREPARE_PERSISTENT, pstmt, 0); rc != sqlite3.SQLITE_OK {
		return 0, c.errorf("prepare", rc)
	}
	return *(*uintptr)(unsafe.Add(nil, pstmt)), nil
}

func (c *lookupConn) exec(sql string) error {
	csql, err := libc.CString(sql)
	if err != nil {
		return err
	}
	defer libc.Xfree(c.tls, csql)
	if rc := sqlite3.Xsqlite3_exec(c.tls, c.db, csql, 0, 0, 0); rc != sqlite3.SQLITE_OK {
		return c.errorf("exec", rc)
	}
	return nil
}

func (c *lookupConn) close() {
	for _, stmt := range []uintptr{c.stmt, c.begin, c.commit} {
		if stmt != 0 {
			sqlite3.Xsqlite3_finalize(c.tls, stmt)
		}
	}
	if c.db != 0 {
		sqlite3.Xsqlite3_close_v2(c.tls, c.db)
	}
	if c.key != 0 {
		libc.Xfree(c.tls, c.key)
	}
	if c.status != 0 {
		libc.Xfree(c.tls, c.status)
	}
	c.tls.Close()
}

// lookupError is a failure of the SQLite library on a lookup connection.
type lookupError struct {
	op   string
	code int32
	msg  string
}

func (e *lookupError) Error() string {
	return fmt.Sprintf("sqlite %s: %s (%d)", e.op, e.msg, e.code)
}

func (c *lookupConn) errorf(op string, rc int32) error {
	e := &lookupError{op: op, code: rc}
	if c.db != 0 {
		e.code = sqlite3.Xsqlite3_extended_errcode(c.tls, c.db)
		e.msg = libc.GoString(sqlite3.Xsqlite3_errmsg(c.tls, c.db))
	}
	if sqliteCannotServe(int(e.code)) {
		return unavailable(e)
	}
	return e
}

// meRow is the row a lookup statement is positioned on, read column by
// column in its order.
type meRow struct {
	c   *lookupConn
	col int32
}

func (r *meRow) null() bool {
	return sqlite3.Xsqlite3_column_type(r.c.tls, r.c.stmt, r.col) == sqlite3.SQLITE_NULL
}

func (r *meRow) int() int64 {
	v := sqlite3.Xsqlite3_column_int64(r.c.tls, r.c.stmt, r.col)
	r.col++
	return v
}

func (r *meRow) boolean() bool { return r.int() != 0 }

// intPtr reads a nullable integer.
func (r *meRow) intPtr() (int64, bool) {
	if r.null() {
		r.col++
		return 0, false
	}
	return r.int(), true
}

func (r *meRow) text() string {
	p := sqlite3.Xsqlite3_column_text(r.c.tls, r.c.stmt, r.col)
	n := sqlite3.Xsqlite3_column_bytes(r.c.tls, r.c.stmt, r.col)
	r.col++
	if p == 0 || n <= 0 {
		return ""
	}
	return string(unsafe.Slice((*byte)(unsafe.Add(nil, p)), n))
}

// bytes reads a text or blob as bytes.
func (r *meRow) bytes() []byte {
	p := sqlite3.Xsqlite3_column_blob(r.c.tls, r.c.stmt, r.col)
	n := sqlite3.Xsqlite3_column_bytes(r.c.tls, r.c.stmt, r.col)
	r.col++
	if p == 0 || n <= 0 {
		return []byte{}
	}
	return append([]byte(nil), unsafe.Slice((*byte)(unsafe.Add(nil, p)), n)...)
}

// timePtr reads a nullable timestamp in microseconds.
func (r *meRow) timePtr() *time.Time {
	v, ok := r.intPtr()
	if !ok {
		return nil
	}
	t := fromUS(v)
	return &t
}

// textPtr reads a nullable text.
func (r *meRow) textPtr() (string, bool) {
	if r.null() {
		r.col++
		return "", false
	}
	return r.text(), true
}

// Scan reads the row's next columns into dest, as database/sql's Scan
// would for the types the lookups' scanners use.
func (r *meRow) Scan(dest ...any) error { return scanInto(r, dest) }

// find runs the lookup for hash. It reports false when no row matches. scan
// reads the row while the statement is positioned on it.
func (c *lookupConn) find(hash []byte, scan func(*meRow)) (bool, error) {
	copy(unsafe.Slice((*byte)(unsafe.Add(nil, c.key)), sha256.Size), hash)
	if rc := sqlite3.Xsqlite3_bind_blob(c.tls, c.stmt, 1, c.key, sha256.Size, 0); rc != sqlite3.SQLITE_OK {
		return false, c.errorf("bind", rc)
	}
	if c.held {
		if h, _, ok := c.walState(); !ok || h != c.snap {
			if err := c.end(); err != nil {
				return false, err
			}
		}
	}
	var before walHeader
	begun := false
	if !c.held && c.walIndex != 0 {
		if h, copied, ok := c.walState(); ok && copied {
			if err := c.run(c.begin, "begin"); err != nil {
				return false, err
			}
			before, begun = h, true
		}
	}
	found, err := c.step(scan)
	if err != nil {
		return false, err
	}
	switch {
	case begun:
		// The snapshot is before's state only if no commit came between
		// that read of the header and the one after the lookup.
		if h, _, ok := c.walState(); ok && h == before {
			c.held, c.snap = true, before
		} else if err := c.end(); err != nil {
			return false, err
		}
	case c.walIndex == 0 && c.wal:
		c.walIndex = c.mapWALIndex()
		c.wal = c.walIndex != 0
	}
	if c.held {
		c.used = time.Now()
	}
	return found, nil
}

// step runs the lookup statement once.
func (c *lookupConn) step(scan func(*meRow)) (bool, error) {
	// Resetting ends the statement, and the read transaction with it unless
	// the connection holds its snapshot.
	defer sqlite3.Xsqlite3_reset(c.tls, c.stmt)
	switch rc := sqlite3.Xsqlite3_step(c.tls, c.stmt); rc {
	case sqlite3.SQLITE_ROW:
		scan(&meRow{c: c})
		return true, nil
	case sqlite3.SQLITE_DONE:
		return false, nil
	default:
		return false, c.errorf("step", rc)
	}
}

// run steps a statement that returns no row.
func (c *lookupConn) run(stmt uintptr, op string) error {
	defer sqlite3.Xsqlite3_reset(c.tls, stmt)
	if rc := sqlite3.Xsqlite3_step(c.tls, stmt); rc != sqlite3.SQLITE_DONE {
		return c.errorf(op, rc)
	}
	return nil
}

// end ends the transaction find began, if one is open.
func (c *lookupConn) end() error {
	c.held = false
	if sqlite3.Xsqlite3_get_autocommit(c.tls, c.db) != 0 {
		return nil
	}
	return c.run(c.commit, "commit")
}
