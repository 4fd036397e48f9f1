package cli_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/porticohq/portico/api"
	"github.com/porticohq/portico/client"
	"github.com/porticohq/portico/internal/cli"
	"github.com/porticohq/portico/internal/store/storetest"
)

// runCLI runs a command with the given PORTICO_ variables and returns its
// exit code, standard output and standard error.
func runCLI(t *testing.T, vars map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	env := &cli.Env{Stdout: &out, Stderr: &errOut, Getenv: func(k string) string { return vars[k] }}
	code := cli.RunEnv(context.Background(), args, env)
	return code, out.String(), errOut.String()
}

// TestManagementCommands_RefuseAMissingStore: on a data dir without a
// database every management command refuses, names the directory it looked
// in and how to point it elsewhere, and creates nothing.
func TestManagementCommands_RefuseAMissingStore(t *testing.T) {
	commands := [][]string{
		{"app", "list"},
		{"app", "rename", "--app", "app_x", "--name", "New"},
		{"app", "delete", "--app", "app_x", "--yes"},
		{"key", "create", "--app", "app_x"},
		{"key", "list", "--app", "app_x"},
		{"key", "revoke", "--app", "app_x", "key_x"},
		{"key", "revoke", "key_x"},
		{"migrate"},
		{"encryption", "rotate"},
	}
	root := t.TempDir()
	empty := filepath.Join(root, "empty")
	if err := os.Mkdir(empty, 0o700); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(root, "missing")
	for _, args := range commands {
		name := strings.Join(args[:min(2, len(args))], " ")
		for _, tc := range []struct {
			how  string
			dir  string
			vars map[string]string
			args []string
		}{
			{"--data-dir on an empty dir", empty, nil, []string{"--data-dir", empty}},
			{"--data-dir on a missing dir", missing, nil, []string{"--data-dir", missing}},
			{"PORTICO_DATA_DIR", empty, map[string]string{"PORTICO_DATA_DIR": empty}, nil},
		} {
			t.Run(name+"/"+tc.how, func(t *testing.T) {
				code, out, stderr := runCLI(t, tc.vars, append(slices.Clone(args), tc.args...)...)
				if code != 1 || out != "" {
					t.Fatalf("exit %d, stdout %q, stderr %q; want exit 1 and nothing on stdout", code, out, stderr)
				}
				wantRefusal(t, stderr, tc.dir)
			})
		}
	}
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Fatalf("a refusing command created the data dir: %v", err)
	}
	if entries, err := os.ReadDir(empty); err != nil || len(entries) != 0 {
		t.Fatalf("a refusing command wrote into the data dir: %v %v", entries, err)
	}
}

// wantRefusal checks the message of a refusal to create a store in dir.
func wantRefusal(t *testing.T, stderr, dir string) {
	t.Helper()
	if !filepath.IsAbs(dir) {
		t.Fatalf("the test's dir %s is not absolute", dir)
	}
	for _, want := range []string{"no Portico store in " + dir + " ", "--data-dir", "PORTICO_DATA_DIR", "--database-url"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("the refusal does not say %q: %s", want, stderr)
		}
	}
	if n := strings.Count(strings.TrimSpace(stderr), "\n"); n != 0 {
		t.Errorf("the refusal is %d lines, want one: %s", n+1, stderr)
	}
}

// TestManagementCommands_NameTheAbsoluteDefaultDir: run with the default
// --data-dir (./portico-data), the refusal names it as an absolute path.
func TestManagementCommands_NameTheAbsoluteDefaultDir(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCLI(t, nil, "key", "list", "--app", "app_x")
	if code != 1 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	wantRefusal(t, stderr, filepath.Join(wd, "portico-data"))
}

