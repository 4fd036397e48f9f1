package cli

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/porticohq/portico/internal/jsonlog"
	"github.com/porticohq/portico/internal/portico"
	"github.com/porticohq/portico/internal/secret"
	"github.com/porticohq/portico/internal/store"
)

// storeFlags select the store; every command that touches data has them.
type storeFlags struct {
	DataDir     string
	DatabaseURL string
	NoMigrate   bool
}

// register adds the flags that find the store, and --no-migrate for
// commands that migrate the schema on the way.
func (f *storeFlags) register(fs *flagSet, migrates bool) {
	fs.StringVar(&f.DataDir, "data-dir", "./portico-data", "directory of the SQLite database and the generated encryption key")
	fs.StringVar(&f.DatabaseURL, "database-url", "", "postgres://… to use PostgreSQL; empty for SQLite in the data dir")
	if migrates {
		fs.BoolVar(&f.NoMigrate, "no-migrate", false, "do not migrate a PostgreSQL schema that is behind this binary: refuse it")
	}
}

func (f *storeFlags) validate() error {
	if f.DatabaseURL != "" && !store.IsPostgres(f.DatabaseURL) {
		return fmt.Errorf("--database-url must start with postgres:// or postgresql://")
	}
	if f.DatabaseURL == "" && f.DataDir == "" {
		return fmt.Errorf("--data-dir is required with SQLite")
	}
	return nil
}

// locate checks the store flags (validate), then finds a SQLite store
// before it is opened, which would create it. Unless create, a data dir without a database is refused: a command run
// in the wrong directory must not start a second, empty store. With
// create, newDir is the absolute data dir when the store is about to be
// created (the caller says so); it is "" when the store exists, and with
// PostgreSQL.
func (f *storeFlags) locate(create bool) (newDir string, err error) {
	if err := f.validate(); err != nil {
		return "", err
	}
	if f.DatabaseURL != "" {
		return "", nil
	}
	dir, err := filepath.Abs(f.DataDir)
	if err != nil {
		return "", err
	}
	_, err = os.Stat(filepath.Join(dir, store.SQLiteFile))
	switch {
	case err == nil:
		return "", nil
	case !errors.Is(err, os.ErrNotExist):
		return "", err
	case create:
		return dir, nil
	}
	return "", fmt.Errorf("no Portico store in %s (there is no %s): run the command in the directory 'portico serve' runs in, "+
		"or point it at the store with --data-dir DIR (or PORTICO_DATA_DIR), or at PostgreSQL with --database-url (or PORTICO_DATABASE_URL)",
		dir, store.SQLiteFile)
}

// cannotOpen says, for an operator, which store could not be opened and
// why: not the API's "try again shortly", which a file that is not a
// database or a directory that cannot be written never deserves.
func (f *storeFlags) cannotOpen(err error) error {
	where := "the PostgreSQL database"
	if f.DatabaseURL == "" {
		where = filepath.Join(f.DataDir, store.SQLiteFile)
	}
	var pe *portico.Error
	if errors.As(err, &pe) && pe.Err != nil {
		err = pe.Err
	}
	return fmt.Errorf("cannot open %s: %w", where, err)
}

// open opens the store and brings its schema up to date: SQLite always, a
// PostgreSQL schema unless --no-migrate, in which case a schema that is
// behind is refused. It returns how many migrations it applied.
func (f *storeFlags) open(ctx context.Context, log *slog.Logger, clock portico.Clock) (*store.DB, int, error) {
	db, err := store.Open(ctx, store.Config{DatabaseURL: f.DatabaseURL, DataDir: f.DataDir, Clock: clock, Logger: log})
	if err != nil {
		return nil, 0, f.cannotOpen(err)
	}
	if db.Postgres() && f.NoMigrate {
		n, err := db.Pending(ctx)
		if err != nil {
			db.Close()
			return nil, 0, err
		}
		if n > 0 {
			db.Close()
			return nil, 0, fmt.Errorf("the PostgreSQL schema is %d migration(s) behind this binary; run 'portico migrate' first", n)
		}
		return db, 0, nil
	}
	n, err := db.Migrate(ctx)
	if err != nil {
		db.Close()
		return nil, 0, fmt.Errorf("migrate: %w", err)
	}
	if n > 0 && log != nil {
		log.Info("migrated", slog.Int("applied", n))
	}
	if u := db.UnknownMigrations(); len(u) > 0 && log != nil {
		log.Warn("schema_newer_than_binary", slog.Any("migrations", u))
	}
	return db, n, nil
}

