package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/porticohq/portico/internal/portico"
	"github.com/porticohq/portico/internal/secret"
	"github.com/porticohq/portico/internal/store"
)

const rotateUsage = `encryption rotate [--batch N] [--pause D] [--database-url URL | --data-dir DIR]

Re-encrypts every stored secret (connection credentials, OAuth2 client
secrets, webhook secrets) that is not sealed with the first key of
PORTICO_ENCRYPTION_KEY, in small transactions, while servers keep running.
The keys come from the environment only, never from a flag (a flag's value
shows in ps). To rotate:

  1. Generate a key: openssl rand -base64 32
  2. Restart every server with PORTICO_ENCRYPTION_KEY="NEW,OLD" (new key
     first): they then seal with NEW and still read OLD.
  3. Run this command with the same PORTICO_ENCRYPTION_KEY (or
     PORTICO_ENCRYPTION_KEY_FILE naming a file that holds "NEW,OLD").
  4. When it reports that every secret is on NEW, restart the servers with
     PORTICO_ENCRYPTION_KEY="NEW".

With SQLite and no key in the environment, the key file in the data dir is
used; edit it to hold "NEW,OLD" for steps 2 and 3. A server refuses to start
without a key that some stored secret needs, so dropping OLD too early is
caught.`

func runEncryptionRotate(ctx context.Context, env *Env, args []string) error {
	var (
		sf    storeFlags
		batch int
		pause time.Duration
	)
	fs := newFlags(env, "encryption rotate", rotateUsage)
	sf.register(fs, true)
	fs.IntVar(&batch, "batch", 100, "secrets re-encrypted per transaction")
	fs.DurationVar(&pause, "pause", 10*time.Millisecond, "pause between batches, to leave the database to the servers")
	fs.secretFromEnv("encryption-key", "the keys, comma-separated, the new one first (with SQLite, when unset: the data dir's key file)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if batch < 1 || batch > 10000 {
		return fs.misuse("--batch must be between 1 and 10000")
	}
	if pause < 0 {
		return fs.misuse("--pause must not be negative")
	}
	if _, err := sf.locate(false); err != nil {
		return err
	}
	keys, err := fs.lookup("encryption-key")
	if err != nil {
		return err
	}
	if keys == "" {
		if sf.DatabaseURL != "" {
			return errors.New("PORTICO_ENCRYPTION_KEY (or PORTICO_ENCRYPTION_KEY_FILE) is required with PostgreSQL: the new key first, then the old ones")
		}
		// Read, never create: a fresh key file would name a key no stored
		// secret was sealed with.
		file := filepath.Join(sf.DataDir, secret.KeyFileName)
		b, err := os.ReadFile(file)
		if err != nil {
			return fmt.Errorf("PORTICO_ENCRYPTION_KEY is not set and there is no key file to read: %w", err)
		}
		if _, err := secret.ParseKeys(strings.TrimSpace(string(b))); err != nil {
			return fmt.Errorf("the key file %s: %w", file, err)
		}
		keys = strings.TrimSpace(string(b))
	}
	ring, err := secret.ParseKeys(keys)
	if err != nil {
		return err
	}
	db, n, err := sf.open(ctx, nil, time.Now)
	if err != nil {
		return err
	}
	defer db.Close()
	sayMigrated(env, n)
	if err := checkKeyring(ctx, db, ring); err != nil {
		return err
	}
	return rotate(ctx, db, ring, batch, pause, env.Stdout)
}

// rotate re-seals every stored secret onto ring's primary key, then the
// key-check canary last, so that a canary on the new key means the whole
// rotation finished. Values rewritten by running servers during a pass are
// looked at again in the next; a few passes always suffice unless some
// server still seals with an old key.
func rotate(ctx context.Context, db *store.DB, ring *secret.Keyring, batch int, pause time.Duration, out io.Writer) error {
	primary := ring.PrimaryID()
	svc := portico.NewService(db, &portico.Service{Sealer: ring, Now: time.Now})
	fmt.Fprintf(out, "re-encrypting stored secrets with key %s (keys configured: %s)\n", primary, strings.Join(ring.KeyIDs(), ", "))
	const maxPasses = 5
	var failed []string
	for pass := 1; ; pass++ {
		failed = nil
		for _, kind := range portico.SealedKinds {
			report := func(st portico.ResealStats) {
				fmt.Fprintf(out, "  %s: %d re-encrypted", kind, st.Resealed)
				if st.Changed > 0 {
					fmt.Fprintf(out, ", %d rewritten meanwhile", st.Changed)
				}
				if st.Failed > 0 {
					fmt.Fprintf(out, ", %d unreadable", st.Failed)
				}
				fmt.Fprintln(out)
			}
			last := time.Now()
			st, err := svc.Reseal(ctx, kind, primary, batch, func(st portico.ResealStats) {
				// Progress at most once a second: millions of rows make
				// tens of thousands of batches.
				if time.Since(last) >= time.Second {
					report(st)
					last = time.Now()
				}
				if pause > 0 {
					select {
					case <-ctx.Done():
					case <-time.After(pause):
					}
				}
			})
			if err != nil {
				if ctx.Err() != nil {
					return fmt.Errorf("interrupted while re-encrypting %s: what was re-encrypted stays so; run the command again to finish", kind)
				}
				return fmt.Errorf("re-encrypt %s: %w", kind, err)
			}
			report(st)
			for _, id := range st.FailedIDs {
				failed = append(failed, string(kind)+" "+id)
			}
			if st.Failed > len(st.FailedIDs) {
				failed = append(failed, fmt.Sprintf("%d more %s values", st.Failed-len(st.FailedIDs), kind))
			}
		}
		if len(failed) > 0 {
			return fmt.Errorf("some stored secrets cannot be decrypted with the configured keys and were left as they are: %s", strings.Join(failed, ", "))
		}
		left := 0
		for _, kind := range portico.SealedKinds {
			vals, err := db.ListSealed(ctx, kind, primary, nil, 1)
			if err != nil {
				return err
			}
			left += len(vals)
		}
		if left == 0 {
			break
		}
		if pass == maxPasses {
			return fmt.Errorf("after %d passes secrets are still being written with another key than %s: is a server running without it as its first key?", pass, primary)
		}
		fmt.Fprintf(out, "pass %d done; servers rewrote some secrets meanwhile, going over them again\n", pass)
	}
	if err := resealCanary(ctx, db, ring); err != nil {
		return err
	}
	if len(ring.KeyIDs()) == 1 {
		fmt.Fprintf(out, "done: every stored secret is encrypted with key %s\n", primary)
		return nil
	}
	fmt.Fprintf(out, "done: every stored secret is encrypted with key %s; once every server runs with it first, the other keys can be removed\n", primary)
	return nil
}

// resealCanary moves the key-check canary to the primary key.
func resealCanary(ctx context.Context, db *store.DB, ring *secret.Keyring) error {
	stored, ok, err := db.Meta(ctx, keyCheckMeta)
	if err != nil || !ok {
		return err
	}
	if id, _ := secret.SealedKeyID(stored); id == ring.PrimaryID() {
		return nil
	}
	plain, err := ring.Open(stored, keyCheckAAD)
	if err != nil {
		return errors.New("the key-check value cannot be decrypted with the configured keys")
	}
	canary, err := ring.Seal(plain, keyCheckAAD)
	if err != nil {
		return err
	}
	if _, err := db.CompareAndSwapMeta(ctx, keyCheckMeta, stored, canary); err != nil {
		return err
	}
	return nil
}
