package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"runtime/debug"
	"text/tabwriter"
	"time"

	"github.com/porticohq/portico/internal/portico"
	"github.com/porticohq/portico/internal/store"
)

func init() {
	register("migrate", "apply database migrations and exit", runMigrate)
	register("app create", "create an app and its first API key", runAppCreate)
	register("app list", "list apps", runAppList)
	register("key create", "create an API key for an app", runKeyCreate)
	register("key list", "list an app's API keys (never their secrets)", runKeyList)
	register("key revoke", "revoke an API key: portico key revoke KEY_ID", runKeyRevoke)
	register("version", "print the version", runVersion)
}

// Version is the release version, set at build time with
// -ldflags "-X github.com/porticohq/portico/internal/cli.Version=v1.2.3".
var Version = ""

func version() string {
	if Version != "" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

func runVersion(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "version", "version")
	if err := parse(fs, env, args); err != nil {
		return err
	}
	fmt.Fprintln(env.Stdout, "portico", version())
	return nil
}

func runMigrate(ctx context.Context, env *Env, args []string) error {
	var sf storeFlags
	fs := newFlags(env, "migrate", "migrate [--database-url URL | --data-dir DIR]")
	sf.register(fs)
	if err := parse(fs, env, args); err != nil {
		return err
	}
	if err := sf.validate(); err != nil {
		return err
	}
	db, err := store.Open(ctx, store.Config{DatabaseURL: sf.DatabaseURL, DataDir: sf.DataDir})
	if err != nil {
		return err
	}
	defer db.Close()
	n, err := db.Migrate(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "applied %d migration(s); the schema is up to date\n", n)
	return nil
}

// manage parses the flags of a management command and opens its service.
// Management commands need no encryption key: they neither seal nor open.
func manage(ctx context.Context, sf *storeFlags) (*portico.Service, func(), error) {
	if err := sf.validate(); err != nil {
		return nil, nil, err
	}
	db, err := sf.open(ctx, nil, time.Now)
	if err != nil {
		return nil, nil, err
	}
	return &portico.Service{Store: db, Now: time.Now}, func() { db.Close() }, nil
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func runAppCreate(ctx context.Context, env *Env, args []string) error {
	var (
		sf     storeFlags
		name   string
		asJSON bool
	)
	fs := newFlags(env, "app create", "app create --name NAME [--json]")
	sf.register(fs)
	fs.StringVar(&name, "name", "", "the app's name (required)")
	fs.BoolVar(&asJSON, "json", false, "print the result as JSON")
	if err := parse(fs, env, args); err != nil {
		return err
	}
	if name == "" {
		fmt.Fprintln(env.Stderr, "--name is required")
		fs.Usage()
		return errUsage
	}
	svc, done, err := manage(ctx, &sf)
	if err != nil {
		return err
	}
	defer done()
	app, key, err := svc.CreateApp(ctx, name)
	if err != nil {
		return err
	}
	if asJSON {
		return printJSON(env.Stdout, map[string]string{"app_id": app.ID, "api_key": key, "client_id": app.ID, "client_secret": key})
	}
	fmt.Fprintf(env.Stdout, "app_id:  %s\napi_key: %s\n\nThe API key is shown only now: store it in your backend's secrets.\n", app.ID, key)
	return nil
}

func runAppList(ctx context.Context, env *Env, args []string) error {
	var (
		sf     storeFlags
		asJSON bool
	)
	fs := newFlags(env, "app list", "app list [--json]")
	sf.register(fs)
	fs.BoolVar(&asJSON, "json", false, "print the result as JSON")
	if err := parse(fs, env, args); err != nil {
		return err
	}
	svc, done, err := manage(ctx, &sf)
	if err != nil {
		return err
	}
	defer done()
	apps, err := svc.Store.ListApps(ctx)
	if err != nil {
		return err
	}
	if asJSON {
		out := []map[string]string{}
		for _, a := range apps {
			out = append(out, map[string]string{"app_id": a.ID, "name": a.Name, "created_at": a.CreatedAt.Format(time.RFC3339)})
		}
		return printJSON(env.Stdout, out)
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "APP ID\tNAME\tCREATED")
	for _, a := range apps {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", a.ID, a.Name, a.CreatedAt.Format(time.RFC3339))
	}
	return tw.Flush()
}

// appCommand parses the flags of a command that acts on one app (--app,
// --json and the store flags) and opens its service.
func appCommand(ctx context.Context, env *Env, name string, args []string) (svc *portico.Service, appID string, asJSON bool, done func(), err error) {
	var sf storeFlags
	fs := newFlags(env, name, name+" --app APP_ID [--json]")
	sf.register(fs)
	fs.StringVar(&appID, "app", "", "the app's id (required)")
	fs.BoolVar(&asJSON, "json", false, "print the result as JSON")
	if err := parse(fs, env, args); err != nil {
		return nil, "", false, nil, err
	}
	if appID == "" {
		fmt.Fprintln(env.Stderr, "--app is required")
		fs.Usage()
		return nil, "", false, nil, errUsage
	}
	svc, done, err = manage(ctx, &sf)
	return svc, appID, asJSON, done, err
}

func runKeyCreate(ctx context.Context, env *Env, args []string) error {
	svc, appID, asJSON, done, err := appCommand(ctx, env, "key create", args)
	if err != nil {
		return err
	}
	defer done()
	key, raw, err := svc.CreateAPIKey(ctx, appID)
	if err != nil {
		return err
	}
	if asJSON {
		return printJSON(env.Stdout, map[string]string{"key_id": key.ID, "api_key": raw})
	}
	fmt.Fprintf(env.Stdout, "key_id:  %s\napi_key: %s\n\nThe API key is shown only now.\n", key.ID, raw)
	return nil
}

func runKeyList(ctx context.Context, env *Env, args []string) error {
	svc, appID, asJSON, done, err := appCommand(ctx, env, "key list", args)
	if err != nil {
		return err
	}
	defer done()
	if _, err := svc.Store.FindAppByID(ctx, appID); err != nil {
		return err
	}
	keys, err := svc.Store.ListAPIKeys(ctx, appID)
	if err != nil {
		return err
	}
	if asJSON {
		out := []map[string]any{}
		for _, k := range keys {
			m := map[string]any{"key_id": k.ID, "app_id": k.AppID, "ends_with": k.Hint, "created_at": k.CreatedAt.Format(time.RFC3339), "revoked_at": nil}
			if k.RevokedAt != nil {
				m["revoked_at"] = k.RevokedAt.Format(time.RFC3339)
			}
			out = append(out, m)
		}
		return printJSON(env.Stdout, out)
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KEY ID\tENDS WITH\tCREATED\tREVOKED")
	for _, k := range keys {
		revoked := "-"
		if k.RevokedAt != nil {
			revoked = k.RevokedAt.Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t…%s\t%s\t%s\n", k.ID, k.Hint, k.CreatedAt.Format(time.RFC3339), revoked)
	}
	return tw.Flush()
}

func runKeyRevoke(ctx context.Context, env *Env, args []string) error {
	var sf storeFlags
	fs := newFlags(env, "key revoke", "key revoke KEY_ID")
	sf.register(fs)
	ids, err := parsePositional(fs, env, args)
	if err != nil {
		return err
	}
	if len(ids) != 1 {
		fmt.Fprintln(env.Stderr, "exactly one key id is required")
		fs.Usage()
		return errUsage
	}
	svc, done, err := manage(ctx, &sf)
	if err != nil {
		return err
	}
	defer done()
	if err := svc.Store.RevokeAPIKey(ctx, ids[0]); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "revoked %s\n", ids[0])
	return nil
}