// TestAppCreate_CreatesAStoreAndSaysSo: app create may start a store, and
// says where in one line; once it exists, it says nothing.
func TestAppCreate_CreatesAStoreAndSaysSo(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "portico-data")
	code, out, stderr := runCLI(t, nil, "app", "create", "--name", "First", "--data-dir", dir)
	if code != 0 || !strings.Contains(out, "app_id:") {
		t.Fatalf("exit %d: %s %s", code, out, stderr)
	}
	if want := "created a new store in " + dir + "\n"; stderr != want {
		t.Fatalf("stderr %q, want %q", stderr, want)
	}
	if _, err := os.Stat(filepath.Join(dir, "portico.db")); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = runCLI(t, nil, "app", "create", "--name", "two\nlines", "--data-dir", dir)
	if code != 1 || !strings.Contains(stderr, "one line of text") {
		t.Fatalf("a name of two lines: exit %d, %q", code, stderr)
	}
	code, _, stderr = runCLI(t, nil, "app", "create", "--name", "Second", "--data-dir", dir)
	if code != 0 || stderr != "" {
		t.Fatalf("second app create: exit %d, stderr %q", code, stderr)
	}
	code, out, stderr = runCLI(t, nil, "app", "list", "--data-dir", dir)
	if code != 0 || !strings.Contains(out, "First") || !strings.Contains(out, "Second") {
		t.Fatalf("app list: exit %d: %s %s", code, out, stderr)
	}
}

// TestServe_SaysWhenItCreatesAStore: serve logs one line when it creates
// the store, and none when the store exists.
func TestServe_SaysWhenItCreatesAStore(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	start := func() []map[string]any { return serveLogs(t, dir, "created_store") }
	if created := start(); len(created) != 1 || created[0]["dir"] != dir {
		t.Fatalf("first start logged %v, want one created_store with dir %s", created, dir)
	}
	if created := start(); len(created) != 0 {
		t.Fatalf("second start logged %v", created)
	}
}

// A key file others may read is said at start: whoever reads it reads every
// stored credential.
func TestServe_WarnsOfAKeyFileOthersMayRead(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	if warned := serveLogs(t, dir, "encryption_key_file_readable_by_others"); len(warned) != 0 {
		t.Fatalf("a generated key file: %v", warned)
	}
	if err := os.Chmod(filepath.Join(dir, "encryption.key"), 0o644); err != nil {
		t.Fatal(err)
	}
	if warned := serveLogs(t, dir, "encryption_key_file_readable_by_others"); len(warned) != 1 || warned[0]["mode"] != "-rw-r--r--" {
		t.Fatalf("a key file of 0644: %v", warned)
	}
}

// serveLogs starts and stops a server on dir and returns its log lines
// whose msg is msg.
func serveLogs(t *testing.T, dir, msg string) []map[string]any {
	t.Helper()
	var logs bytes.Buffer
	var cfg cli.Config
	cfg.DataDir, cfg.Addr, cfg.LogFormat, cfg.ShutdownTimeout, cfg.LogOutput = dir, "127.0.0.1:0", "json", time.Second, &logs
	srv, err := cli.NewServer(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv.Close()
	var found []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if m["msg"] == msg {
			found = append(found, m)
		}
	}
	return found
}

// serveOnly are the flags of serve that no other command has.
var serveOnly = []string{"addr", "public-url", "log-format", "log-level", "rate-limit-key", "rate-limit-key-burst",
	"rate-limit-ip", "rate-limit-ip-burst", "trusted-proxies", "shutdown-timeout", "purge-grace", "purge-interval",
	"refresh-interval", "refresh-window", "allow-private-upstreams", "no-activity-log"}

