package store

import (
	"errors"
	"sync"
	"sync/atomic"
	"syscall"
	"unsafe"

	"modernc.org/libc"
	sqlite3 "modernc.org/sqlite/lib"
)

// The token and API key lookups read the store through one memory mapping
// of its file per process, shared by their connections and kept across
// commits (docs/operations.md, "Memory on SQLite").
//
// SQLite's own memory-mapped I/O maps the file once per connection and
// unmaps it whenever a read begins after any commit, since the file may
// have changed; each connection then faults the pages of a large store in
// again one by one. With four lookup connections and 20 commits a second,
// that made validation on a store of 1 000 000 sessions slower than
// reading with pread (bench/README.md, "Validation while others write").
// Yet a mapping of a file shows every write to it as it happens: what a
// commit can make stale is a connection's copy of a page, not the mapping.
// So the lookups open the store through a VFS of their own, "portico-map",
// which is the default unix VFS with the database file's xFetch, xUnfetch
// and xClose replaced:
//
//   - xFetch hands out a page of the shared mapping when the mapping holds
//     it with 256 bytes to spare after it (SQLite may read that far past a
//     page of a corrupt file), and nothing otherwise: SQLite then reads the
//     page with pread, as before. Pages whose newest version is in the WAL
//     are read from the WAL either way (SQLite looks there first).
//   - xUnfetch(0, 0), SQLite's "the file may have changed", does not unmap:
//     it compares the mapping with the file's size (one fstat) and maps the
//     pages the file has grown by, in place, or, if the file has shrunk,
//     replaces the pages past its end with zeros, so that a read there
//     finds zeros rather than a fault. A store only shrinks when someone
//     vacuums it; Portico never does.
//
// The mapping is reserved up front as a range of address space with no
// access (no memory is committed to it) and filled from its start as the
// file grows; a store larger than the range reads its tail with pread.
// Its pages are the OS page cache of the file, counted in RssFile, not in
// RssAnon (SPEC §9).
const mapReserve = 32 << 30

// fileMap is the shared mapping of one store file.
type fileMap struct {
	key fileKey
	fd  int
	// state is C memory the database files opened through the VFS point
	// to: the mapping's base address and the bytes of it mapped, read by
	// xFetch without a lock.
	state uintptr
	// refs counts the database files open on it.
	refs int
	// mu serializes changes of the mapped length.
	mu sync.Mutex
	// failed is set when a change of the mapping failed: Linux may then
	// have unmapped part of the reserved range, where other memory can be
	// mapped since, so the mapping is left as it is from then on (reads
	// past it use pread).
	failed bool
}

// fileKey identifies a file: its device and inode.
type fileKey struct{ dev, ino uint64 }

// mapState is the layout of fileMap.state.
type mapState struct {
	base   uintptr
	mapped int64
}

func (m *fileMap) st() *mapState { return (*mapState)(unsafe.Add(nil, m.state)) }

var mapVFS struct {
	once sync.Once
	err  error
	// name is the VFS's name, as C memory.
	name uintptr
	// unix is SQLite's unix VFS, open is its xOpen; szOsFile is the size of
	// its file object, after which ours keeps the file's state pointer.
	unix, open uintptr
	szOsFile   int32
	// methods maps the unix VFS's io_methods to our copies of them; orig
	// maps a copy back.
	mu      sync.Mutex
	methods map[uintptr]uintptr
	orig    map[uintptr]uintptr
	// files maps a file to its mapping; byState maps a state pointer to it.
	files   map[fileKey]*fileMap
	byState map[uintptr]*fileMap
}

// lookupVFS returns the name of the VFS the lookup connections open the
// store with, registered on first use.
func lookupVFS() (uintptr, error) {
	mapVFS.once.Do(func() { mapVFS.err = registerMapVFS() })
	return mapVFS.name, mapVFS.err
}

