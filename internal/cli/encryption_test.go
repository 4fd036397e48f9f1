package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/cli"
	"github.com/porticohq/portico/internal/portico"
	"github.com/porticohq/portico/internal/secret"
	"github.com/porticohq/portico/internal/store/storetest"
)

// rotationStore is one store the servers and commands of a test share.
type rotationStore struct {
	t            *testing.T
	watch        *leakWatch
	dbURL, dir   string
	engine       string
	oldKey, newK string
}

func (rs *rotationStore) config(keys string) cli.Config {
	var cfg cli.Config
	cfg.DataDir, cfg.DatabaseURL, cfg.EncryptionKey = rs.dir, rs.dbURL, keys
	cfg.Addr, cfg.LogFormat, cfg.ShutdownTimeout = "127.0.0.1:0", "json", 5*time.Second
	cfg.LogOutput = rs.watch.log("server log (" + rs.engine + ")")
	return cfg
}

// serve starts a server with keys and returns it and a stop function.
func (rs *rotationStore) serve(keys string) (*cli.Server, func()) {
	rs.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := cli.NewServer(ctx, rs.config(keys))
	if err != nil {
		cancel()
		rs.t.Fatalf("start with keys %s: %v", keyIDs(rs.t, keys), err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				rs.t.Errorf("Run: %v", err)
			}
			srv.Close()
		})
	}
	rs.t.Cleanup(stop)
	return srv, stop
}

// refused fails unless a server with keys refuses to start.
func (rs *rotationStore) refused(keys string) {
	rs.t.Helper()
	srv, err := cli.NewServer(context.Background(), rs.config(keys))
	if err == nil {
		srv.Close()
		rs.t.Fatalf("a server with keys %v started", keyIDs(rs.t, keys))
	}
	if !strings.Contains(err.Error(), "cannot decrypt") {
		rs.t.Fatalf("refused with %v", err)
	}
	for _, k := range strings.Split(keys, ",") {
		if strings.Contains(err.Error(), k) {
			rs.t.Fatal("the refusal names a key")
		}
	}
}

// rotate runs portico encryption rotate with keys in the environment.
func (rs *rotationStore) rotate(keys string, args ...string) (int, string) {
	var out bytes.Buffer
	stderr := rs.watch.log("stderr of portico encryption rotate")
	env := &cli.Env{Stdout: &out, Stderr: stderr, Getenv: func(k string) string {
		if k == "PORTICO_ENCRYPTION_KEY" {
			return keys
		}
		return ""
	}}
	if rs.dbURL != "" {
		args = append(args, "--database-url", rs.dbURL)
	} else {
		args = append(args, "--data-dir", rs.dir)
	}
	code := cli.RunEnv(context.Background(), append([]string{"encryption", "rotate"}, args...), env)
	return code, out.String()
}

func keyIDs(t testing.TB, keys string) []string {
	r, err := secret.ParseKeys(keys)
	if err != nil {
		t.Fatal(err)
	}
	return r.KeyIDs()
}

// sealedData is what the test stored, to check it reads back.
type sealedData struct {
	appID, key string
	creds      map[string]string // connection id → api key value
	mu         sync.Mutex
	webhook    string
	client     string
}

