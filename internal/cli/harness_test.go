package cli_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/porticohq/portico/client"
	"github.com/porticohq/portico/internal/cli"
	"github.com/porticohq/portico/internal/secret"
	"github.com/porticohq/portico/internal/store/storetest"
)

// logBuffer is an io.Writer safe for concurrent use: a server's log output.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// lines returns the non-empty lines written so far.
func (l *logBuffer) lines() []string {
	var out []string
	for _, s := range strings.Split(l.String(), "\n") {
		if strings.TrimSpace(s) != "" {
			out = append(out, s)
		}
	}
	return out
}

// leakWatch collects every secret a test issues or sends (API keys, valid,
// revoked or malformed; webhook secrets) and every log a server or CLI
// command of the test writes. When the test ends — after its servers have
// stopped, since it is created first and cleanups run last-in first-out —
// it fails the test if any log holds any secret, raw or as the hex or
// base64 of its SHA-256 (the form keys are stored in).
type leakWatch struct {
	t       testing.TB
	mu      sync.Mutex
	secrets []string
	logs    map[string]*logBuffer
}

func newLeakWatch(t testing.TB) *leakWatch {
	w := &leakWatch{t: t, logs: map[string]*logBuffer{}}
	t.Cleanup(w.check)
	return w
}

// secret adds values that must never be logged.
func (w *leakWatch) secret(values ...string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.secrets = append(w.secrets, values...)
}

// log returns a new buffer, named for the report, whose content is checked.
func (w *leakWatch) log(name string) *logBuffer {
	w.mu.Lock()
	defer w.mu.Unlock()
	base := name
	for i := 2; w.logs[name] != nil; i++ {
		name = fmt.Sprintf("%s #%d", base, i)
	}
	b := &logBuffer{}
	w.logs[name] = b
	return b
}

// forms returns what a leaked secret could look like in a log.
func forms(s string) []string {
	sum := sha256.Sum256([]byte(s))
	out := []string{
		s,
		hex.EncodeToString(sum[:]),
		strings.ToUpper(hex.EncodeToString(sum[:])),
		base64.StdEncoding.EncodeToString(sum[:]),
		base64.RawURLEncoding.EncodeToString(sum[:]),
	}
	// The random part alone, in case a log strips the type prefix.
	if i := strings.IndexByte(s, '_'); i > 0 && i < 8 && len(s)-i > 16 {
		out = append(out, s[i+1:])
	}
	return out
}

func (w *leakWatch) check() {
	w.t.Helper()
	for _, l := range w.leaks() {
		w.t.Error(l)
	}
}

// leaks describes every log line that holds a secret.
func (w *leakWatch) leaks() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	names := make([]string, 0, len(w.logs))
	for n := range w.logs {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []string
	for _, s := range w.secrets {
		if len(s) < 12 {
			out = append(out, fmt.Sprintf("secret %q is too short to be looked for", s))
			continue
		}
		fs := forms(s)
		for _, n := range names {
			for i, line := range w.logs[n].lines() {
				if slices.ContainsFunc(fs, func(f string) bool { return strings.Contains(line, f) }) {
					out = append(out, fmt.Sprintf("%s, line %d, holds a secret (%s…): %s", n, i+1, s[:6], line))
				}
			}
		}
	}
	return out
}

// cliEnv returns an environment for cli.RunEnv with no PORTICO_* variables,
// so that the tests do not depend on the caller's shell.
func cliEnv(stdout, stderr io.Writer) *cli.Env {
	return &cli.Env{Stdout: stdout, Stderr: stderr, Getenv: func(string) string { return "" }}
}

// testServer is a whole Portico server started through cli.NewServer and
// run in a goroutine, as `portico serve` runs it.
type testServer struct {
	t      *testing.T
	URL    string
	cfg    cli.Config
	srv    *cli.Server
	watch  *leakWatch
	logs   *logBuffer
	cancel context.CancelFunc
	done   chan error
	once   sync.Once
}

// startServer starts a server over a fresh store of engine e; edit may
// change the configuration first.
func startServer(t *testing.T, w *leakWatch, e storetest.Engine, edit func(*cli.Config)) *testServer {
	t.Helper()
	dbURL, dir := e.Fresh(t)
	var cfg cli.Config
	cfg.DataDir, cfg.DatabaseURL = dir, dbURL
	if dbURL != "" {
		cfg.EncryptionKey = secret.NewKey()
		w.secret(cfg.EncryptionKey)
	}
	cfg.Addr = "127.0.0.1:0"
	cfg.LogFormat, cfg.LogLevel = "json", "info"
	cfg.ShutdownTimeout = 5 * time.Second
	if edit != nil {
		edit(&cfg)
	}
	return serveConfig(t, w, cfg, "server log ("+e.Name+")")
}

