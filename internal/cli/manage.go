package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/porticohq/portico/internal/portico"
	"github.com/porticohq/portico/internal/store"
)

func runMigrate(ctx context.Context, env *Env, args []string) error {
	var sf storeFlags
	fs := newFlags(env, "migrate", "migrate [--database-url URL | --data-dir DIR]")
	sf.register(fs, false)
	if err := parse(fs, args); err != nil {
		return err
	}
	if _, err := sf.locate(false); err != nil {
		return err
	}
	db, err := store.Open(ctx, store.Config{DatabaseURL: sf.DatabaseURL, DataDir: sf.DataDir})
	if err != nil {
		return sf.cannotOpen(err)
	}
	defer db.Close()
	n, err := db.Migrate(ctx)
	if errors.Is(err, portico.ErrStoreUnavailable) {
		return sf.cannotOpen(err)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "applied %d migration(s); the schema is up to date\n", n)
	if u := db.UnknownMigrations(); len(u) > 0 {
		fmt.Fprintf(env.Stderr, "warning: the store also has migration(s) %v, applied by a newer portico; this one runs on that schema as the previous release does, but there is no downgrade (docs/operations.md)\n", u)
	}
	return nil
}

// manage opens the service of a management command on the store the
// flags name, an existing one unless create (newDir: see locate).
// Management commands need no encryption key: they neither seal nor open.
func manage(ctx context.Context, env *Env, sf *storeFlags, create bool) (svc *portico.Service, newDir string, done func(), err error) {
	if newDir, err = sf.locate(create); err != nil {
		return nil, "", nil, err
	}
	db, n, err := sf.open(ctx, nil, time.Now)
	if err != nil {
		return nil, "", nil, err
	}
	if newDir == "" {
		sayMigrated(env, n)
	}
	return portico.NewService(db, &portico.Service{Now: time.Now}), newDir, func() { db.Close() }, nil
}

