package mcp_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/porticohq/portico/internal/cli"
	"github.com/porticohq/portico/internal/portico"
	"github.com/porticohq/portico/internal/secret"
	"github.com/porticohq/portico/internal/store/storetest"
)

// On PostgreSQL, a user who connects through one node completes the
// 2025-era elicitation of a session another node holds: the connection is
// announced to every node.
func TestMCP_LegacyElicitationAcrossNodes(t *testing.T) {
	var pg *storetest.Engine
	for _, e := range storetest.Engines(t) {
		if e.Name == "postgres" {
			pg = &e
		}
	}
	if pg == nil {
		t.Skip("PORTICO_TEST_POSTGRES_URL is not set")
	}
	dbURL, dir := pg.Fresh(t)
	key := secret.NewKey()
	node := func(sub string) *cli.Server {
		cfg := cli.Config{Addr: "127.0.0.1:0", LogFormat: "json", LogLevel: "warn", ShutdownTimeout: 5 * time.Second,
			AllowPrivateUpstreams: true, LogOutput: io.Discard, EncryptionKey: key}
		cfg.DataDir, cfg.DatabaseURL = dir+"/"+sub, dbURL
		ctx, cancel := context.WithCancel(context.Background())
		srv, err := cli.NewServer(ctx, cfg)
		if err != nil {
			cancel()
			t.Fatalf("NewServer: %v", err)
		}
		done := make(chan struct{})
		go func() {
			srv.Run(ctx)
			srv.Close()
			close(done)
		}()
		t.Cleanup(func() {
			cancel()
			<-done
		})
		return srv
	}
	a, b := node("a"), node("b")
	e := &env{t: t, URL: a.URL(), svc: a.Service, up: newUpstream(t)}
	app, apiKey, err := e.svc.CreateApp(context.Background(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	e.app, e.key = app, apiKey
	e.putIntegration("notes", `{"name":"Notes","base_url":"`+e.up.URL+`",
		"auth":{"type":"api_key","fields":[{"name":"api_key","secret":true}],"inject":{"header":"Authorization","format":"Bearer {api_key}"}},
		"actions":[{"name":"add","method":"POST","path":"/notes","input_schema":{"type":"object","properties":{"text":{"type":"string"}}}}]}`)
	_, tok := e.session("carl", portico.SessionSettings{})
	completed := make(chan string, 1)
	opts := &sdk.ClientOptions{Capabilities: urlCaps,
		ElicitationHandler: func(context.Context, *sdk.ElicitRequest) (*sdk.ElicitResult, error) {
			return &sdk.ElicitResult{Action: "accept"}, nil
		},
		ElicitationCompleteHandler: func(_ context.Context, req *sdk.ElicitationCompleteNotificationRequest) {
			completed <- req.Params.ElicitationID
		}}
	cs := e.dial(clientOpts{version: "2025-11-25", headers: bearer(tok), opts: opts})
	_, err = cs.CallTool(context.Background(), &sdk.CallToolParams{Name: "notes_add", Arguments: map[string]any{"text": "hi"}})
	var re *jsonrpc.Error
	if !errors.As(err, &re) || re.Code != sdk.CodeURLElicitationRequired || !strings.Contains(string(re.Data), "eli_") {
		t.Fatalf("want -32042, got %v", err)
	}
	// The user connects through node b.
	e.svc = b.Service
	e.connect("carl", "notes", "carl-notes-key-003")
	select {
	case <-completed:
	case <-time.After(10 * time.Second):
		t.Fatal("node a did not hear of the connection made through node b")
	}
}
