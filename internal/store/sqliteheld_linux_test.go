package store

import (
	"database/sql"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	sqlite3 "modernc.org/sqlite/lib"
)

// withHeldIdle sets how long idle lookup connections keep their snapshots,
// for one test, before its store opens.
func withHeldIdle(t *testing.T, d time.Duration) {
	old := heldIdle
	heldIdle = d
	t.Cleanup(func() { heldIdle = old })
}

// heldSnapshots returns how many of the idle token lookup connections hold
// a snapshot, and how many are idle. A connection counts as holding one
// only if it is in a transaction too.
func (f *mapFixture) heldSnapshots() (held, idle int) {
	f.t.Helper()
	p := f.db.lookup
	conns := p.takeIdle()
	for _, c := range conns {
		inTx := sqlite3.Xsqlite3_get_autocommit(c.tls, c.db) == 0
		if c.held != inTx {
			f.t.Errorf("a lookup connection is held %v, in a transaction %v", c.held, inTx)
		}
		if c.held {
			held++
		}
		p.put(c, false)
	}
	return held, len(conns)
}

// rawStore opens the store file on a connection of its own, as another
// process (the CLI) would, without the store's writer and checkpointer.
func (f *mapFixture) rawStore() *sql.DB {
	f.t.Helper()
	raw, err := sql.Open("sqlite", "file:"+f.path+"?_pragma=busy_timeout(0)")
	if err != nil {
		f.t.Fatal(err)
	}
	raw.SetMaxOpenConns(1)
	f.t.Cleanup(func() { raw.Close() })
	return raw
}

// walFrames returns the frames in the WAL and those copied into the file.
func walFrames(t *testing.T, db *sql.DB) (frames, copied int) {
	t.Helper()
	var busy int
	if err := db.QueryRow("PRAGMA wal_checkpoint(NOOP)").Scan(&busy, &frames, &copied); err != nil {
		t.Fatal(err)
	}
	return frames, copied
}

