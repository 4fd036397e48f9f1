package store

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/portico"
)

// mappedBytes returns the bytes of the file at path that the lookups'
// shared mapping holds, and whether there is a mapping of it.
func mappedBytes(t *testing.T, path string) (int64, bool) {
	t.Helper()
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		t.Fatal(err)
	}
	mapVFS.mu.Lock()
	defer mapVFS.mu.Unlock()
	m := mapVFS.files[fileKey{uint64(st.Dev), st.Ino}]
	if m == nil {
		return 0, false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.st().mapped, true
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		t.Fatal(err)
	}
	return st.Size
}

type mapFixture struct {
	t      *testing.T
	ctx    context.Context
	db     *DB
	svc    *portico.Service
	app    *portico.App
	path   string
	ids    []string
	hashes [][]byte
}

// newMapFixture opens a SQLite store with n sessions, all checkpointed into
// the store file.
func newMapFixture(t *testing.T, n int) *mapFixture {
	dir := t.TempDir()
	ctx := context.Background()
	db, err := Open(ctx, Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	svc := portico.NewService(db, &portico.Service{Now: time.Now, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		PublicURL: "http://portico.test", NoActivity: true})
	app, _, err := svc.CreateApp(ctx, "Acme")
	if err != nil {
		t.Fatal(err)
	}
	f := &mapFixture{t: t, ctx: ctx, db: db, svc: svc, app: app, path: filepath.Join(dir, SQLiteFile)}
	f.create(n)
	f.checkpoint()
	return f
}

// create adds n sessions, one user each.
func (f *mapFixture) create(n int) {
	f.t.Helper()
	for range n {
		ext := fmt.Sprintf("u%d", len(f.ids))
		cs, err := f.svc.CreateSession(f.ctx, f.app, portico.SessionInput{User: portico.UserInput{ExternalID: &ext}})
		if err != nil {
			f.t.Fatal(err)
		}
		f.ids, f.hashes = append(f.ids, cs.Session.ID), append(f.hashes, portico.HashToken(cs.Token))
	}
}

// checkpoint moves every page of the WAL into the store file, where the
// lookups read it through the mapping.
func (f *mapFixture) checkpoint() {
	f.t.Helper()
	if _, err := f.db.write.ExecContext(f.ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		f.t.Fatal(err)
	}
}

// lookupAll finds every session by its token and checks it is its own;
// revoked names those that must be found revoked.
func (f *mapFixture) lookupAll(revoked map[int]bool) {
	f.t.Helper()
	for i, h := range f.hashes {
		s, _, err := f.db.FindSessionByTokenHash(f.ctx, h)
		if err != nil {
			f.t.Fatalf("lookup %d: %v", i, err)
		}
		if s == nil || s.ID != f.ids[i] {
			f.t.Fatalf("lookup %d found %v, want session %s", i, s, f.ids[i])
		}
		if (s.RevokedAt != nil) != revoked[i] {
			f.t.Fatalf("lookup %d: revoked_at %v, want revoked %v", i, s.RevokedAt, revoked[i])
		}
	}
}

func (f *mapFixture) pageReads() uint64 {
	s, _, _ := f.db.LookupPageReads()
	return s
}

// The lookups read the store's pages from the shared mapping: after a
// commit, a pass over every token reads with pread only what the mapping
// cannot give (page 1, and the pages whose newest version is in the WAL),
// not the pages of each session. The mapping follows the file as it grows.
func TestMappedLookups_ReadTheStoreThroughTheMapping(t *testing.T) {
	page := int64(syscall.Getpagesize())
	f := newMapFixture(t, 400)
	size := fileSize(t, f.path)
	f.lookupAll(nil)
	// The store's own checkpoints may grow the file after this one, so the
	// mapping holds at least the file as it was, and no more than it is.
	mapped, ok := mappedBytes(t, f.path)
	if !ok {
		t.Fatal("no mapping of the store file while its lookup connections are open")
	}
	if mapped < size-page || mapped > fileSize(t, f.path) {
		t.Fatalf("mapped %d bytes of a file of %d, then %d bytes", mapped, size, fileSize(t, f.path))
	}
	// A commit that touches no page the lookups read.
	if _, _, err := f.svc.CreateApp(f.ctx, "Other"); err != nil {
		t.Fatal(err)
	}
	before := f.pageReads()
	f.lookupAll(nil)
	if n := f.pageReads() - before; n > 2*uint64(len(f.hashes))/100+8 {
		t.Fatalf("a pass over %d tokens after a commit read %d pages with pread: the mapping is not used", len(f.hashes), n)
	}

	// The file grows by checkpoints; the next read after a commit maps the
	// new pages.
	f.create(1000)
	f.checkpoint()
	size = fileSize(t, f.path)
	if _, _, err := f.svc.CreateApp(f.ctx, "Third"); err != nil {
		t.Fatal(err)
	}
	f.lookupAll(nil)
	if grown, _ := mappedBytes(t, f.path); grown <= mapped || grown < size-page {
		t.Fatalf("after the file grew from %d to %d bytes the mapping holds %d", mapped, size, grown)
	}
	before = f.pageReads()
	f.lookupAll(nil)
	if n := f.pageReads() - before; n > 2*uint64(len(f.hashes))/100+8 {
		t.Fatalf("a pass over %d tokens of the grown file read %d pages with pread", len(f.hashes), n)
	}

	// The last connection closed releases the mapping.
	f.db.Close()
	if _, ok := mappedBytes(t, f.path); ok {
		t.Fatal("the mapping outlives the store's connections")
	}
}

// A revocation is seen by the next lookup, whether the session's page is
// in the WAL or already back in the mapped file.
func TestMappedLookups_SeeRevocationsAtOnce(t *testing.T) {
	f := newMapFixture(t, 300)
	f.lookupAll(nil)
	revoked := map[int]bool{}
	for i := 0; i < len(f.ids); i += 7 {
		if err := f.svc.RevokeSession(f.ctx, f.app.ID, f.ids[i]); err != nil {
			t.Fatal(err)
		}
		revoked[i] = true
		s, _, err := f.db.FindSessionByTokenHash(f.ctx, f.hashes[i])
		if err != nil || s == nil || s.RevokedAt == nil {
			t.Fatalf("the lookup right after revoking %s: %v, %v", f.ids[i], s, err)
		}
		if i%21 == 0 {
			f.checkpoint()
		}
	}
	f.lookupAll(revoked)
	f.checkpoint()
	f.lookupAll(revoked)
}

// A store that shrinks under the mapping (someone vacuums it) is read
// correctly: the pages past its new end are no longer handed out, and a
// read there would find zeros, not a fault.
func TestMappedLookups_FollowAShrinkingFile(t *testing.T) {
	f := newMapFixture(t, 1500)
	f.lookupAll(nil)
	before, _ := mappedBytes(t, f.path)
	if _, err := f.db.write.ExecContext(f.ctx, "DELETE FROM sessions WHERE rowid > 100"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.write.ExecContext(f.ctx, "VACUUM"); err != nil {
		t.Fatal(err)
	}
	f.checkpoint()
	size := fileSize(t, f.path)
	if size >= before {
		t.Fatalf("the store did not shrink: %d bytes, %d mapped before", size, before)
	}
	f.ids, f.hashes = f.ids[:100], f.hashes[:100]
	f.lookupAll(nil)
	if after, _ := mappedBytes(t, f.path); after > fileSize(t, f.path) {
		t.Fatalf("the mapping holds %d bytes of a %d-byte file", after, fileSize(t, f.path))
	}
	f.create(50)
	f.checkpoint()
	f.lookupAll(nil)
}

// Lookups on many goroutines while sessions are created, revoked and
// checkpointed beside them find each token's own session, and every
// revocation committed before a lookup began.
func TestMappedLookups_UnderWrites(t *testing.T) {
	f := newMapFixture(t, 200)
	ids, hashes := f.ids, f.hashes
	var revoked sync.Map
	done := make(chan struct{})
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := g; ; i = (i + 1) % len(ids) {
				select {
				case <-done:
					return
				default:
				}
				_, wasRevoked := revoked.Load(i)
				s, _, err := f.db.FindSessionByTokenHash(f.ctx, hashes[i])
				if err != nil || s == nil || s.ID != ids[i] {
					t.Errorf("lookup %d: %v, %v", i, s, err)
					return
				}
				if wasRevoked && s.RevokedAt == nil {
					t.Errorf("session %s revoked before the lookup began is not revoked", ids[i])
					return
				}
			}
		}()
	}
	for i := 0; i < len(ids); i += 3 {
		if err := f.svc.RevokeSession(f.ctx, f.app.ID, ids[i]); err != nil {
			t.Fatal(err)
		}
		revoked.Store(i, true)
		f.create(5)
		if i%30 == 0 {
			f.checkpoint()
		}
	}
	close(done)
	wg.Wait()
}

