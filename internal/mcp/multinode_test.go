package mcp_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

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
	a, b := startNode(t, dir+"/a", dbURL, key), startNode(t, dir+"/b", dbURL, key)
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
	cs := e.dial(clientOpts{version: "2025-11-25", headers: bearer(tok), opts: completionClient(completed)})
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
