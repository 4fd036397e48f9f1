package mcp_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/porticohq/portico/internal/cli"
	"github.com/porticohq/portico/internal/cli/clitest"
	"github.com/porticohq/portico/internal/portico"
	"github.com/porticohq/portico/internal/secret"
	"github.com/porticohq/portico/internal/store/storetest"
)

// startNode runs a server on the store (a data dir, or a PostgreSQL URL
// and its encryption key) until the test ends.
func startNode(t *testing.T, dir, dbURL, key string) *cli.Server {
	return startLoggingNode(t, dir, dbURL, key, io.Discard)
}

// startLoggingNode is startNode with its log, at info, written to log,
// and the edits made to its configuration.
func startLoggingNode(t *testing.T, dir, dbURL, key string, log io.Writer, edits ...func(*cli.Config)) *cli.Server {
	t.Helper()
	cfg := cli.Config{Addr: "127.0.0.1:0", LogFormat: "json", LogLevel: "info",
		ShutdownTimeout: 5 * time.Second, AllowPrivateUpstreams: true, LogOutput: log, EncryptionKey: key}
	cfg.DataDir, cfg.DatabaseURL = dir, dbURL
	for _, edit := range edits {
		edit(&cfg)
	}
	return clitest.Start(t, cfg)
}

// completionClient accepts URL elicitations and sends each completed
// elicitation's id to completed.
func completionClient(completed chan<- string) *sdk.ClientOptions {
	return &sdk.ClientOptions{Capabilities: urlCaps,
		ElicitationHandler: func(context.Context, *sdk.ElicitRequest) (*sdk.ElicitResult, error) {
			return &sdk.ElicitResult{Action: "accept"}, nil
		},
		ElicitationCompleteHandler: func(_ context.Context, req *sdk.ElicitationCompleteNotificationRequest) {
			completed <- req.Params.ElicitationID
		}}
}

// upstream is a loopback API that records what reached it.
type upstream struct {
	*httptest.Server
	mu   sync.Mutex
	seen []seenRequest
}

type seenRequest struct {
	Method, Path, Query, Auth, Body string
}

