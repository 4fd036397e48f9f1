package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// The writer never checkpoints; the checkpointer copies the WAL into the
// database file after commits, so the WAL starts over instead of growing.
func TestCheckpointer_CopiesTheWALBesideTheWriter(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := Open(ctx, Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	var auto int
	if err := db.write.QueryRowContext(ctx, "PRAGMA wal_autocheckpoint").Scan(&auto); err != nil || auto != 0 {
		t.Fatalf("writer's wal_autocheckpoint = %d (%v), want 0", auto, err)
	}

	for i := range 300 {
		if _, err := db.SetMetaIfAbsent(ctx, fmt.Sprintf("k%d", i), "v"); err != nil {
			t.Fatal(err)
		}
	}
	// Eventually the checkpointer has copied every frame the writes left
	// in the WAL (NOOP only reads the WAL's state).
	deadline := time.Now().Add(10 * time.Second)
	for {
		var busy, frames, copied int
		if err := db.read.QueryRowContext(ctx, "PRAGMA wal_checkpoint(NOOP)").Scan(&busy, &frames, &copied); err != nil {
			t.Fatal(err)
		}
		if frames > 0 && frames == copied {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the checkpointer did not copy the WAL: %d of %d frames after %d runs", copied, frames, db.ckpt.runs.Load())
		}
		time.Sleep(20 * time.Millisecond)
	}
	wal, err := os.Stat(filepath.Join(dir, "portico.db-wal"))
	if err != nil {
		t.Fatal(err)
	}

	// The WAL was copied, so the next commit writes from its start: the
	// WAL then holds that commit's frames alone, not 300 commits' worth.
	if _, err := db.SetMetaIfAbsent(ctx, "after", "v"); err != nil {
		t.Fatal(err)
	}
	var busy, frames, copied int
	if err := db.read.QueryRowContext(ctx, "PRAGMA wal_checkpoint(NOOP)").Scan(&busy, &frames, &copied); err != nil {
		t.Fatal(err)
	}
	if frames > 10 {
		t.Errorf("after one more commit the WAL holds %d frames (file %d bytes): it did not start over", frames, wal.Size())
	}

	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}