func seedSealed(t *testing.T, w *leakWatch, svc *portico.Service, users int) *sealedData {
	ctx := context.Background()
	app, key, err := svc.CreateApp(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	w.secret(key)
	d := &sealedData{appID: app.ID, key: key, creds: map[string]string{}, client: "github-client-secret-" + portico.NewID("")}
	w.secret(d.client)
	if _, _, err := svc.PutIntegration(ctx, app.ID, "github", portico.IntegrationInput{Template: "github",
		Auth: &portico.AuthInput{OAuth2: &portico.OAuth2Input{ClientID: ptr("cid"), ClientSecret: &d.client}}}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.PutIntegration(ctx, app.ID, "stripe", portico.IntegrationInput{Template: "stripe"}); err != nil {
		t.Fatal(err)
	}
	_, d.webhook, err = svc.UpdateApp(ctx, app.ID, portico.AppPatch{Settings: &portico.SettingsPatch{WebhookURL: ptr("https://hooks.example.com/p")}})
	if err != nil {
		t.Fatal(err)
	}
	w.secret(d.webhook)
	for i := range users {
		u, _, err := svc.FindOrCreateUser(ctx, app.ID, portico.UserInput{ExternalID: ptr(fmt.Sprint("u", i))})
		if err != nil {
			t.Fatal(err)
		}
		v := fmt.Sprintf("sk_live_seed_%d_%s", i, portico.NewID(""))
		w.secret(v)
		c, _, err := svc.ImportConnection(ctx, app.ID, u.ID, "stripe", portico.Credentials{"api_key": v})
		if err != nil {
			t.Fatal(err)
		}
		d.creds[c.ID] = v
	}
	return d
}

// checkAll opens every secret with the keys of srv's service.
func (d *sealedData) checkAll(t *testing.T, srv *cli.Server) {
	t.Helper()
	svc := srv.Service
	ctx := context.Background()
	d.mu.Lock()
	defer d.mu.Unlock()
	conns, err := srv.Store().ListConnections(ctx, d.appID, portico.ConnectionFilter{}, time.Now(), portico.ListQuery{Limit: 10000})
	if err != nil {
		t.Fatal(err)
	}
	if len(conns) != len(d.creds) {
		t.Fatalf("%d connections stored, %d made", len(conns), len(d.creds))
	}
	for i := range conns {
		got, err := svc.OpenCredentials(&conns[i])
		if err != nil || got["api_key"] != d.creds[conns[i].ID] {
			t.Fatalf("connection %s: %v", conns[i].ID, err)
		}
	}
	in, err := svc.FindIntegration(ctx, d.appID, "github")
	if err != nil {
		t.Fatal(err)
	}
	if s, err := svc.OAuth2ClientSecret(in); err != nil || s != d.client {
		t.Fatalf("client secret: %v", err)
	}
	app, err := srv.Store().FindAppByID(ctx, d.appID)
	if err != nil {
		t.Fatal(err)
	}
	if raw, err := svc.Sealer.Open(app.WebhookSecret, portico.WebhookSecretAAD(app.ID)); err != nil || string(raw) != d.webhook {
		t.Fatalf("webhook secret: %v", err)
	}
}

// importer keeps writing credentials through the running server's API until
// stopped, as live traffic during a rotation. Stopping lets the request in
// flight finish, so that every credential the server stored is known.
func (d *sealedData) importer(t *testing.T, w *leakWatch, url string) (stop func() int) {
	ctx := context.Background()
	var (
		n        atomic.Int64
		stopping atomic.Bool
	)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; !stopping.Load(); i++ {
			body, _ := json.Marshal(map[string]any{"external_id": fmt.Sprint("live", i%15)})
			req, _ := http.NewRequestWithContext(ctx, "POST", url+"/v1/users", bytes.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+d.key)
			req.Header.Set("Content-Type", "application/json")
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Errorf("create user during rotation: %v", err)
				return
			}
			var u struct{ ID string }
			json.NewDecoder(res.Body).Decode(&u)
			res.Body.Close()
			v := fmt.Sprintf("sk_live_traffic_%d_%s", i, portico.NewID(""))
			w.secret(v)
			body, _ = json.Marshal(map[string]any{"credentials": map[string]string{"api_key": v}})
			req, _ = http.NewRequestWithContext(ctx, "PUT", url+"/v1/users/"+u.ID+"/connections/stripe", bytes.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+d.key)
			req.Header.Set("Content-Type", "application/json")
			res, err = http.DefaultClient.Do(req)
			if err != nil {
				t.Errorf("import during rotation: %v", err)
				return
			}
			var c struct{ ID string }
			json.NewDecoder(res.Body).Decode(&c)
			res.Body.Close()
			if res.StatusCode/100 != 2 {
				t.Errorf("import during rotation: %d", res.StatusCode)
				return
			}
			d.mu.Lock()
			d.creds[c.ID] = v
			d.mu.Unlock()
			n.Add(1)
		}
	}()
	return func() int {
		stopping.Store(true)
		<-done
		return int(n.Load())
	}
}