// TestHelp_ListsEachFlagWithItsVariable: every command's help lists its
// flags, each with its PORTICO_ variable (and _FILE for secrets), and no
// flag of another command; the encryption key appears as an environment
// variable only.
func TestHelp_ListsEachFlagWithItsVariable(t *testing.T) {
	store := []string{"data-dir", "database-url", "no-migrate"}
	want := map[string][]string{
		"serve":             append(slices.Clone(serveOnly), store...),
		"migrate":           {"data-dir", "database-url"},
		"app create":        append([]string{"name", "json"}, store...),
		"app list":          append([]string{"json"}, store...),
		"app rename":        append([]string{"app", "name", "json"}, store...),
		"app delete":        append([]string{"app", "yes", "batch", "pause", "json"}, store...),
		"key create":        append([]string{"app", "permissions", "json"}, store...),
		"key list":          append([]string{"app", "json"}, store...),
		"key revoke":        append([]string{"app"}, store...),
		"encryption rotate": append([]string{"batch", "pause"}, store...),
		"version":           {"json"},
		"health":            {"addr", "url", "timeout"},
	}
	keyEnv := map[string]bool{"serve": true, "encryption rotate": true}

	// Every command portico help lists is here, and only those.
	code, out, _ := runCLI(t, nil, "help")
	if code != 0 {
		t.Fatalf("help: exit %d", code)
	}
	var listed []string
	for _, m := range regexp.MustCompile(`(?m)^  ([a-z]+(?: [a-z]+)?)\s{2,}\S`).FindAllStringSubmatch(out, -1) {
		listed = append(listed, m[1])
	}
	var names []string
	for n := range want {
		names = append(names, n)
	}
	slices.Sort(names)
	if slices.Sort(listed); !slices.Equal(listed, names) {
		t.Fatalf("portico help lists %v, want %v:\n%s", listed, names, out)
	}

	flagLine := regexp.MustCompile(`(?m)^  --([a-z-]+)\b(.*)$`)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			code, out, stderr := runCLI(t, nil, append(strings.Fields(name), "-h")...)
			if code != 0 || stderr != "" || !strings.HasPrefix(out, "Usage: portico "+name) {
				t.Fatalf("exit %d, stderr %q, stdout:\n%s", code, stderr, out)
			}
			var flags []string
			for _, m := range flagLine.FindAllStringSubmatch(out, -1) {
				flags = append(flags, m[1])
				vars := "(PORTICO_" + strings.ToUpper(strings.ReplaceAll(m[1], "-", "_"))
				switch m[1] {
				case "database-url":
					vars += " or PORTICO_DATABASE_URL_FILE)"
				case "yes":
					// A confirmation comes from the command line alone.
					vars = "(flag only"
				}
				if !strings.Contains(m[2], vars) {
					t.Errorf("--%s does not name its variable %s: %s", m[1], vars, m[0])
				}
			}
			wantFlags := slices.Clone(want[name])
			slices.Sort(flags)
			slices.Sort(wantFlags)
			if !slices.Equal(flags, wantFlags) {
				t.Errorf("flags %v, want %v:\n%s", flags, wantFlags, out)
			}
			if name != "serve" {
				for _, f := range serveOnly {
					// health asks a server at the address serve listens on,
					// from the same PORTICO_ADDR.
					if name == "health" && f == "addr" {
						continue
					}
					if strings.Contains(out, "--"+f+" ") {
						t.Errorf("serve's --%s is in the help of %s", f, name)
					}
				}
			}
			if strings.Contains(out, "--encryption-key") {
				t.Errorf("the help offers --encryption-key:\n%s", out)
			}
			if got := strings.Contains(out, "PORTICO_ENCRYPTION_KEY or PORTICO_ENCRYPTION_KEY_FILE"); got != keyEnv[name] {
				t.Errorf("names PORTICO_ENCRYPTION_KEY: %v, want %v:\n%s", got, keyEnv[name], out)
			}
		})
	}
}

// TestHelp_Groups: app, key and encryption list their commands, with -h,
// without a command and through portico help.
func TestHelp_Groups(t *testing.T) {
	groups := map[string][]string{
		"app":        {"app create", "app list", "app rename", "app delete"},
		"key":        {"key create", "key list", "key revoke"},
		"encryption": {"encryption rotate"},
	}
	for group, cmds := range groups {
		for _, tc := range []struct {
			args []string
			code int
		}{
			{[]string{group, "-h"}, 0}, {[]string{group, "--help"}, 0}, {[]string{"help", group}, 0}, {[]string{group}, 2},
		} {
			t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
				code, out, stderr := runCLI(t, nil, tc.args...)
				if code != tc.code || stderr != "" {
					t.Fatalf("exit %d (want %d), stderr %q", code, tc.code, stderr)
				}
				for _, c := range cmds {
					// Each with its one-line summary.
					if !regexp.MustCompile(`(?m)^  ` + c + `\s+\S`).MatchString(out) {
						t.Errorf("%s is not listed with a summary:\n%s", c, out)
					}
				}
				if n := strings.Count(out, "\n  "+group+" "); n != len(cmds) {
					t.Errorf("%d commands listed, want %d:\n%s", n, len(cmds), out)
				}
			})
		}
	}
	code, out, stderr := runCLI(t, nil, "app", "frobnicate")
	if code != 2 || out != "" || !strings.Contains(stderr, `unknown command "app frobnicate"`) || !strings.Contains(stderr, "app delete") {
		t.Fatalf("app frobnicate: exit %d, %q %q", code, out, stderr)
	}
	code, out, _ = runCLI(t, nil, "help", "key", "list")
	if code != 0 || !strings.HasPrefix(out, "Usage: portico key list") {
		t.Fatalf("help key list: exit %d:\n%s", code, out)
	}
}