// With the WAL copied into the file, lookup connections keep their read
// transaction between lookups; a commit made since, by a connection the
// store knows nothing of, is seen by the next lookup all the same.
func TestHeldSnapshots_SeeEveryCommit(t *testing.T) {
	withHeldIdle(t, time.Hour)
	f := newMapFixture(t, 60)
	raw := f.rawStore()
	revoked := map[int]bool{}
	// hold copies the WAL into the file and has the lookup connections
	// hold their snapshots.
	hold := func() {
		t.Helper()
		// The store's own checkpointer may be running: try again, for up
		// to 10 s (a loaded machine running the race detector once took
		// more than 2).
		for try := 0; ; try++ {
			var busy, frames, copied int
			err := raw.QueryRow(`PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &frames, &copied)
			if err == nil && busy == 0 {
				break
			}
			if try == 500 {
				t.Fatalf("checkpoint: busy %d, %v", busy, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
		f.lookupAll(revoked)
		f.lookupAll(revoked)
		if held, idle := f.heldSnapshots(); held == 0 {
			t.Fatalf("none of %d idle lookup connections holds its snapshot on a quiet store", idle)
		}
	}
	lookupRevoked := func(i int, by string) {
		t.Helper()
		revoked[i] = true
		s, _, err := f.db.FindSessionByTokenHash(f.ctx, f.hashes[i])
		if err != nil || s == nil || s.RevokedAt == nil {
			t.Fatalf("the lookup right after %s revoked %s: %v, %v", by, f.ids[i], s, err)
		}
		f.lookupAll(revoked)
	}

	for _, i := range []int{3, 17, 42} {
		hold()
		if _, err := raw.Exec(`UPDATE sessions SET revoked_at = ? WHERE id = ?`, us(time.Now()), f.ids[i]); err != nil {
			t.Fatal(err)
		}
		lookupRevoked(i, "another connection")
	}

	// Another process: its commit rewrites the same WAL index, which it
	// maps from the -shm file.
	hold()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHeldSnapshots_OtherProcess$")
	cmd.Env = append(os.Environ(), "PORTICO_HELD_STORE="+f.path, "PORTICO_HELD_REVOKE="+f.ids[50])
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the other process: %v\n%s", err, out)
	}
	lookupRevoked(50, "another process")

	// A new session committed by the store itself is found too.
	hold()
	f.create(1)
	f.lookupAll(revoked)
	hold()
}

// Snapshots are held only while the WAL is all in the file: while frames
// wait to be copied, each lookup reads in a transaction of its own.
func TestHeldSnapshots_NotWhileTheWALHasFrames(t *testing.T) {
	withHeldIdle(t, time.Hour)
	f := newMapFixture(t, 30)
	// A reader of the state before the next commit keeps any checkpoint
	// from copying that commit's frames.
	reader, err := f.rawStore().Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Rollback()
	var n int
	if err := reader.QueryRow(`SELECT count(*) FROM sessions`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	raw := f.rawStore()
	if _, err := raw.Exec(`UPDATE sessions SET updated_at = updated_at + 1 WHERE id = ?`, f.ids[0]); err != nil {
		t.Fatal(err)
	}
	f.lookupAll(nil)
	f.lookupAll(nil)
	if held, idle := f.heldSnapshots(); held != 0 || idle == 0 {
		t.Fatalf("%d of %d idle lookup connections hold a snapshot with frames left in the WAL", held, idle)
	}
	if frames, copied := walFrames(t, raw); frames == copied {
		t.Fatalf("the WAL holds %d frames, all copied: the test needs one not copied", frames)
	}
}

// Held snapshots do not keep the WAL from being copied and starting over:
// the checkpointer ends the idle ones before it runs, and copies on its
// next run what lookups running meanwhile kept it from copying.
func TestHeldSnapshots_LetTheCheckpointerCopyTheWAL(t *testing.T) {
	withHeldIdle(t, time.Hour)
	f := newMapFixture(t, 100)
	copiedAll := func(what string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			frames, copied := walFrames(t, f.db.read)
			if frames > 0 && frames == copied {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s, the checkpointer copied %d of %d frames", what, copied, frames)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	lookups := func(goroutines int, done <-chan struct{}) *sync.WaitGroup {
		var wg sync.WaitGroup
		for g := range goroutines {
			wg.Go(func() {
				for i := g; ; i = (i + 1) % len(f.hashes) {
					select {
					case <-done:
						return
					default:
					}
					if _, _, err := f.db.FindSessionByTokenHash(f.ctx, f.hashes[i]); err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
		return &wg
	}

	// Every connection of the pool holds a snapshot, idle.
	done := make(chan struct{})
	wg := lookups(4, done)
	time.Sleep(200 * time.Millisecond)
	close(done)
	wg.Wait()
	if held, idle := f.heldSnapshots(); held < 2 {
		t.Fatalf("%d of %d idle lookup connections hold a snapshot, want several", held, idle)
	}
	for i := range 10 {
		if err := f.svc.RevokeSession(f.ctx, f.app.ID, f.ids[i]); err != nil {
			t.Fatal(err)
		}
	}
	copiedAll("with idle connections holding snapshots")

	// Lookups running while sessions are revoked.
	done = make(chan struct{})
	wg = lookups(2, done)
	for i := 10; i < 30; i++ {
		if err := f.svc.RevokeSession(f.ctx, f.app.ID, f.ids[i]); err != nil {
			t.Fatal(err)
		}
	}
	copiedAll("with lookups running")
	close(done)
	wg.Wait()
}

// An idle connection ends its snapshot by itself, so that a checkpoint of
// another process, which the store cannot warn, is kept waiting no longer.
func TestHeldSnapshots_EndWhenIdle(t *testing.T) {
	withHeldIdle(t, 300*time.Millisecond)
	f := newMapFixture(t, 30)
	// Let the checkpointer, which ends idle snapshots too, finish with the
	// fixture's commits.
	time.Sleep(3 * checkpointInterval)
	runs := f.db.ckpt.runs.Load()
	f.lookupAll(nil)
	if held, idle := f.heldSnapshots(); held == 0 {
		t.Fatalf("none of %d idle lookup connections holds its snapshot", idle)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		held, _ := f.heldSnapshots()
		if held == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d idle lookup connections still hold their snapshot", held)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if n := f.db.ckpt.runs.Load(); n != runs {
		t.Fatalf("the checkpointer ran %d times meanwhile: it may have ended the snapshots", n-runs)
	}
	raw := f.rawStore()
	if _, err := raw.Exec(`UPDATE sessions SET updated_at = updated_at + 1 WHERE id = ?`, f.ids[0]); err != nil {
		t.Fatal(err)
	}
	var busy, frames, copied int
	if err := raw.QueryRow("PRAGMA wal_checkpoint(TRUNCATE)").Scan(&busy, &frames, &copied); err != nil {
		t.Fatal(err)
	}
	if busy != 0 {
		t.Fatalf("another process's checkpoint was kept waiting: busy %d, %d of %d frames", busy, copied, frames)
	}
}

// TestHeldSnapshots_OtherProcess is the other process of
// TestHeldSnapshots_SeeEveryCommit: it revokes a session in a store and
// exits. Run on its own, it does nothing.
func TestHeldSnapshots_OtherProcess(t *testing.T) {
	path, id := os.Getenv("PORTICO_HELD_STORE"), os.Getenv("PORTICO_HELD_REVOKE")
	if path == "" {
		t.Skip("run by TestHeldSnapshots_SeeEveryCommit")
	}
	raw, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	res, err := raw.Exec(`UPDATE sessions SET revoked_at = ? WHERE id = ?`, us(time.Now()), id)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		t.Fatalf("revoked %d sessions", n)
	}
}