func registerMapVFS() error {
	tls := libc.NewTLS()
	defer tls.Close()
	unixName, err := libc.CString("unix")
	if err != nil {
		return err
	}
	defer libc.Xfree(tls, unixName)
	unix := sqlite3.Xsqlite3_vfs_find(tls, unixName)
	if unix == 0 {
		return errors.New("store: SQLite has no unix VFS")
	}
	u := (*sqlite3.Tsqlite3_vfs)(unsafe.Add(nil, unix))
	p := libc.Xmalloc(tls, uint64(unsafe.Sizeof(sqlite3.Tsqlite3_vfs{})))
	name, err := libc.CString("portico-map")
	if p == 0 || err != nil {
		return errors.New("store: out of memory")
	}
	v := (*sqlite3.Tsqlite3_vfs)(unsafe.Add(nil, p))
	*v = *u
	v.FpNext = 0
	v.FzName = name
	v.FszOsFile = u.FszOsFile + int32(unsafe.Sizeof(uintptr(0)))
	v.FxOpen = cFunc(mapOpen)
	mapVFS.unix, mapVFS.open, mapVFS.szOsFile = unix, u.FxOpen, u.FszOsFile
	mapVFS.methods = map[uintptr]uintptr{}
	mapVFS.orig = map[uintptr]uintptr{}
	mapVFS.files = map[fileKey]*fileMap{}
	mapVFS.byState = map[uintptr]*fileMap{}
	if rc := sqlite3.Xsqlite3_vfs_register(tls, p, 0); rc != sqlite3.SQLITE_OK {
		return &lookupError{op: "register vfs", code: rc}
	}
	mapVFS.name = name
	return nil
}

// cFunc returns the C function pointer SQLite calls f by (the form
// modernc.org/sqlite's own callbacks take).
func cFunc[T any](f T) uintptr { return *(*uintptr)(unsafe.Pointer(&struct{ f T }{f})) }

// stateSlot is where a file opened through the VFS keeps its state pointer.
func stateSlot(file uintptr) *uintptr {
	return (*uintptr)(unsafe.Add(nil, file+uintptr(mapVFS.szOsFile)))
}

func methodsOf(file uintptr) uintptr {
	return (*sqlite3.Tsqlite3_file)(unsafe.Add(nil, file)).FpMethods
}

// mapOpen is the VFS's xOpen: the unix VFS's, and for a main database file
// the shared mapping and the replaced methods. Files are told apart by
// device and inode, not by path: a store removed and created again at the
// same path is another file.
func mapOpen(tls *libc.TLS, _ uintptr, zName, file uintptr, flags int32, outFlags uintptr) int32 {
	*stateSlot(file) = 0
	rc := (*(*func(*libc.TLS, uintptr, uintptr, uintptr, int32, uintptr) int32)(unsafe.Pointer(&struct{ uintptr }{mapVFS.open})))(tls, mapVFS.unix, zName, file, flags, outFlags)
	if rc != sqlite3.SQLITE_OK || flags&sqlite3.SQLITE_OPEN_MAIN_DB == 0 || methodsOf(file) == 0 {
		return rc
	}
	var st syscall.Stat_t
	if syscall.Fstat(int((*sqlite3.TunixFile)(unsafe.Add(nil, file)).Fh), &st) != nil {
		return rc // read with pread, as without the VFS
	}
	mapVFS.mu.Lock()
	defer mapVFS.mu.Unlock()
	methods, ok := replacedMethods(tls, methodsOf(file))
	if !ok {
		return rc
	}
	key := fileKey{uint64(st.Dev), st.Ino}
	m := mapVFS.files[key]
	if m == nil {
		if m, ok = newFileMap(tls, key, int((*sqlite3.TunixFile)(unsafe.Add(nil, file)).Fh)); !ok {
			return rc
		}
		mapVFS.files[key] = m
		mapVFS.byState[m.state] = m
	}
	m.refs++
	*stateSlot(file) = m.state
	(*sqlite3.Tsqlite3_file)(unsafe.Add(nil, file)).FpMethods = methods
	return rc
}

// replacedMethods returns our copy of the unix VFS's methods orig, made on
// first use. Called with mapVFS.mu held.
func replacedMethods(tls *libc.TLS, orig uintptr) (uintptr, bool) {
	if p, ok := mapVFS.methods[orig]; ok {
		return p, true
	}
	o := (*sqlite3.Tsqlite3_io_methods)(unsafe.Add(nil, orig))
	if o.FiVersion < 3 {
		return 0, false
	}
	p := libc.Xmalloc(tls, uint64(unsafe.Sizeof(sqlite3.Tsqlite3_io_methods{})))
	if p == 0 {
		return 0, false
	}
	c := (*sqlite3.Tsqlite3_io_methods)(unsafe.Add(nil, p))
	*c = *o
	c.FxFetch = cFunc(mapFetch)
	c.FxUnfetch = cFunc(mapUnfetch)
	c.FxClose = cFunc(mapClose)
	mapVFS.methods[orig], mapVFS.orig[p] = p, orig
	return p, true
}