// TestEncryptionKey_RefusedAsAFlag: the key is read from the environment
// only; the old flag fails with a message that says so, without echoing
// the value, before anything is opened or created.
func TestEncryptionKey_RefusedAsAFlag(t *testing.T) {
	const key = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
	dir := filepath.Join(t.TempDir(), "data")
	for _, args := range [][]string{
		{"serve", "--encryption-key", key},
		{"serve", "--encryption-key=" + key, "--addr", "127.0.0.1:0"},
		{"serve", "-encryption-key", key},
		{"encryption", "rotate", "--encryption-key", key},
	} {
		t.Run(strings.Join(args[:2], " "), func(t *testing.T) {
			code, out, stderr := runCLI(t, nil, append(args, "--data-dir", dir)...)
			if code != 2 || out != "" {
				t.Fatalf("exit %d, stdout %q, stderr %q; want exit 2", code, out, stderr)
			}
			for _, want := range []string{"--encryption-key is not accepted", "PORTICO_ENCRYPTION_KEY", "PORTICO_ENCRYPTION_KEY_FILE"} {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr does not say %q: %s", want, stderr)
				}
			}
			if strings.Contains(stderr, key) {
				t.Errorf("stderr echoes the key: %s", stderr)
			}
		})
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("a refused command created the data dir: %v", err)
	}
}

// runStderr is run that returns the command's standard error too.
func (s *testServer) runStderr(args ...string) (code int, stdout, stderr string) {
	s.t.Helper()
	var out bytes.Buffer
	errOut := s.watch.log("stderr of portico " + strings.Join(args[:min(2, len(args))], " "))
	code = cli.RunEnv(context.Background(), append(args, s.storeArgs()...), cliEnv(&out, errOut))
	return code, out.String(), errOut.String()
}

// appData is what TestAppDeleteAndRename puts in an app through the API.
type appData struct {
	appID, key, token string
	userIDs           []string
}