// sayMigrated tells, on standard error, that a management command brought
// an existing store up to this binary's schema on the way: the servers on
// it may still run the previous release (docs/operations.md, "Upgrades").
func sayMigrated(env *Env, n int) {
	if n > 0 {
		fmt.Fprintf(env.Stderr, "migrated the store's schema: %d migration(s) applied (with PostgreSQL, --no-migrate refuses instead)\n", n)
	}
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// printList prints what a list command found: with --json an array of
// the objects of the items, else a table under header (columns separated
// by tabs), a row per item.
func printList[T any](w io.Writer, asJSON bool, items []T, object func(*T) any, header string, row func(*T) string) error {
	if asJSON {
		out := make([]any, len(items))
		for i := range items {
			out[i] = object(&items[i])
		}
		return printJSON(w, out)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, header)
	for i := range items {
		fmt.Fprintln(tw, row(&items[i]))
	}
	return tw.Flush()
}

func runAppCreate(ctx context.Context, env *Env, args []string) error {
	var (
		sf     storeFlags
		name   string
		asJSON bool
	)
	fs := newFlags(env, "app create", "app create --name NAME [--json]\n\n"+
		"Creates an app and its first API key, which is shown only this once. With SQLite,\n"+
		"it creates the store in the data dir if there is none yet, and says so on\n"+
		"standard error: the one management command that may.")
	sf.register(fs, true)
	fs.StringVar(&name, "name", "", "the app's name (required)")
	fs.BoolVar(&asJSON, "json", false, "print the result as JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	if name == "" {
		return misuse(fs, "--name is required")
	}
	// The one management command that may create a store: an app is the
	// first thing a new deployment needs.
	svc, newDir, done, err := manage(ctx, env, &sf, true)
	if err != nil {
		return err
	}
	defer done()
	if newDir != "" {
		fmt.Fprintf(env.Stderr, "created a new store in %s\n", newDir)
	}
	app, key, err := svc.CreateApp(ctx, name)
	if err != nil {
		return err
	}
	if asJSON {
		return printJSON(env.Stdout, map[string]string{"app_id": app.ID, "api_key": key, "client_id": app.ID, "client_secret": key})
	}
	if _, err := fmt.Fprintf(env.Stdout, "app_id:  %s\napi_key: %s\n\nThe API key is shown only now: store it in your backend's secrets.\n", app.ID, key); err != nil {
		return fmt.Errorf("app %s was created, but its API key could not be written (%w): create one with 'portico key create --app %s'", app.ID, err, app.ID)
	}
	return nil
}

func runAppList(ctx context.Context, env *Env, args []string) error {
	var (
		sf     storeFlags
		asJSON bool
	)
	fs := newFlags(env, "app list", "app list [--json]")
	sf.register(fs, true)
	fs.BoolVar(&asJSON, "json", false, "print the result as JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	svc, _, done, err := manage(ctx, env, &sf, false)
	if err != nil {
		return err
	}
	defer done()
	apps, err := svc.ListApps(ctx)
	if err != nil {
		return err
	}
	return printList(env.Stdout, asJSON, apps, func(a *portico.App) any { return appJSON(a) }, "APP ID\tNAME\tCREATED",
		func(a *portico.App) string { return a.ID + "\t" + a.Name + "\t" + a.CreatedAt.Format(time.RFC3339) })
}

func appJSON(a *portico.App) map[string]string {
	return map[string]string{"app_id": a.ID, "name": a.Name, "created_at": a.CreatedAt.Format(time.RFC3339)}
}

// appNotFound explains an unknown --app.
func appNotFound(err error, appID string) error {
	if portico.ErrorCode(err) == portico.CodeNotFound {
		return fmt.Errorf("there is no app %s in this store ('portico app list' lists them)", appID)
	}
	return err
}

// appFlags are the flags of a command that acts on one app: --app,
// --json and the store flags.
type appFlags struct {
	sf     storeFlags
	appID  string
	asJSON bool
}

func newAppFlags(env *Env, name, synopsis string) (*flagSet, *appFlags) {
	var af appFlags
	fs := newFlags(env, name, synopsis)
	af.sf.register(fs, true)
	fs.StringVar(&af.appID, "app", "", "the app's id (required)")
	fs.BoolVar(&af.asJSON, "json", false, "print the result as JSON")
	return fs, &af
}

// open checks --app and opens the service.
func (af *appFlags) open(ctx context.Context, fs *flagSet) (*portico.Service, func(), error) {
	if af.appID == "" {
		return nil, nil, misuse(fs, "--app is required")
	}
	svc, _, done, err := manage(ctx, fs.env, &af.sf, false)
	return svc, done, err
}

// appCommand parses the flags of a command that has no others and opens
// its service.
func appCommand(ctx context.Context, env *Env, name, synopsis string, args []string) (*portico.Service, *appFlags, func(), error) {
	fs, af := newAppFlags(env, name, synopsis)
	if err := parse(fs, args); err != nil {
		return nil, nil, nil, err
	}
	svc, done, err := af.open(ctx, fs)
	return svc, af, done, err
}

func runAppRename(ctx context.Context, env *Env, args []string) error {
	var name string
	fs, af := newAppFlags(env, "app rename", "app rename --app APP_ID --name NAME [--json]")
	fs.StringVar(&name, "name", "", "the app's new name (required)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if af.appID != "" && name == "" {
		return misuse(fs, "--name is required")
	}
	svc, done, err := af.open(ctx, fs)
	if err != nil {
		return err
	}
	defer done()
	app, err := svc.RenameApp(ctx, af.appID, name)
	if err != nil {
		return appNotFound(err, af.appID)
	}
	if af.asJSON {
		return printJSON(env.Stdout, appJSON(app))
	}
	fmt.Fprintf(env.Stdout, "renamed %s to %q\n", app.ID, app.Name)
	return nil
}

const appDeleteUsage = `app delete --app APP_ID --yes [--batch N] [--pause D] [--json]

Erases the app and everything it holds: its API keys (first, so that its API
stops answering at once), sessions, users, accounts, integrations,
connections with their credentials, and webhook events. There is no undo.
Without --yes it erases nothing, says what it would erase and exits 1; with
--json it also prints that on standard output ("deleted": false,
"would_erase"). It deletes in small transactions, so servers on the same
store keep serving meanwhile; if interrupted, run it again.`

// Bounds of --batch.
const maxDeleteBatch = 10000

func runAppDelete(ctx context.Context, env *Env, args []string) error {
	var (
		yes   bool
		batch int
		pause time.Duration
	)
	fs, af := newAppFlags(env, "app delete", appDeleteUsage)
	fs.confirm(&yes, "yes", "erase: without it nothing is erased")
	fs.IntVar(&batch, "batch", purgeBatch, "rows deleted per transaction")
	fs.DurationVar(&pause, "pause", 10*time.Millisecond, "pause between transactions, to leave the database to the servers")
	if err := parse(fs, args); err != nil {
		return err
	}
	if batch < 1 || batch > maxDeleteBatch {
		return fs.misuse(fmt.Sprintf("--batch must be between 1 and %d", maxDeleteBatch))
	}
	if pause < 0 {
		return fs.misuse("--pause must not be negative")
	}
	svc, done, err := af.open(ctx, fs)
	if err != nil {
		return err
	}
	defer done()
	app, err := svc.FindApp(ctx, af.appID)
	if err != nil {
		return appNotFound(err, af.appID)
	}
	if !yes {
		rows, err := svc.CountAppRows(ctx, app.ID)
		if err != nil {
			return appNotFound(err, app.ID)
		}
		// Nothing erased is not what the command is for: it fails (exit
		// 1) either way, and with --json says what it would erase on
		// standard output too, for a script to read.
		if af.asJSON {
			if err := printJSON(env.Stdout, map[string]any{"app_id": app.ID, "name": app.Name, "deleted": false, "would_erase": rows}); err != nil {
				return err
			}
		}
		return fmt.Errorf("this would erase app %s (%q) and all it holds: %s. Nothing was erased; run again with --yes to erase it",
			app.ID, app.Name, describeRows(rows))
	}
	erased, err := svc.DeleteApp(ctx, app.ID, batch, func(portico.AppRows) {
		if pause > 0 {
			select {
			case <-ctx.Done():
			case <-time.After(pause):
			}
		}
	})
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("interrupted after erasing %s; the app is still there: run the command again to finish", describeRows(erased))
		}
		return appNotFound(err, app.ID)
	}
	if af.asJSON {
		return printJSON(env.Stdout, map[string]any{"app_id": app.ID, "name": app.Name, "deleted": true, "erased": erased})
	}
	fmt.Fprintf(env.Stdout, "deleted app %s (%q): %s\n", app.ID, app.Name, describeRows(erased))
	return nil
}

