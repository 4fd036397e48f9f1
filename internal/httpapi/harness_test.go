package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/porticohq/portico/internal/httpapi"
	"github.com/porticohq/portico/internal/portico"
	"github.com/porticohq/portico/internal/secret"
	"github.com/porticohq/portico/internal/store"
	"github.com/porticohq/portico/internal/store/storetest"
)

// env is one running API on one engine, for one test.
type env struct {
	t       *testing.T
	URL     string
	Svc     *portico.Service
	DB      *store.DB
	Clock   *storetest.Clock
	Metrics *httpapi.Metrics
	API     *httpapi.Server
	logs    *syncBuffer

	mu      sync.Mutex
	secrets []string // issued in the test; must never reach the log
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// engines runs fn once per engine as a subtest.
func engines(t *testing.T, fn func(t *testing.T, e storetest.Engine)) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) { fn(t, e) })
	}
}

// newEnv starts the API over a fresh store of engine e, with rate limits
// off unless opts says otherwise.
func newEnv(t *testing.T, e storetest.Engine, opts ...func(*httpapi.Options)) *env {
	t.Helper()
	clock := storetest.NewClock()
	db := storetest.Open(t, e, clock.Now)
	ring, err := secret.ParseKeys(secret.NewKey())
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	svc := portico.NewService(db, &portico.Service{Sealer: ring, Pages: portico.NewPageCodec([]byte("0123456789abcdef0123456789abcdef")), Now: clock.Now, PublicURL: "http://portico.test",
		Log: slog.New(slog.NewJSONHandler(logs, nil))})
	o := httpapi.Options{Service: svc, Logger: svc.Log, Now: clock.Now}
	for _, f := range opts {
		f(&o)
	}
	api := httpapi.New(o)
	srv := httptest.NewServer(api)
	en := &env{t: t, URL: srv.URL, Svc: svc, DB: db, Clock: clock, Metrics: api.Metrics(), API: api, logs: logs}
	t.Cleanup(func() {
		srv.Close()
		en.checkLogs()
	})
	return en
}

// secret records values that the server must never log.
func (e *env) secret(values ...string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.secrets = append(e.secrets, values...)
}

// checkLogs fails the test if the server logged any secret issued in it.
func (e *env) checkLogs() {
	logs := e.logs.String()
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, s := range e.secrets {
		if s != "" && strings.Contains(logs, s) {
			e.t.Errorf("the server log holds a secret issued in the test (%.6s…)", s)
		}
	}
}

// newApp creates an app and returns its id and API key.
func (e *env) newApp(name string) (string, string) {
	e.t.Helper()
	app, key, err := e.Svc.CreateApp(context.Background(), name)
	if err != nil {
		e.t.Fatal(err)
	}
	e.secret(key)
	return app.ID, key
}

// response is a decoded answer.
type response struct {
	Status int
	Header http.Header
	Body   map[string]any
	Raw    []byte
}

// code returns error.code of an error body.
func (r response) code() string {
	if e, ok := r.Body["error"].(map[string]any); ok {
		s, _ := e["code"].(string)
		return s
	}
	return ""
}

// do sends a request. body may be a string (sent as is) or any value
// (sent as JSON); a JSON content type is set unless headers set one.
func (e *env) do(method, path string, headers map[string]string, body any) response {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, e.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range headers {
		if v == "" {
			req.Header.Del(k)
			continue
		}
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	e.recordSecrets(raw)
	out := response{Status: res.StatusCode, Header: res.Header, Raw: raw}
	if len(raw) > 0 && strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		if raw[0] == '{' {
			if err := json.Unmarshal(raw, &out.Body); err != nil {
				e.t.Fatalf("%s %s: bad JSON %q: %v", method, path, raw, err)
			}
		}
	}
	return out
}

// auth returns headers authenticating with key.
func auth(key string) map[string]string { return map[string]string{"Authorization": "Bearer " + key} }

// recordSecrets remembers every token an answer issues (session and refresh
// tokens, API keys, webhook secrets, configuration codes).
func (e *env) recordSecrets(raw []byte) {
	for _, f := range strings.FieldsFunc(string(raw), func(r rune) bool { return r == '"' || r == '/' }) {
		for _, p := range []string{"pk_", "pst_", "prt_", "pcc_", "whsec_"} {
			if strings.HasPrefix(f, p) && len(f) > len(p)+20 {
				e.secret(f)
			}
		}
	}
}