// serveConfig starts a server with cfg, whose log is named name: with the
// store of an earlier server's cfg, a restart of that server.
func serveConfig(t *testing.T, w *leakWatch, cfg cli.Config, name string) *testServer {
	t.Helper()
	s := &testServer{t: t, cfg: cfg, watch: w, logs: w.log(name), done: make(chan error, 1)}
	cfg.LogOutput = s.logs
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := cli.NewServer(ctx, cfg)
	if err != nil {
		cancel()
		t.Fatalf("NewServer: %v", err)
	}
	s.cancel, s.URL, s.srv = cancel, srv.URL(), srv
	go func() {
		err := srv.Run(ctx)
		srv.Close()
		s.done <- err
	}()
	t.Cleanup(func() { s.stop() })
	return s
}

// stop cancels the server's context and returns what Run returned; it
// fails the test if Run does not return within the shutdown timeout.
func (s *testServer) stop() error {
	var err error
	s.once.Do(func() {
		s.cancel()
		select {
		case err = <-s.done:
		case <-time.After(s.cfg.ShutdownTimeout + 5*time.Second):
			s.t.Errorf("Run did not return after cancel")
		}
	})
	return err
}

// storeArgs are the flags that point a CLI command at the server's store.
func (s *testServer) storeArgs() []string {
	if s.cfg.DatabaseURL != "" {
		return []string{"--database-url", s.cfg.DatabaseURL}
	}
	return []string{"--data-dir", s.cfg.DataDir}
}

// run runs a CLI command on the server's store while it serves and
// returns its exit code and standard output; its standard error is
// checked for secrets like the server's log.
func (s *testServer) run(args ...string) (int, string) {
	s.t.Helper()
	var out bytes.Buffer
	stderr := s.watch.log("stderr of portico " + strings.Join(args[:min(2, len(args))], " "))
	code := cli.RunEnv(context.Background(), append(args, s.storeArgs()...), cliEnv(&out, stderr))
	return code, out.String()
}

// mustRun is run for commands that must succeed.
func (s *testServer) mustRun(args ...string) string {
	s.t.Helper()
	code, out := s.run(args...)
	if code != 0 {
		s.t.Fatalf("portico %s: exit %d: %s", strings.Join(args, " "), code, out)
	}
	return out
}

// createApp creates an app with the CLI and returns its id and API key.
func (s *testServer) createApp(name string) (appID, key string) {
	s.t.Helper()
	var out struct {
		AppID        string `json:"app_id"`
		APIKey       string `json:"api_key"`
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}
	raw := s.mustRun("app", "create", "--name", name, "--json")
	if err := json.Unmarshal([]byte(raw), &out); err != nil {
		s.t.Fatalf("app create --json: %v: %s", err, raw)
	}
	s.watch.secret(out.APIKey)
	if out.AppID == "" || out.APIKey == "" || out.ClientID != out.AppID || out.ClientSecret != out.APIKey {
		s.t.Fatalf("app create --json: %s", raw)
	}
	return out.AppID, out.APIKey
}

// createKey creates another API key with the CLI.
func (s *testServer) createKey(appID string, flags ...string) (keyID, key string) {
	s.t.Helper()
	var out struct {
		KeyID  string `json:"key_id"`
		APIKey string `json:"api_key"`
	}
	raw := s.mustRun(append([]string{"key", "create", "--app", appID, "--json"}, flags...)...)
	if err := json.Unmarshal([]byte(raw), &out); err != nil || out.KeyID == "" || out.APIKey == "" {
		s.t.Fatalf("key create --json: %v: %s", err, raw)
	}
	s.watch.secret(out.APIKey)
	return out.KeyID, out.APIKey
}

// client returns a client of the server authenticated with key.
func (s *testServer) client(key string) *client.Client {
	return client.New(s.URL, client.WithAPIKey(key))
}

// requestLines returns the decoded "request" lines of a JSON log.
func requestLines(t testing.TB, l *logBuffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(l.String()))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Errorf("log line is not JSON: %v: %s", err, sc.Text())
			continue
		}
		if m["msg"] == "request" {
			out = append(out, m)
		}
	}
	return out
}

// asError returns err as a *client.Error, failing the test when it is not
// one with the wanted status and code.
func asError(t testing.TB, err error, status int, code string) *client.Error {
	t.Helper()
	var e *client.Error
	if !errors.As(err, &e) {
		t.Fatalf("got error %v (%T), want *client.Error %d %s", err, err, status, code)
	}
	if e.Status != status || e.Code != code {
		t.Fatalf("got %d %s (%s), want %d %s", e.Status, e.Code, e.Message, status, code)
	}
	if e.RequestID == "" {
		t.Errorf("error %v has no request id", e)
	}
	return e
}

// httpGet is a raw request for what the client does not send on purpose
// (keys in the query string, malformed headers).
func httpGet(t testing.TB, url string, header http.Header) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

func ptr[T any](v T) *T { return &v }