func newUpstream(t *testing.T) *upstream {
	u := &upstream{}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		u.mu.Lock()
		u.seen = append(u.seen, seenRequest{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Get("Authorization"), string(body)})
		u.mu.Unlock()
		switch {
		case r.URL.Path == "/missing":
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(404)
			io.WriteString(w, `{"message":"no such thing"}`)
		case r.URL.Path == "/big":
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"items":"`+strings.Repeat("é", 3000)+`"}`)
		case r.URL.Path == "/list":
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `[1,2,3]`)
		default:
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(map[string]string{"method": r.Method, "path": r.URL.Path, "auth": r.Header.Get("Authorization"), "body": string(body)})
		}
	}))
	t.Cleanup(u.Close)
	return u
}

func (u *upstream) requests() []seenRequest {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]seenRequest(nil), u.seen...)
}

// env is a running Portico with one app whose integration "acme-crm"
// points at a loopback upstream, and a user "ann" connected to it.
type env struct {
	t       *testing.T
	URL     string
	svc     *portico.Service
	app     *portico.App
	key     string
	up      *upstream
	annTok  string
	annSess *portico.Session
	logs    *clitest.LogBuffer
}

func engines(t *testing.T, fn func(t *testing.T, e *env)) {
	for _, eng := range storetest.Engines(t) {
		t.Run(eng.Name, func(t *testing.T) { fn(t, newEnv(t, eng)) })
	}
}

func newEnv(t *testing.T, eng storetest.Engine, edits ...func(*cli.Config)) *env {
	t.Helper()
	dbURL, dir := eng.Fresh(t)
	key := ""
	if dbURL != "" {
		key = secret.NewKey()
	}
	logs := &clitest.LogBuffer{}
	srv := startLoggingNode(t, dir, dbURL, key, logs, edits...)
	ctx := context.Background()
	e := &env{t: t, URL: srv.URL(), svc: srv.Service, up: newUpstream(t), logs: logs}
	app, key, err := e.svc.CreateApp(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	// The tests call faster than a person: no per-user limit gets in the way.
	many := 1000000
	if app, _, err = e.svc.UpdateApp(ctx, app.ID, portico.AppPatch{Settings: &portico.SettingsPatch{PerformRatePerUser: &many, PerformBurstPerUser: &many}}); err != nil {
		t.Fatal(err)
	}
	e.app, e.key = app, key
	e.putIntegration("acme-crm", `{"name":"Acme CRM","category":"crm","base_url":"`+e.up.URL+`",
		"auth":{"type":"api_key","fields":[{"name":"api_key","secret":true}],"inject":{"header":"Authorization","format":"Bearer {api_key}"}},
		"actions":[
		 {"name":"get-deal","description":"Get a deal.","method":"GET","path":"/deals/{id}","input_schema":{"type":"object","properties":{"id":{"type":"string"}},"required":["id"]}},
		 {"name":"create-deal","description":"Create a deal.","method":"POST","path":"/deals","input_schema":{"type":"object","properties":{"title":{"type":"string"},"amount":{"type":"integer"}},"required":["title"]}},
		 {"name":"delete-deal","method":"DELETE","path":"/deals/{id}","input_schema":{"type":"object","properties":{"id":{"type":"string"}},"required":["id"]}},
		 {"name":"missing","method":"GET","path":"/missing"},
		 {"name":"big","method":"GET","path":"/big"},
		 {"name":"list","method":"GET","path":"/list","annotations":{"open_world_hint":false}}]}`)
	e.putIntegration("notes", `{"name":"Notes","base_url":"`+e.up.URL+`",
		"auth":{"type":"api_key","fields":[{"name":"api_key","secret":true}],"inject":{"header":"Authorization","format":"Bearer {api_key}"}},
		"actions":[{"name":"add","method":"POST","path":"/notes","input_schema":{"type":"object","properties":{"text":{"type":"string"}}}}]}`)
	e.annSess, e.annTok = e.session("ann", portico.SessionSettings{})
	e.connect("ann", "acme-crm", "ann-crm-key-0001")
	return e
}

func (e *env) putIntegration(slug, def string) {
	e.t.Helper()
	var in struct {
		Name       *string
		Category   *string
		BaseURL    *string   `json:"base_url"`
		AccountIDs *[]string `json:"account_ids"`
		Auth       *struct {
			Type   *string
			Fields *[]portico.Field
			Inject *portico.Inject
		}
		Actions *[]portico.Action
	}
	if err := json.Unmarshal([]byte(def), &in); err != nil {
		e.t.Fatal(err)
	}
	pi := portico.IntegrationInput{Name: in.Name, Category: in.Category, BaseURL: in.BaseURL, Actions: in.Actions, AccountIDs: in.AccountIDs,
		Auth: &portico.AuthInput{Type: in.Auth.Type, Fields: in.Auth.Fields, Inject: in.Auth.Inject}}
	if _, _, err := e.svc.PutIntegration(context.Background(), e.app.ID, slug, pi); err != nil {
		e.t.Fatalf("put %s: %v", slug, err)
	}
}

// session creates a session for the user with these settings.
func (e *env) session(externalID string, st portico.SessionSettings) (*portico.Session, string) {
	e.t.Helper()
	cs, err := e.svc.CreateSession(context.Background(), e.app, portico.SessionInput{User: portico.UserInput{ExternalID: &externalID}, Settings: st})
	if err != nil {
		e.t.Fatal(err)
	}
	return cs.Session, cs.Token
}

// connect stores the user's API key for the integration.
func (e *env) connect(externalID, slug, apiKey string) {
	e.t.Helper()
	u, _, err := e.svc.FindOrCreateUser(context.Background(), e.app.ID, portico.UserInput{ExternalID: &externalID})
	if err != nil {
		e.t.Fatal(err)
	}
	if _, _, err := e.svc.ImportConnection(context.Background(), e.app.ID, u.ID, slug, portico.Credentials{"api_key": apiKey}); err != nil {
		e.t.Fatal(err)
	}
}

// headers adds fixed headers to every request of a client.
type headers struct {
	h    map[string]string
	base http.RoundTripper
}

func (h headers) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	for k, v := range h.h {
		r.Header.Set(k, v)
	}
	return h.base.RoundTrip(r)
}

// clientOpts configure a test client.
type clientOpts struct {
	version string // "" : 2026-07-28
	headers map[string]string
	opts    *sdk.ClientOptions
	// longStreams lifts the client's 60 s bound on a request, which
	// would end a stream that lasts longer.
	longStreams bool
}

// dial connects an SDK client.
func (e *env) dial(o clientOpts) *sdk.ClientSession {
	e.t.Helper()
	if o.version == "" {
		o.version = "2026-07-28"
	}
	c := sdk.NewClient(&sdk.Implementation{Name: "portico-test", Version: "1"}, o.opts)
	hc := &http.Client{Transport: headers{h: o.headers, base: http.DefaultTransport}, Timeout: 60 * time.Second}
	if o.longStreams {
		hc.Timeout = 0
	}
	cs, err := c.Connect(context.Background(), &sdk.StreamableClientTransport{Endpoint: e.URL + "/mcp", HTTPClient: hc, MaxRetries: -1},
		&sdk.ClientSessionOptions{ProtocolVersion: o.version})
	if err != nil {
		e.t.Fatalf("connect (%s): %v", o.version, err)
	}
	e.t.Cleanup(func() { cs.Close() })
	return cs
}

func bearer(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }

// raw posts a JSON-RPC body to /mcp with headers and returns the answer.
func (e *env) raw(method, body string, h map[string]string) (*http.Response, string) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.URL+"/mcp", strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	// A value with newlines is sent as that many headers of the name.
	for k, v := range h {
		req.Header.Del(k)
		for _, part := range strings.Split(v, "\n") {
			req.Header.Add(k, part)
		}
	}
	if host := h["Host"]; host != "" {
		req.Host = host
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

func textOf(r *sdk.CallToolResult) string {
	var b strings.Builder
	for _, c := range r.Content {
		if t, ok := c.(*sdk.TextContent); ok {
			b.WriteString(t.Text)
		}
	}
	return b.String()
}

func get(ctx context.Context, u string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", u, nil)
	if err != nil {
		return "", err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return string(b), err
}

// legacySession opens a 2025-era session for tok with a raw initialize and
// returns the headers of a request on it.
func (e *env) legacySession(tok string) map[string]string {
	e.t.Helper()
	init := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"x","version":"1"}}}`
	res, _ := e.raw("POST", init, bearer(tok))
	id := res.Header.Get("Mcp-Session-Id")
	if res.StatusCode != 200 || id == "" {
		e.t.Fatalf("initialize: %d, session %q", res.StatusCode, id)
	}
	h := bearer(tok)
	h["Mcp-Session-Id"], h["MCP-Protocol-Version"] = id, "2025-11-25"
	return h
}