// describeRows says what an app holds, in words.
func describeRows(r portico.AppRows) string {
	parts := []string{
		plural(r.Users, "user"), plural(r.Sessions, "session"), plural(r.Connections, "connection"),
		plural(r.Integrations, "integration"), plural(r.APIKeys, "API key"), plural(r.Accounts, "account"),
		plural(r.Memberships, "account membership"), plural(r.WebhookEvents, "webhook event"),
		plural(r.Activity, "activity row"),
	}
	return strings.Join(parts, ", ")
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func runKeyCreate(ctx context.Context, env *Env, args []string) error {
	var perms string
	fs, af := newAppFlags(env, "key create", "key create --app APP_ID [--permissions LIST] [--json]")
	fs.StringVar(&perms, "permissions", portico.PermissionAll, "comma-separated: "+strings.Join(portico.Permissions, ", ")+
		" (all: every endpoint; read: GET endpoints; sessions: users, sessions and configuration links; perform: tools and perform;"+
		" mcp:act_as_user: the MCP server for any user, never implied; docs/identity.md)")
	if err := parse(fs, args); err != nil {
		return err
	}
	list := strings.Split(perms, ",")
	for i := range list {
		list[i] = strings.TrimSpace(list[i])
	}
	if _, err := portico.NormalizePermissions(list); err != nil {
		fmt.Fprintf(env.Stderr, "--permissions: %s\n", portico.AsError(err).Message)
		return errUsage
	}
	svc, done, err := af.open(ctx, fs)
	if err != nil {
		return err
	}
	defer done()
	key, raw, err := svc.CreateAPIKey(ctx, af.appID, list)
	if err != nil {
		return appNotFound(err, af.appID)
	}
	if af.asJSON {
		return printJSON(env.Stdout, map[string]any{"key_id": key.ID, "api_key": raw, "permissions": key.Permissions})
	}
	if _, err := fmt.Fprintf(env.Stdout, "key_id:      %s\napi_key:     %s\npermissions: %s\n\nThe API key is shown only now.\n", key.ID, raw, strings.Join(key.Permissions, ",")); err != nil {
		return fmt.Errorf("API key %s was created, but could not be written (%w): revoke it with 'portico key revoke %s' and create another", key.ID, err, key.ID)
	}
	return nil
}

func runKeyList(ctx context.Context, env *Env, args []string) error {
	svc, af, done, err := appCommand(ctx, env, "key list", "key list --app APP_ID [--json]", args)
	if err != nil {
		return err
	}
	defer done()
	keys, err := svc.ListAPIKeys(ctx, af.appID)
	if err != nil {
		return appNotFound(err, af.appID)
	}
	revokedAt := func(k *portico.APIKey) any {
		if k.RevokedAt == nil {
			return nil
		}
		return k.RevokedAt.Format(time.RFC3339)
	}
	return printList(env.Stdout, af.asJSON, keys, func(k *portico.APIKey) any {
		return map[string]any{"key_id": k.ID, "app_id": k.AppID, "ends_with": k.Hint, "permissions": k.Permissions,
			"created_at": k.CreatedAt.Format(time.RFC3339), "revoked_at": revokedAt(k)}
	}, "KEY ID\tENDS WITH\tPERMISSIONS\tCREATED\tREVOKED", func(k *portico.APIKey) string {
		revoked, _ := revokedAt(k).(string)
		if revoked == "" {
			revoked = "-"
		}
		return strings.Join([]string{k.ID, "…" + k.Hint, strings.Join(k.Permissions, ","), k.CreatedAt.Format(time.RFC3339), revoked}, "\t")
	})
}

func runKeyRevoke(ctx context.Context, env *Env, args []string) error {
	var af appFlags
	fs := newFlags(env, "key revoke", "key revoke [--app APP_ID] KEY_ID")
	af.sf.register(fs, true)
	fs.StringVar(&af.appID, "app", "", "the id of the app the key belongs to (default: the app that holds KEY_ID)")
	ids, err := parsePositional(fs, args)
	if err != nil {
		return err
	}
	if len(ids) != 1 {
		return misuse(fs, "exactly one key id is required")
	}
	if strings.HasPrefix(ids[0], portico.PrefixAPIKeySecret) {
		// The secret itself, pasted by mistake: not echoed back.
		return misuse(fs, "that is an API key's secret (pk_…), not its id; 'portico key list --app APP_ID' shows the ids (key_…)")
	}
	svc, _, done, err := manage(ctx, fs.env, &af.sf, false)
	if err != nil {
		return err
	}
	defer done()
	if af.appID == "" {
		if af.appID, err = appOfKey(ctx, svc, ids[0]); err != nil {
			return err
		}
	} else if _, err := svc.FindApp(ctx, af.appID); err != nil {
		return appNotFound(err, af.appID)
	}
	if err := svc.RevokeAPIKey(ctx, af.appID, ids[0]); err != nil {
		if portico.ErrorCode(err) != portico.CodeNotFound {
			return err
		}
		return whyNotRevoked(ctx, svc, af.appID, ids[0])
	}
	fmt.Fprintf(env.Stdout, "revoked %s\n", ids[0])
	return nil
}

// whyNotRevoked explains a key the app has no live key of: revoked before,
// another app's, or none at all.
func whyNotRevoked(ctx context.Context, svc *portico.Service, appID, keyID string) error {
	keys, err := svc.ListAPIKeys(ctx, appID)
	if err != nil {
		return err
	}
	for _, k := range keys {
		if k.ID == keyID && k.RevokedAt != nil {
			return fmt.Errorf("API key %s was already revoked, at %s", keyID, k.RevokedAt.UTC().Format(time.RFC3339))
		}
	}
	owner, err := appOfKey(ctx, svc, keyID)
	if err != nil {
		return err
	}
	return fmt.Errorf("API key %s belongs to app %s, not to %s", keyID, owner, appID)
}

// appOfKey finds the app that holds an API key, looking through each app's
// keys: key ids are unique in a store, and an operator revoking one need
// not know its app.
func appOfKey(ctx context.Context, svc *portico.Service, keyID string) (string, error) {
	apps, err := svc.ListApps(ctx)
	if err != nil {
		return "", err
	}
	for _, a := range apps {
		keys, err := svc.ListAPIKeys(ctx, a.ID)
		if err != nil {
			return "", err
		}
		for _, k := range keys {
			if k.ID == keyID {
				return a.ID, nil
			}
		}
	}
	return "", fmt.Errorf("there is no API key %s in this store ('portico key list --app APP_ID' lists an app's keys)", keyID)
}