// fillApp gives an app users, an account, sessions, an integration and
// connections.
func fillApp(t *testing.T, s *testServer, name string) *appData {
	t.Helper()
	ctx := context.Background()
	d := &appData{}
	d.appID, d.key = s.createApp(name)
	c := s.client(d.key)
	if _, err := c.CreateAccount(ctx, api.AccountCreate{ID: "team", Name: "Team"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.PutIntegration(ctx, "stripe", api.IntegrationPut{Template: ptr("stripe")}); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		u, _, err := c.CreateUser(ctx, api.UserCreate{ExternalID: ptr(fmt.Sprintf("u-%d", i)), AccountIDs: []string{"team"}})
		if err != nil {
			t.Fatal(err)
		}
		d.userIDs = append(d.userIDs, u.ID)
		secret := fmt.Sprintf("sk_test_%s_%d_0123456789", name, i)
		s.watch.secret(secret)
		if _, _, err := c.ImportConnection(ctx, u.ID, "stripe", map[string]string{"api_key": secret}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 2 {
		sc, err := c.CreateSession(ctx, api.SessionCreate{User: api.UserCreate{ExternalID: ptr(fmt.Sprintf("u-%d", i))}})
		if err != nil {
			t.Fatal(err)
		}
		s.watch.secret(sc.Token)
		d.token = sc.Token
	}
	s.createKey(d.appID)
	return d
}

// TestAppDeleteAndRename erases one app of two on a running server, on
// every engine: without --yes nothing goes and the command says what
// would; with it the app's key, sessions and data are gone and the other
// app is untouched. Rename changes the name alone.
func TestAppDeleteAndRename(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			ctx := context.Background()
			w := newLeakWatch(t)
			s := startServer(t, w, e, nil)
			a, b := fillApp(t, s, "doomed"), fillApp(t, s, "kept")

			// Without --yes: a refusal that counts, and nothing erased.
			code, out, stderr := s.runStderr("app", "delete", "--app", a.appID)
			if code != 1 || out != "" {
				t.Fatalf("delete without --yes: exit %d, %q", code, out)
			}
			for _, want := range []string{a.appID, "3 users", "2 sessions", "3 connections", "1 integration,", "2 API keys", "1 account,", "activity row", "--yes"} {
				if !strings.Contains(stderr, want) {
					t.Errorf("the refusal does not say %q: %s", want, stderr)
				}
			}
			if _, err := s.client(a.key).GetApp(ctx); err != nil {
				t.Fatalf("the app is gone after a refused delete: %v", err)
			}

			// With --yes, in batches of one row.
			raw := s.mustRun("app", "delete", "--app", a.appID, "--yes", "--json", "--batch", "1", "--pause", "0s")
			var res struct {
				AppID   string         `json:"app_id"`
				Name    string         `json:"name"`
				Deleted bool           `json:"deleted"`
				Erased  map[string]int `json:"erased"`
			}
			if err := json.Unmarshal([]byte(raw), &res); err != nil {
				t.Fatalf("app delete --json: %v: %s", err, raw)
			}
			wantErased := map[string]int{"api_keys": 2, "users": 3, "accounts": 1, "account_memberships": 3, "sessions": 2,
				"integrations": 1, "connections": 3, "webhook_events": 0}
			// The activity rows are those the server's writer committed
			// before the erasure (it commits within a second).
			if n, ok := res.Erased["activity"]; ok && n >= 0 {
				wantErased["activity"] = n
			}
			if res.AppID != a.appID || res.Name != "doomed" || !res.Deleted || !maps.Equal(res.Erased, wantErased) {
				t.Fatalf("app delete --json: %s", raw)
			}
			_, err := s.client(a.key).GetApp(ctx)
			asError(t, err, http.StatusUnauthorized, "invalid_api_key")
			_, err = client.New(s.URL, client.WithSessionToken(a.token)).Me(ctx)
			asError(t, err, http.StatusUnauthorized, "invalid_token")
			if out := s.mustRun("app", "list"); strings.Contains(out, a.appID) || !strings.Contains(out, b.appID) {
				t.Fatalf("app list after delete:\n%s", out)
			}
			if code, _ := s.run("app", "delete", "--app", a.appID, "--yes"); code != 1 {
				t.Fatalf("deleting it again: exit %d", code)
			}

			// The other app is whole.
			bc := s.client(b.key)
			users, err := bc.ListUsers(ctx, client.ListUsersParams{})
			if err != nil || len(users.Data) != 3 {
				t.Fatalf("the other app's users: %v %v", users, err)
			}
			conns, err := bc.ListConnections(ctx, client.ListConnectionsParams{})
			if err != nil || len(conns.Data) != 3 {
				t.Fatalf("the other app's connections: %v %v", conns, err)
			}
			if _, err := client.New(s.URL, client.WithSessionToken(b.token)).Me(ctx); err != nil {
				t.Fatalf("the other app's session: %v", err)
			}
			if out := s.mustRun("key", "list", "--app", b.appID); strings.Count(out, "key_") != 2 {
				t.Fatalf("the other app's keys:\n%s", out)
			}

			// Rename.
			before, err := bc.GetApp(ctx)
			if err != nil {
				t.Fatal(err)
			}
			raw = s.mustRun("app", "rename", "--app", b.appID, "--name", "  Renamed  ", "--json")
			var renamed map[string]string
			if err := json.Unmarshal([]byte(raw), &renamed); err != nil || renamed["app_id"] != b.appID || renamed["name"] != "Renamed" {
				t.Fatalf("app rename --json: %v %s", err, raw)
			}
			after, err := bc.GetApp(ctx)
			if err != nil || after.Name != "Renamed" || !jsonEqual(t, after.Settings, before.Settings) {
				t.Fatalf("after rename: %+v %v", after, err)
			}
			if out := s.mustRun("app", "rename", "--app", b.appID, "--name", "Again"); out != fmt.Sprintf("renamed %s to \"Again\"\n", b.appID) {
				t.Fatalf("app rename: %q", out)
			}
			for _, tc := range []struct {
				args []string
				code int
			}{
				{[]string{"app", "rename", "--app", b.appID}, 2},
				{[]string{"app", "rename", "--app", b.appID, "--name", " "}, 1},
				{[]string{"app", "rename", "--app", a.appID, "--name", "Ghost"}, 1},
				{[]string{"app", "delete", "--app", b.appID, "--yes", "--batch", "0"}, 2},
				{[]string{"app", "delete", "--app", b.appID, "--yes", "--pause", "-1s"}, 2},
			} {
				if code, _ := s.run(tc.args...); code != tc.code {
					t.Errorf("portico %s: exit %d, want %d", strings.Join(tc.args, " "), code, tc.code)
				}
			}
			if got, err := bc.GetApp(ctx); err != nil || got.Name != "Again" {
				t.Fatalf("refused commands changed the app: %+v %v", got, err)
			}
		})
	}
}

