// Package compattest starts whole Portico servers for the compatible
// surfaces' tests: the real binary's wiring, a real store, loopback HTTP.
package compattest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/cli"
	"github.com/porticohq/portico/internal/cli/clitest"
	"github.com/porticohq/portico/internal/portico"
	"github.com/porticohq/portico/internal/secret"
	"github.com/porticohq/portico/internal/store/storetest"
)

// Engines returns the engines to run on (SQLite, and PostgreSQL when
// PORTICO_TEST_POSTGRES_URL is set).
func Engines(t testing.TB) []storetest.Engine { return storetest.Engines(t) }

// Server is a running Portico server.
type Server struct {
	URL     string
	Service *portico.Service
	// Store is the store behind Service, for checks of what is stored.
	Store portico.Store
	logs  *clitest.LogBuffer
	t     *testing.T
}

// Start starts a server on a fresh store of engine e, with private
// upstreams allowed (tests use loopback upstreams); edit may change the
// configuration first. The server stops when the test ends.
func Start(t *testing.T, e storetest.Engine, edit func(*cli.Config)) *Server {
	t.Helper()
	dbURL, dir := e.Fresh(t)
	var cfg cli.Config
	cfg.DataDir, cfg.DatabaseURL = dir, dbURL
	if dbURL != "" {
		cfg.EncryptionKey = secret.NewKey()
	}
	cfg.Addr = "127.0.0.1:0"
	cfg.LogFormat, cfg.LogLevel = "json", "info"
	cfg.ShutdownTimeout = 5 * time.Second
	cfg.AllowPrivateUpstreams = true
	if edit != nil {
		edit(&cfg)
	}
	logs := &clitest.LogBuffer{}
	cfg.LogOutput = logs
	srv := clitest.Start(t, cfg)
	return &Server{URL: srv.URL(), Service: srv.Service, Store: srv.Store(), logs: logs, t: t}
}

// NewApp creates an app and returns its id and first API key.
func (s *Server) NewApp(name string) (appID, apiKey string) {
	s.t.Helper()
	app, key, err := s.Service.CreateApp(context.Background(), name)
	if err != nil {
		s.t.Fatalf("CreateApp: %v", err)
	}
	return app.ID, key
}

// Logs returns what the server logged so far (JSON lines), for checks that
// no secret reaches a log.
func (s *Server) Logs() string { return s.logs.String() }

// Do sends a request with the given headers (name, value pairs) and body
// ("" for none) and returns the status, headers and body of the answer.
func (s *Server) Do(method, path, body string, headers ...string) (int, http.Header, []byte) {
	s.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, s.URL+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	return res.StatusCode, res.Header, b
}

// JSON sends body (nil for none, a string as is, any other value encoded
// as JSON, with Content-Type: application/json) and decodes the answer,
// which must be empty or a JSON object.
func (s *Server) JSON(method, path string, body any, headers ...string) (int, http.Header, map[string]any) {
	s.t.Helper()
	var raw string
	switch b := body.(type) {
	case nil:
	case string:
		raw = b
	default:
		j, err := json.Marshal(b)
		if err != nil {
			s.t.Fatal(err)
		}
		raw = string(j)
	}
	if raw != "" {
		headers = append([]string{"Content-Type", "application/json"}, headers...)
	}
	status, h, out := s.Do(method, path, raw, headers...)
	var m map[string]any
	if len(out) > 0 {
		if err := json.Unmarshal(out, &m); err != nil {
			s.t.Fatalf("%s %s: %d, body not a JSON object: %q", method, path, status, out)
		}
	}
	return status, h, m
}

// CheckNoSecrets fails the test if any of secrets is in the server's log.
func (s *Server) CheckNoSecrets(secrets ...string) {
	s.t.Helper()
	logs := s.Logs()
	for _, sec := range secrets {
		if strings.Contains(logs, sec) {
			s.t.Errorf("a secret reached the logs")
		}
	}
}

// Keys returns the keys of m, sorted: the fields of a decoded answer.
func Keys(m map[string]any) []string { return slices.Sorted(maps.Keys(m)) }

// Diff says how got differs from want ("" when they are equal).
func Diff(want, got any) string {
	if reflect.DeepEqual(want, got) {
		return ""
	}
	return fmt.Sprintf("-%#v\n+%#v", want, got)
}