// loadKeyring returns the key ring from PORTICO_ENCRYPTION_KEY, or, with SQLite,
// from the data dir's key file (generated on first start). PostgreSQL
// deployments must give a key (errNoPostgresKey, checked before the
// store is opened).
func loadKeyring(ctx context.Context, db *store.DB, f *storeFlags, keys string, log *slog.Logger) (*secret.Keyring, error) {
	if keys == "" {
		// A key is generated only for a store that has sealed nothing yet:
		// for one that has, a new key could open none of it, and the
		// missing file is what needs saying.
		path := filepath.Join(f.DataDir, secret.KeyFileName)
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			if _, sealed, err := db.Meta(ctx, keyCheckMeta); err != nil {
				return nil, err
			} else if sealed {
				return nil, fmt.Errorf("the store in %s holds encrypted data, but its key file %s is missing: restore the file from where you keep it, or set PORTICO_ENCRYPTION_KEY (or PORTICO_ENCRYPTION_KEY_FILE)", f.DataDir, path)
			}
		}
		k, created, err := secret.LoadOrCreateKeyFile(f.DataDir)
		if err != nil {
			return nil, err
		}
		file := path
		if abs, err := filepath.Abs(path); err == nil {
			file = abs
		}
		if created {
			log.Info("generated_encryption_key", slog.String("file", file))
		} else if st, err := os.Stat(path); err == nil && st.Mode().Perm()&0o077 != 0 {
			// Anyone who reads the key reads every stored credential.
			log.Warn("encryption_key_file_readable_by_others", slog.String("file", file), slog.String("mode", st.Mode().Perm().String()))
		}
		ring, err := secret.ParseKeys(k)
		if err != nil {
			return nil, fmt.Errorf("the key file %s: %w", path, err)
		}
		return ring, nil
	}
	return secret.ParseKeys(keys)
}

// errNoPostgresKey: PostgreSQL deployments give their key; nodes cannot
// share a generated file.
var errNoPostgresKey = errors.New("an encryption key is required with PostgreSQL: set PORTICO_ENCRYPTION_KEY (or PORTICO_ENCRYPTION_KEY_FILE) to the base64 of 32 random bytes, e.g. from 'openssl rand -base64 32'")

// keyCheckAAD binds the canary ciphertext that proves the configured key can
// decrypt the data already stored.
const keyCheckAAD = "portico:key-check"

// checkKeyring refuses a key ring that cannot open the canary sealed by the
// deployment's first start (any key of the ring may open it: during a
// rotation the canary is still on the old key), or that lacks a key some
// stored secret is sealed with.
func checkKeyring(ctx context.Context, db *store.DB, ring *secret.Keyring) error {
	canary, err := ring.Seal([]byte("portico"), keyCheckAAD)
	if err != nil {
		return err
	}
	stored, err := db.SetMetaIfAbsent(ctx, keyCheckMeta, canary)
	if err != nil {
		return err
	}
	if _, err := ring.Open(stored, keyCheckAAD); err != nil {
		id, _ := secret.SealedKeyID(stored)
		return fmt.Errorf("the encryption key cannot decrypt the data already stored (it was sealed with key id %s; the configured keys are %s): configure the key with id %s", id, strings.Join(ring.KeyIDs(), ", "), id)
	}
	ids, err := db.SealedKeyIDs(ctx)
	if err != nil {
		return err
	}
	var missing []string
	for _, id := range ids {
		if !ring.Has(id) {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("the encryption keys cannot decrypt the data already stored: some secrets are sealed with key id(s) %s, and the configured keys are %s; "+
			"configure those keys too (PORTICO_ENCRYPTION_KEY=\"new,old\"), and drop a key only after 'portico encryption rotate' finished", strings.Join(missing, ", "), strings.Join(ring.KeyIDs(), ", "))
	}
	return nil
}

// keyCheckMeta is the meta key of the canary.
const keyCheckMeta = "key_check"

// metaKey returns a deployment-wide random key (page tokens, page cookies),
// creating it once so that every node shares it.
func metaKey(ctx context.Context, db *store.DB, name string) ([]byte, error) {
	k, err := db.SetMetaIfAbsent(ctx, name, secret.NewKey())
	if err != nil {
		return nil, err
	}
	return base64.StdEncoding.DecodeString(k)
}

// newLogger logs to w: text on a terminal, JSON otherwise, unless format
// says which. A file is written through a lineBatcher, which the returned
// closer flushes; other writers (tests' buffers) are written directly.
func newLogger(w io.Writer, format, level string) (*slog.Logger, io.Closer, error) {
	lv, err := logOptions(format, level)
	if err != nil {
		return nil, nil, err
	}
	f, isFile := w.(*os.File)
	if format == "auto" || format == "" {
		format = "json"
		if isFile && isTerminal(f) {
			format = "text"
		}
	}
	closer := io.Closer(nopCloser{})
	if isFile {
		b := newLineBatcher(f)
		w, closer = b, b
	}
	opts := &slog.HandlerOptions{Level: lv}
	if format == "text" {
		return slog.New(slog.NewTextHandler(w, opts)), closer, nil
	}
	return slog.New(jsonlog.New(w, opts)), closer, nil
}

// logOptions checks --log-format and returns the level --log-level names.
func logOptions(format, level string) (slog.Level, error) {
	var lv slog.Level
	if level == "" {
		level = "info"
	}
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return lv, fmt.Errorf("--log-level must be debug, info, warn or error, not %q", level)
	}
	switch format {
	case "auto", "", "json", "text":
		return lv, nil
	}
	return lv, fmt.Errorf("--log-format must be auto, json or text, not %q", format)
}

type nopCloser struct{}

func (nopCloser) Close() error { return nil }

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