func jsonEqual(t *testing.T, a, b any) bool {
	t.Helper()
	x, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	y, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Equal(x, y)
}

// TestVersion_Output: version prints one line that starts with the
// program's name, and --json the fields of the build information.
func TestVersion_Output(t *testing.T) {
	code, out, stderr := runCLI(t, nil, "version")
	if code != 0 || stderr != "" || !regexp.MustCompile(`^portico \S+( \S+)*\n$`).MatchString(out) {
		t.Fatalf("version: exit %d, %q %q", code, out, stderr)
	}
	code, out, _ = runCLI(t, nil, "version", "--json")
	var v map[string]any
	if err := json.Unmarshal([]byte(out), &v); code != 0 || err != nil {
		t.Fatalf("version --json: exit %d, %v: %s", code, err, out)
	}
	if _, ok := v["version"].(string); !ok {
		t.Errorf("no version: %s", out)
	}
	// A test binary is not stamped: no revision, and no modified flag
	// that would claim to know.
	if _, ok := v["modified"]; ok != (v["revision"] != nil) {
		t.Errorf("modified without a revision, or the other way round: %s", out)
	}
	if g, _ := v["go"].(string); !strings.HasPrefix(g, "go") {
		t.Errorf("no go version: %s", out)
	}
}

// TestAppDelete_YesIsNotReadFromTheEnvironment: a PORTICO_YES left in
// the environment confirms nothing.
func TestAppDelete_YesIsNotReadFromTheEnvironment(t *testing.T) {
	vars := map[string]string{"PORTICO_DATA_DIR": t.TempDir(), "PORTICO_YES": "true", "PORTICO_JSON": "true"}
	code, out, stderr := runCLI(t, vars, "app", "create", "--name", "Keep")
	var created map[string]string
	if err := json.Unmarshal([]byte(out), &created); code != 0 || err != nil {
		t.Fatalf("app create: exit %d, %v: %s %s", code, err, out, stderr)
	}
	code, out, stderr = runCLI(t, vars, "app", "delete", "--app", created["app_id"])
	if code != 1 || !strings.Contains(stderr, "Nothing was erased") {
		t.Fatalf("app delete with PORTICO_YES: exit %d, %q %q", code, out, stderr)
	}
	// PORTICO_JSON asks for JSON: the preview is on standard output too.
	var preview struct {
		AppID      string         `json:"app_id"`
		Deleted    *bool          `json:"deleted"`
		WouldErase map[string]int `json:"would_erase"`
	}
	if err := json.Unmarshal([]byte(out), &preview); err != nil || preview.AppID != created["app_id"] ||
		preview.Deleted == nil || *preview.Deleted || preview.WouldErase["api_keys"] != 1 {
		t.Fatalf("app delete --json without --yes: %v: %s", err, out)
	}
	// Without --json the preview is on standard error alone, and an
	// unknown app prints nothing on standard output either.
	for _, args := range [][]string{{"app", "delete", "--app", created["app_id"], "--json=false"}, {"app", "delete", "--app", "app_nonexistent"}} {
		if code, out, stderr := runCLI(t, vars, args...); code != 1 || out != "" || stderr == "" {
			t.Fatalf("%v: exit %d, %q %q", args, code, out, stderr)
		}
	}
	if code, out, _ = runCLI(t, vars, "app", "list"); code != 0 || !strings.Contains(out, created["app_id"]) {
		t.Fatalf("app list: exit %d: %s", code, out)
	}
}

