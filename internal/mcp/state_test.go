package mcp

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/portico"
	"github.com/porticohq/portico/internal/secret"
)

// A request state opens for its caller, tool and arguments for ten
// minutes, and not after.
func TestRequestState_Expires(t *testing.T) {
	ring, err := secret.ParseKeys(secret.NewKey())
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	h := &Handler{svc: &portico.Service{Sealer: ring, Now: func() time.Time { return now }}}
	id := "ses_1"
	a := &portico.Agent{Session: &portico.Session{ID: id}}
	args := json.RawMessage(`{"id":"1"}`)
	st, err := h.sealState(a, "crm_get", args, "apr_1")
	if err != nil {
		t.Fatal(err)
	}
	now = now.Add(stateTTL - time.Second)
	if got, err := h.openState(a, "crm_get", args, st); err != nil || got.Approval != "apr_1" {
		t.Fatalf("within the TTL: %+v, %v", got, err)
	}
	now = now.Add(2 * time.Second)
	if _, err := h.openState(a, "crm_get", args, st); err == nil || !strings.Contains(err.Error(), "expired") {
		t.Errorf("after the TTL: %v", err)
	}
}

// The router reads the method and the tool name with the SDK's exact
// spelling: a "Name" beside "name" does not change which tool is checked.
func TestPeek_ExactKeys(t *testing.T) {
	for body, want := range map[string]message{
		`{"method":"tools/call","params":{"name":"a_get","Name":"a_delete"}}`: {method: "tools/call", tool: "a_get"},
		`{"method":"tools/call","params":{"Name":"a_delete"}}`:                {method: "tools/call"},
		`{"Method":"tools/call","params":{"name":"a_get"}}`:                   {},
		`{"method":"notifications/initialized"}`:                              {method: "notifications/initialized"},
		`{"method":"tools/call","params":{"name":7}}`:                         {method: "tools/call"},
		`not json`: {},
	} {
		if got := peek([]byte(body)); got.method != want.method || got.tool != want.tool {
			t.Errorf("peek(%s) = %+v, want %+v", body, got, want)
		}
	}
}
