package cli_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/secret"
	"github.com/porticohq/portico/internal/store/storetest"
)

// node is one `portico serve` process of a deployment.
type node struct {
	t   *testing.T
	url string
	hc  *http.Client
}

func (n node) call(method, path, auth string, body any) (int, map[string]any) {
	n.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, n.url+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if auth != "" {
		req.Header.Set("Authorization", "Bearer "+auth)
	}
	res, err := n.hc.Do(req)
	if err != nil {
		n.t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out
}

// TestMultiNode_TwoProcessesOnOnePostgres runs two `portico serve`
// processes on one PostgreSQL database and checks that they answer as one:
// validation, revocation, limits, refresh reuse and key revocation all hold
// across nodes on the very next request.
func TestMultiNode_TwoProcessesOnOnePostgres(t *testing.T) {
	base := os.Getenv(storetest.PostgresEnv)
	if base == "" {
		if os.Getenv("PORTICO_REQUIRE_POSTGRES") != "" {
			t.Fatalf("%s is not set", storetest.PostgresEnv)
		}
		t.Skipf("%s is not set", storetest.PostgresEnv)
	}
	if testing.Short() {
		t.Skip("builds and runs the real binary; skipped with -short")
	}
	bin := buildPortico(t)
	w := newLeakWatch(t)
	dbURL := storetest.FreshPostgres(t, base)
	key := secret.NewKey()
	w.secret(key)
	run := func(args ...string) []byte {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Env, cmd.Stderr = cleanEnv(), w.log("stderr of portico "+args[0])
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("portico %s: %v", strings.Join(args[:2], " "), err)
		}
		return out
	}

	// A node that may not migrate refuses a schema that is behind.
	keyEnv := []string{"PORTICO_ENCRYPTION_KEY=" + key}
	refuse := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--database-url", dbURL, "--no-migrate")
	refuse.Env = append(cleanEnv(), keyEnv...)
	if out, err := refuse.CombinedOutput(); err == nil || !strings.Contains(string(out), "portico migrate") {
		t.Fatalf("serve --no-migrate on an empty schema: %v\n%s", err, out)
	}
	if out := run("migrate", "--database-url", dbURL); !strings.Contains(string(out), "up to date") {
		t.Fatalf("migrate: %s", out)
	}
	var app struct{ AppID, APIKey string }
	raw := run("app", "create", "--name", "cluster", "--json", "--database-url", dbURL)
	var m map[string]string
	json.Unmarshal(raw, &m)
	app.AppID, app.APIKey = m["app_id"], m["api_key"]
	w.secret(app.APIKey)

	hc := &http.Client{Timeout: 10 * time.Second}
	defer hc.CloseIdleConnections()
	a := node{t, startProcess(t, w, bin, keyEnv, "--database-url", dbURL, "--no-migrate").url, hc}
	b := node{t, startProcess(t, w, bin, keyEnv, "--database-url", dbURL, "--no-migrate").url, hc}

	// Created on A, valid on B; revoked on B, dead on A at once.
	st, s := a.call("POST", "/v1/sessions", app.APIKey, map[string]any{"user": map[string]any{"external_id": "u-1"}, "refreshable": true})
	if st != 201 {
		t.Fatalf("create on A: %d %v", st, s)
	}
	tok, rt := s["token"].(string), s["refresh_token"].(string)
	w.secret(tok, rt)
	id := s["session"].(map[string]any)["id"].(string)
	if st, _ := b.call("GET", "/v1/me", tok, nil); st != 200 {
		t.Fatalf("validate on B: %d", st)
	}
	if st, _ := b.call("DELETE", "/v1/sessions/"+id, app.APIKey, nil); st != 204 {
		t.Fatalf("revoke on B: %d", st)
	}
	if st, body := a.call("GET", "/v1/me", tok, nil); st != 401 {
		t.Fatalf("revoked on B, still valid on A: %d %v", st, body)
	}
	if st, _ := a.call("POST", "/v1/tokens/refresh", app.APIKey, map[string]any{"refresh_token": rt}); st != 401 {
		t.Fatalf("refresh of a session revoked on the other node: %d", st)
	}

	// Refresh on A, reuse of the old refresh token on B revokes everywhere.
	_, s = b.call("POST", "/v1/sessions", app.APIKey, map[string]any{"user": map[string]any{"external_id": "u-2"}, "refreshable": true})
	rt = s["refresh_token"].(string)
	w.secret(s["token"].(string), rt)
	st, r := a.call("POST", "/v1/tokens/refresh", app.APIKey, map[string]any{"refresh_token": rt})
	if st != 200 {
		t.Fatalf("refresh on A: %d %v", st, r)
	}
	w.secret(r["token"].(string), r["refresh_token"].(string))
	if st, _ := b.call("POST", "/v1/tokens/refresh", app.APIKey, map[string]any{"refresh_token": rt}); st != 401 {
		t.Fatalf("reuse on B: %d", st)
	}
	if st, _ := a.call("GET", "/v1/me", r["token"].(string), nil); st != 401 {
		t.Fatalf("session survived a reuse seen by the other node: %d", st)
	}

	// The per-user limit holds across nodes: 20 concurrent creations, half
	// on each node, limit 3 with reject → exactly 3.
	if st, _ := a.call("PATCH", "/v1/app", app.APIKey, map[string]any{"settings": map[string]any{"max_sessions_per_user": 3, "session_limit_policy": "reject"}}); st != 200 {
		t.Fatalf("patch app: %d", st)
	}
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		statuses = map[int]int{}
	)
	for i := range 20 {
		n := a
		if i%2 == 1 {
			n = b
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			st, s := n.call("POST", "/v1/sessions", app.APIKey, map[string]any{"user": map[string]any{"external_id": "racer"}})
			if tok, ok := s["token"].(string); ok {
				w.secret(tok)
			}
			mu.Lock()
			statuses[st]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if statuses[201] != 3 || statuses[409] != 17 {
		t.Fatalf("limit across nodes: %v, want 3×201 and 17×409", statuses)
	}

	// A key revoked with the CLI fails on both nodes on the next request.
	var keys []map[string]any
	json.Unmarshal(run("key", "list", "--app", app.AppID, "--json", "--database-url", dbURL), &keys)
	if len(keys) != 1 {
		t.Fatalf("keys: %v", keys)
	}
	run("key", "revoke", "--app", app.AppID, fmt.Sprint(keys[0]["key_id"]), "--database-url", dbURL)
	for _, n := range []node{a, b} {
		if st, body := n.call("GET", "/v1/app", app.APIKey, nil); st != 401 || body["error"].(map[string]any)["code"] != "invalid_api_key" {
			t.Fatalf("revoked key on %s: %d %v", n.url, st, body)
		}
	}
}