func TestEncryptionRotate_WhileServing(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			w := newLeakWatch(t)
			rs := &rotationStore{t: t, watch: w, engine: e.Name, oldKey: secret.NewKey(), newK: secret.NewKey()}
			rs.dbURL, rs.dir = e.Fresh(t)
			w.secret(rs.oldKey, rs.newK)
			both := rs.newK + "," + rs.oldKey
			newID, oldID := keyIDs(t, rs.newK)[0], keyIDs(t, rs.oldKey)[0]

			srv, stop := rs.serve(rs.oldKey)
			d := seedSealed(t, w, srv.Service, 40)
			stop()

			// The new key alone cannot read what is stored.
			rs.refused(rs.newK)
			// Nor a key that was never used.
			rs.refused(secret.NewKey())

			// Servers restarted with "new,old" read the old secrets and
			// seal new ones with the new key; the rotation runs beside one
			// while it takes writes.
			srv, stop = rs.serve(both)
			d.checkAll(t, srv)
			stopImports := d.importer(t, w, srv.URL())
			time.Sleep(50 * time.Millisecond)
			code, out := rs.rotate(both, "--batch", "7", "--pause", "1ms")
			imported := stopImports()
			if code != 0 || !strings.Contains(out, "done: every stored secret is encrypted with key "+newID) {
				t.Fatalf("rotate: exit %d\n%s", code, out)
			}
			if !strings.Contains(out, "connection: ") || strings.Contains(out, rs.newK) || strings.Contains(out, rs.oldKey) {
				t.Fatalf("rotate output:\n%s", out)
			}
			t.Logf("%d imports during the rotation", imported)
			d.checkAll(t, srv)
			ids, err := srv.Store().SealedKeyIDs(context.Background())
			if err != nil || !reflect.DeepEqual(ids, []string{newID}) {
				t.Fatalf("key ids after the rotation: %v %v (old %s)", ids, err, oldID)
			}
			stop()

			// The old key can go; alone, it is refused.
			rs.refused(rs.oldKey)
			srv, stop = rs.serve(rs.newK)
			d.checkAll(t, srv)
			stop()

			// Rotating again is a no-op.
			if code, out := rs.rotate(rs.newK); code != 0 || !strings.Contains(out, "connection: 0 re-encrypted") {
				t.Fatalf("second rotate: exit %d\n%s", code, out)
			}
		})
	}
}

func TestEncryptionRotate_Refusals(t *testing.T) {
	e := storetest.Engines(t)[0]
	w := newLeakWatch(t)
	rs := &rotationStore{t: t, watch: w, engine: e.Name, oldKey: secret.NewKey(), newK: secret.NewKey()}
	rs.dbURL, rs.dir = e.Fresh(t)
	w.secret(rs.oldKey, rs.newK)
	srv, stop := rs.serve(rs.oldKey)
	seedSealed(t, w, srv.Service, 3)
	stop()

	// A ring without the key the data needs changes nothing.
	if code, out := rs.rotate(rs.newK); code != 1 || strings.Contains(out, "done") {
		t.Fatalf("rotate without the old key: exit %d\n%s", code, out)
	}
	if code, _ := rs.rotate("not-a-key"); code != 1 {
		t.Fatalf("a malformed key: exit %d", code)
	}
	// Out-of-range flags are misuse, as for app delete: exit 2.
	for _, bad := range [][]string{{"--batch", "0"}, {"--pause", "-1s"}} {
		if code, _ := rs.rotate(rs.newK+","+rs.oldKey, bad...); code != 2 {
			t.Fatalf("%v: exit %d", bad, code)
		}
	}
	rs.refused(rs.newK)
	srv, stop = rs.serve(rs.oldKey)
	stop()
	_ = srv

	// Secrets written by a server whose first key is new, while the canary
	// is still on the old key: a server with only the old key is refused,
	// because it could not read them.
	srv, stop = rs.serve(rs.newK + "," + rs.oldKey)
	ctx := context.Background()
	app, key, err := srv.Service.CreateApp(ctx, "late")
	if err != nil {
		t.Fatal(err)
	}
	w.secret(key)
	if _, _, err := srv.Service.PutIntegration(ctx, app.ID, "stripe", portico.IntegrationInput{Template: "stripe"}); err != nil {
		t.Fatal(err)
	}
	u, _, _ := srv.Service.FindOrCreateUser(ctx, app.ID, portico.UserInput{ExternalID: ptr("x")})
	if _, _, err := srv.Service.ImportConnection(ctx, app.ID, u.ID, "stripe", portico.Credentials{"api_key": "sk_live_written_with_new"}); err != nil {
		t.Fatal(err)
	}
	w.secret("sk_live_written_with_new")
	stop()
	rs.refused(rs.oldKey)
}

func TestEncryptionRotate_SQLiteKeyFile(t *testing.T) {
	w := newLeakWatch(t)
	rs := &rotationStore{t: t, watch: w, engine: "sqlite", dir: t.TempDir()}
	srv, stop := rs.serve("") // generates the key file
	seedSealed(t, w, srv.Service, 2)
	stop()
	if code, out := rs.rotate(""); code != 0 || !strings.Contains(out, "done") {
		t.Fatalf("rotate with the key file: exit %d\n%s", code, out)
	}
	empty := &rotationStore{t: t, watch: w, engine: "sqlite", dir: t.TempDir()}
	if code, _ := empty.rotate(""); code != 1 {
		t.Fatalf("rotate without a key file: exit %d", code)
	}
}