// failingWriter is standard output on a full disk.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("no space left on device") }

// TestCreateCommands_FailWhenTheKeyCannotBeWritten: an API key is shown
// only once, so a command that could not write it fails, and says what was
// created and what to do.
func TestCreateCommands_FailWhenTheKeyCannotBeWritten(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "portico-data")
	code, out, stderr := runCLI(t, nil, "app", "create", "--name", "First", "--data-dir", dir, "--json")
	if code != 0 {
		t.Fatalf("app create: exit %d: %s", code, stderr)
	}
	var app struct {
		AppID string `json:"app_id"`
	}
	if err := json.Unmarshal([]byte(out), &app); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"app", "create", "--name", "Second", "--data-dir", dir},
		{"key", "create", "--app", app.AppID, "--data-dir", dir},
	} {
		var errOut bytes.Buffer
		code := cli.RunEnv(context.Background(), args, &cli.Env{Stdout: failingWriter{}, Stderr: &errOut, Getenv: func(string) string { return "" }})
		if code != 1 || !strings.Contains(errOut.String(), "could not be written") || !strings.Contains(errOut.String(), "no space left") {
			t.Errorf("%v: exit %d: %s", args, code, errOut.String())
		}
	}
}

// TestManagementCommands_SayWhenTheyMigrate: a management command run on a
// store whose schema is behind its binary migrates it on the way, and says
// so on standard error; on a store that is up to date it says nothing.
func TestManagementCommands_SayWhenTheyMigrate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "portico-data")
	if code, _, stderr := runCLI(t, nil, "app", "create", "--name", "First", "--data-dir", dir); code != 0 {
		t.Fatalf("app create: exit %d: %s", code, stderr)
	}
	if code, _, stderr := runCLI(t, nil, "app", "list", "--data-dir", dir); code != 0 || stderr != "" {
		t.Fatalf("app list on an up-to-date store: exit %d, stderr %q", code, stderr)
	}
	// As if the store were one migration behind: 0016 does nothing on
	// SQLite, so it can be applied again.
	db, err := sql.Open("sqlite", filepath.Join(dir, "portico.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("DELETE FROM schema_migrations WHERE version = 16"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	code, _, stderr := runCLI(t, nil, "app", "list", "--data-dir", dir)
	if code != 0 || stderr != "migrated the store's schema: 1 migration(s) applied (with PostgreSQL, --no-migrate refuses instead)\n" {
		t.Fatalf("app list on a store behind: exit %d, stderr %q", code, stderr)
	}
}

// TestManagementCommands_NameTheStoreTheyCannotOpen: a store that cannot
// be opened is named, with the cause, and not answered as a passing
// outage.
func TestManagementCommands_NameTheStoreTheyCannotOpen(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "portico.db")
	if err := os.WriteFile(db, []byte(strings.Repeat("not a database ", 512)), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range [][]string{{"app", "list"}, {"migrate"}} {
		code, _, stderr := runCLI(t, nil, append(cmd, "--data-dir", dir)...)
		if code != 1 || !strings.Contains(stderr, "cannot open "+db) || !strings.Contains(stderr, "not a database") || strings.Contains(stderr, "try again") {
			t.Fatalf("%v: exit %d: %s", cmd, code, stderr)
		}
	}
}
