package cli_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/cli"
	"github.com/porticohq/portico/internal/store/storetest"
)

// TestServe_CutsWhatStillRunsAtTheShutdownTimeout: a request still running
// when --shutdown-timeout ends is cut, its connection closed, and returns
// before the server says stopped and closes the store; it is not left to
// run on after Run returned.
func TestServe_CutsWhatStillRunsAtTheShutdownTimeout(t *testing.T) {
	release := make(chan struct{})
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(upstream.Close)
	t.Cleanup(func() { close(release) })
	s := startServer(t, newLeakWatch(t), storetest.Engines(t)[0], func(c *cli.Config) {
		c.ShutdownTimeout, c.AllowPrivateUpstreams = 300*time.Millisecond, true
	})
	_, key := s.createApp("Acme")
	call := func(method, path, body string) (int, string) {
		req, _ := http.NewRequest(method, s.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, err.Error()
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if code, body := call("PUT", "/v1/integrations/slow", `{"name":"Slow","base_url":"`+upstream.URL+`","auth":{"type":"none"},
		"actions":[{"name":"wait","method":"GET","path":"/wait"}]}`); code != 201 {
		t.Fatalf("put integration: %d %s", code, body)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		call("POST", "/v1/perform", `{"user":{"external_id":"u1"},"integration":"slow","action":"wait"}`)
	}()
	time.Sleep(200 * time.Millisecond) // the perform waits on the upstream
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(3 * time.Second):
		t.Fatal("the request still ran 3 s after the server stopped")
	}
	// The cut request returned before stopped: nothing is logged after
	// it, and nothing met a closed store.
	time.Sleep(300 * time.Millisecond)
	lines := s.logs.lines()
	if len(lines) == 0 || !strings.Contains(lines[len(lines)-1], `"msg":"stopped"`) || !strings.Contains(s.logs.String(), `"msg":"shutdown_incomplete"`) ||
		strings.Contains(s.logs.String(), "store: closed") {
		t.Fatalf("log:\n%s", s.logs.String())
	}
}

// TestServe_APortInUseIsSaidFirst: a port in use is refused before
// anything is created: no store, no key file.
func TestServe_APortInUseIsSaidFirst(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	dir := filepath.Join(t.TempDir(), "data")
	var cfg cli.Config
	cfg.DataDir, cfg.Addr, cfg.ShutdownTimeout, cfg.LogOutput = dir, taken.Addr().String(), time.Second, io.Discard
	if _, err := cli.NewServer(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), "listen") {
		t.Fatalf("err = %v", err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the data dir was made: %v", err)
	}
}

// TestServe_AMistypedKeyIsSaidFirst: an encryption key that does not parse
// is refused before the store is created or migrated.
func TestServe_AMistypedKeyIsSaidFirst(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	var cfg cli.Config
	cfg.DataDir, cfg.Addr, cfg.ShutdownTimeout, cfg.LogOutput, cfg.EncryptionKey = dir, "127.0.0.1:0", time.Second, io.Discard, "not-base64"
	if _, err := cli.NewServer(context.Background(), cfg); err == nil {
		t.Fatal("a server started with a key that does not parse")
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the data dir was made: %v", err)
	}
}

// TestServe_MCPSessionsEndAtShutdown: a 2025-era MCP session's stream does
// not hold a graceful shutdown, also when its client never sent
// notifications/initialized.
func TestServe_MCPSessionsEndAtShutdown(t *testing.T) {
	s := startServer(t, newLeakWatch(t), storetest.Engines(t)[0], func(c *cli.Config) { c.ShutdownTimeout = 5 * time.Second })
	_, key := s.createApp("Acme")
	req, _ := http.NewRequest("POST", s.URL+"/v1/sessions", strings.NewReader(`{"user":{"external_id":"u1"}}`))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var created struct{ Token string }
	json.NewDecoder(res.Body).Decode(&created)
	res.Body.Close()
	mcpReq := func(method, body, session string) *http.Request {
		req, _ := http.NewRequest(method, s.URL+"/mcp", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+created.Token)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		if session != "" {
			req.Header.Set("Mcp-Session-Id", session)
			req.Header.Set("MCP-Protocol-Version", "2025-11-25")
		}
		return req
	}
	res, err = http.DefaultClient.Do(mcpReq("POST", `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"x","version":"1"}}}`, ""))
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	session := res.Header.Get("Mcp-Session-Id")
	if res.StatusCode != 200 || session == "" {
		t.Fatalf("initialize: %d, session %q", res.StatusCode, session)
	}
	stream, err := http.DefaultClient.Do(mcpReq("GET", "", session))
	if err != nil || stream.StatusCode != 200 {
		t.Fatalf("stream: %v %v", stream, err)
	}
	defer stream.Body.Close()
	start := time.Now()
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 3*time.Second || strings.Contains(s.logs.String(), `"msg":"shutdown_incomplete"`) {
		t.Errorf("shutdown took %v with an open stream:\n%s", d, s.logs.String())
	}
}