// A change of the mapping that fails (here: the file can no longer be
// mapped) leaves it as it was for good: lookups go on, reading what it
// lacks with pread, and closing the store unmaps only what it mapped.
func TestMappedLookups_SurviveAFailedMapping(t *testing.T) {
	f := newMapFixture(t, 100)
	f.lookupAll(nil)
	var st syscall.Stat_t
	if err := syscall.Stat(f.path, &st); err != nil {
		t.Fatal(err)
	}
	mapVFS.mu.Lock()
	m := mapVFS.files[fileKey{uint64(st.Dev), st.Ino}]
	mapVFS.mu.Unlock()
	if m == nil {
		t.Fatal("no mapping of the store file")
	}
	// A larger file open write-only: fstat sees it grow, mmap refuses it.
	big := filepath.Join(t.TempDir(), "big")
	wfd, err := syscall.Open(big, syscall.O_CREAT|syscall.O_WRONLY|syscall.O_CLOEXEC, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Ftruncate(wfd, 1<<30); err != nil {
		t.Fatal(err)
	}
	m.mu.Lock()
	storeFD := m.fd
	m.fd = wfd
	before := m.st().mapped
	m.mu.Unlock()
	m.resize()
	m.mu.Lock()
	failed, after := m.failed, m.st().mapped
	m.fd = storeFD
	m.mu.Unlock()
	syscall.Close(wfd)
	if !failed || after != before {
		t.Fatalf("after a refused mmap: failed %v, mapped %d (was %d)", failed, after, before)
	}
	f.create(500)
	f.checkpoint()
	if _, _, err := f.svc.CreateApp(f.ctx, "Other"); err != nil {
		t.Fatal(err)
	}
	f.lookupAll(nil)
	if now, _ := mappedBytes(t, f.path); now != before {
		t.Fatalf("the mapping changed after a failure: %d bytes, was %d", now, before)
	}
	f.db.Close()
}