// newFileMap reserves the address range for the file open as fd and maps
// what it holds. Called with mapVFS.mu held.
func newFileMap(tls *libc.TLS, key fileKey, fd int) (*fileMap, bool) {
	dup, _, errno := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_DUPFD_CLOEXEC, 0)
	if errno != 0 {
		return nil, false
	}
	fd = int(dup)
	base, _, errno := syscall.Syscall6(syscall.SYS_MMAP, 0, mapReserve, syscall.PROT_NONE,
		syscall.MAP_PRIVATE|syscall.MAP_ANONYMOUS|syscall.MAP_NORESERVE, ^uintptr(0), 0)
	if errno != 0 {
		syscall.Close(fd)
		return nil, false
	}
	state := libc.Xmalloc(tls, uint64(unsafe.Sizeof(mapState{})))
	if state == 0 {
		syscall.Syscall(syscall.SYS_MUNMAP, base, mapReserve, 0)
		syscall.Close(fd)
		return nil, false
	}
	m := &fileMap{key: key, fd: fd, state: state}
	*m.st() = mapState{base: base}
	m.resize()
	return m, true
}

// resize maps the pages the file has grown by since the last call, or
// replaces with zeros those past its end if it has shrunk.
func (m *fileMap) resize() {
	m.mu.Lock()
	defer m.mu.Unlock()
	var st syscall.Stat_t
	if m.failed || syscall.Fstat(m.fd, &st) != nil {
		return
	}
	s := m.st()
	page := int64(syscall.Getpagesize())
	size := min(st.Size&^(page-1), mapReserve)
	mapped := atomic.LoadInt64(&s.mapped)
	switch {
	case size > mapped:
		_, _, errno := syscall.Syscall6(syscall.SYS_MMAP, s.base+uintptr(mapped), uintptr(size-mapped), syscall.PROT_READ,
			syscall.MAP_SHARED|syscall.MAP_FIXED, uintptr(m.fd), uintptr(mapped))
		if errno != 0 {
			m.failed = true
			return
		}
		atomic.StoreInt64(&s.mapped, size)
	case size < mapped:
		atomic.StoreInt64(&s.mapped, size)
		_, _, errno := syscall.Syscall6(syscall.SYS_MMAP, s.base+uintptr(size), uintptr(mapped-size), syscall.PROT_READ,
			syscall.MAP_PRIVATE|syscall.MAP_ANONYMOUS|syscall.MAP_FIXED, ^uintptr(0), 0)
		m.failed = errno != 0
	}
}

// release unmaps what is surely still the mapping's: the whole range, or
// after a failure only what it maps.
func (m *fileMap) release() {
	n := uintptr(mapReserve)
	if m.failed {
		n = uintptr(m.st().mapped)
	}
	if n > 0 {
		syscall.Syscall(syscall.SYS_MUNMAP, m.st().base, n, 0)
	}
}

// mapFetch is xFetch: a page of the shared mapping, or none.
func mapFetch(_ *libc.TLS, file uintptr, off int64, amt int32, pp uintptr) int32 {
	p := uintptr(0)
	if state := *stateSlot(file); state != 0 && off >= 0 {
		s := (*mapState)(unsafe.Add(nil, state))
		if off+int64(amt)+256 <= atomic.LoadInt64(&s.mapped) {
			p = s.base + uintptr(off)
		}
	}
	*(*uintptr)(unsafe.Add(nil, pp)) = p
	return sqlite3.SQLITE_OK
}

// mapUnfetch is xUnfetch: releasing a page needs nothing; "the file may
// have changed" (p == 0) follows the file's size.
func mapUnfetch(_ *libc.TLS, file uintptr, _ int64, p uintptr) int32 {
	if p != 0 {
		return sqlite3.SQLITE_OK
	}
	mapVFS.mu.Lock()
	m := mapVFS.byState[*stateSlot(file)]
	mapVFS.mu.Unlock()
	if m != nil {
		m.resize()
	}
	return sqlite3.SQLITE_OK
}

// mapClose is xClose: the unix VFS's, after which the last file of a
// mapping releases it.
func mapClose(tls *libc.TLS, file uintptr) int32 {
	state := *stateSlot(file)
	mapVFS.mu.Lock()
	orig := mapVFS.orig[methodsOf(file)]
	m := mapVFS.byState[state]
	if m != nil {
		if m.refs--; m.refs == 0 {
			delete(mapVFS.files, m.key)
			delete(mapVFS.byState, state)
		} else {
			m = nil
		}
	}
	mapVFS.mu.Unlock()
	*stateSlot(file) = 0
	rc := (*(*func(*libc.TLS, uintptr) int32)(unsafe.Pointer(&struct{ uintptr }{(*sqlite3.Tsqlite3_io_methods)(unsafe.Add(nil, orig)).FxClose})))(tls, file)
	if m != nil {
		m.release()
		syscall.Close(m.fd)
		libc.Xfree(tls, m.state)
	}
	return rc
}
